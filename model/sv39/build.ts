/**
 * A pure page-table builder: leaf runs in, a memory image of table frames out. Tests use it to make
 * tables for `walk` and `flatten`; properties use it to make expected tables. Leaves get exactly the
 * run's flags (G included); pointers get V only, so a leaf's effective G is its own G.
 */
import { formatRange, hex, isAligned, isCanonical, levelOfPageSize, PA_BITS, PAGE_SIZE, PTE_SIZE, PTES_PER_TABLE, vpn, type Level } from '../address.js';
import { formatRun, type LeafRun } from './mapping.js';
import { decodePte, isLeaf, ptePa, pteFor } from './pte.js';
import type { ReadPhys } from './walk.js';

/** Table frames by PA, each 512 raw PTEs. */
export interface PageTableImage {
  readonly root: bigint;
  readonly frames: ReadonlyMap<bigint, readonly bigint[]>;
}

export interface BuildOptions {
  /** PAs for table frames, used in order (root first). Default: consecutive frames from `tableFrameBase`. */
  readonly tableFrames?: readonly bigint[];
  /** Default 0x1_0000_0000 (4 GiB), clear of the default platform's RAM and devices. */
  readonly tableFrameBase?: bigint;
}

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** Builds the table that maps exactly `runs`; throws BuildError on overlap, misalignment or a bad VA. */
export function buildPageTable(runs: readonly LeafRun[], options: BuildOptions = {}): PageTableImage {
  const base = options.tableFrameBase ?? 0x1_0000_0000n;
  let used = 0;
  const nextFrame = (): bigint => {
    const frame = options.tableFrames === undefined ? base + BigInt(used) * PAGE_SIZE : options.tableFrames[used];
    if (frame === undefined) throw new BuildError(`buildPageTable: needs more than the ${used} table frames given`);
    if (!isAligned(frame, PAGE_SIZE)) throw new BuildError(`buildPageTable: table frame ${hex(frame)} is not page aligned`);
    if (frames.has(frame)) throw new BuildError(`buildPageTable: table frame ${hex(frame)} given twice`);
    used += 1;
    frames.set(frame, new Array<bigint>(PTES_PER_TABLE).fill(0n));
    return frame;
  };
  const frames = new Map<bigint, bigint[]>();
  const root = nextFrame();

  for (const run of runs) {
    const level = pageSizeLevel(run);
    if (!isAligned(run.va, run.pageSize) || !isAligned(run.pa, run.pageSize) || run.size <= 0n || !isAligned(run.size, run.pageSize)) {
      throw new BuildError(`buildPageTable: run ${formatRun(run)} is not whole, aligned pages of its size`);
    }
    if (run.pa + run.size > 1n << PA_BITS) {
      throw new BuildError(`buildPageTable: run ${formatRun(run)} goes beyond the 56-bit physical address space`);
    }
    if (!isCanonical(run.va) || !isCanonical(run.va + run.size - 1n)) {
      throw new BuildError(`buildPageTable: run ${formatRange({ start: run.va, end: run.va + run.size })} is not canonical Sv39`);
    }
    for (let offset = 0n; offset < run.size; offset += run.pageSize) {
      const va = run.va + offset;
      let table = root;
      for (let l = 2; l > level; l--) {
        const entries = frames.get(table)!;
        const index = vpn(l as Level, va);
        const pte = decodePte(entries[index]!);
        if (pte.flags.v && isLeaf(pte.flags)) throw new BuildError(`buildPageTable: ${hex(va)} overlaps an earlier leaf (run ${formatRun(run)})`);
        if (!pte.flags.v) {
          const child = nextFrame();
          entries[index] = pteFor(child, { v: true });
        }
        table = ptePa(decodePte(entries[index]!));
      }
      const entries = frames.get(table)!;
      const index = vpn(level, va);
      if (entries[index] !== 0n) throw new BuildError(`buildPageTable: ${hex(va)} overlaps an earlier mapping (run ${formatRun(run)})`);
      entries[index] = pteFor(run.pa + offset, { v: true, ...run.flags }, run.rsw);
    }
  }
  return { root, frames };
}

function pageSizeLevel(run: LeafRun): Level {
  try {
    return levelOfPageSize(run.pageSize);
  } catch {
    throw new BuildError(`buildPageTable: run ${formatRun(run)} has page size ${hex(run.pageSize)}, not 4 KiB, 2 MiB or 1 GiB`);
  }
}

/** Reads an image's PTEs; any PA outside its frames reads as an access fault (undefined). */
export function imageReader(image: PageTableImage): ReadPhys {
  return (pa) => {
    const frame = pa & ~(PAGE_SIZE - 1n);
    const entries = image.frames.get(frame);
    if (entries === undefined || !isAligned(pa, PTE_SIZE)) return undefined;
    return entries[Number((pa - frame) / PTE_SIZE)];
  };
}

/** A copy of the image with the PTE at `pteAddr` replaced (for making broken tables by hand). */
export function withPte(image: PageTableImage, pteAddr: bigint, value: bigint): PageTableImage {
  const frame = pteAddr & ~(PAGE_SIZE - 1n);
  const entries = image.frames.get(frame);
  if (entries === undefined || !isAligned(pteAddr, PTE_SIZE)) throw new BuildError(`withPte: ${hex(pteAddr)} is not a PTE of the image`);
  const copy = [...entries];
  copy[Number((pteAddr - frame) / PTE_SIZE)] = value;
  return { root: image.root, frames: new Map(image.frames).set(frame, copy) };
}

/** A copy of the image with a new, zeroed table frame at `pa`. */
export function withFrame(image: PageTableImage, pa: bigint): PageTableImage {
  if (!isAligned(pa, PAGE_SIZE) || image.frames.has(pa)) throw new BuildError(`withFrame: ${hex(pa)} is unaligned or already a frame`);
  return { root: image.root, frames: new Map(image.frames).set(pa, new Array<bigint>(PTES_PER_TABLE).fill(0n)) };
}
