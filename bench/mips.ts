/**
 * Emulator speed: millions of instructions per second for test/riscv's
 * CPU-bound benchmark program (integer work, loads/stores, branches and calls
 * in S-mode with Sv39 paging on), with the block compiler and with the
 * interpreter alone, and beside QEMU 7.2 running the same ELFs. Medians of
 * RUNS complete runs, each on a fresh machine; loading is not timed.
 *
 * QEMU's start-up (process, board, translation of the code) would swamp a
 * short run, so QEMU is timed as the difference of two run lengths: the same
 * program with 5x the iterations (sv39-loop-long.elf) minus sv39-loop.elf,
 * over the difference of their instruction counts (our emulator's instret:
 * the programs are deterministic, so QEMU retires the same instructions).
 * The ratio row measures our emulator the same way, so both sides leave out
 * their one-off costs.
 *
 * sv39-loop-guest.elf runs the same workload as a VS-mode guest, every access
 * translated by both stages (the hypervisor extension's row). The same
 * sv39-loop on harts built without H (rv64imac) shows what H costs a hart
 * that never enters V = 1 (target: at most 5%).
 *
 * `node dist/bench/mips.js` (after `npm run build`) prints just these rows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IsaName } from '../emulator/hart/hart.js';
import { loadMachine } from '../emulator/run.js';
import { formatBenchTable, median, type BenchRow } from './table.js';

const RUNS = 5;
/** The block compiler's targets: MIPS and the ratio to QEMU. */
const TARGET_MIPS = 250;
const TARGET_QEMU_RATIO = 0.15;
/** The hypervisor extension may cost the non-virtualised path at most 5%. */
const TARGET_H_RATIO = 0.95;
const PROGRAM = 'test/riscv/build/bench/sv39-loop.elf';
const LONG_PROGRAM = 'test/riscv/build/bench/sv39-loop-long.elf';
/** The same workload as a VS-mode guest (vsatp Sv39, hgatp Sv39x4). */
const GUEST_PROGRAM = 'test/riscv/build/bench/sv39-loop-guest.elf';
const QEMU = 'qemu-system-riscv64';
/** As test/riscv-qemu.test.ts: QEMU's spike machine with our hart's extensions only. */
const QEMU_CPU = 'rv64,f=false,d=false,h=false,v=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false,svpbmt=false,svinval=false,svnapot=false';

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

/** One run: instructions, wall-clock ms, and the process's CPU ms (which other load on the machine does not inflate). */
export interface MipsSample {
  readonly instructions: number;
  readonly ms: number;
  readonly cpuMs: number;
}

const mips = (instructions: number, ms: number) => instructions / ms / 1000;

