/**
 * The parameters real images of the design legitimately differ in (SPEC.md "Design parameters"):
 * where the image is loaded, how the cpu struct is laid out, whether leaves carry A/D or the hart
 * sets them, the early table's extent and G bits, whether the allocator keeps a frame-state table
 * after the image, its allocation order, what kfree does with a bad address and the largest leaf the
final tables use. Every rule reads them
 * from Platform.design; DESIGN_PARAMETERS is the design as SPEC.md states it (the bundled hypervisor).
 */
import { GIGAPAGE_SIZE, hex, isAligned, MEGAPAGE_SIZE, PAGE_SIZE, rangesOverlap, type Range } from './address.js';
import { CPU_GUARD, CPU_INFO, CPU_STACK, CPU_TRAP_STACK, KERNEL_LOAD_OFFSET, VAS_CPU_STRUCT } from './layout.js';

/** The cpu struct's parts as VA ranges (at VAS_CPU_STRUCT); the trap stack is its own part or lies inside the info part. */
export interface CpuStructLayout {
  /** Unmapped page(s) right below the stack; null when the image has none (STACK-GUARD then cannot hold). */
  readonly guard: Range | null;
  /** Grows down from its end, the initial sp. */
  readonly stack: Range;
  readonly info: Range;
  /** Its end is what sscratch holds. */
  readonly trapStack: Range;
}

export interface DesignParameters {
  /** The image is loaded at ramBase + loadOffset (linked at VAS_KERNEL + loadOffset); the firmware may own everything below. */
  readonly loadOffset: bigint;
  readonly cpuStruct: CpuStructLayout;
  /**
   * 'preset': every leaf has A set and D exactly when W (MAP-AD as SPEC.md states it). 'hardware': the
   * image leaves A/D to the hart (Svadu-style updates), so A/D are no part of any expected leaf and MAP-AD
   * claims only that D is never set without W.
   */
  readonly accessedDirty: 'preset' | 'hardware';
  readonly earlyTable: {
    /** Whether the early table's leaves carry G. */
    readonly global: boolean;
    /** Linear-map gigapages: one per started GiB of RAM ('ram'), or a fixed count whatever the RAM. */
    readonly linearGigapages: 'ram' | number;
  };
  /** Whether the allocator keeps a one-byte-per-frame state table right after the image (reserved, never free). */
  readonly frameStateTable: boolean;
  /** A fresh allocator hands out the highest free frame first and then the most recently freed ('descending'), or any free frame ('any'). */
  readonly allocationOrder: 'descending' | 'any';
  /** kfree on an address it must refuse: returns a verdict, panics, or accepts it (SPEC.md "Design parameters"). */
  readonly badFree: 'verdict' | 'panic' | 'accept';
  /**
   * The largest leaf the final tables' fixed-PA regions use (SPEC.md MAP-EXACT): 1 GiB (absent: the
   * design's "largest pages that fit"), 2 MiB for an image that never builds gigapages, or 4 KiB. The
   * design document does not mandate gigapages, so images legitimately differ here.
   */
  readonly largestLeaf?: bigint;
}

/** The Sv39 leaf sizes, largest first. */
export const LEAF_SIZES: readonly bigint[] = [GIGAPAGE_SIZE, MEGAPAGE_SIZE, PAGE_SIZE];

/** The largest leaf of the final tables under `design` (1 GiB unless it says otherwise). */
export function largestLeaf(design: Pick<DesignParameters, 'largestLeaf'>): bigint {
  return design.largestLeaf ?? GIGAPAGE_SIZE;
}

/** A cpu-struct part at `offset` bytes from VAS_CPU_STRUCT, `size` bytes long. */
export function cpuStructPart(offset: bigint, size: bigint): Range {
  return { start: VAS_CPU_STRUCT + offset, end: VAS_CPU_STRUCT + offset + size };
}

/** SPEC.md's cpu struct (layout.ts): guard, 4-page stack, info page, 2-page trap stack. */
export const DESIGN_CPU_STRUCT: CpuStructLayout = { guard: CPU_GUARD, stack: CPU_STACK, info: CPU_INFO, trapStack: CPU_TRAP_STACK };

