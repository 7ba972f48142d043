/**
 * `npm run bench`: runs every benchmark in BENCHES (each gives one or more
 * table rows; add new ones to the list) and prints one table.
 */
import os from 'node:os';
import { benchBoard } from './board.js';
import { benchBoots } from './boots.js';
import { benchLargeRamBoots } from './large-ram.js';
import { benchMips } from './mips.js';
import { benchJobs, benchProperties } from './properties.js';
import { formatBenchTable, type BenchRow } from './table.js';

type Bench = () => BenchRow | BenchRow[] | Promise<BenchRow | BenchRow[]>;

const BENCHES: readonly Bench[] = [benchLargeRamBoots, benchMips, benchBoard, benchBoots, benchProperties, benchJobs];

const rows: BenchRow[] = [];
for (const bench of BENCHES) rows.push(...[await bench()].flat());
process.stdout.write(formatBenchTable(rows) + '\n');
process.stdout.write(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);
