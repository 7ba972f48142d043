/**
 * runVirt, the entry point of `hvspec run` on the virt machine: exit codes,
 * budget, input, and errors that name the bad argument. When QEMU is
 * installed, its reset vector and fw_dynamic_info are compared with ours.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { bootRomImage } from '../../../emulator/board/boot-rom.js';
import { dtbAddress } from '../../../emulator/board/images.js';
import { parseRamSize, runVirt } from '../../../emulator/board/run-virt.js';
import { buildVirtDtb } from '../../../emulator/board/virt-dtb.js';
import { OPENSBI, haveOpenSbi } from './support.js';

const program = (name: string): string => `test/riscv/build/board/${name}.elf`;

describe('runVirt', () => {
  test('exit codes: SRST under builtin firmware, the finisher under none; 8 harts; console and input', () => {
    expect(runVirt({ elf: program('hello') })).toMatchObject({ exitCode: 0, reason: 'exit', console: 'hello from hart 0\n' });
    expect(runVirt({ elf: program('hsm'), harts: 8, mem: '16M', bootHart: 5 })).toMatchObject({ exitCode: 0, console: 'hsm ok 8\n' });
    expect(runVirt({ elf: program('hsm'), harts: 2, mem: '16G' })).toMatchObject({ exitCode: 0, console: 'hsm ok 2\n' });
    expect(runVirt({ elf: program('uart-rx'), firmware: 'none', input: 'Q' })).toMatchObject({ exitCode: 2, reason: 'exit' });
    const lines: string[] = [];
    const traced = runVirt({ elf: program('hello'), maxInstructions: 5, trace: (l) => lines.push(l) });
    expect(traced).toMatchObject({ exitCode: null, reason: 'budget', instructions: 5 });
    expect(lines.length).toBe(5);
    expect(lines[0]).toMatch(/^core {3}0: 1 0x0000000080200000 /);
  });

  test.skipIf(!haveOpenSbi)('a firmware path: OpenSBI', () => {
    const r = runVirt({ elf: program('hello'), firmware: OPENSBI, harts: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.console).toContain('hello from hart 0');
  });

  test('bad arguments are refused by name', () => {
    expect(() => runVirt({ elf: program('hello'), harts: 9 })).toThrow(/harts must be 1\.\.8, got 9/);
    expect(() => runVirt({ elf: program('hello'), mem: 'lots' })).toThrow(/unparsable memory size "lots"/);
    expect(() => runVirt({ elf: program('hello'), mem: '8M' })).toThrow(/outside 16 MiB\.\.16 GiB/);
    expect(() => runVirt({ elf: 'no/such.elf' })).toThrow(/kernel file no\/such\.elf: no such file/);
    expect(() => runVirt({ elf: program('hello'), firmware: 'no/fw.bin' })).toThrow(/firmware file no\/fw\.bin: no such file/);
    expect(() => runVirt({ elf: program('hello'), bootHart: 1 })).toThrow(/boot hart must be 0\.\.0, got 1/);
    expect(() => runVirt({ elf: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1]), elfName: 'x.elf' })).toThrow(/x\.elf/);
  });

  test('every ISA conformance program (test/riscv/isa) passes on the virt board with firmware none, through HTIF', () => {
    const dir = 'test/riscv/build/isa';
    const programs = readdirSync(dir).filter((f) => f.endsWith('.elf'));
    expect(programs.length).toBeGreaterThan(10);
    for (const f of programs) {
      expect({ f, ...runVirt({ elf: `${dir}/${f}`, firmware: 'none', maxInstructions: 20_000_000 }) }).toMatchObject({ f, exitCode: 0, reason: 'exit' });
    }
  });

  test('sizes', () => {
    expect(parseRamSize('128M')).toBe(128 * 2 ** 20);
    expect(parseRamSize('16GiB')).toBe(16 * 2 ** 30);
    expect(parseRamSize('2g')).toBe(2 * 2 ** 30);
    expect(parseRamSize('16777216')).toBe(16 * 2 ** 20);
  });
});

const QEMU = '/usr/bin/qemu-system-riscv64';
const haveQemu = existsSync(QEMU);

describe.skipIf(!haveQemu)(`QEMU 7.2's mask ROM${haveQemu ? '' : ' (skipped: qemu-system-riscv64 not installed)'}`, () => {
  /** The first 0x58 bytes at 0x1000 of a QEMU virt machine, read with the monitor's xp. */
  function qemuRom(mem: string, harts: number): Uint8Array {
    const out = execFileSync(QEMU, [
      '-machine', 'virt', '-m', mem, '-smp', String(harts), '-bios', 'none', '-kernel', program('hello'),
      '-display', 'none', '-serial', 'null', '-S', '-monitor', 'stdio',
    ], { input: 'xp /22xw 0x1000\nquit\n', encoding: 'utf8', timeout: 20_000 });
    const words = [...out.matchAll(/^[0-9a-f]{16}: (.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).map((w) => Number(w));
    const bytes = new Uint8Array(words.length * 4);
    words.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w, true));
    return bytes;
  }

  test.each([['16M', 1], ['128M', 4], ['2G', 8]] as const)('reset vector, device tree address and fw_dynamic_info agree (-m %s, %i harts)', (mem, harts) => {
    const ramSize = parseRamSize(mem);
    const dtb = buildVirtDtb({ harts, ramSize });
    const ours = bootRomImage({
      // With -bios none QEMU 7.2 jumps to RAM base; the payload entry goes to fw_dynamic_info.
      startAddress: 0x8000_0000n,
      dtbAddress: BigInt(dtbAddress(0x8000_0000, ramSize, dtb.length)),
      nextAddress: 0x8020_0000n,
    });
    expect(qemuRom(mem, harts)).toEqual(ours);
  });
});