/** The design as SPEC.md states it. */
export const DESIGN_PARAMETERS: DesignParameters = {
  loadOffset: KERNEL_LOAD_OFFSET,
  cpuStruct: DESIGN_CPU_STRUCT,
  accessedDirty: 'preset',
  earlyTable: { global: true, linearGigapages: 'ram' },
  frameStateTable: true,
  allocationOrder: 'descending',
  badFree: 'verdict',
  largestLeaf: GIGAPAGE_SIZE,
};

/** The mapped parts of the cpu struct, ascending and merged where they touch (the trap stack may lie inside the info part). */
export function cpuStructMapped(layout: CpuStructLayout): Range[] {
  const parts = [layout.stack, layout.info, layout.trapStack].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: Range[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && p.start <= last.end) merged[merged.length - 1] = { start: last.start, end: p.end > last.end ? p.end : last.end };
    else merged.push({ ...p });
  }
  return merged;
}

/** Pages the cpu struct maps (7 in SPEC.md's layout). */
export function cpuStructPages(layout: CpuStructLayout): number {
  return Number(cpuStructMapped(layout).reduce((n, r) => n + (r.end - r.start), 0n) / PAGE_SIZE);
}

/** Every problem with `design`, each naming the field and its value. */
export function designProblems(design: DesignParameters): { field: string; value: string; message: string }[] {
  const problems: { field: string; value: string; message: string }[] = [];
  const bad = (field: string, value: string, message: string): void => {
    problems.push({ field, value, message });
  };
  if (!isAligned(design.loadOffset, PAGE_SIZE) || design.loadOffset <= 0n || design.loadOffset >= GIGAPAGE_SIZE) {
    bad('design.loadOffset', hex(design.loadOffset), 'must be a positive multiple of 4 KiB below 1 GiB');
  }
  const { cpuStruct } = design;
  const parts: [string, Range | null][] = [['guard', cpuStruct.guard], ['stack', cpuStruct.stack], ['info', cpuStruct.info], ['trapStack', cpuStruct.trapStack]];
  for (const [name, r] of parts) {
    if (r === null) continue;
    if (!isAligned(r.start, PAGE_SIZE) || !isAligned(r.end, PAGE_SIZE) || r.end <= r.start || r.start < VAS_CPU_STRUCT || r.end > VAS_CPU_STRUCT + GIGAPAGE_SIZE) {
      bad(`design.cpuStruct.${name}`, `[${hex(r.start)}, ${hex(r.end)})`, "must be whole pages inside the cpu struct's gigabyte");
    }
  }
  const { guard, stack, info, trapStack } = cpuStruct;
  if (guard !== null && guard.end !== stack.start) bad('design.cpuStruct.guard', hex(guard.end), `must end where the stack starts (${hex(stack.start)}): an overflow runs down into it`);
  const disjoint: [string, Range | null, string, Range | null][] = [['guard', guard, 'stack', stack], ['guard', guard, 'info', info], ['stack', stack, 'info', info], ['guard', guard, 'trapStack', trapStack], ['stack', stack, 'trapStack', trapStack]];
  for (const [a, ra, b, rb] of disjoint) if (ra && rb && rangesOverlap(ra, rb)) bad(`design.cpuStruct.${b}`, `[${hex(rb.start)}, ${hex(rb.end)})`, `overlaps ${a}`);
  if (rangesOverlap(trapStack, info) && !(trapStack.start >= info.start && trapStack.end <= info.end)) bad('design.cpuStruct.trapStack', `[${hex(trapStack.start)}, ${hex(trapStack.end)})`, 'overlaps info without lying inside it');
  const n = design.earlyTable.linearGigapages;
  if (n !== 'ram' && (!Number.isInteger(n) || n < 1 || n > 256)) bad('design.earlyTable.linearGigapages', String(n), "must be 'ram' or an integer from 1 to 256");
  if (design.largestLeaf !== undefined && !LEAF_SIZES.includes(design.largestLeaf)) bad('design.largestLeaf', hex(design.largestLeaf), 'must be 0x40000000 (1 GiB), 0x200000 (2 MiB) or 0x1000 (4 KiB)');
  return problems;
}
