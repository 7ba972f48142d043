/**
 * Virt board speed: reset to the payload's first instruction
 * under builtin firmware; restoring a snapshot of a booted 256 MiB machine;
 * booting OpenSBI into a payload, next to qemu-system-riscv64 doing the same.
 * Each figure is a median; the QEMU figure is wall-clock time from process
 * start to exit (the payload shuts down as soon as it has printed its line).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtMachine, type ImageBytes } from '../emulator/board/machine.js';
import { repositoryRoot } from './mips.js';
import { median, type BenchRow } from './table.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';
const QEMU = 'qemu-system-riscv64';
const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
const HELLO = 'test/riscv/build/board/hello.elf';
const TARGET_MS = 5;

function image(path: string): ImageBytes {
  return { name: path, bytes: readFileSync(join(repositoryRoot(), path)) };
}

/** The payload the figures use: the hypervisor when built, else the board's hello program. */
function payloadPath(): string {
  return existsSync(join(repositoryRoot(), HYPERVISOR)) ? HYPERVISOR : HELLO;
}

function timeMs(f: () => void): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

/** Builds the machine (devices, device tree, images, builtin firmware) and runs to the payload's first instruction. */
export function benchResetToPayload(runs = 21): BenchRow {
  const path = payloadPath();
  const payload = image(path);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(timeMs(() => {
      const m = new VirtMachine({ harts: 1, payload });
      const out = m.run({ until: { pc: m.payload!.entry } });
      if (out.reason !== 'pc' || out.steps !== 0) throw new Error(`reset to payload: stopped for ${out.reason} after ${out.steps} steps`);
    }));
  }
  const ms = median(samples);
  return { name: `virt reset -> payload entry (builtin SBI, ${path.split('/').pop()})`, median: ms, unit: 'ms', runs, target: `< ${TARGET_MS}`, met: ms < TARGET_MS };
}

/** Boots the payload on 256 MiB, snapshots, then repeatedly runs a little further and times the restore. */
export function benchSnapshotRestore(runs = 11): BenchRow {
  const path = payloadPath();
  const m = new VirtMachine({ harts: 2, ramSize: 256 * 2 ** 20, payload: image(path) });
  const booted = path === HYPERVISOR ? m.run({ maxSteps: 100_000_000, until: { console: 'hvspec-hv ready' } }) : m.run({ maxSteps: 1000 });
  if (booted.reason !== 'console' && booted.reason !== 'budget') throw new Error(`snapshot bench: boot stopped for ${booted.reason}`);
  const snap = m.snapshot();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    m.feedInput('help\n');
    m.run({ maxSteps: 200_000 });
    samples.push(timeMs(() => m.restore(snap)));
  }
  const ms = median(samples);
  return { name: `virt snapshot restore (booted ${path.split('/').pop()}, 256 MiB, 2 harts)`, median: ms, unit: 'ms', runs, target: `< ${TARGET_MS}`, met: ms < TARGET_MS };
}

/** OpenSBI to the payload's line here and on QEMU; rows for each and their ratio (ours / QEMU's). Empty when OpenSBI is absent. */
export function benchOpenSbiBoot(runs = 3): BenchRow[] {
  if (!existsSync(OPENSBI)) return [];
  const firmware = { name: OPENSBI, bytes: readFileSync(OPENSBI) };
  const payload = image(HELLO);
  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(timeMs(() => {
      const m = new VirtMachine({ harts: 1, firmware, payload });
      const out = m.run({ maxSteps: 100_000_000, until: { console: 'hello from hart 0' } });
      if (out.reason !== 'console') throw new Error(`OpenSBI boot: stopped for ${out.reason}`);
    }));
  }
  const rows: BenchRow[] = [{ name: 'OpenSBI boot -> payload line, hvspec (1 hart)', median: median(ours), unit: 'ms', runs, target: '' }];
  const qemu: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      qemu.push(timeMs(() => {
        const out = execFileSync(QEMU, ['-machine', 'virt', '-smp', '1', '-m', '128M', '-bios', OPENSBI, '-kernel', join(repositoryRoot(), HELLO), '-nographic', '-monitor', 'none'], { encoding: 'utf8', timeout: 30_000 });
        if (!out.includes('hello from hart 0')) throw new Error('QEMU run did not print the payload line');
      }));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return rows; // QEMU not installed: no comparison
    throw e;
  }
  const q = median(qemu);
  rows.push({ name: 'OpenSBI boot -> payload line, QEMU 7.2 (process start to exit)', median: q, unit: 'ms', runs, target: '' });
  rows.push({ name: 'OpenSBI boot, hvspec / QEMU', median: median(ours) / q, unit: 'x', runs, target: '' });
  return rows;
}

/** Every board figure, for bench/main.ts. */
export function benchBoard(): BenchRow[] {
  return [benchResetToPayload(), benchSnapshotRestore(), ...benchOpenSbiBoot()];
}
