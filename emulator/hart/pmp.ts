/**
 * Physical memory protection (privileged spec 1.12, section 3.7): 16 entries,
 * OFF/TOR/NA4/NAPOT, lock bit, granularity 4 bytes (G = 0).
 *
 * Contract of `check`: the lowest-numbered entry that matches any byte of the
 * access decides; if it does not match every byte, the access fails. With no
 * matching entry, M-mode succeeds and S/U fail, because PMP entries are
 * implemented here (spec: "If no PMP entry matches an S-mode or U-mode access,
 * but at least one PMP entry is implemented, the access fails") — whether or
 * not any entry is enabled.
 */
import { PRV_M } from './causes.js';

export const PMP_ENTRIES = 16;
export const PMP_R = 0x01;
export const PMP_W = 0x02;
export const PMP_X = 0x04;
export const PMP_A = 0x18;
export const PMP_L = 0x80;
export const PMP_OFF = 0;
export const PMP_TOR = 1;
export const PMP_NA4 = 2;
export const PMP_NAPOT = 3;

/** Kinds of memory access, as translation and PMP see them. */
export const ACCESS_FETCH = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;
/** An AMO or SC: needs read and write permission, faults as a store. */
export const ACCESS_AMO = 3;
export type Access = 0 | 1 | 2 | 3;

const ACCESS_PERMISSION = [PMP_X, PMP_R, PMP_W, PMP_R | PMP_W] as const;

/** pmpaddr holds bits 55:2 of an address: 54 writable bits. */
const PMPADDR_MASK = (1n << 54n) - 1n;
/** Addresses are JS numbers; none at or above 2^53 exists on our buses, so ranges are clipped there. */
const ADDRESS_LIMIT = 2 ** 53;

export class Pmp {
  readonly cfg = new Uint8Array(PMP_ENTRIES);
  readonly addr: bigint[] = new Array<bigint>(PMP_ENTRIES).fill(0n);
  /** Byte range [start, end) each entry matches; start === end when it matches nothing. */
  readonly start = new Float64Array(PMP_ENTRIES);
  readonly end = new Float64Array(PMP_ENTRIES);

  private locked(i: number): boolean {
    return (this.cfg[i]! & PMP_L) !== 0;
  }

  /** Writes entry i's cfg byte: ignored when locked; R=0 W=1 (reserved) is legalised to W=0. */
  writeCfg(i: number, value: number): void {
    if (this.locked(i)) return;
    let v = value & (PMP_R | PMP_W | PMP_X | PMP_A | PMP_L);
    if ((v & PMP_R) === 0) v &= ~PMP_W;
    this.cfg[i] = v;
    this.recompute();
  }

  /** Writes pmpaddr i: ignored when entry i is locked, or entry i+1 is a locked TOR entry. */
  writeAddr(i: number, value: bigint): void {
    if (this.locked(i)) return;
    if (i + 1 < PMP_ENTRIES && this.locked(i + 1) && ((this.cfg[i + 1]! & PMP_A) >> 3) === PMP_TOR) return;
    this.addr[i] = value & PMPADDR_MASK;
    this.recompute();
  }

  /** Restores raw state (snapshots), bypassing locks. */
  load(cfg: ArrayLike<number>, addr: readonly bigint[]): void {
    this.cfg.set(cfg);
    for (let i = 0; i < PMP_ENTRIES; i++) this.addr[i] = addr[i]!;
    this.recompute();
  }

  private recompute(): void {
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const a = (this.cfg[i]! & PMP_A) >> 3;
      let s = 0n;
      let e = 0n;
      if (a === PMP_TOR) {
        s = i === 0 ? 0n : this.addr[i - 1]! << 2n;
        e = this.addr[i]! << 2n;
        if (s >= e) e = s;
      } else if (a === PMP_NA4) {
        s = this.addr[i]! << 2n;
        e = s + 4n;
      } else if (a === PMP_NAPOT) {
        const raw = this.addr[i]!;
        let ones = 0n;
        while (ones < 54n && ((raw >> ones) & 1n) === 1n) ones++;
        const size = 1n << (ones + 3n);
        s = (raw & ~((1n << ones) - 1n)) << 2n;
        s = s & ~(size - 1n);
        e = s + size;
      }
      this.start[i] = Math.min(Number(s), ADDRESS_LIMIT);
      this.end[i] = Math.min(Number(e), ADDRESS_LIMIT);
    }
  }

  private allows(i: number, access: Access, priv: number): boolean {
    const c = this.cfg[i]!;
    if (priv === PRV_M && (c & PMP_L) === 0) return true;
    const need = ACCESS_PERMISSION[access];
    return (c & need) === need;
  }

  /** Whether an access of `size` bytes at pa is allowed (see the file comment). */
  check(pa: number, size: number, access: Access, priv: number): boolean {
    const end = pa + size;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const s = this.start[i]!;
      const e = this.end[i]!;
      if (s === e || end <= s || e <= pa) continue;
      if (pa < s || end > e) return false;
      return this.allows(i, access, priv);
    }
    return priv === PRV_M;
  }

  /**
   * Whether every access inside the 4 KiB page at pagePa is allowed by one
   * rule, so the hart may cache the page's permission in its fast path.
   */
  allowsWholePage(pagePa: number, access: Access, priv: number): boolean {
    const end = pagePa + 4096;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const s = this.start[i]!;
      const e = this.end[i]!;
      if (s === e || end <= s || e <= pagePa) continue;
      if (pagePa < s || end > e) return false;
      return this.allows(i, access, priv);
    }
    return priv === PRV_M;
  }
}
