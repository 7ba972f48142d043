/**
 * `npm run bench`: runs every benchmark in BENCHES (one entry per measured
 * figure; add new ones to the list) and prints one table.
 */
import { benchMips } from './mips.js';
import { formatBenchTable, type BenchRow } from './table.js';

const BENCHES: readonly (() => BenchRow | Promise<BenchRow>)[] = [benchMips];

const rows: BenchRow[] = [];
for (const bench of BENCHES) rows.push(await bench());
process.stdout.write(formatBenchTable(rows) + '\n');