/** Runs the program once on a fresh machine. Fails loudly if it does not pass. */
export function measureOnce(elf: Uint8Array, fileName: string, compile = true, isa: IsaName = 'rv64imach'): MipsSample {
  const machine = loadMachine(elf, { fileName, compile, isa });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (machine.exitCode === null) machine.run(1 << 30);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  if (machine.exitCode !== 0) throw new Error(`${fileName} exited with ${machine.exitCode}, not 0; console: ${machine.console}`);
  return { instructions: machine.hart.instret, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function program(path: string): Uint8Array {
  const file = join(repositoryRoot(), path);
  if (!existsSync(file)) throw new Error(`${path} is missing: run make -C test/riscv`);
  return readFileSync(file);
}

/** Wall-clock ms of one QEMU run of the ELF, or the reason QEMU cannot run it. */
function qemuRunMs(path: string): number | string {
  const start = performance.now();
  const run = spawnSync(QEMU, ['-machine', 'spike', '-cpu', QEMU_CPU, '-bios', 'none', '-kernel', join(repositoryRoot(), path), '-nographic', '-monitor', 'none'], { encoding: 'latin1', timeout: 60_000 });
  const ms = performance.now() - start;
  if (run.error !== undefined) return `${QEMU} did not run (${run.error.message})`;
  if (run.status !== 0) throw new Error(`${path} on ${QEMU}: exit ${run.status} (not a pass); output: ${run.stdout}${run.stderr}`);
  return ms;
}

/** A row that could not be measured: the table shows why instead of a figure. */
function skippedRow(name: string, target: string, reason: string): BenchRow {
  return { name, median: Number.NaN, unit: '', runs: 0, target, skipped: reason };
}

/**
 * Every MIPS row. The whole-run figure carries the 250 MIPS target; the CPU-time one shows how
 * much a busy machine took away; the interpreter row shows what the compiler gains.
 */
export function benchMips(): BenchRow[] {
  const short = program(PROGRAM);
  const long = program(LONG_PROGRAM);
  const compiled: MipsSample[] = [];
  const interpreted: MipsSample[] = [];
  const compiledLong: MipsSample[] = [];
  const guest: MipsSample[] = [];
  const withoutH: MipsSample[] = [];
  const guestElf = program(GUEST_PROGRAM);
  for (let i = 0; i < RUNS; i++) {
    compiled.push(measureOnce(short, PROGRAM));
    compiledLong.push(measureOnce(long, LONG_PROGRAM));
    interpreted.push(measureOnce(short, PROGRAM, false));
    guest.push(measureOnce(guestElf, GUEST_PROGRAM));
    withoutH.push(measureOnce(short, PROGRAM, true, 'rv64imac'));
  }
  // the non-virtualised path must not pay for V: harts built with H against harts built without it
  const hCost = median(compiled.map((s, i) => mips(s.instructions, s.ms) / mips(withoutH[i]!.instructions, withoutH[i]!.ms)));
  const whole = median(compiled.map((s) => mips(s.instructions, s.ms)));
  const rows: BenchRow[] = [
    { name: 'emulator MIPS (sv39-loop, S-mode, Sv39, compiler on)', median: whole, unit: 'MIPS', runs: RUNS, target: `>= ${TARGET_MIPS}`, met: whole >= TARGET_MIPS },
    { name: 'emulator MIPS per CPU second (same runs)', median: median(compiled.map((s) => mips(s.instructions, s.cpuMs))), unit: 'MIPS', runs: RUNS, target: '' },
    { name: 'emulator MIPS (sv39-loop, interpreter alone: compile false)', median: median(interpreted.map((s) => mips(s.instructions, s.ms))), unit: 'MIPS', runs: RUNS, target: '' },
    { name: 'emulator MIPS (sv39-loop-guest, VS-mode: vsatp Sv39 + hgatp Sv39x4)', median: median(guest.map((s) => mips(s.instructions, s.ms))), unit: 'MIPS', runs: RUNS, target: '' },
    { name: 'emulator MIPS (sv39-loop, compiler on, rv64imac: no H)', median: median(withoutH.map((s) => mips(s.instructions, s.ms))), unit: 'MIPS', runs: RUNS, target: '' },
    { name: 'with H / without H (sv39-loop, paired runs)', median: hCost, unit: 'x', runs: RUNS, target: `>= ${TARGET_H_RATIO}`, met: hCost >= TARGET_H_RATIO },
  ];

  // Start-up excluded: pair the i-th runs of the two lengths.
  const extra = compiledLong[0]!.instructions - compiled[0]!.instructions;
  const oursDiff = median(compiled.map((s, i) => mips(extra, compiledLong[i]!.ms - s.ms)));
  rows.push({ name: 'emulator MIPS (sv39-loop-long - sv39-loop, start-up excluded)', median: oursDiff, unit: 'MIPS', runs: RUNS, target: '' });

  const qemuName = 'QEMU 7.2 MIPS (same ELFs, sv39-loop-long - sv39-loop)';
  const ratioName = 'emulator / QEMU (both start-up excluded)';
  const ratioTarget = `>= ${TARGET_QEMU_RATIO}`;
  const qemuSamples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = qemuRunMs(PROGRAM);
    const l = qemuRunMs(LONG_PROGRAM);
    if (typeof s === 'string' || typeof l === 'string') {
      const reason = typeof s === 'string' ? s : (l as string);
      return [...rows, skippedRow(qemuName, '', reason), skippedRow(ratioName, ratioTarget, reason)];
    }
    qemuSamples.push(mips(extra, l - s));
  }
  const qemu = median(qemuSamples);
  const ratio = oursDiff / qemu;
  rows.push({ name: qemuName, median: qemu, unit: 'MIPS', runs: RUNS, target: '' });
  rows.push({ name: ratioName, median: ratio, unit: 'x', runs: RUNS, target: ratioTarget, met: ratio >= TARGET_QEMU_RATIO });
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(formatBenchTable(benchMips()) + '\n');
