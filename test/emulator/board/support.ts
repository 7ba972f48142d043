/**
 * Test support for the virt board: the board test programs
 * (test/riscv/board), a machine loaded with one, and a digest of a
 * machine's whole state for determinism checks.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { VirtMachine, type VirtMachineOptions } from '../../../emulator/board/machine.js';

export const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';
export const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
export const haveOpenSbi = existsSync(OPENSBI);
export const haveHypervisor = existsSync(HYPERVISOR);

/** A board test program's image by name (test/riscv/board/<name>.S). */
export function boardProgram(name: string): { name: string; bytes: Uint8Array } {
  const path = `test/riscv/build/board/${name}.elf`;
  return { name: path, bytes: readFileSync(path) };
}

export function openSbi(): { name: string; bytes: Uint8Array } {
  return { name: OPENSBI, bytes: readFileSync(OPENSBI) };
}

/** A machine running a board program; `data` writes 64-bit values at the program's symbols before it starts. */
export function boardMachine(program: string, options: Omit<VirtMachineOptions, 'payload'> = {}, data: Record<string, bigint> = {}): VirtMachine {
  const m = new VirtMachine({ ...options, payload: boardProgram(program) });
  for (const [name, value] of Object.entries(data)) m.writePhysicalU64(symbolAddress(m, name), value);
  return m;
}

export function symbolAddress(m: VirtMachine, name: string): bigint {
  const s = m.symbol(name);
  if (s === undefined) throw new Error(`no symbol ${name}`);
  return s.value;
}

export function readSymbol(m: VirtMachine, name: string): bigint {
  return m.readPhysicalU64(symbolAddress(m, name));
}

/** A hash of everything a run can change: harts, devices, RAM, console, exit, step count. */
export function machineDigest(m: VirtMachine): string {
  const hash = createHash('sha256');
  const replacer = (_key: string, v: unknown): unknown =>
    typeof v === 'bigint' ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v;
  const state = {
    harts: m.harts.map((h) => h.saveState()),
    hsm: m.harts.map((_, i) => m.hsmState(i)),
    devices: [m.clint.save(), m.plic.save(), m.uart.save(), m.finisher.save()],
    exit: m.exit,
    steps: m.steps,
    console: m.console,
  };
  hash.update(JSON.stringify(state, replacer));
  const ram = m.bus.ram;
  for (let i = 0; i < ram.pageCount; i++) {
    if (ram.views[i] === undefined && ram.sparse[i] === 0) continue; // untouched
    const bytes = ram.readBytes(ram.base + i * 4096, 4096); // full or word-sparse alike
    if (bytes.every((b) => b === 0)) continue; // a page of zeros equals an untouched one
    hash.update(`page ${i}`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
