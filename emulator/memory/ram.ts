/**
 * Sparse physical RAM: 4 KiB pages that materialise on first write; reads of
 * an untouched page give zeros. A snapshot shares every page with the live
 * RAM (copy-on-write), so taking one costs O(materialised pages) and
 * restoring the latest one costs O(pages written since).
 *
 * Host storage comes in blocks of BLOCK_PAGES pages: each page that
 * materialises (first write, or the copy a write to a shared page makes)
 * takes the next free slot of the current block, whatever its address, and a
 * new block is allocated when that one is full. A page is a DataView on its
 * slot, so its `byteOffset` is generally not 0: code reaching the bytes
 * through `view.buffer` must add `view.byteOffset`. Slots are never reused
 * (a fresh slot is all zeros); a block is freed by the garbage collector
 * once no live page or snapshot holds a view into it. One allocation per
 * block instead of per page is what makes booting a guest that touches
 * every page of several GiB affordable; the block is kept small so a sparse
 * machine wastes at most one partly used block.
 *
 * Per page, `writable[i] === 1` is the store fast path's only test: the page
 * exists, is not shared with a snapshot, and nobody (decode cache, LR
 * reservation, write watch) needs to see writes to it. Anything else takes
 * `Bus.writeSlow`.
 */
export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/**
 * Pages per host allocation: 64 KiB blocks (fewer pages for a smaller RAM).
 * Measured on 1-hart builtin-firmware boots of the hypervisor, which touch
 * every page: at 2 GiB, 1/4/16/64/256 pages per block took 3.6/2.4/1.9/1.8/1.6 s,
 * and 4 GiB fell from 11-14 s to 4-6 s at 16; beyond 16 the differences were
 * within run-to-run noise (what remains is one DataView per page and the
 * collections V8 starts as external memory grows, which block size does not
 * change), while a larger block costs every small machine more.
 */
export const BLOCK_PAGES = 16;

/** Why writes to a page must leave the fast path (bit set = reason present). */
export const SLOW_SHARED = 1; // shared with a snapshot: copy before writing
export const SLOW_CODE = 2; // decoded instructions cached: invalidate on write
export const SLOW_WATCH = 4; // a physical write watch (or HTIF) covers part of it
export const SLOW_RESERVED = 8; // an LR reservation lies in it

export interface RamSnapshot {
  readonly pages: ReadonlyMap<number, DataView>;
  readonly id: number;
}

let nextSnapshotId = 1;

