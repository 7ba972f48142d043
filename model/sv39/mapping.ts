/**
 * Leaf mappings as runs: what a page table maps, independent of how its tables are laid out. `flatten`
 * produces them from memory, `buildPageTable` consumes them, the memory map and the rules compare them.
 */
import { formatRange, formatSize, GIGAPAGE_SIZE, hex, isAligned, PAGE_SIZES_DESCENDING } from '../address.js';
import { formatFlags } from './pte.js';

/** A leaf's permissions and attributes; `g` is the effective global bit (G on any PTE of the path). */
export interface LeafFlags {
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly u: boolean;
  readonly g: boolean;
  readonly a: boolean;
  readonly d: boolean;
}

/**
 * `size` bytes from `va` mapped to `pa` onward by leaves of `pageSize` that all carry `flags` and `rsw`.
 * A run is what ptdump prints as one line.
 */
export interface LeafRun {
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: bigint;
  readonly pageSize: bigint;
  readonly flags: LeafFlags;
  readonly rsw: number;
}

export function flagsEqual(a: LeafFlags, b: LeafFlags): boolean {
  return a.r === b.r && a.w === b.w && a.x === b.x && a.u === b.u && a.g === b.g && a.a === b.a && a.d === b.d;
}

export function runsEqual(a: LeafRun, b: LeafRun): boolean {
  return a.va === b.va && a.pa === b.pa && a.size === b.size && a.pageSize === b.pageSize && a.rsw === b.rsw && flagsEqual(a.flags, b.flags);
}

/** True when `next` continues `run`: contiguous in VA and PA, same page size, flags and RSW. */
export function continues(run: LeafRun, next: LeafRun): boolean {
  return (
    run.va + run.size === next.va &&
    run.pa + run.size === next.pa &&
    run.pageSize === next.pageSize &&
    run.rsw === next.rsw &&
    flagsEqual(run.flags, next.flags)
  );
}

/** Runs sorted by VA with every continuing pair merged: the canonical form two tables are compared in. */
export function mergeRuns(runs: readonly LeafRun[]): LeafRun[] {
  const sorted = [...runs].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  const merged: LeafRun[] = [];
  for (const run of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && continues(last, run)) merged[merged.length - 1] = { ...last, size: last.size + run.size };
    else merged.push(run);
  }
  return merged;
}

/**
 * Maps [va, va + size) to pa onward with the largest leaves that VA alignment, PA alignment and the
 * remaining length allow (SPEC.md "The final per-hart address space"): gigapages, then megapages, then pages,
 * none larger than `largest` (the design's largestLeaf).
 */
export function largestPageRuns(va: bigint, pa: bigint, size: bigint, flags: LeafFlags, rsw = 0, largest = GIGAPAGE_SIZE): LeafRun[] {
  const runs: LeafRun[] = [];
  let offset = 0n;
  while (offset < size) {
    const remaining = size - offset;
    const pageSize = PAGE_SIZES_DESCENDING.find((s) => s <= largest && isAligned(va + offset, s) && isAligned(pa + offset, s) && s <= remaining);
    if (pageSize === undefined) throw new RangeError(`largestPageRuns: ${hex(va + offset)} -> ${hex(pa + offset)} is not page aligned or ${hex(remaining)} is not whole pages`);
    runs.push({ va: va + offset, pa: pa + offset, size: pageSize, pageSize, flags, rsw });
    offset += pageSize;
  }
  return mergeRuns(runs);
}

/** The run containing `va`, if any (runs sorted and disjoint, or not: first match). */
export function runAt(runs: readonly LeafRun[], va: bigint): LeafRun | undefined {
  return runs.find((r) => r.va <= va && va < r.va + r.size);
}

export function formatRun(run: LeafRun): string {
  return `VA ${formatRange({ start: run.va, end: run.va + run.size })} -> PA ${hex(run.pa)} ${formatFlags(run.flags)} ${formatSize(run.size)} in ${formatSize(run.pageSize)} pages${run.rsw ? ` rsw=${run.rsw}` : ''}`;
}
