/**
 * The physical address space one machine's harts share: sparse RAM (ram.ts), MMIO
 * devices at base addresses, the decode cache of RAM pages, LR reservations
 * and physical write watches.
 *
 * Regions are half-open [base, end). Accesses to no region are access faults
 * (the caller raises them). The bus never splits an MMIO access: a device sees
 * the size the hart used (devices/device.ts).
 */
import type { AccessSize, MmioDevice } from '../devices/device.js';
import type { CompiledBlock } from '../hart/compile.js';
import type { Op } from '../isa/op.js';
import { PAGE_SIZE, SLOW_CODE, SLOW_RESERVED, SLOW_WATCH, SparseRam, type RamSnapshot } from './ram.js';

export interface MappedDevice {
  readonly base: number;
  readonly end: number;
  readonly device: MmioDevice;
}

/** Called after a write lands in a watched physical range. */
export type WriteWatch = (pa: number, size: number, hartId: number) => void;

interface Watch {
  readonly start: number;
  readonly end: number;
  readonly callback: WriteWatch;
}

/** Decoded instructions of one physical RAM page, by halfword offset. */
export interface DecodedPage {
  /** Physical address of the page. */
  readonly pa: number;
  readonly ops: (Op | undefined)[];
  /** The instruction bits decoded at each halfword offset (traces). */
  readonly bits: Int32Array;
  /** Bumped whenever the decoded code is dropped: a running compiled block compares it to leave a page that changed. */
  generation: number;
  /** Compiled blocks by halfword offset of their first instruction (hart/compile.ts), created on first use. */
  blocks: (CompiledBlock | undefined)[] | undefined;
  /** Per halfword offset, how often the interpreter started there (the compiler's hotness count). */
  heat: Uint8Array | undefined;
}

/** Something holding an LR reservation (a hart); the bus breaks it on a conflicting write. */
export interface ReservationHolder {
  readonly hartId: number;
  /** Physical address of the reservation, or -1. */
  reservation: number;
}

/** LR/SC reservation granule (bytes): a write anywhere in it breaks the reservation. */
export const RESERVATION_GRANULE = 8;

/** Drops a page's decoded instructions and compiled blocks (its bytes changed). */
function forget(page: DecodedPage): void {
  page.ops.fill(undefined);
  page.generation++;
  page.blocks = undefined;
  page.heat = undefined;
}

export class Bus {
  readonly ram: SparseRam;
  private readonly devices: MappedDevice[] = [];
  private readonly codePages: (DecodedPage | undefined)[] = [];
  private readonly watches: Watch[] = [];
  private readonly holders: ReservationHolder[] = [];
  /** Scratch result of `read`: low and high words. */
  readonly value = new Int32Array(2);

  constructor(ramBase: number, ramSize: number) {
    this.ram = new SparseRam(ramBase, ramSize);
  }

  /** Maps a device at [base, base+size); overlapping RAM or another device is an error. */
  addDevice(base: number, device: MmioDevice): void {
    const end = base + device.size;
    const clash = this.devices.find((d) => base < d.end && d.base < end);
    if (clash !== undefined) throw new Error(`device ${device.name} at 0x${base.toString(16)} overlaps ${clash.device.name} at 0x${clash.base.toString(16)}`);
    if (base < this.ram.base + this.ram.size && this.ram.base < end) throw new Error(`device ${device.name} at 0x${base.toString(16)} overlaps RAM`);
    this.devices.push({ base, end, device });
    this.devices.sort((a, b) => a.base - b.base);
  }

  mappedDevices(): readonly MappedDevice[] {
    return this.devices;
  }

  /** The device whose window holds [pa, pa+size), or undefined. */
  deviceAt(pa: number, size: number): MappedDevice | undefined {
    for (const d of this.devices) if (pa >= d.base && pa + size <= d.end) return d;
    return undefined;
  }

