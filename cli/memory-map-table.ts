/**
 * The model's expected memory map as a table by region: region, VA range, PA range, size, the
 * RWXUGAD flag columns, page sizes (`hvspec spec --map`). Observed tables and expected/observed
 * diffs are the ptdump rows of properties/report/ptdump.ts (what `hvspec ptdump` and counterexamples
 * print); this module uses the same address format, region names (the model's REGION_NAMES), flag
 * columns and diff, and only lays them out by region.
 */
import { CPU_GUARD, EARLY_REGION_NAMES, formatSize, leafFlagsOf, REGION_NAMES, regionNameAt, type EarlyBootEntry, type ExpectedAddressSpace, type LeafRun, type RegionLayout } from '../model/index.js';
import { diffRows, FLAG_COLUMNS, formatAddress, formatRunFlags, regionOf } from '../properties/index.js';

export { formatAddress };

export interface MapRow {
  readonly region: string;
  readonly va: string;
  readonly pa: string;
  readonly size: string;
  readonly flags: string;
  readonly pageSizes: string;
}

const HEADER: MapRow = { region: 'region', va: 'VA range', pa: 'PA range', size: 'size', flags: FLAG_COLUMNS, pageSizes: 'page sizes' };

export function formatSpan(start: bigint, size: bigint): string {
  return `${formatAddress(start)}-${formatAddress(start + size)}`;
}

/** Rows for an expected address space, the cpu struct's unmapped guard page included. */
export function expectedRows(space: ExpectedAddressSpace): MapRow[] {
  const rows = space.regions.map((r) => ({
    region: r.name,
    va: formatSpan(r.va, r.size),
    pa: r.pa === 'private-frames' ? `hart ${space.hart}'s own frames` : formatSpan(r.pa, r.size),
    size: formatSize(r.size),
    flags: formatRunFlags({ flags: leafFlagsOf(r.perms, r.global) }),
    pageSizes: r.pageSizes.map(formatSize).join(', '),
  }));
  const guardAt = space.regions.findIndex((r) => r.kind === 'cpu-struct');
  const guard: MapRow = { region: REGION_NAMES.cpuGuard, va: formatSpan(CPU_GUARD.start, CPU_GUARD.end - CPU_GUARD.start), pa: 'unmapped', size: formatSize(CPU_GUARD.end - CPU_GUARD.start), flags: '-'.repeat(FLAG_COLUMNS.length), pageSizes: '' };
  return guardAt < 0 ? rows : [...rows.slice(0, guardAt), guard, ...rows.slice(guardAt)];
}

/** The region a VA belongs to (the model's regionNameAt, as ptdump names it). */
export const regionOfVa = (va: bigint, layout?: RegionLayout): string => regionNameAt(va, layout);

/** Rows for observed leaf runs (as flatten gives them), one per run. */
export function observedRows(runs: readonly LeafRun[], layout?: RegionLayout): MapRow[] {
  return runs.map((r) => ({
    region: regionOf(r, layout),
    va: formatSpan(r.va, r.size),
    pa: formatSpan(r.pa, r.size),
    size: formatSize(r.size),
    flags: formatRunFlags(r),
    pageSizes: formatSize(r.pageSize),
  }));
}

/** Rows for the early boot table, one per gigapage entry. */
export function earlyBootRows(entries: readonly EarlyBootEntry[]): MapRow[] {
  const gib = 1n << 30n;
  return entries.map((e) => ({ region: EARLY_REGION_NAMES[e.purpose], va: formatSpan(e.va, gib), pa: formatSpan(e.pa, gib), size: formatSize(gib), flags: formatRunFlags(e), pageSizes: formatSize(gib) }));
}

/** The rows as an aligned text table with a header line. */
export function formatMapTable(rows: readonly MapRow[]): string {
  const all = [HEADER, ...rows];
  const columns: (keyof MapRow)[] = ['region', 'va', 'pa', 'size', 'flags', 'pageSizes'];
  const widths = columns.map((c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: MapRow) => columns.map((c, i) => row[c].padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Expected and observed runs (both sorted and merged, as flatten gives them) as a diff table by
 * region, from ptdump's diff: "-" an expected run that was not observed, "+" an observed run that
 * was not expected.
 */
export function formatMapDiff(expected: readonly LeafRun[], observed: readonly LeafRun[], layout?: RegionLayout): string {
  const rows = diffRows(expected, observed, layout);
  const [header, rule, ...lines] = formatMapTable(observedRows(rows.map((r) => r.run), layout)).split('\n');
  return [`  ${header}`, `  ${rule}`, ...lines.map((line, k) => `${rows[k]!.mark} ${line}`)].join('\n');
}
