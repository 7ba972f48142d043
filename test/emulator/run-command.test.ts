/**
 * `hvspec run`: exit codes (program's, 124 on budget), usage errors (exit 2
 * via UsageError), console on stdout, the trace format (Spike --log-commits:
 * `core   0: <priv> 0x<pc> (0x<insn>) x<rd> 0x<value>`), and the virt
 * machine's options (harts, memory, firmware, boot hart, console input).
 */
import { existsSync } from 'node:fs';
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

  it('--isa chooses the harts: rv64imach (default) has misa.H, rv64imac does not', async () => {
    // Exits with 2 + misa.H: compares misa with a copy whose bit 7 was cleared (through mscratch).
    const misaH = elfFile('misa-h.elf', [
      asm.csrrs(x.t2, 0x301, 0), ...li(x.t3, 1n << 7n),
      asm.csrrw(0, 0x340, x.t2), asm.csrrc(0, 0x340, x.t3), asm.csrrs(x.t4, 0x340, 0), // mscratch = misa without H
      asm.beq(x.t2, x.t4, 12), ...li(x.t1, (3n << 1n) | 1n), asm.jal(0, 8), ...li(x.t1, (2n << 1n) | 1n),
      ...li(x.t0, TOHOST), asm.sd(x.t1, x.t0, 0), asm.jal(0, 0),
    ]);
    capture();
    expect(await run([misaH, '--firmware', 'none'])).toBe(3);
    expect(await run([misaH, '--firmware', 'none', '--isa', 'rv64imach'])).toBe(3);
    expect(await run([misaH, '--firmware', 'none', '--isa', 'rv64imac'])).toBe(2);
  });

  it(`returns ${EXIT_BUDGET} when the instruction budget runs out`, async () => {
    capture();
    expect(await run([spin, '--max-instructions', '1000'])).toBe(EXIT_BUDGET);
    expect(await run([spin, '--max-instructions=10'])).toBe(EXIT_BUDGET);
  });

  it('--trace prints one Spike-style line per retired instruction to stderr', async () => {
    const io = capture();
    await run([hello, '--firmware', 'none', '--trace']);
    const lines = io.err.join('').trimEnd().split('\n');
    // Like QEMU's virt board, the hart starts in the boot ROM at 0x1000 (auipc t0, 0), which jumps to 0x8000_0000.
    expect(lines[0]).toBe('core   0: 3 0x0000000000001000 (0x00000297) x5  0x0000000000001000');
    expect(lines.find((l) => l.startsWith('core   0: 3 0x0000000080000000 '))).toBe('core   0: 3 0x0000000080000000 (0x000802b7) x5  0x0000000000080000'); // lui t0, 0x80
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
    ['a missing firmware file', [spin, '--firmware', join(dir, 'opensbi.elf')], /--firmware '.*opensbi\.elf': no such file/],
    ['9 harts', [spin, '--harts', '9'], /--harts must be an integer from 1 to 8, got '9'/],
    ['0 harts', [spin, '--harts=0'], /--harts must be an integer from 1 to 8, got '0'/],
    ['an unparsable memory size', [spin, '--mem', '12Q'], /--mem: unparsable memory size "12Q"/],
    ['too little memory', [spin, '--mem', '8M'], /8388608|8 MiB|16 MiB/],
    ['a boot hart the machine lacks', [spin, '--harts', '2', '--boot-hart', '2'], /--boot-hart must be an integer from 0 to 1, got '2'/],
    ['both kinds of input', [spin, '--input', 'x', '--input-file', join(dir, 'text.elf')], /--input or --input-file, not both/],
    ['a missing input file', [spin, '--input-file', join(dir, 'nope.txt')], /--input-file '.*nope\.txt': no such file/],
    ['a switch given a value', [spin, '--trace=yes'], /--trace takes no value/],
    ['a file that is not ELF', [join(dir, 'text.elf')], /text\.elf: not an ELF file/],
    ['an unknown ISA', [spin, '--isa', 'rv64gc'], /--isa: 'rv64gc' is not one of rv64imac, rv64imach/],
  ];
  writeFileSync(join(dir, 'text.elf'), 'plain text, not an executable file, long enough to have a header of sixty-four bytes.');
  for (const [name, args, message] of usage) {
    it(`refuses ${name} with a UsageError`, async () => {
      capture();
      await expect(run(args)).rejects.toThrow(UsageError);
      await expect(run(args)).rejects.toThrow(message);
    });
  }

  const hypervisor = 'hypervisor/build/hypervisor.elf';
  const opensbi = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';

  it('boots an S-mode payload under builtin firmware on several harts, feeds it console input and exits with its SBI reset code', async () => {
    const io = capture();
    expect(await run([hypervisor, '--harts', '2', '--mem', '64M', '--boot-hart', '1', '--input', 'stat\npoweroff 7\n'])).toBe(7);
    const console = io.out.join('');
    expect(console).toMatch(/hvspec-hv ready harts=2 boot=1 ram_base=0x80000000 ram_size=0x4000000 /);
    expect(console).toMatch(/OK stat hart=1 nfree=\d+/);
    expect(console).toMatch(/OK poweroff hart=1 code=7/);
  });

  it.skipIf(!existsSync(opensbi))(`boots the payload under real firmware given as a path (${existsSync(opensbi) ? opensbi : 'skipped: Debian opensbi not installed'})`, async () => {
    const io = capture();
    // Input is queued at reset; OpenSBI's UART set-up resets the receive FIFO and drops what sat in it, as on
    // hardware, so the first line is sacrificial.
    expect(await run([hypervisor, '--firmware', opensbi, '--input', 'x\npoweroff 0\n', '--max-instructions', '400000000'])).toBe(0);
    const console = io.out.join('');
    expect(console).toContain('OpenSBI');
    expect(console).toMatch(/hvspec-hv ready harts=1 boot=0 /);
    expect(console).toMatch(/OK poweroff hart=0 code=0/);
  });

  it.skipIf(!existsSync(opensbi))('--input-after gives the input once the console printed the text, so OpenSBI cannot drop it', async () => {
    let io = capture();
    expect(await run([hypervisor, '--firmware', opensbi, '--input-after', 'hvspec-hv ready', '--input', 'poweroff 5\n', '--max-instructions', '400000000'])).toBe(5);
    expect(io.out.join('')).toMatch(/hvspec-hv ready [^\n]*\nOK poweroff hart=0 code=5/);
    vi.restoreAllMocks();
    // the same input queued at reset is dropped by OpenSBI's FIFO reset: the run goes on until the budget
    io = capture();
    expect(await run([hypervisor, '--firmware', opensbi, '--input', 'poweroff 5\n', '--max-instructions', '30000000'])).toBe(EXIT_BUDGET);
    expect(io.out.join('')).not.toContain('OK poweroff');
  });

  it('--input-after says so when the text never appears, and needs input', async () => {
    const io = capture();
    expect(await run([hypervisor, '--input-after', 'never printed', '--input', 'poweroff 3\n', '--max-instructions', '20000000'])).toBe(EXIT_BUDGET);
    expect(io.err.join('')).toContain('hvspec run: the console never printed "never printed", so the input was not given');
    await expect(run([hypervisor, '--input-after', 'ready'])).rejects.toThrow('run: --input-after needs --input or --input-file');
  });
});
