/**
 * Page tables as ptdump-style tables (one line per run: VA range, PA range, size, page size, flags),
 * and an expected/observed diff of two run lists ("-" expected only, "+" observed only). Pure data
 * in, text or rows out; the CLI's `ptdump` prints these rows.
 */
import {
  expectedFixedRuns,
  formatSize,
  mergeRuns,
  regionNameAt,
  runsEqual,
  expectedAddressSpace,
  CPU_STRUCT_MAPPED,
  leafFlagsOf,
  PAGE_SIZE,
  pagesOf,
  runsWithin,
  type LeafRun,
  type Platform,
  type RegionLayout,
} from '../../model/index.js';

export interface PtdumpRow {
  /** ' ' same, '-' expected but not observed, '+' observed but not expected. */
  readonly mark: ' ' | '-' | '+';
  readonly region: string;
  readonly va: string;
  readonly pa: string;
  readonly size: string;
  readonly pageSize: string;
  /** V-less ptdump flags: R W X U G A D, '-' where clear. */
  readonly flags: string;
  readonly run: LeafRun;
}

/** 0xffffffc0_00200000: halves split so upper-half VAs read at a glance. */
export function formatAddress(address: bigint): string {
  const digits = address.toString(16).padStart(16, '0');
  return `0x${digits.slice(0, 8)}_${digits.slice(8)}`;
}

/** A run's region, by the model's one vocabulary (regionNameAt): by address with the layout, else by VA and flags. */
export function regionOf(run: Pick<LeafRun, 'va' | 'flags'>, layout?: RegionLayout): string {
  return regionNameAt(run.va, layout, run.flags);
}

/** The flag columns every map table shows, in this order. */
export const FLAG_COLUMNS = 'RWXUGAD';

/** A leaf's flags in FLAG_COLUMNS order, '-' where clear. */
export function formatRunFlags(run: Pick<LeafRun, 'flags'>): string {
  const f = run.flags;
  return `${f.r ? 'R' : '-'}${f.w ? 'W' : '-'}${f.x ? 'X' : '-'}${f.u ? 'U' : '-'}${f.g ? 'G' : '-'}${f.a ? 'A' : '-'}${f.d ? 'D' : '-'}`;
}

export function ptdumpRow(run: LeafRun, mark: PtdumpRow['mark'] = ' ', layout?: RegionLayout): PtdumpRow {
  return {
    mark,
    region: regionOf(run, layout),
    va: `${formatAddress(run.va)}-${formatAddress(run.va + run.size)}`,
    pa: `${formatAddress(run.pa)}-${formatAddress(run.pa + run.size)}`,
    size: formatSize(run.size),
    pageSize: formatSize(run.pageSize),
    flags: formatRunFlags(run),
    run,
  };
}

/** Rows of a diff between expected and observed runs (each sorted by VA and merged); `layout` names image sections and devices by address. */
export function diffRows(expected: readonly LeafRun[], observed: readonly LeafRun[], layout?: RegionLayout): PtdumpRow[] {
  const rows: PtdumpRow[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < observed.length) {
    const e = expected[i];
    const o = observed[j];
    if (e !== undefined && o !== undefined && runsEqual(e, o)) {
      rows.push(ptdumpRow(e, ' ', layout));
      i++;
      j++;
    } else if (o === undefined || (e !== undefined && e.va <= o.va)) {
      rows.push(ptdumpRow(e!, '-', layout));
      i++;
    } else {
      rows.push(ptdumpRow(o, '+', layout));
      j++;
    }
  }
  return rows;
}

const HEADER = { region: 'region', va: 'VA range', pa: 'PA range', size: 'size', pageSize: 'pages', flags: FLAG_COLUMNS };
/** A G-stage table's columns: guest-physical, then host-physical addresses. */
export const G_STAGE_HEADER = { ...HEADER, va: 'GPA range', pa: 'host PA range' };
const COLUMNS = ['region', 'va', 'pa', 'size', 'pageSize', 'flags'] as const;

/** Rows as aligned text; marks in the first column when any row has one. */
export function formatPtdump(rows: readonly PtdumpRow[], header: typeof HEADER = HEADER): string {
  const HEADER = header;
  const all = [HEADER, ...rows];
  const widths = COLUMNS.map((c) => Math.max(...all.map((r) => r[c].length)));
  const marked = rows.some((r) => r.mark !== ' ');
  const line = (r: Pick<PtdumpRow, (typeof COLUMNS)[number]>, mark: string): string =>
    `${marked ? `${mark} ` : ''}${COLUMNS.map((c, k) => r[c].padEnd(widths[k]!)).join('  ')}`.trimEnd();
  return [line(HEADER, ' '), ...rows.map((r) => line(r, r.mark))].join('\n');
}

/**
 * The expected runs of `hart` for a diff: every fixed region of expectedAddressSpace, plus the cpu
 * struct's pages at the PAs observed for them (its frames are private, so the model fixes only their
 * shape: 4 KiB pages in CPU_STRUCT_MAPPED, RW- A D, not global).
 */
export function expectedRunsForDiff(platform: Platform, hart: number, observed: readonly LeafRun[]): LeafRun[] {
  const flags = leafFlagsOf({ r: true, w: true, x: false }, false);
  const cpu = pagesOf(runsWithin(observed, CPU_STRUCT_MAPPED)).map(({ va, pa }) => ({ va, pa, size: PAGE_SIZE, pageSize: PAGE_SIZE, flags, rsw: 0 }));
  return mergeRuns([...expectedFixedRuns(expectedAddressSpace(platform, hart)), ...cpu]);
}

/**
 * A VM's G-stage table against the model's, as diff rows: a run's `va` is its GPA, and its region
 * says whether it lies in the guest's RAM [guestBase, + ramSize) (host names would mislead here).
 */
export function gStageDiffRows(expected: readonly LeafRun[], observed: readonly LeafRun[], guestBase: bigint, ramSize: bigint): PtdumpRow[] {
  return diffRows(expected, observed).map((row) => ({ ...row, region: row.run.va >= guestBase && row.run.va + row.run.size <= guestBase + ramSize ? 'guest RAM' : 'outside guest RAM' }));
}

/** Only the rows that differ, with `context` unchanged rows around each difference. */
export function trimDiff(rows: readonly PtdumpRow[], context = 1): PtdumpRow[] {
  const keep = new Set<number>();
  rows.forEach((r, i) => {
    if (r.mark === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) keep.add(k);
  });
  return rows.filter((_, i) => keep.has(i));
}
