/**
 * Property suite speed: boots per second (the hypervisor on a fresh 4-hart, 64 MiB virt machine
 * with builtin firmware, to its ready line, observers installed) and KMEM command programs checked
 * per second (restore a booted machine, run a generated program of up to 16 commands with every
 * step's checks), each beside its figure of 2026-11-25. Medians of several samples; fixed seed, so
 * the same programs every time.
 *
 * And the whole jobs a user runs: `hvspec start` (what `npm start` runs, less the build) and
 * `hvspec mutants`, each in a child process of its own, timed by wall clock, with the child's peak
 * resident set size (`process.resourceUsage().maxRSS`, Node's own memory and its worker threads
 * included), with `--jobs` one worker thread per core (their default, named in the row).
 *
 * `node dist/bench/properties.js` prints these rows alone (`--jobs`: only the job rows).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { kmemProgramArbitrary } from '../properties/kmem/commands.js';
import { loadImage } from '../properties/harness/image.js';
import { BootedHypervisor } from '../properties/harness/hypervisor.js';
import { BootCache, PROPERTIES, runCase } from '../properties/suite.js';
import type { PlatformSpec } from '../properties/arbitraries/platform.js';
import { repositoryRoot } from './mips.js';
import { formatBenchTable, median, type BenchRow } from './table.js';

const BOOT_SAMPLES = 5;
const PROGRAM_SAMPLES = 5;
const PROGRAMS_PER_SAMPLE = 20;
const PLATFORM: PlatformSpec = { harts: 4, bootHart: 0, ramSize: 64n << 20n, firmware: 'builtin', ad: 'hardware' };

export function benchProperties(): BenchRow[] {
  const image = loadImage(join(repositoryRoot(), 'hypervisor/build/hypervisor.elf'));
  const boots: number[] = [];
  for (let i = 0; i < BOOT_SAMPLES; i++) {
    const start = performance.now();
    new BootedHypervisor(image, PLATFORM).boot();
    boots.push(1000 / (performance.now() - start));
  }
  const kmem = PROPERTIES.find((p) => p.name === 'kmem-commands')!;
  const cache = new BootCache(image);
  cache.get(PLATFORM); // boot once, outside the timing
  const programs = fc.sample(kmemProgramArbitrary({ maxLength: 16 }), { numRuns: PROGRAMS_PER_SAMPLE * PROGRAM_SAMPLES, seed: 1 });
  const rates: number[] = [];
  for (let s = 0; s < PROGRAM_SAMPLES; s++) {
    const start = performance.now();
    for (const program of programs.slice(s * PROGRAMS_PER_SAMPLE, (s + 1) * PROGRAMS_PER_SAMPLE)) {
      const outcome = runCase(kmem, cache, { platform: PLATFORM, program });
      if (outcome.kind !== 'held') throw new Error(`bench: a KMEM program failed on the unmodified hypervisor: ${outcome.kind === 'failed' ? outcome.counterexample.message : outcome.reason}`);
    }
    rates.push((PROGRAMS_PER_SAMPLE * 1000) / (performance.now() - start));
  }
  return [
    { name: 'hypervisor boots (4 harts, 64 MiB, builtin SBI)', median: median(boots), unit: 'boots/s', runs: BOOT_SAMPLES, target: '' },
    { name: '  the same on 2026-11-25', median: OLD_FIGURES.bootsPerSecond, unit: 'boots/s', runs: 5, target: '' },
    { name: 'KMEM command programs checked (restore + up to 16 commands)', median: median(rates), unit: 'programs/s', runs: PROGRAM_SAMPLES, target: '' },
    { name: '  the same on 2026-11-25', median: OLD_FIGURES.programsPerSecond, unit: 'programs/s', runs: 5, target: '' },
  ];
}

/** The rows above as `npm run bench` printed them on 2026-11-25 (README), before word-sparse RAM. */
const OLD_FIGURES = { bootsPerSecond: 9.77, programsPerSecond: 20.62 };

const JOB_CHILD_FLAG = '--job-child';

/** The jobs and their targets: seconds of wall time and, for start, GB of peak RSS. */
const JOBS: readonly { args: readonly string[]; seconds: number; gb?: number }[] = [
  { args: ['start', '--jobs', String(availableParallelism())], seconds: 30, gb: 1.5 },
  { args: ['mutants', '--jobs', String(availableParallelism())], seconds: 90 },
];

/** In the child: runs one hvspec command (its output discarded by the parent) and writes its exit code and peak RSS to `out`. */
async function jobChild(out: string, args: string[]): Promise<void> {
  const { dispatch } = await import('../cli/dispatch.js');
  const code = await dispatch(args);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(out, JSON.stringify({ code, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

/** Wall time and peak memory of `hvspec start` and `hvspec mutants`, each in a child process. */
export function benchJobs(): BenchRow[] {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hvspec-bench-'));
  try {
    for (const job of JOBS) {
      const out = join(dir, `${job.args[0]}.json`);
      const started = performance.now();
      // a failing job exits 1: the figures still stand, and the exit code says whether it held
      try {
        execFileSync(process.execPath, [fileURLToPath(import.meta.url), JOB_CHILD_FLAG, out, ...job.args], { cwd: repositoryRoot(), stdio: ['ignore', 'ignore', 'inherit'], timeout: 3_600_000 });
      } catch (e) {
        if ((e as { status?: number }).status !== 1) throw e;
      }
      const seconds = (performance.now() - started) / 1000;
      const { code, peakRssBytes } = JSON.parse(readFileSync(out, 'utf8')) as { code: number; peakRssBytes: number };
      const name = `hvspec ${job.args.join(' ')} (${code === 0 ? 'held' : `exit ${code}`}), wall time`;
      rows.push({ name, median: seconds, unit: 's', runs: 1, target: `<= ${job.seconds}`, met: seconds <= job.seconds });
      const gb = peakRssBytes / 1e9;
      rows.push({ name: '  peak host memory of that job (child max RSS)', median: gb, unit: 'GB', runs: 1, target: job.gb === undefined ? '' : `<= ${job.gb}`, ...(job.gb === undefined ? {} : { met: gb <= job.gb }) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === JOB_CHILD_FLAG) await jobChild(process.argv[3]!, process.argv.slice(4));
  else process.stdout.write(formatBenchTable([...(process.argv[2] === '--jobs' ? [] : benchProperties()), ...benchJobs()]) + '\n');
}
