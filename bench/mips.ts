/**
 * Emulator speed: millions of instructions per second for test/riscv's
 * CPU-bound benchmark program (integer work, loads/stores, branches and calls
 * in S-mode with Sv39 paging on). Median of 5 complete runs, each on a fresh
 * machine; loading is not timed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMachine } from '../emulator/run.js';
import { median, type BenchRow } from './table.js';

const RUNS = 5;
const TARGET_MIPS = 60;
const PROGRAM = 'test/riscv/build/bench/sv39-loop.elf';

/** The checkout's root: the nearest folder above this module holding package.json. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above bench/)');
    dir = up;
  }
  return dir;
}

/** MIPS of one run: by wall-clock time, and by the process's CPU time (which other load on the machine does not inflate). */
export interface MipsSample {
  readonly wall: number;
  readonly cpu: number;
}

/** Runs the program once. Fails loudly if it does not pass. */
export function measureOnce(elf: Uint8Array): MipsSample {
  const machine = loadMachine(elf, { fileName: PROGRAM });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (machine.exitCode === null) machine.run(1 << 30);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  if (machine.exitCode !== 0) throw new Error(`${PROGRAM} exited with ${machine.exitCode}, not 0`);
  const instructions = machine.hart.instret;
  return { wall: instructions / ms / 1000, cpu: instructions / ((cpu.user + cpu.system) / 1000) / 1000 };
}

/** The wall-clock figure carries the target; the CPU-time one shows how much a busy machine took away. */
export function benchMips(): BenchRow[] {
  const elf = readFileSync(join(repositoryRoot(), PROGRAM));
  const samples: MipsSample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(measureOnce(elf));
  const wall = median(samples.map((s) => s.wall));
  const cpu = median(samples.map((s) => s.cpu));
  return [
    { name: 'emulator MIPS (sv39-loop, S-mode, Sv39)', median: wall, unit: 'MIPS', runs: RUNS, target: `>= ${TARGET_MIPS}`, met: wall >= TARGET_MIPS },
    { name: 'emulator MIPS per CPU second (same runs)', median: cpu, unit: 'MIPS', runs: RUNS, target: '' },
  ];
}
