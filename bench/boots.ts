/**
 * Boot to the hypervisor's console: reset until `hvspec-hv ready`
 * is printed, under Debian's OpenSBI, for 1/4/8 harts with 256 MiB and
 * 4 GiB, on hvspec and on qemu-system-riscv64 (wall clock from process start
 * to the ready line), with the ratio. The 4 GiB boots touch every page of RAM
 * (the allocator links each free page), so they run once each.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtMachine, type FirmwareChoice } from '../emulator/board/machine.js';
import { repositoryRoot } from './mips.js';
import { median, type BenchRow } from './table.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';
const QEMU = 'qemu-system-riscv64';
const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
const READY = 'hvspec-hv ready';
const CONFIGS: readonly { harts: number; mem: string; bytes: number; runs: number }[] = [
  { harts: 1, mem: '256M', bytes: 256 * 2 ** 20, runs: 3 },
  { harts: 4, mem: '256M', bytes: 256 * 2 ** 20, runs: 3 },
  { harts: 8, mem: '256M', bytes: 256 * 2 ** 20, runs: 3 },
  { harts: 1, mem: '4G', bytes: 4 * 2 ** 30, runs: 1 },
  { harts: 4, mem: '4G', bytes: 4 * 2 ** 30, runs: 1 },
  { harts: 8, mem: '4G', bytes: 4 * 2 ** 30, runs: 1 },
];

/** Boots the hypervisor to its ready line on hvspec (OpenSBI unless told otherwise): milliseconds, and the machine, still alive for inspection. */
export function bootOurs(harts: number, ramSize: number, firmware: FirmwareChoice = { name: OPENSBI, bytes: readFileSync(OPENSBI) }): { ms: number; machine: VirtMachine } {
  const path = join(repositoryRoot(), HYPERVISOR);
  const start = performance.now();
  const machine = new VirtMachine({ harts, ramSize, firmware, payload: { name: path, bytes: readFileSync(path) } });
  const out = machine.run({ maxSteps: 4_000_000_000, until: { console: READY } });
  if (out.reason !== 'console') throw new Error(`boot ${harts} harts: stopped for ${out.reason}`);
  return { ms: performance.now() - start, machine };
}

function bootOursMs(harts: number, ramSize: number): number {
  return bootOurs(harts, ramSize).ms;
}

/** Milliseconds from spawning QEMU to the ready line on its console; undefined when QEMU is absent. */
function bootQemuMs(harts: number, mem: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const args = ['-machine', 'virt', '-smp', String(harts), '-m', mem, '-kernel', join(repositoryRoot(), HYPERVISOR), '-nographic', '-monitor', 'none'];
    const qemu = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`QEMU ${harts} harts ${mem}: no ready line in 120 s`)), 120_000);
    function finish(result: number | Error | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      qemu.kill('SIGKILL');
      if (result instanceof Error) reject(result);
      else resolve(result);
    }
    qemu.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ENOENT' ? undefined : e));
    qemu.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes(READY)) finish(performance.now() - start);
    });
  });
}

/** Rows for every configuration: ours, QEMU's (when installed) and the ratio. Empty when OpenSBI is absent. */
export async function benchBoots(): Promise<BenchRow[]> {
  if (!existsSync(OPENSBI)) return [];
  const rows: BenchRow[] = [];
  for (const c of CONFIGS) {
    const ours: number[] = [];
    const qemu: number[] = [];
    for (let i = 0; i < c.runs; i++) {
      ours.push(bootOursMs(c.harts, c.bytes));
      const q = await bootQemuMs(c.harts, c.mem);
      if (q !== undefined) qemu.push(q);
    }
    const label = `${c.harts} hart${c.harts > 1 ? 's' : ''}, ${c.mem}`;
    rows.push({ name: `boot to console (OpenSBI), hvspec, ${label}`, median: median(ours), unit: 'ms', runs: c.runs, target: '' });
    if (qemu.length > 0) {
      rows.push({ name: `boot to console (OpenSBI), QEMU 7.2, ${label}`, median: median(qemu), unit: 'ms', runs: c.runs, target: '' });
      rows.push({ name: `boot to console, hvspec / QEMU, ${label}`, median: median(ours) / median(qemu), unit: 'x', runs: c.runs, target: '' });
    }
  }
  return rows;
}
