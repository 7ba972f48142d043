/** One measured figure in the `npm run bench` table. */
export interface BenchRow {
  /** What was measured, e.g. "emulator MIPS (S-mode, Sv39)". */
  readonly name: string;
  /** Median of the runs. */
  readonly median: number;
  readonly unit: string;
  readonly runs: number;
  /** The benchmark's target, as text (e.g. ">= 60"), or "" when none. */
  readonly target: string;
  /** Whether the median meets the target; undefined when there is no target. */
  readonly met?: boolean;
  /** Set when the row could not be measured: why (e.g. a tool is missing). The table shows it instead of a figure. */
  readonly skipped?: string;
}

/** Median of a non-empty list of samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Renders rows as a fixed-width text table. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'median', 'unit', 'runs', 'target', 'met'];
  const body = rows.map((r) => r.skipped !== undefined
    ? [r.name, '-', r.unit, '0', r.target, `skipped: ${r.skipped}`]
    : [
      r.name,
      r.median.toFixed(r.median >= 100 ? 0 : 2),
      r.unit,
      String(r.runs),
      r.target,
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