/** The bytes of one page (its view's window of the block, not the whole block). */
export function pageBytes(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export class SparseRam {
  /** Page i holds bytes [base + i*4096, base + (i+1)*4096). */
  readonly views: (DataView | undefined)[] = [];
  /** 1 when a store may write views[i] directly. */
  readonly writable: Uint8Array;
  /** SLOW_* reasons per page (0 for untouched or plain pages). */
  readonly slow: Uint8Array;
  /** Per page, non-zero when the page is word-sparse: it has no view, yet reads must go through the bus. */
  readonly sparse: Int32Array;
  readonly pageCount: number;
  #blocksAllocated = 0;
  private dirtySinceSnapshot: number[] = [];
  private lastSnapshot = 0;
  /** Pages per block for this RAM. */
  private readonly blockPages: number;
  /** The block slots are handed out from, and its next free slot. */
  private block: ArrayBuffer | undefined;
  private nextSlot: number;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(base) || base % PAGE_SIZE !== 0) throw new Error(`RAM base 0x${base.toString(16)} is not page-aligned`);
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) throw new Error(`RAM size ${size} is not a positive multiple of 4096`);
    this.pageCount = size / PAGE_SIZE;
    this.writable = new Uint8Array(this.pageCount);
    this.slow = new Uint8Array(this.pageCount);
    this.sparse = new Int32Array(this.pageCount);
    this.blockPages = Math.min(BLOCK_PAGES, this.pageCount);
    this.nextSlot = this.blockPages;
  }

  /** Whether [pa, pa+len) lies inside this RAM. */
  contains(pa: number, len = 1): boolean {
    return pa >= this.base && pa + len <= this.base + this.size;
  }

  /** Page index of a physical address known to be inside the RAM. */
  pageIndex(pa: number): number {
    return ((pa - this.base) / PAGE_SIZE) | 0;
  }

  /** A zeroed page of storage: the next slot of the current block. */
  private freshPage(): DataView {
    if (this.nextSlot === this.blockPages) {
      this.block = new ArrayBuffer(this.blockPages * PAGE_SIZE);
      this.nextSlot = 0;
      this.#blocksAllocated++;
    }
    return new DataView(this.block!, this.nextSlot++ * PAGE_SIZE, PAGE_SIZE);
  }

  /** The page for writing: materialises it or copies it away from a snapshot. */
  pageForWrite(index: number): DataView {
    let view = this.views[index];
    if (view === undefined) {
      view = this.freshPage();
      this.views[index] = view;
      this.dirtySinceSnapshot.push(index);
    } else if (this.slow[index]! & SLOW_SHARED) {
      const copy = this.freshPage();
      pageBytes(copy).set(pageBytes(view));
      view = copy;
      this.views[index] = view;
      this.slow[index] = this.slow[index]! & ~SLOW_SHARED;
      this.dirtySinceSnapshot.push(index);
    }
    this.writable[index] = this.slow[index] === 0 ? 1 : 0;
    return view;
  }

  /** Adds or removes a reason for slow writes on a page. */
  setSlow(index: number, reason: number, on: boolean): void {
    const s = on ? this.slow[index]! | reason : this.slow[index]! & ~reason;
    this.slow[index] = s;
    this.writable[index] = s === 0 && this.views[index] !== undefined ? 1 : 0;
  }

  readU8(pa: number): number {
    const view = this.views[this.pageIndex(pa)];
    return view === undefined ? 0 : view.getUint8(pa & 0xfff);
  }

  writeU8(pa: number, value: number): void {
    this.pageForWrite(this.pageIndex(pa)).setUint8(pa & 0xfff, value);
  }

  /** Copies bytes into RAM (loader); the range must be inside the RAM. */
  writeBytes(pa: number, bytes: Uint8Array): void {
    if (!this.contains(pa, bytes.length)) throw new Error(`write of ${bytes.length} bytes at 0x${pa.toString(16)} is outside RAM`);
    let done = 0;
    while (done < bytes.length) {
      const at = pa + done;
      const off = at & 0xfff;
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      pageBytes(this.pageForWrite(this.pageIndex(at))).set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }

  /** Reads bytes out of RAM (zeros where untouched). */
  readBytes(pa: number, length: number): Uint8Array {
    if (!this.contains(pa, length)) throw new Error(`read of ${length} bytes at 0x${pa.toString(16)} is outside RAM`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const off = at & 0xfff;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const view = this.views[this.pageIndex(at)];
      if (view !== undefined) out.set(pageBytes(view).subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** Host blocks allocated so far, freed ones included (BLOCK_PAGES pages each, fewer for a small RAM). */
  get blocksAllocated(): number {
    return this.#blocksAllocated;
  }

  /** Number of materialised pages (what the machine really costs). */
  materialisedPages(): number {
    let n = 0;
    for (const v of this.views) if (v !== undefined) n++;
    return n;
  }

  /** Shares every page with the returned snapshot; later writes copy first. */
  snapshot(): RamSnapshot {
    const pages = new Map<number, DataView>();
    this.views.forEach((view, index) => {
      if (view === undefined) return;
      pages.set(index, view);
      this.setSlow(index, SLOW_SHARED, true);
    });
    this.dirtySinceSnapshot = [];
    const id = nextSnapshotId++;
    this.lastSnapshot = id;
    return { pages, id };
  }

  /**
   * Puts the RAM back to a snapshot. For the latest snapshot only the pages
   * written since are touched; for an older one every materialised page is.
   * Returns the page indices whose contents changed (decode caches drop them).
   */
  restore(snap: RamSnapshot): number[] {
    const candidates = snap.id === this.lastSnapshot ? this.dirtySinceSnapshot : [...this.allIndices(), ...snap.pages.keys()];
    const changed = new Set<number>(candidates);
    for (const index of changed) {
      const view = snap.pages.get(index);
      if (view === undefined) delete this.views[index];
      else this.views[index] = view;
      this.setSlow(index, SLOW_SHARED, view !== undefined);
    }
    if (snap.id !== this.lastSnapshot) {
      for (const [index, view] of snap.pages) if (this.views[index] !== view) this.views[index] = view;
      this.lastSnapshot = snap.id;
    }
    this.dirtySinceSnapshot = [];
    return [...changed];
  }

  private *allIndices(): Iterable<number> {
    for (let i = 0; i < this.views.length; i++) if (this.views[i] !== undefined) yield i;
  }
}
