/**
 * The ELF loader (refusals name the file and the problem; segments at
 * p_paddr; zero fill; symbols) and HTIF (exit codes, console, tohost cleared,
 * detection on the physical address), through runElf.
 */
import { describe, expect, it } from 'vitest';
import { ElfError, parseElf } from '../../emulator/elf.js';
import { loadMachine, runElf } from '../../emulator/run.js';
import { buildElf, wordsToBytes } from './elf-builder.js';
import { asm, li, readDouble, x } from './support.js';

const TOHOST = 0x8000_1000n;
const FROMHOST = 0x8000_1040n;

/** An ELF whose code is `words` at 0x8000_0000 with tohost/fromhost at 0x8000_1000/0x8000_1040. */
function program(words: number[], extra: Partial<Parameters<typeof buildElf>[0]> = {}): Uint8Array {
  return buildElf({
    entry: 0x8000_0000n,
    segments: [{ paddr: 0x8000_0000n, data: wordsToBytes(words) }, { paddr: TOHOST, data: new Uint8Array(16), memsz: 0x1000n }],
    symbols: { tohost: TOHOST, fromhost: FROMHOST, _start: 0x8000_0000n },
    ...extra,
  });
}

/** Code that stores `value` to tohost with sd. */
function toHost(value: bigint): number[] {
  return [...li(x.t0, TOHOST), ...li(x.t1, value), asm.sd(x.t1, x.t0, 0)];
}

describe('ELF loader', () => {
  const good = program([asm.nop()]);
  const refusals: [string, Uint8Array, RegExp][] = [
    ['a file that is not ELF', new TextEncoder().encode('#!/bin/sh\necho hello, this is not an ELF file at all....................................\n'), /prog\.elf: not an ELF file \(bad magic\)/],
    ['a 32-bit ELF', buildElf({ entry: 0n, segments: [{ paddr: 0x8000_0000n, data: new Uint8Array(4) }], patch: { 4: 1 } }), /prog\.elf: not a 64-bit ELF file/],
    ['a big-endian ELF', buildElf({ entry: 0n, segments: [{ paddr: 0x8000_0000n, data: new Uint8Array(4) }], patch: { 5: 2 } }), /prog\.elf: not a little-endian ELF file/],
    ['an x86-64 ELF', buildElf({ entry: 0n, segments: [{ paddr: 0x8000_0000n, data: new Uint8Array(4) }], patch: { 18: 62, 19: 0 } }), /prog\.elf: not a RISC-V ELF file \(e_machine 62\)/],
    ['a truncated file', good.subarray(0, 80), /prog\.elf: program header table \(e_phoff 0x40, e_phnum 2 x e_phentsize 56\) runs past the end of the file \(80 bytes\)/],
  ];
  for (const [name, bytes, message] of refusals) {
    it(`refuses ${name}, naming the file and the problem`, () => {
      expect(() => parseElf(bytes, 'prog.elf')).toThrow(ElfError);
      expect(() => parseElf(bytes, 'prog.elf')).toThrow(message);
    });
  }

  it('refuses a segment outside RAM, naming it and the RAM range', () => {
    const bytes = buildElf({ entry: 0x1000n, segments: [{ paddr: 0x1000n, data: new Uint8Array(4) }] });
    expect(() => runElf(bytes, { fileName: 'low.elf' })).toThrow(/low\.elf: segment 0 \[0x1000, 0x1004\) is outside RAM \[0x80000000, 0x88000000\)/);
    const tooBig = buildElf({ entry: 0x87ff_f000n, segments: [{ paddr: 0x87ff_f000n, data: new Uint8Array(4), memsz: 0x2000n }] });
    expect(() => runElf(tooBig, { fileName: 'big.elf' })).toThrow(/big\.elf: segment 0 .* is outside RAM/);
  });

  it('loads segments at p_paddr (not p_vaddr), zero-fills to p_memsz and exposes entry and symbols', () => {
    const bytes = buildElf({
      entry: 0xffff_ffff_8000_0000n,
      segments: [{ paddr: 0x8000_2000n, vaddr: 0xffff_ffff_8000_0000n, data: new Uint8Array([1, 2, 3, 4]), memsz: 0x100n }],
      symbols: { start: 0xffff_ffff_8000_0000n, tohost: 0x8000_3000n },
    });
    const elf = parseElf(bytes, 'k.elf');
    expect(elf.entry).toBe(0xffff_ffff_8000_0000n);
    expect(elf.symbol('start')?.value).toBe(0xffff_ffff_8000_0000n);
    expect(elf.symbol('missing')).toBeUndefined();
    const m = loadMachine(bytes);
    expect(readDouble(m.bus, 0x8000_2000) & 0xffff_ffffn).toBe(0x0403_0201n);
    expect(readDouble(m.bus, 0x8000_2008)).toBe(0n);
    expect(m.hart.pc).toBe(0xffff_ffff_8000_0000n);
  });
});

describe('HTIF', () => {
  it('exit: device 0 command 0 with an odd value ends the run with value >> 1', () => {
    expect(runElf(program(toHost(1n)))).toMatchObject({ exitCode: 0, reason: 'exit' });
    expect(runElf(program(toHost((42n << 1n) | 1n)))).toMatchObject({ exitCode: 42, reason: 'exit' });
  });

  it('console: device 1 command 1 prints the low byte, clears tohost and answers in fromhost', () => {
    const chars = [...'hi\n'].flatMap((c) => toHost((1n << 56n) | (1n << 48n) | BigInt(c.charCodeAt(0))));
    const seen: string[] = [];
    const m = loadMachine(program([...chars, ...toHost(1n)]), { onConsole: (t) => seen.push(t) });
    while (m.exitCode === null) m.hart.run(1000);
    expect(m.console).toBe('hi\n');
    expect(seen.join('')).toBe('hi\n');
    expect(readDouble(m.bus, Number(TOHOST))).toBe(0n);
    expect(readDouble(m.bus, Number(FROMHOST))).toBe((1n << 56n) | (1n << 48n));
  });

  it('an unsupported command (the syscall proxy) stops the run with an error naming it', () => {
    expect(() => runElf(program(toHost(0x8000_2000n)), { fileName: 'sys.elf' })).toThrow(/sys\.elf: HTIF the syscall proxy .* is not supported \(tohost = 0x0000000080002000\)/);
    expect(() => runElf(program(toHost((1n << 56n) | 5n)))).toThrow(/HTIF device 1 command 0 is not supported/);
  });

  it('a 32-bit store of the low word also counts (sw)', () => {
    expect(runElf(program([...li(x.t0, TOHOST), ...li(x.t1, 7n), asm.sw(x.t1, x.t0, 0)]))).toMatchObject({ exitCode: 3 });
  });

  it('runs out of budget with reason "budget" and no exit code', () => {
    expect(runElf(program([asm.jal(0, 0)]), { maxInstructions: 1000 })).toEqual({ exitCode: null, reason: 'budget', console: '', instructions: 1000 });
  });

  it('without tohost in the symbol table, stores there are plain memory', () => {
    const bytes = buildElf({ entry: 0x8000_0000n, segments: [{ paddr: 0x8000_0000n, data: wordsToBytes([...toHost(1n), asm.jal(0, 0)]) }] });
    expect(runElf(bytes, { maxInstructions: 100 })).toMatchObject({ reason: 'budget', exitCode: null });
  });
});
