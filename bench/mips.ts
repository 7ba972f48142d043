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

/** Runs the program once; returns MIPS. Fails loudly if it does not pass. */
export function measureOnce(elf: Uint8Array): number {
  const machine = loadMachine(elf, { fileName: PROGRAM });
  const start = performance.now();
  while (machine.exitCode === null) machine.run(1 << 30);
  const ms = performance.now() - start;
  if (machine.exitCode !== 0) throw new Error(`${PROGRAM} exited with ${machine.exitCode}, not 0`);
  return machine.hart.instret / ms / 1000;
}

export function benchMips(): BenchRow {
  const elf = readFileSync(join(repositoryRoot(), PROGRAM));
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(measureOnce(elf));
  const m = median(samples);
  return { name: 'emulator MIPS (sv39-loop, S-mode, Sv39)', median: m, unit: 'MIPS', runs: RUNS, target: `>= ${TARGET_MIPS}`, met: m >= TARGET_MIPS };
}
