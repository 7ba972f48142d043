/**
 * `npm run bench`: runs every benchmark in BENCHES (each gives one or more
 * table rows; add new ones to the list) and prints one table.
 */
import os from 'node:os';
import { benchBoard } from './board.js';
import { benchBoots, bootOurs } from './boots.js';
import { benchMips } from './mips.js';
import { benchProperties } from './properties.js';
import { formatBenchTable, type BenchRow } from './table.js';

type Bench = () => BenchRow | BenchRow[] | Promise<BenchRow | BenchRow[]>;

const GiB = 2 ** 30;

/**
 * The largest RAM the property suite generates: the hypervisor on 4 GiB, 1
 * hart, builtin firmware, booted once to its ready line (it touches every
 * page). Seconds, and the host memory the machine's ArrayBuffers grew by
 * (its RAM blocks). Runs first, so no earlier bench's garbage is collected
 * during it and shrinks the figure.
 */
function benchLargeRamBoot(): BenchRow[] {
  const before = process.memoryUsage().arrayBuffers;
  const { ms, machine } = bootOurs(1, 4 * GiB, 'builtin');
  const grown = process.memoryUsage().arrayBuffers - before;
  if (machine.bus.ram.materialisedPages() === 0) throw new Error('4 GiB boot materialised no RAM');
  return [
    { name: 'boot to ready (builtin firmware), hvspec, 1 hart, 4G', median: ms / 1000, unit: 's', runs: 1, target: '' },
    { name: 'host ArrayBuffer memory after that boot', median: grown / GiB, unit: 'GiB', runs: 1, target: '' },
  ];
}

const BENCHES: readonly Bench[] = [benchLargeRamBoot, benchMips, benchBoard, benchBoots, benchProperties];

const rows: BenchRow[] = [];
for (const bench of BENCHES) rows.push(...[await bench()].flat());
process.stdout.write(formatBenchTable(rows) + '\n');
process.stdout.write(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);
