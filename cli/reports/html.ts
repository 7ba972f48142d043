/**
 * `hvspec check --html FILE`: one self-contained HTML page (inline CSS and inline SVG; no scripts, no
 * fonts, no images, nothing fetched) with the summary table, each hart's memory map drawn as a
 * picture, and every failure's counterexample with its expected/observed map diff highlighted.
 * Pure: data in, a string out. Every piece of text from the input is escaped.
 */
import {
  CPU_GUARD,
  CPU_STRUCT_GIGABYTE,
  formatSize,
  KERNEL_GIGABYTE,
  rangeContainsAddress,
  REGION_NAMES,
  VAS_KERNEL,
  type LeafRun,
  type RegionLayout,
} from '../../model/index.js';
import { diffRows, formatAddress, ruleStatement, type PropertyResult, type PtdumpRow } from '../../properties/index.js';
import { citedRules, waiverLines } from './verdict.js';

/** One hart's final table as observed, and what the model expects of it (expectedRunsForDiff). */
export interface HartMap {
  readonly hart: number;
  readonly expected: readonly LeafRun[];
  readonly observed: readonly LeafRun[];
  /** The booted platform's devices and image sections, which name the regions (REGION_NAMES) by address. */
  readonly layout?: RegionLayout;
}

export interface HtmlReportInput {
  readonly title: string;
  readonly image: { readonly path: string; readonly digest?: string };
  /** The platform the maps were read on, and the suite's seed. */
  readonly platform: {
    readonly harts: number;
    /** As a person reads it, e.g. "256 MiB". */
    readonly ram: string;
    readonly firmware: string;
    readonly seed: number;
    readonly bootHart?: number;
  };
  readonly results: readonly PropertyResult[];
  readonly maps: readonly HartMap[];
  /** Shown instead of the maps when there are none (e.g. the image did not boot). */
  readonly mapsNote?: string;
  /** When the run happened, as the caller wants it shown (the renderer reads no clock). */
  readonly generatedAt?: string;
}

/** A row's standing against the model. */
export type RowStatus = 'same' | 'missing' | 'unexpected' | 'differs';

/** What a run maps, for colour: decided by its VA (layout.ts) and, in the kernel gigabyte, its permissions. */
export type RegionKind = 'text' | 'rodata' | 'data' | 'cpu-struct' | 'linear-map' | 'device';

export interface MapRow {
  readonly status: RowStatus;
  readonly kind: RegionKind;
  readonly run: LeafRun;
  readonly row: PtdumpRow;
}

/** The legend's colours, named in the model's vocabulary (REGION_NAMES), as every table names the regions. */
const KIND_LABEL: Record<RegionKind, string> = {
  text: REGION_NAMES.text,
  rodata: REGION_NAMES.rodata,
  data: REGION_NAMES.data,
  'cpu-struct': `${REGION_NAMES.cpuStack}, ${REGION_NAMES.cpuInfo}, ${REGION_NAMES.cpuTrapStack}`,
  'linear-map': REGION_NAMES.linearMap,
  device: 'device <name>',
};

const KIND_COLOUR: Record<RegionKind, string> = {
  text: '#e8590c',
  rodata: '#f2b705',
  data: '#a0522d',
  'cpu-struct': '#2f9e44',
  'linear-map': '#1c7ed6',
  device: '#7950f2',
};

export function regionKind(run: LeafRun): RegionKind {
  if (rangeContainsAddress(CPU_STRUCT_GIGABYTE, run.va)) return 'cpu-struct';
  if (rangeContainsAddress(KERNEL_GIGABYTE, run.va)) return run.flags.x ? 'text' : run.flags.w ? 'data' : 'rodata';
  if (run.va >= VAS_KERNEL) return 'linear-map';
  return 'device';
}

/**
 * The diff as rows with a status: an expected-only row and an observed-only row covering some of the
 * same VAs are both "differs" (same place, other frames or flags); otherwise "missing" / "unexpected".
 */
