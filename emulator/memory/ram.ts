/**
 * Sparse physical RAM: 4 KiB pages that materialise on first write; reads of
 * an untouched page give zeros. A snapshot shares every page with the live
 * RAM (copy-on-write), so taking one costs O(materialised pages) and
 * restoring the latest one costs O(pages written since).
 *
 * Per page, `writable[i] === 1` is the store fast path's only test: the page
 * exists, is not shared with a snapshot, and nobody (decode cache, LR
 * reservation, write watch) needs to see writes to it. Anything else takes
 * `Bus.writeSlow`.
 */
export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

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

export class SparseRam {
  /** Page i holds bytes [base + i*4096, base + (i+1)*4096). */
  readonly views: (DataView | undefined)[] = [];
  /** 1 when a store may write views[i] directly. */
  readonly writable: Uint8Array;
  /** SLOW_* reasons per page (0 for untouched or plain pages). */
  readonly slow: Uint8Array;
  readonly pageCount: number;
  private dirtySinceSnapshot: number[] = [];
  private lastSnapshot = 0;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(base) || base % PAGE_SIZE !== 0) throw new Error(`RAM base 0x${base.toString(16)} is not page-aligned`);
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) throw new Error(`RAM size ${size} is not a positive multiple of 4096`);
    this.pageCount = size / PAGE_SIZE;
    this.writable = new Uint8Array(this.pageCount);
    this.slow = new Uint8Array(this.pageCount);
  }

  /** Whether [pa, pa+len) lies inside this RAM. */
  contains(pa: number, len = 1): boolean {
    return pa >= this.base && pa + len <= this.base + this.size;
  }

  /** Page index of a physical address known to be inside the RAM. */
  pageIndex(pa: number): number {
    return ((pa - this.base) / PAGE_SIZE) | 0;
  }

  /** The page for writing: materialises it or copies it away from a snapshot. */
  pageForWrite(index: number): DataView {
    let view = this.views[index];
    if (view === undefined) {
      view = new DataView(new ArrayBuffer(PAGE_SIZE));
      this.views[index] = view;
      this.dirtySinceSnapshot.push(index);
    } else if (this.slow[index]! & SLOW_SHARED) {
      view = new DataView(view.buffer.slice(0));
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
      const view = this.pageForWrite(this.pageIndex(at));
      new Uint8Array(view.buffer, off, n).set(bytes.subarray(done, done + n));
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
      if (view !== undefined) out.set(new Uint8Array(view.buffer, off, n), done);
      done += n;
    }
    return out;
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