  /** Whether [pa, pa+size) is RAM or inside one device (anything else is an access fault). */
  exists(pa: number, size: number): boolean {
    return this.ram.contains(pa, size) || this.deviceAt(pa, size) !== undefined;
  }

  /**
   * Reads [pa, pa+size) into `value` (little-endian, zero-extended). Returns
   * false when nothing is there. Misaligned RAM reads are fine; the caller
   * never passes a range that leaves RAM or a device.
   */
  read(pa: number, size: AccessSize): boolean {
    const ram = this.ram;
    if (ram.contains(pa, size)) {
      const v = this.value;
      if ((pa & 0xfff) + size <= PAGE_SIZE) {
        const view = ram.views[ram.pageIndex(pa)];
        const off = pa & 0xfff;
        if (view === undefined) {
          const index = ram.pageIndex(pa);
          if (ram.sparse[index] === 0) {
            v[0] = 0;
            v[1] = 0;
          } else ram.readSparse(index, off, size, v);
        } else if (size === 8) {
          v[0] = view.getInt32(off, true);
          v[1] = view.getInt32(off + 4, true);
        } else if (size === 4) {
          v[0] = view.getInt32(off, true);
          v[1] = 0;
        } else if (size === 2) {
          v[0] = view.getUint16(off, true);
          v[1] = 0;
        } else {
          v[0] = view.getUint8(off);
          v[1] = 0;
        }
      } else {
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < size; i++) {
          const b = ram.readU8(pa + i);
          if (i < 4) lo |= b << (8 * i);
          else hi |= b << (8 * (i - 4));
        }
        v[0] = lo;
        v[1] = hi;
      }
      return true;
    }
    const d = this.deviceAt(pa, size);
    if (d === undefined) return false;
    const x = BigInt.asUintN(8 * size, d.device.read(pa - d.base, size));
    this.value[0] = Number(BigInt.asUintN(32, x)) | 0;
    this.value[1] = Number(BigInt.asUintN(32, x >> 32n)) | 0;
    return true;
  }

  /**
   * Writes the low `size` bytes of (lo, hi) at pa, keeping every side effect:
   * copy-on-write, decode-cache invalidation, reservations, watches, devices.
   * `hartId` names the writer (-1 for a device or the host). Returns false
   * when nothing is there.
   */
  write(pa: number, size: AccessSize, lo: number, hi: number, hartId: number): boolean {
    const ram = this.ram;
    if (ram.contains(pa, size)) {
      const first = ram.pageIndex(pa);
      const last = ram.pageIndex(pa + size - 1);
      for (let index = first; index <= last; index++) this.beforeRamWrite(index, pa, size);
      if (first === last) {
        const off = pa & 0xfff;
        const view = ram.storeTarget(first, off, size, lo, hi);
        if (view === undefined) {
          // absorbed by an untouched or word-sparse page
        } else if (size === 8) {
          view.setInt32(off, lo, true);
          view.setInt32(off + 4, hi, true);
        } else if (size === 4) view.setInt32(off, lo, true);
        else if (size === 2) view.setUint16(off, lo & 0xffff, true);
        else view.setUint8(off, lo & 0xff);
      } else {
        for (let i = 0; i < size; i++) ram.writeU8(pa + i, i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff);
      }
      if (ram.slow[first]! & SLOW_WATCH || ram.slow[last]! & SLOW_WATCH) this.fireWatches(pa, size, hartId);
      return true;
    }
    const d = this.deviceAt(pa, size);
    if (d === undefined) return false;
    // Devices see exactly `size` bytes, zero-extended (devices/device.ts).
    d.device.write(pa - d.base, size, BigInt.asUintN(8 * size, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
    this.fireWatches(pa, size, hartId);
    return true;
  }

  private beforeRamWrite(index: number, pa: number, size: number): void {
    const slow = this.ram.slow[index]!;
    if (slow & SLOW_CODE) this.dropDecodedPage(index);
    if (slow & SLOW_RESERVED) this.breakReservations(pa, size);
  }

  // ---- decode cache -------------------------------------------------------

  /** The decoded-instruction cache of the RAM page holding pa (created empty on first use). */
  decodedPage(pa: number): DecodedPage {
    const index = this.ram.pageIndex(pa);
    let page = this.codePages[index];
    if (page === undefined) {
      page = {
        pa: pa - (pa % PAGE_SIZE), ops: new Array<Op | undefined>(PAGE_SIZE / 2).fill(undefined), bits: new Int32Array(PAGE_SIZE / 2),
        generation: 0, blocks: undefined, heat: undefined,
      };
      this.codePages[index] = page;
      this.ram.setSlow(index, SLOW_CODE, true);
    }
    return page;
  }

  /** Forgets decoded instructions of a page (its bytes changed). Harts holding the page object see it empty. */
  private dropDecodedPage(index: number): void {
    const page = this.codePages[index];
    if (page !== undefined) forget(page);
  }

  /** Forgets every decoded instruction (after a restore). */
  dropAllDecoded(): void {
    for (const page of this.codePages) if (page !== undefined) forget(page);
  }

  // ---- LR/SC reservations -------------------------------------------------

  /** Registers a hart whose reservation other writers can break. */
  addReservationHolder(holder: ReservationHolder): void {
    this.holders.push(holder);
  }

  /** Records holder's reservation on the granule holding pa (RAM only). */
  reserve(holder: ReservationHolder, pa: number): void {
    holder.reservation = pa;
    if (this.ram.contains(pa)) this.ram.setSlow(this.ram.pageIndex(pa), SLOW_RESERVED, true);
  }

  /** Breaks every reservation whose granule overlaps [pa, pa+size). */
  breakReservations(pa: number, size: number): void {
    const lo = pa - (pa % RESERVATION_GRANULE);
    for (const h of this.holders) {
      const r = h.reservation;
      if (r >= 0 && r - (r % RESERVATION_GRANULE) < pa + size && lo <= r) h.reservation = -1;
    }
    this.recountReserved(pa);
  }

  private recountReserved(pa: number): void {
    if (!this.ram.contains(pa)) return;
    const index = this.ram.pageIndex(pa);
    const still = this.holders.some((h) => h.reservation >= 0 && this.ram.contains(h.reservation) && this.ram.pageIndex(h.reservation) === index);
    this.ram.setSlow(index, SLOW_RESERVED, still);
  }

  // ---- write watches ------------------------------------------------------

  /** Calls `callback` after every write that overlaps [start, end). Returns a remover. */
  watchWrites(start: number, end: number, callback: WriteWatch): () => void {
    const watch: Watch = { start, end, callback };
    this.watches.push(watch);
    this.markWatched(start, end, true);
    return () => {
      const i = this.watches.indexOf(watch);
      if (i >= 0) this.watches.splice(i, 1);
      this.markWatched(start, end, false);
      for (const w of this.watches) this.markWatched(w.start, w.end, true);
    };
  }

  private markWatched(start: number, end: number, on: boolean): void {
    const ram = this.ram;
    const from = Math.max(start, ram.base);
    const to = Math.min(end, ram.base + ram.size);
    if (from >= to) return;
    for (let i = ram.pageIndex(from); i <= ram.pageIndex(to - 1); i++) ram.setSlow(i, SLOW_WATCH, on);
  }

  private fireWatches(pa: number, size: number, hartId: number): void {
    for (const w of this.watches) if (pa < w.end && w.start < pa + size) w.callback(pa, size, hartId);
  }

  // ---- snapshots ----------------------------------------------------------

  snapshotRam(): RamSnapshot {
    return this.ram.snapshot();
  }

  restoreRam(snap: RamSnapshot): void {
    for (const index of this.ram.restore(snap)) this.dropDecodedPage(index);
    for (const h of this.holders) h.reservation = -1;
  }
}
