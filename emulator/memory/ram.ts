/**
 * Sparse physical RAM: 4 KiB pages, each in one of three states.
 *
 * - untouched: reads give zeros; no storage at all. A store of zeros leaves
 *   a page untouched.
 * - word-sparse: a page only ever written in a few aligned doublewords (an
 *   allocator's free-list link, a page table holding a couple of entries,
 *   a page an allocator zeroed) keeps up to SPARSE_WORDS (doubleword index,
 *   low word, high word) entries in a record of a shared Int32Array pool;
 *   `sparse[i]` is the record's number (0: none). Storing zeros into a
 *   doubleword it does not hold changes nothing; a doubleword that becomes
 *   zero is dropped. A store that needs one more entry, or that crosses a
 *   doubleword boundary, promotes the page to a full one, and so does
 *   being hot: HOT_ACCESSES slow-path accesses to a page without a view
 *   (the hart's fast paths skip such pages). No JavaScript
 *   object exists per word-sparse page: a million of them are a million
 *   records in a few pool chunks, which is what lets a guest that links
 *   every free page of 16 GiB boot in bounded host memory and time.
 * - full: a DataView on a 4 KiB slot (below).
 *
 * A snapshot shares every page with the live RAM (copy-on-write): taking
 * one is a pass over the per-page arrays plus a copy of `sparse` (4 bytes
 * per page of RAM; about 0.1 s for 16 GiB), and restoring the latest one
 * costs O(pages written since). A
 * record a snapshot may name is never changed: a write to a shared
 * word-sparse page first copies its record. Records are handed out from the
 * top of the pool and never reused, except that a restore drops every record
 * made since the latest snapshot (only the live RAM could name them).
 *
 * Host storage for full pages comes in blocks of BLOCK_PAGES pages: each page that
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
 * is full, is not shared with a snapshot, and nobody (decode cache, LR
 * reservation, write watch) needs to see writes to it. Anything else takes
 * `Bus.write`. A load fast path may read `views[i]` directly, and zeros for
 * a page without a view only when `sparse[i] === 0`.
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

/**
 * Doublewords a word-sparse page holds before it is promoted to a full page.
 * Four covers a free-list link, a zeroed page and a page table with a few
 * entries, at 52 bytes of pool per page.
 */
export const SPARSE_WORDS = 4;
/**
 * Slow-path accesses (stores it absorbs, loads of it) after which a page
 * without a view is promoted to a full page anyway, so a hot page (a stack
 * holding a few saved registers, a lock word) gets the hart's fast paths.
 * Above the 512 doubleword stores of zeroing a page, so an allocator's
 * zeroing alone does not promote.
 */
export const HOT_ACCESSES = 1024;
/** Int32s per pool record: the entry count, then (doubleword index, low, high) per entry. */
const RECORD_INTS = 1 + 3 * SPARSE_WORDS;
/** Records per full pool chunk (one host allocation of about 850 KiB). */
const CHUNK_SHIFT = 14;
const CHUNK_RECORDS = 1 << CHUNK_SHIFT;

export interface RamSnapshot {
  /** The RAM it was taken of (a snapshot names that RAM's pool records). */
  readonly ram: SparseRam;
  readonly pages: ReadonlyMap<number, DataView>;
  /** Copy of `sparse` (undefined when no page was word-sparse). */
  readonly sparse: Int32Array | undefined;
  readonly id: number;
}

let nextSnapshotId = 1;

