/**
 * `hvspec run`: exit codes (program's, 124 on budget), usage errors (exit 2
 * via UsageError), console on stdout, and the trace format (Spike
 * --log-commits: `core   0: <priv> 0x<pc> (0x<insn>) x<rd> 0x<value>`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT_BUDGET, run } from '../../cli/commands/run.js';
import { UsageError } from '../../cli/usage.js';
import { buildElf, wordsToBytes } from './elf-builder.js';
import { asm, li, x } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'hvspec-run-'));
const TOHOST = 0x8000_1000n;

function elfFile(name: string, words: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, buildElf({
    entry: 0x8000_0000n,
    segments: [{ paddr: 0x8000_0000n, data: wordsToBytes(words) }, { paddr: TOHOST, data: new Uint8Array(16) }],
    symbols: { tohost: TOHOST, fromhost: TOHOST + 0x40n },
  }));
  return path;
}

const hello = elfFile('hello.elf', [
  ...li(x.t0, TOHOST),
  ...[...'ok'].flatMap((c) => [...li(x.t1, (1n << 56n) | (1n << 48n) | BigInt(c.charCodeAt(0))), asm.sd(x.t1, x.t0, 0)]),
  ...li(x.t1, (5n << 1n) | 1n), asm.sd(x.t1, x.t0, 0),
]);
const spin = elfFile('spin.elf', [asm.jal(0, 0)]);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('hvspec run', () => {
  it("prints the console and returns the program's exit code", async () => {
    const io = capture();
    expect(await run([hello, '--firmware', 'none'])).toBe(5);
    expect(io.out.join('')).toBe('ok');
  });

  it(`returns ${EXIT_BUDGET} when the instruction budget runs out`, async () => {
    capture();
    expect(await run([spin, '--max-instructions', '1000'])).toBe(EXIT_BUDGET);
    expect(await run([spin, '--max-instructions=10'])).toBe(EXIT_BUDGET);
  });

  it('--trace prints one Spike-style line per retired instruction to stderr', async () => {
    const io = capture();
    await run([hello, '--trace']);
    const lines = io.err.join('').trimEnd().split('\n');
    expect(lines[0]).toBe('core   0: 3 0x0000000080000000 (0x000802b7) x5  0x0000000000080000'); // lui t0, 0x80
    expect(lines.every((l) => /^core {3}0: [013] 0x[0-9a-f]{16} \(0x([0-9a-f]{4}|[0-9a-f]{8})\)( x\d{1,2} {1,2}0x[0-9a-f]{16})?( mem 0x[0-9a-f]{16}( 0x[0-9a-f]+)?)*$/.test(l))).toBe(true);
    const sd = `(0x${asm.sd(x.t1, x.t0, 0).toString(16).padStart(8, '0')})`;
    const stores = lines.filter((l) => l.includes(sd));
    // a store writes no register; it shows the address and the value written, as Spike does
    expect(stores).toEqual([
      `core   0: 3 0x0000000080000018 ${sd} mem 0x0000000080001000 0x010100000000006f`,
      `core   0: 3 0x0000000080000028 ${sd} mem 0x0000000080001000 0x010100000000006b`,
      `core   0: 3 0x0000000080000030 ${sd} mem 0x0000000080001000 0x000000000000000b`,
    ]);
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown option', [spin, '--fast'], /unknown option '--fast'/],
    ['a missing file', [join(dir, 'nope.elf')], /no such file/],
    ['no file', [], /expected one ELF file, got 0/],
    ['a bad budget', [spin, '--max-instructions', '12x'], /--max-instructions must be a positive integer, got '12x'/],
    ['a firmware other than none', [spin, '--firmware', 'opensbi.elf'], /--firmware opensbi\.elf is not supported/],
    ['a file that is not ELF', [join(dir, 'text.elf')], /text\.elf: not an ELF file/],
  ];
  writeFileSync(join(dir, 'text.elf'), 'plain text, not an executable file, long enough to have a header of sixty-four bytes.');
  for (const [name, args, message] of usage) {
    it(`refuses ${name} with a UsageError`, async () => {
      capture();
      await expect(run(args)).rejects.toThrow(UsageError);
      await expect(run(args)).rejects.toThrow(message);
    });
  }
});