export function statusRows(expected: readonly LeafRun[], observed: readonly LeafRun[], layout?: RegionLayout): MapRow[] {
  const rows = diffRows(expected, observed, layout);
  const overlaps = (a: LeafRun, b: LeafRun) => a.va < b.va + b.size && b.va < a.va + a.size;
  return rows.map((row) => {
    let status: RowStatus = 'same';
    if (row.mark === '-') status = rows.some((o) => o.mark === '+' && overlaps(o.run, row.run)) ? 'differs' : 'missing';
    if (row.mark === '+') status = rows.some((e) => e.mark === '-' && overlaps(e.run, row.run)) ? 'differs' : 'unexpected';
    return { status, kind: regionKind(row.run), run: row.run, row };
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

/** A fragment id from any text (property names are already safe; this keeps it so). */
function anchor(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-');
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const VERDICT_ORDER = { failed: 0, skipped: 1, passed: 2 } as const;
const VERDICT_TEXT = { failed: '✗ failed', skipped: '– skipped', passed: '✓ passed' } as const;

// ---------------------------------------------------------------------------------------------------
// The memory-map picture. Each axis is cut at every run's edges; each piece gets a height that grows
// with log2 of its size (so a 4 KiB page and a 16 GiB linear map are both visible), and unmapped
// stretches between pieces are drawn as short breaks. Bands join a run's VA piece to its PA piece.

const PIECE_MIN = 16;
const PIECE_PER_DOUBLING = 5;
const GAP = 16;

interface Axis {
  /** y of each breakpoint address. */
  readonly y: Map<bigint, number>;
  readonly height: number;
  readonly pieces: readonly { start: bigint; end: bigint; y0: number; y1: number }[];
  readonly gaps: readonly number[];
}

function pieceHeight(size: bigint): number {
  const log = size.toString(2).length - 13; // 4 KiB -> 0
  return PIECE_MIN + Math.max(0, log) * PIECE_PER_DOUBLING;
}

function buildAxis(ranges: readonly { start: bigint; end: bigint }[], top: number): Axis {
  const points = [...new Set(ranges.flatMap((r) => [r.start, r.end]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const covered = (start: bigint, end: bigint) => ranges.some((r) => r.start <= start && end <= r.end);
  const y = new Map<bigint, number>();
  const pieces: { start: bigint; end: bigint; y0: number; y1: number }[] = [];
  const gaps: number[] = [];
  let at = top;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (!y.has(p)) y.set(p, at);
    const next = points[i + 1];
    if (next === undefined) break;
    if (covered(p, next)) {
      const y0 = at;
      at += pieceHeight(next - p);
      pieces.push({ start: p, end: next, y0, y1: at });
      y.set(next, at);
    } else {
      gaps.push(at + GAP / 2);
      at += GAP;
      y.set(next, at);
    }
  }
  return { y, height: at - top, pieces, gaps };
}

/** What a run is, for its label: its region as every table names it, a mapped guard page called out. */
function partLabel(r: MapRow): string {
  return r.row.region === REGION_NAMES.cpuGuard ? `${REGION_NAMES.cpuGuard} MAPPED` : r.row.region;
}

function shortAddress(address: bigint): string {
  return `0x${address.toString(16)}`;
}

/** One hart's map as an SVG: VA column on the left, PA column on the right, bands between. */
export function renderMapSvg(hart: number, rows: readonly MapRow[], caption: string): string {
  const observed = rows.filter((r) => r.status !== 'missing' && r.row.mark !== '-');
  const ghosts = rows.filter((r) => r.row.mark === '-');
  const guard = { start: CPU_GUARD.start, end: CPU_GUARD.end };
  const showGuard = rows.some((r) => r.kind === 'cpu-struct');
  const top = 40;
  const vaRanges = [...rows.map((r) => ({ start: r.run.va, end: r.run.va + r.run.size })), ...(showGuard ? [guard] : [])];
  const paRanges = rows.map((r) => ({ start: r.run.pa, end: r.run.pa + r.run.size }));
  const va = buildAxis(vaRanges, top);
  const pa = buildAxis(paRanges, top);
  const width = 1200;
  const vaX = 440;
  const colW = 130;
  const paX = 830;
  const height = top + Math.max(va.height, pa.height) + 16;
  const id = `map-${anchor(caption)}-hart-${hart}`;
  const out: string[] = [];
  out.push(
    `<svg class="memory-map" id="${e(id)}" data-hart="${hart}" role="img" aria-labelledby="${e(id)}-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${e(id)}-title">${e(caption)}: hart ${hart}'s final page table, virtual addresses (left) mapped to physical addresses (right)</title>`,
    `<defs><pattern id="${e(id)}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff5f5"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e03131" stroke-width="3"/></pattern></defs>`,
    `<text x="${vaX + colW / 2}" y="24" text-anchor="middle" class="axis">virtual</text>`,
    `<text x="${paX + colW / 2}" y="24" text-anchor="middle" class="axis">physical</text>`,
  );
  // bands first (under the columns); the linear map first of all so smaller regions sit on top
  const bandOrder = [...observed].sort((a, b) => (a.kind === 'linear-map' ? -1 : 0) - (b.kind === 'linear-map' ? -1 : 0));
  for (const r of bandOrder) {
    const v0 = va.y.get(r.run.va)!;
    const v1 = va.y.get(r.run.va + r.run.size)!;
    const p0 = pa.y.get(r.run.pa)!;
    const p1 = pa.y.get(r.run.pa + r.run.size)!;
    const x0 = vaX + colW;
    const x1 = paX;
    const mid = (x0 + x1) / 2;
    out.push(
      `<path class="band band-${r.kind} status-${r.status}" d="M${x0},${v0} C${mid},${v0} ${mid},${p0} ${x1},${p0} L${x1},${p1} C${mid},${p1} ${mid},${v1} ${x0},${v1} Z" fill="${KIND_COLOUR[r.kind]}" fill-opacity="0.28" stroke="${KIND_COLOUR[r.kind]}" stroke-opacity="0.6"><title>${e(`${partLabel(r)}: VA ${r.row.va} -> PA ${r.row.pa} (${r.row.size}, ${r.row.flags})`)}</title></path>`,
    );
  }
  // PA column: RAM and device pieces, neutral, with addresses at the right
  for (const p of pa.pieces) {
    out.push(`<rect class="pa-piece" x="${paX}" y="${p.y0}" width="${colW}" height="${p.y1 - p.y0}" fill="#f1f3f5" stroke="#868e96"><title>${e(`PA ${formatAddress(p.start)}-${formatAddress(p.end)} (${formatSize(p.end - p.start)})`)}</title></rect>`);
    out.push(`<text class="addr" x="${paX + colW + 8}" y="${p.y0 + 11}">${e(shortAddress(p.start))}</text>`);
  }
  for (const g of pa.gaps) out.push(breakMark(paX, g, colW));
  // VA column: observed runs coloured by kind, labelled on the left
  for (const r of observed) {
    const y0 = va.y.get(r.run.va)!;
    const y1 = va.y.get(r.run.va + r.run.size)!;
    const flagged = r.status !== 'same';
    out.push(
      `<g class="va-run kind-${r.kind} status-${r.status}"><rect x="${vaX}" y="${y0}" width="${colW}" height="${y1 - y0}" fill="${KIND_COLOUR[r.kind]}" stroke="${flagged ? '#c92a2a' : '#343a40'}" stroke-width="${flagged ? 3 : 1}"/><title>${e(`${partLabel(r)} (${r.status}): VA ${r.row.va}, ${r.row.size} in ${r.row.pageSize} pages, ${r.row.flags}`)}</title></g>`,
      `<text class="label${flagged ? ' flagged' : ''}" x="${vaX - 8}" y="${y0 + 12}" text-anchor="end">${e(`${partLabel(r)} · ${r.row.size} · ${r.row.flags} · ${shortAddress(r.run.va)}`)}</text>`,
    );
  }
  // expected-only runs: dashed red outlines where the model wanted something
  for (const r of ghosts) {
    const y0 = va.y.get(r.run.va)!;
    const y1 = va.y.get(r.run.va + r.run.size)!;
    out.push(
      `<g class="va-expected status-${r.status}"><rect x="${vaX - 4}" y="${y0 + 1}" width="${colW + 8}" height="${Math.max(2, y1 - y0 - 2)}" fill="none" stroke="#c92a2a" stroke-width="2" stroke-dasharray="6 3"/><title>${e(`expected by the model (${r.status}): ${partLabel(r)} VA ${r.row.va} -> PA ${r.row.pa}, ${r.row.flags}`)}</title></g>`,
    );
    if (r.status === 'missing') out.push(`<text class="label flagged" x="${vaX - 8}" y="${y0 + 12}" text-anchor="end">${e(`missing: ${partLabel(r)} · ${r.row.size} · ${shortAddress(r.run.va)}`)}</text>`);
    else out.push(`<text class="label flagged" x="${vaX + colW + 10}" y="${y0 + 12}">${e(`≠ model: ${r.row.flags}`)}</text>`);
  }
  // stretches the model maps and the table does not (e.g. a linear map one page short): hatched, labelled
  const inside = (p: { start: bigint; end: bigint }, r: MapRow) => r.run.va <= p.start && p.end <= r.run.va + r.run.size;
  for (const p of va.pieces) {
    if (observed.some((r) => inside(p, r)) || !ghosts.some((r) => inside(p, r))) continue;
    out.push(
      `<g class="va-hole"><rect x="${vaX}" y="${p.y0}" width="${colW}" height="${p.y1 - p.y0}" fill="url(#${e(id)}-hatch)" stroke="#c92a2a" stroke-width="2"/><title>${e(`expected by the model, not mapped: VA ${formatAddress(p.start)}-${formatAddress(p.end)} (${formatSize(p.end - p.start)})`)}</title></g>`,
      `<text class="label flagged" x="${vaX - 8}" y="${p.y0 + 12}" text-anchor="end">${e(`not mapped · ${formatSize(p.end - p.start)} · ${shortAddress(p.start)}`)}</text>`,
    );
  }
  if (showGuard) {
    const y0 = va.y.get(guard.start)!;
    const y1 = va.y.get(guard.end)!;
    // the guard must stay unmapped; when an observed run covers it, say so instead of drawing a hole
    const mapped = observed.some((r) => r.run.va < guard.end && guard.start < r.run.va + r.run.size);
    const what = mapped ? `${REGION_NAMES.cpuGuard} MAPPED (must be unmapped)` : `${REGION_NAMES.cpuGuard} (unmapped)`;
    out.push(
      `<g class="guard-page${mapped ? ' guard-mapped' : ''}" id="${e(id)}-guard"><rect x="${vaX}" y="${y0}" width="${colW}" height="${y1 - y0}" fill="${mapped ? 'none' : `url(#${e(id)}-hatch)`}" stroke="#c92a2a" stroke-width="${mapped ? 4 : 2}" stroke-dasharray="4 2"/><title>${e(`${REGION_NAMES.cpuGuard}: VA ${formatAddress(guard.start)}-${formatAddress(guard.end)}, 4 KiB; ${mapped ? 'mapped here, so a stack overflow runs on instead of faulting (STACK-GUARD)' : 'unmapped, so a stack overflow faults'}`)}</title></g>`,
    );
    // a mapped guard is labelled by its run ("cpu guard MAPPED"), so only the hole gets a label here
    if (!mapped) out.push(`<text class="label guard" x="${vaX - 8}" y="${y0 + 12}" text-anchor="end">${e(`${what} · 4 KiB · ${shortAddress(guard.start)}`)}</text>`);
    const cpu = rows.filter((r) => r.kind === 'cpu-struct').map((r) => va.y.get(r.run.va + r.run.size)!);
    const bottom = Math.max(y1, ...cpu);
    const braceX = 40;
    const midY = (y0 + bottom) / 2;
    out.push(`<g class="cpu-struct-brace"><path d="M${braceX + 6},${y0 + 1} l-6,0 l0,${bottom - y0 - 2} l6,0" fill="none" stroke="#2f9e44" stroke-width="2"/><text class="label" x="${braceX - 8}" y="${midY}" text-anchor="middle" transform="rotate(-90 ${braceX - 8} ${midY})" fill="#2b8a3e">cpu struct</text><title>the cpu struct: ${REGION_NAMES.cpuGuard}, ${REGION_NAMES.cpuStack}, ${REGION_NAMES.cpuInfo}, ${REGION_NAMES.cpuTrapStack} (this hart's own frames, not global)</title></g>`);
  }
  for (const g of va.gaps) out.push(breakMark(vaX, g, colW));
  out.push('</svg>');
  return out.join('\n');
}

function breakMark(x: number, y: number, w: number): string {
  return `<path class="break" d="M${x - 6},${y + 3} l6,-6 l${w},0 l6,6" fill="none" stroke="#adb5bd" stroke-dasharray="3 3"><title>unmapped addresses (not to scale)</title></path>`;
}

function legend(): string {
  const items = (Object.keys(KIND_LABEL) as RegionKind[]).map((k) => `<li><span class="swatch" style="background:${KIND_COLOUR[k]}"></span>${e(KIND_LABEL[k])}</li>`);
  items.push(`<li><span class="swatch guard-swatch"></span>${REGION_NAMES.cpuGuard} (unmapped)</li>`);
  items.push('<li><span class="swatch missing-swatch"></span>expected by the model, not observed</li>');
  items.push('<li><span class="swatch flagged-swatch"></span>observed, differs from the model</li>');
  return `<ul class="legend" aria-label="legend">${items.join('')}</ul>`;
}

function diffTable(rows: readonly MapRow[], caption: string): string {
  const body = rows
    .map(
      (r) =>
        `<tr class="diff-row status-${r.status}"><td>${e(r.status === 'same' ? '' : r.row.mark)}</td><td>${e(r.status)}</td><td>${e(partLabel(r))}</td><td><code>${e(r.row.va)}</code></td><td><code>${e(r.row.pa)}</code></td><td>${e(r.row.size)}</td><td>${e(r.row.pageSize)}</td><td><code>${e(r.row.flags)}</code></td></tr>`,
    )
    .join('\n');
  return `<table class="diff"><caption>${e(caption)}</caption><thead><tr><th scope="col">mark</th><th scope="col">status</th><th scope="col">region</th><th scope="col">VA range</th><th scope="col">PA range</th><th scope="col">size</th><th scope="col">pages</th><th scope="col">RWXUGAD</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Unchanged rows far from any difference are left out of a counterexample's table. */
function aroundDifferences(rows: readonly MapRow[], context = 1): MapRow[] {
  const keep = new Set<number>();
  rows.forEach((r, i) => {
    if (r.status === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) keep.add(k);
  });
  return rows.filter((_, i) => keep.has(i));
}

function summaryTable(results: readonly PropertyResult[]): string {
  const sorted = [...results].sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict]);
  const rows = sorted.map((r) => {
    const name = r.verdict === 'failed' ? `<a href="#failure-${anchor(r.property)}">${e(r.property)}</a>` : e(r.property);
    const broken = citedRules(r);
    const rules =
      broken.length > 0
        ? `<strong class="rule-id">${e(broken.join(', '))}</strong><br><span class="checked">checks ${e(r.rules.join(', '))}</span>`
        : e(r.rules.join(', '));
    const waived = waiverLines(r).map((line) => `<br><span class="waived">waived ${e(line)}</span>`).join('');
    const note = `${r.verdict === 'skipped' ? e(r.reason ?? '') : r.verdict === 'failed' && r.counterexample ? e(r.counterexample.message) : ''}${waived}`;
    return `<tr class="result verdict-${r.verdict}" data-property="${e(r.property)}"><th scope="row">${name}</th><td>${rules}</td><td class="num">${r.verdict === 'skipped' ? '–' : r.runs}</td><td><span class="verdict verdict-${r.verdict}">${VERDICT_TEXT[r.verdict]}</span></td><td class="num">${e(formatMs(r.ms))}</td><td class="note">${note}</td></tr>`;
  });
  return `<table class="summary"><caption>Properties, failures first</caption><thead><tr><th scope="col">property</th><th scope="col">rule IDs</th><th scope="col">runs</th><th scope="col">verdict</th><th scope="col">wall time</th><th scope="col">note</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function failureSection(r: PropertyResult): string {
  const c = r.counterexample;
  const out: string[] = [`<section class="failure" id="failure-${anchor(r.property)}" aria-labelledby="failure-${anchor(r.property)}-h">`];
  out.push(`<h3 id="failure-${anchor(r.property)}-h">${e(r.property)}: <span class="rule-id">${e(c?.rule ?? 'failed')}</span> violated</h3>`);
  if (c) {
    out.push(`<p class="statement"><strong>Rule ${e(c.rule)}:</strong> ${e(ruleStatement(c.rule))}</p>`, `<p class="message">${e(c.message)}</p>`);
    if (c.also.length > 0) out.push(`<ul class="also">${c.also.map((a) => `<li><span class="rule-id">${e(a.rule)}</span>: ${e(a.message)}</li>`).join('')}</ul>`);
    if (c.mapDiff) {
      const rows = statusRows(c.mapDiff.expected, c.mapDiff.observed, c.mapDiff.layout);
      const counts = (['missing', 'unexpected', 'differs'] as const).map((s) => `${rows.filter((x) => x.status === s).length} ${s}`).join(', ');
      out.push(`<h4>Hart ${c.mapDiff.hart}'s map: expected (model) against observed — ${e(counts)}</h4>`);
      out.push(diffTable(aroundDifferences(rows), `hart ${c.mapDiff.hart}: rows that differ, with their neighbours ("-" expected only, "+" observed only)`));
      out.push(`<figure>${renderMapSvg(c.mapDiff.hart, rows, `counterexample ${r.property}`)}<figcaption>Hart ${c.mapDiff.hart} in the counterexample; red outlines mark what differs from the model.</figcaption></figure>`);
    }
  }
  if (r.report !== undefined) out.push(`<h4>Counterexample as printed</h4><pre class="report">${e(r.report)}</pre>`);
  out.push('</section>');
  return out.join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;margin:24px;max-width:1240px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}h4{font-size:14px;margin:14px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
code,pre,.addr{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:8px 0}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}thead th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.note{max-width:420px;font-size:13px}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;white-space:nowrap}
.verdict-passed{background:#d3f9d8;color:#1b5e20}.verdict-failed{background:#ffe3e3;color:#a61e1e}.verdict-skipped{background:#e9ecef;color:#495057}.verdict-none{background:#f8f9fa;color:#868e96;font-weight:400}
tr.verdict-failed th{border-left:4px solid #e03131}.checked{font-size:12px;color:#495057}
.counts span{margin-right:12px;font-weight:600}
.rule-id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;color:#a61e1e}
section.failure{border:1px solid #ffc9c9;background:#fffafa;padding:8px 16px;margin:12px 0;border-radius:6px}
pre.report{background:#f8f9fa;border:1px solid #dee2e6;padding:8px;overflow-x:auto;font-size:12px}
table.diff{font-size:12px}tr.status-missing td{background:#ffe3e3}tr.status-unexpected td{background:#fff3bf}tr.status-differs td{background:#ffd8a8}
tr.status-missing td:first-child,tr.status-unexpected td:first-child,tr.status-differs td:first-child{font-weight:700}
svg.memory-map{display:block;max-width:100%;height:auto;border:1px solid #e9ecef;background:#fff}
svg .axis{font-weight:600;font-size:13px}svg .label{font-size:11px;fill:#212529}svg .label.flagged{fill:#c92a2a;font-weight:700}svg .label.guard{fill:#c92a2a}
svg .addr{font-size:10px;fill:#495057}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px}
.swatch{display:inline-block;width:14px;height:14px;border:1px solid #343a40;margin-right:6px;vertical-align:-2px}
.guard-swatch{background:repeating-linear-gradient(45deg,#e03131 0 3px,#fff5f5 3px 8px)}
.missing-swatch{border:2px dashed #c92a2a;background:none}.flagged-swatch{border:3px solid #c92a2a;background:#fff}
figure{margin:8px 0}figcaption{font-size:13px;color:#495057}
`;

export function renderHtmlReport(input: HtmlReportInput): string {
  const { results } = input;
  const count = (v: PropertyResult['verdict']) => results.filter((r) => r.verdict === v).length;
  const failed = results.filter((r) => r.verdict === 'failed');
  const p = input.platform;
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${e(input.title)}</h1>`,
    '<dl class="meta">',
    `<dt>image</dt><dd><code>${e(input.image.path)}</code>${input.image.digest ? ` (sha256 <code>${e(input.image.digest)}</code>)` : ''}</dd>`,
    `<dt>platform</dt><dd>${p.harts} hart${p.harts === 1 ? '' : 's'}${p.bootHart === undefined ? '' : `, boot hart ${p.bootHart}`}, RAM ${e(p.ram)}, ${e(p.firmware)} firmware</dd>`,
    `<dt>seed</dt><dd><code>${p.seed}</code> (<code>0x${p.seed.toString(16)}</code>)</dd>`,
    ...(input.generatedAt ? [`<dt>run</dt><dd>${e(input.generatedAt)}</dd>`] : []),
    '</dl>',
    `<p class="counts" role="status">${(['failed', 'passed', 'skipped'] as const).map((v) => `<span class="verdict verdict-${count(v) === 0 ? 'none' : v}">${count(v)} ${v}</span>`).join(' ')}</p>`,
    '<section aria-labelledby="summary-h">',
    '<h2 id="summary-h">Summary</h2>',
    summaryTable(results),
    '</section>',
  );
  if (failed.length > 0) {
    out.push('<section aria-labelledby="failures-h">', '<h2 id="failures-h">Counterexamples</h2>');
    for (const r of failed) out.push(failureSection(r));
    out.push('</section>');
  }
  out.push('<section aria-labelledby="maps-h">', '<h2 id="maps-h">Memory maps</h2>');
  out.push(
    `<p>Each hart's final page table after boot on the platform above: virtual regions on the left, the physical ranges they map on the right. Heights grow with the logarithm of a range's size, so a 4 KiB page and gigabytes both show; dashed breaks are unmapped stretches, not to scale.</p>`,
    legend(),
  );
  if (input.maps.length === 0) out.push(`<p class="maps-note">${e(input.mapsNote ?? 'No memory maps were read.')}</p>`);
  for (const m of input.maps) {
    const rows = statusRows(m.expected, m.observed, m.layout);
    const differing = rows.filter((r) => r.status !== 'same').length;
    out.push(
      `<section class="hart-map" aria-labelledby="hart-${m.hart}-h">`,
      `<h3 id="hart-${m.hart}-h">Hart ${m.hart}${differing === 0 ? ': as the model expects' : `: ${differing} row${differing === 1 ? '' : 's'} differ from the model`}</h3>`,
      renderMapSvg(m.hart, rows, 'memory map'),
      `<details${differing > 0 ? ' open' : ''}><summary>hart ${m.hart}'s rows</summary>${diffTable(rows, `hart ${m.hart}: every run, "-" expected only, "+" observed only`)}</details>`,
      '</section>',
    );
  }
  out.push('</section>', '</main>', '</body>', '</html>', '');
  return out.join('\n');
}