/** The bytes of one page (its view's window of the block, not the whole block). */
export function pageBytes(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export class SparseRam {
  /** Page i's bytes [base + i*4096, base + (i+1)*4096) when it is full. */
  readonly views: (DataView | undefined)[] = [];
  /**
   * 1 where views[i] is set. Passes over every page test this instead of
   * `views`, which V8 keeps as a dictionary when pages fill in out of order
   * (a pass over 4 M entries of it took 0.4 s).
   */
  private readonly full: Uint8Array;
  /** 1 when a store may write views[i] directly. */
  readonly writable: Uint8Array;
  /** SLOW_* reasons per page (0 for untouched or plain pages). */
  readonly slow: Uint8Array;
  /** Per page, its word-sparse record (0: not word-sparse; then a page with no view reads as zeros). */
  readonly sparse: Int32Array;
  /** Per page without a view, slow-path accesses so far (up to HOT_ACCESSES). */
  private readonly heat: Uint16Array;
  readonly pageCount: number;
  #blocksAllocated = 0;
  private dirtySinceSnapshot: number[] = [];
  private lastSnapshot = 0;
  /** Pages per block for this RAM. */
  private readonly blockPages: number;
  /** The block slots are handed out from, and its next free slot. */
  private block: ArrayBuffer | undefined;
  private nextSlot: number;
  /** Record pool: record r is at chunks[r >> CHUNK_SHIFT], from (r & (CHUNK_RECORDS-1)) * RECORD_INTS. Record 0 is never used. */
  private readonly chunks: Int32Array[] = [];
  /** Next record to hand out. */
  private recordTop = 1;
  /** recordTop when the latest snapshot was taken: records below may be named by a snapshot. */
  private protectedTop = 1;
  #sparsePages = 0;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(base) || base % PAGE_SIZE !== 0) throw new Error(`RAM base 0x${base.toString(16)} is not page-aligned`);
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) throw new Error(`RAM size ${size} is not a positive multiple of 4096`);
    this.pageCount = size / PAGE_SIZE;
    this.full = new Uint8Array(this.pageCount);
    this.writable = new Uint8Array(this.pageCount);
    this.slow = new Uint8Array(this.pageCount);
    this.sparse = new Int32Array(this.pageCount);
    this.heat = new Uint16Array(this.pageCount);
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

  /** The full page for writing: materialises or promotes it, or copies it away from a snapshot. */
  pageForWrite(index: number): DataView {
    let view = this.views[index];
    if (view === undefined) {
      if (this.slow[index]! & SLOW_SHARED) this.unshare(index);
      else if (this.sparse[index] === 0) this.dirtySinceSnapshot.push(index);
      view = this.freshPage();
      const record = this.sparse[index]!;
      if (record !== 0) {
        const chunk = this.chunks[record >>> CHUNK_SHIFT]!;
        const at = (record & (CHUNK_RECORDS - 1)) * RECORD_INTS;
        for (let k = 0, n = chunk[at]!; k < n; k++) {
          const e = at + 1 + 3 * k;
          view.setInt32(chunk[e]! * 8, chunk[e + 1]!, true);
          view.setInt32(chunk[e]! * 8 + 4, chunk[e + 2]!, true);
        }
        this.sparse[index] = 0;
        this.#sparsePages--;
      }
      this.views[index] = view;
      this.full[index] = 1;
    } else if (this.slow[index]! & SLOW_SHARED) {
      const copy = this.freshPage();
      pageBytes(copy).set(pageBytes(view));
      view = copy;
      this.views[index] = view;
      this.unshare(index);
    }
    this.writable[index] = this.slow[index] === 0 ? 1 : 0;
    return view;
  }

  /** The page stops being shared with a snapshot (its contents are about to be replaced by a private copy). */
  private unshare(index: number): void {
    this.slow[index] = this.slow[index]! & ~SLOW_SHARED;
    this.dirtySinceSnapshot.push(index);
  }

  /**
   * Stores the low `size` bytes of (lo, hi) at byte `off` of page `index`
   * (inside the page). Returns the view the caller must write them to, or
   * undefined when the store has been absorbed (zeros into an untouched or
   * word-sparse page, or a word-sparse page's record took it).
   */
  storeTarget(index: number, off: number, size: number, lo: number, hi: number): DataView | undefined {
    const view = this.views[index];
    if (view !== undefined) return this.slow[index]! & SLOW_SHARED ? this.pageForWrite(index) : view;
    if (this.heat[index]! >= HOT_ACCESSES) return this.pageForWrite(index);
    this.heat[index]!++;
    const zero = size === 8 ? (lo | hi) === 0 : size === 4 ? lo === 0 : size === 2 ? (lo & 0xffff) === 0 : (lo & 0xff) === 0;
    let record = this.sparse[index]!;
    if ((off & 7) + size > 8) return zero && record === 0 ? undefined : this.pageForWrite(index);
    const dw = off >>> 3;
    if (record === 0) {
      if (zero) return undefined;
      record = this.newRecord();
      this.sparse[index] = record;
      this.#sparsePages++;
      this.dirtySinceSnapshot.push(index);
    }
    let chunk = this.chunks[record >>> CHUNK_SHIFT]!;
    let at = (record & (CHUNK_RECORDS - 1)) * RECORD_INTS;
    let n = chunk[at]!;
    let k = 0;
    while (k < n && chunk[at + 1 + 3 * k] !== dw) k++;
    if (k === n && zero) return undefined;
    if (k === n && n === SPARSE_WORDS) return this.pageForWrite(index);
    if (this.slow[index]! & SLOW_SHARED) {
      // The record may be a snapshot's: change a copy.
      const copy = this.newRecord();
      const copyChunk = this.chunks[copy >>> CHUNK_SHIFT]!;
      const copyAt = (copy & (CHUNK_RECORDS - 1)) * RECORD_INTS;
      copyChunk.set(chunk.subarray(at, at + RECORD_INTS), copyAt);
      this.sparse[index] = copy;
      this.unshare(index);
      record = copy;
      chunk = copyChunk;
      at = copyAt;
    }
    const e = at + 1 + 3 * k;
    let wordLo = 0;
    let wordHi = 0;
    if (k < n) {
      wordLo = chunk[e + 1]!;
      wordHi = chunk[e + 2]!;
    } else {
      chunk[e] = dw;
      chunk[at] = ++n;
    }
    const shift = off & 7;
    for (let i = 0; i < size; i++) {
      const byte = i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff;
      const pos = shift + i;
      if (pos < 4) wordLo = (wordLo & ~(0xff << (8 * pos))) | (byte << (8 * pos));
      else wordHi = (wordHi & ~(0xff << (8 * (pos - 4)))) | (byte << (8 * (pos - 4)));
    }
    if ((wordLo | wordHi) !== 0) {
      chunk[e + 1] = wordLo;
      chunk[e + 2] = wordHi;
    } else if (n === 1) {
      // The page's last non-zero doubleword became zero: it is untouched again.
      this.sparse[index] = 0;
      this.#sparsePages--;
    } else {
      const last = at + 1 + 3 * (n - 1);
      chunk[e] = chunk[last]!;
      chunk[e + 1] = chunk[last + 1]!;
      chunk[e + 2] = chunk[last + 2]!;
      chunk[at] = n - 1;
    }
    return undefined;
  }

  /** A new, empty record from the top of the pool. */
  private newRecord(): number {
    const record = this.recordTop++;
    const c = record >>> CHUNK_SHIFT;
    const at = (record & (CHUNK_RECORDS - 1)) * RECORD_INTS;
    let chunk = this.chunks[c];
    if (chunk === undefined || chunk.length === at) {
      // A chunk starts small and doubles up to CHUNK_RECORDS, so a small machine does not pay for a whole one.
      const records = Math.min(CHUNK_RECORDS, chunk === undefined ? 64 : (2 * chunk.length) / RECORD_INTS);
      const grown = new Int32Array(records * RECORD_INTS);
      if (chunk !== undefined) grown.set(chunk);
      this.chunks[c] = grown;
      chunk = grown;
    }
    chunk[at] = 0;
    return record;
  }

  /** Byte `off` of word-sparse record `record`. */
  private sparseByte(record: number, off: number): number {
    const chunk = this.chunks[record >>> CHUNK_SHIFT]!;
    const at = (record & (CHUNK_RECORDS - 1)) * RECORD_INTS;
    const dw = off >>> 3;
    for (let k = 0, n = chunk[at]!; k < n; k++) {
      const e = at + 1 + 3 * k;
      if (chunk[e] !== dw) continue;
      const pos = off & 7;
      return pos < 4 ? (chunk[e + 1]! >>> (8 * pos)) & 0xff : (chunk[e + 2]! >>> (8 * (pos - 4))) & 0xff;
    }
    return 0;
  }

  /**
   * Reads `size` bytes at byte `off` of word-sparse page `index` into
   * out[0] (low word) and out[1] (high word), zero-extended; the range is
   * inside the page.
   */
  readSparse(index: number, off: number, size: number, out: Int32Array): void {
    if (this.heat[index]! >= HOT_ACCESSES) {
      const view = this.pageForWrite(index);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < size; i++) {
        const b = view.getUint8(off + i);
        if (i < 4) lo |= b << (8 * i);
        else hi |= b << (8 * (i - 4));
      }
      out[0] = lo;
      out[1] = hi;
      return;
    }
    this.heat[index]!++;
    const record = this.sparse[index]!;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < size; i++) {
      const b = this.sparseByte(record, off + i);
      if (i < 4) lo |= b << (8 * i);
      else hi |= b << (8 * (i - 4));
    }
    out[0] = lo;
    out[1] = hi;
  }

  /** Adds or removes a reason for slow writes on a page. */
  setSlow(index: number, reason: number, on: boolean): void {
    const s = on ? this.slow[index]! | reason : this.slow[index]! & ~reason;
    this.slow[index] = s;
    this.writable[index] = s === 0 && this.full[index] === 1 ? 1 : 0;
  }

  readU8(pa: number): number {
    const index = this.pageIndex(pa);
    const view = this.views[index];
    if (view !== undefined) return view.getUint8(pa & 0xfff);
    const record = this.sparse[index]!;
    return record === 0 ? 0 : this.sparseByte(record, pa & 0xfff);
  }

  writeU8(pa: number, value: number): void {
    const index = this.pageIndex(pa);
    this.storeTarget(index, pa & 0xfff, 1, value, 0)?.setUint8(pa & 0xfff, value);
  }

  /** Copies bytes into RAM (loader); the range must be inside the RAM. Pages it writes become full. */
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
      const index = this.pageIndex(at);
      const view = this.views[index];
      if (view !== undefined) out.set(pageBytes(view).subarray(off, off + n), done);
      else if (this.sparse[index] !== 0) for (let i = 0; i < n; i++) out[done + i] = this.sparseByte(this.sparse[index]!, off + i);
      done += n;
    }
    return out;
  }

  /** Host blocks allocated so far, freed ones included (BLOCK_PAGES pages each, fewer for a small RAM). */
  get blocksAllocated(): number {
    return this.#blocksAllocated;
  }

  /** Number of full pages (each costs a 4 KiB host slot). */
  materialisedPages(): number {
    let n = 0;
    for (let i = 0; i < this.pageCount; i++) n += this.full[i]!;
    return n;
  }

  /** Number of word-sparse pages (each costs a pool record). */
  sparsePages(): number {
    return this.#sparsePages;
  }

  /** Pool records handed out and not dropped (live pages' and snapshots' together). */
  get recordsInUse(): number {
    return this.recordTop - 1;
  }

  /** Shares every page with the returned snapshot; later writes copy first. */
  snapshot(): RamSnapshot {
    const pages = new Map<number, DataView>();
    const { full, sparse, slow } = this;
    for (let index = 0; index < this.pageCount; index++) {
      if (full[index] === 1) {
        pages.set(index, this.views[index]!);
        this.setSlow(index, SLOW_SHARED, true);
      } else if (sparse[index] !== 0) slow[index] = slow[index]! | SLOW_SHARED; // no view: not writable either way
    }
    this.dirtySinceSnapshot = [];
    this.protectedTop = this.recordTop;
    const id = nextSnapshotId++;
    this.lastSnapshot = id;
    return { ram: this, pages, sparse: this.#sparsePages > 0 ? sparse.slice() : undefined, id };
  }

  /**
   * Puts the RAM back to a snapshot of it. For the latest snapshot only the
   * pages written since are touched; for an older one every page is.
   * Returns the page indices whose contents may have changed (decode caches drop them).
   */
  restore(snap: RamSnapshot): number[] {
    if (snap.ram !== this) throw new Error(`RAM snapshot ${snap.id} was taken of another machine's RAM`);
    const latest = snap.id === this.lastSnapshot;
    const changed = new Set<number>(latest ? this.dirtySinceSnapshot : this.allIndices());
    if (!latest) {
      for (const index of snap.pages.keys()) changed.add(index);
      if (snap.sparse !== undefined) for (let index = 0; index < this.pageCount; index++) if (snap.sparse[index] !== 0) changed.add(index);
    }
    for (const index of changed) {
      const view = snap.pages.get(index);
      const record = snap.sparse === undefined ? 0 : snap.sparse[index]!;
      if (view === undefined) delete this.views[index];
      else this.views[index] = view;
      this.full[index] = view === undefined ? 0 : 1;
      this.#sparsePages += (record !== 0 ? 1 : 0) - (this.sparse[index] !== 0 ? 1 : 0);
      this.sparse[index] = record;
      this.setSlow(index, SLOW_SHARED, view !== undefined || record !== 0);
    }
    this.lastSnapshot = snap.id;
    this.dirtySinceSnapshot = [];
    this.recordTop = this.protectedTop;
    return [...changed];
  }

  /** Every page that is full or word-sparse. */
  private *allIndices(): Iterable<number> {
    for (let i = 0; i < this.pageCount; i++) if (this.full[i] === 1 || this.sparse[i] !== 0) yield i;
  }
}
