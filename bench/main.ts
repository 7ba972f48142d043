/**
 * `npm run bench`: runs every benchmark in BENCHES (each gives one or more
 * table rows; add new ones to the list) and prints one table.
 */
import { benchMips } from './mips.js';
import { formatBenchTable, type BenchRow } from './table.js';

type Bench = () => BenchRow | BenchRow[] | Promise<BenchRow | BenchRow[]>;

const BENCHES: readonly Bench[] = [benchMips];

const rows: BenchRow[] = [];
for (const bench of BENCHES) rows.push(...[await bench()].flat());
process.stdout.write(formatBenchTable(rows) + '\n');
