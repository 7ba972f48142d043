/**
 * Large-RAM boots: the hypervisor on 4 GiB and 16 GiB, 1 hart, builtin
 * firmware, booted once each to its ready line. Its allocator links every
 * free page, so these boots are what word-sparse RAM pages are for. Each boot
 * runs in a child process of its own, so its peak resident set size (the
 * host memory the boot really cost, Node's own included) is measured without
 * the rest of the bench; the child also times a snapshot of the booted
 * machine and restores of it after running a console command.
 *
 * `node dist/bench/large-ram.js` prints just these rows.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bootOurs } from './boots.js';
import { formatBenchTable, median, type BenchRow } from './table.js';

const GiB = 2 ** 30;
const GB = 1e9;
const CHILD_FLAG = '--large-ram-child';
const RESTORES = 5;

const TARGETS: readonly { gib: number; seconds: number; gb: number }[] = [
  { gib: 4, seconds: 3, gb: 1 },
  { gib: 16, seconds: 10, gb: 2 },
];

/** What one child reports. */
interface BootFigures {
  readonly seconds: number;
  readonly peakRssBytes: number;
  readonly arrayBufferBytes: number;
  readonly fullPages: number;
  readonly sparsePages: number;
  readonly snapshotMs: number;
  readonly restoreMs: number;
}

/** In the child: boots, snapshots, runs `help` and restores; prints the figures as JSON. */
function childMain(gib: number): void {
  const before = process.memoryUsage().arrayBuffers;
  const { ms, machine } = bootOurs(1, gib * GiB, 'builtin');
  const arrayBufferBytes = process.memoryUsage().arrayBuffers - before;
  const ram = machine.bus.ram;
  if (ram.materialisedPages() + ram.sparsePages() === 0) throw new Error(`${gib} GiB boot wrote no RAM`);
  const snapStart = performance.now();
  const snap = machine.snapshot();
  const snapshotMs = performance.now() - snapStart;
  const restores: number[] = [];
  for (let i = 0; i < RESTORES; i++) {
    machine.feedInput('help\n');
    machine.run({ maxSteps: 200_000 });
    const start = performance.now();
    machine.restore(snap);
    restores.push(performance.now() - start);
  }
  const figures: BootFigures = {
    seconds: ms / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    arrayBufferBytes,
    fullPages: ram.materialisedPages(),
    sparsePages: ram.sparsePages(),
    snapshotMs,
    restoreMs: median(restores),
  };
  process.stdout.write(JSON.stringify(figures) + '\n');
}

function runChild(gib: number): BootFigures {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG, String(gib)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as BootFigures;
}

/** Rows for the 4 GiB and 16 GiB boots: time, peak host memory, ArrayBuffers, and snapshot/restore of the booted machine. */
export function benchLargeRamBoots(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const t of TARGETS) {
    const f = runChild(t.gib);
    const label = `hvspec, 1 hart, ${t.gib}G`;
    rows.push({ name: `boot to ready (builtin firmware), ${label}`, median: f.seconds, unit: 's', runs: 1, target: `<= ${t.seconds}`, met: f.seconds <= t.seconds });
    rows.push({ name: `peak host memory of that boot (child max RSS)`, median: f.peakRssBytes / GB, unit: 'GB', runs: 1, target: `<= ${t.gb}`, met: f.peakRssBytes <= t.gb * GB });
    rows.push({ name: `host ArrayBuffer memory after that boot`, median: f.arrayBufferBytes / GB, unit: 'GB', runs: 1, target: '' });
    rows.push({ name: `full RAM pages after that boot (4 KiB host slot each)`, median: f.fullPages, unit: 'pages', runs: 1, target: '' });
    rows.push({ name: `word-sparse RAM pages after that boot`, median: f.sparsePages, unit: 'pages', runs: 1, target: '' });
    rows.push({ name: `snapshot of that booted machine`, median: f.snapshotMs, unit: 'ms', runs: 1, target: '' });
    rows.push({ name: `restore after a console command (that machine)`, median: f.restoreMs, unit: 'ms', runs: RESTORES, target: '< 5', met: f.restoreMs < 5 });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === CHILD_FLAG) childMain(Number(process.argv[3]));
  else process.stdout.write(formatBenchTable(benchLargeRamBoots()) + '\n');
}
