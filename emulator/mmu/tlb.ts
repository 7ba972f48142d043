/**
 * A per-hart, 4-way set-associative, ASID- and G-aware TLB of Sv39 leaves. It caches
 * what the walk found (leaf flags, level, the 4 KiB page's physical address)
 * and is flushed only by `sfence.vma` (`flush`), never implicitly: software
 * that changes a PTE and forgets the fence keeps using the old translation,
 * as on hardware. Permission is not cached; the hart checks it on every use.
 */
import { vpn } from './sv39.js';

export const TLB_SETS = 256;
export const TLB_WAYS = 4;
export const TLB_ENTRIES = TLB_SETS * TLB_WAYS;
const SET_MASK = TLB_SETS - 1;

export class Tlb {
  /** vpnKey of the entry, -1 when empty. */
  readonly tag = new Int32Array(TLB_ENTRIES).fill(-1);
  readonly asid = new Int32Array(TLB_ENTRIES);
  readonly global = new Uint8Array(TLB_ENTRIES);
  readonly flags = new Int32Array(TLB_ENTRIES);
  readonly level = new Int8Array(TLB_ENTRIES);
  readonly pagePa = new Float64Array(TLB_ENTRIES);
  readonly ptePa = new Float64Array(TLB_ENTRIES);
  /**
   * Guest entries only (the hart's second TLB, for V = 1; see insertGuest):
   * the VMID, the G-stage leaf flags (-1 under Bare) and the guest-physical
   * 4 KiB page. The host TLB leaves them unused.
   */
  readonly vmid = new Int32Array(TLB_ENTRIES);
  readonly gFlags = new Int32Array(TLB_ENTRIES);
  readonly gpaPage = new Float64Array(TLB_ENTRIES);
  /** Round-robin victim per set (deterministic replacement). */
  private readonly victim = new Uint8Array(TLB_SETS);
  /** Counts for observers: hits and misses (walks). */
  hits = 0;
  misses = 0;

  /** Index of the entry translating `key` for `asid`, or -1. */
  lookup(key: number, asid: number): number {
    const i = this.find(key, asid);
    if (i >= 0) this.hits++;
    else this.misses++;
    return i;
  }

  /** The entry `lookup` would return, without counting a hit or a miss (inspection). */
  find(key: number, asid: number): number {
    const base = (key & SET_MASK) * TLB_WAYS;
    for (let i = base; i < base + TLB_WAYS; i++) {
      if (this.tag[i] === key && (this.global[i] === 1 || this.asid[i] === asid)) return i;
    }
    return -1;
  }

  /**
   * Guest TLB: the entry translating guest page `key` for `asid` under
   * `vmid`, or -1. Global entries match every ASID of their VMID only; VS-stage
   * Bare entries carry ASID -1 and are looked up with it.
   */
  lookupGuest(key: number, asid: number, vmid: number): number {
    const base = (key & SET_MASK) * TLB_WAYS;
    for (let i = base; i < base + TLB_WAYS; i++) {
      if (this.tag[i] === key && this.vmid[i] === vmid && (this.global[i] === 1 || this.asid[i] === asid)) {
        this.hits++;
        return i;
      }
    }
    this.misses++;
    return -1;
  }

  /** Guest TLB: fills an entry for one combined (VS-stage and G-stage) translation. */
  insertGuest(key: number, asid: number, vmid: number, global: boolean, vsFlags: number, gFlags: number, level: number, pagePa: number, gpaPage: number): void {
    const i = this.insert(key, asid, global, vsFlags, level, pagePa, 0);
    this.vmid[i] = vmid;
    this.gFlags[i] = gFlags;
    this.gpaPage[i] = gpaPage;
  }

  /**
   * HFENCE.VVMA, and SFENCE.VMA with V = 1 (privileged spec 1.12, 8.3.2):
   * entries of `vmid` only; `key`/`asid` as in `flush`.
   */
  flushGuest(key: number | undefined, asid: number | undefined, vmid: number): void {
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const t = this.tag[i]!;
      if (t < 0 || this.vmid[i] !== vmid) continue;
      if (asid !== undefined && (this.global[i] === 1 || this.asid[i] !== asid)) continue;
      if (key !== undefined && !sameSuperpage(t, key, this.level[i]!)) continue;
      this.tag[i] = -1;
    }
  }

  /**
   * HFENCE.GVMA (8.3.2): entries of `vmid` (undefined = every VMID). With a
   * guest-physical address, the entries whose page holds it and every entry
   * a VS-stage walk made (its PTE reads went through G-stage mappings this
   * TLB does not record), so nothing that depended on that address survives.
   */
  flushGpa(gpa: number | undefined, vmid: number | undefined): void {
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (this.tag[i]! < 0) continue;
      if (vmid !== undefined && this.vmid[i] !== vmid) continue;
      if (gpa !== undefined && this.asid[i] === -1) {
        const size = 4096 * 2 ** (9 * this.level[i]!);
        const page = this.gpaPage[i]!;
        if (gpa < page - (page % size) || gpa >= page - (page % size) + size) continue;
      }
      this.tag[i] = -1;
    }
  }

  /** Fills an entry: an empty way of the set if any, else the set's round-robin victim. Returns its index. */
  insert(key: number, asid: number, global: boolean, flags: number, level: number, pagePa: number, ptePa: number): number {
    const set = key & SET_MASK;
    const base = set * TLB_WAYS;
    let i = -1;
    for (let w = base; w < base + TLB_WAYS; w++) if (this.tag[w]! < 0) { i = w; break; }
    if (i < 0) {
      i = base + this.victim[set]!;
      this.victim[set] = (this.victim[set]! + 1) % TLB_WAYS;
    }
    this.tag[i] = key;
    this.asid[i] = asid;
    this.global[i] = global ? 1 : 0;
    this.flags[i] = flags;
    this.level[i] = level;
    this.pagePa[i] = pagePa;
    this.ptePa[i] = ptePa;
    return i;
  }

  /** Drops one entry (the hart re-walks to update A/D bits). */
  evict(i: number): void {
    this.tag[i] = -1;
  }

  /**
   * sfence.vma (privileged spec 1.12, 4.2.1): `key` undefined = every
   * address, else only entries whose (super)page holds it; `asid` undefined =
   * every address space, else only that ASID's non-global entries.
   */
  flush(key: number | undefined, asid: number | undefined): void {
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const t = this.tag[i]!;
      if (t < 0) continue;
      if (asid !== undefined && (this.global[i] === 1 || this.asid[i] !== asid)) continue;
      if (key !== undefined && !sameSuperpage(t, key, this.level[i]!)) continue;
      this.tag[i] = -1;
    }
  }

  /** All entries as plain data (snapshots). */
  save(): {
    tag: Int32Array; asid: Int32Array; global: Uint8Array; flags: Int32Array; level: Int8Array; pagePa: Float64Array; ptePa: Float64Array; victim: Uint8Array;
    vmid: Int32Array; gFlags: Int32Array; gpaPage: Float64Array;
  } {
    return {
      tag: this.tag.slice(), asid: this.asid.slice(), global: this.global.slice(), flags: this.flags.slice(),
      level: this.level.slice(), pagePa: this.pagePa.slice(), ptePa: this.ptePa.slice(), victim: this.victim.slice(),
      vmid: this.vmid.slice(), gFlags: this.gFlags.slice(), gpaPage: this.gpaPage.slice(),
    };
  }

  load(s: ReturnType<Tlb['save']>): void {
    this.tag.set(s.tag);
    this.asid.set(s.asid);
    this.global.set(s.global);
    this.flags.set(s.flags);
    this.level.set(s.level);
    this.pagePa.set(s.pagePa);
    this.ptePa.set(s.ptePa);
    this.victim.set(s.victim);
    this.vmid.set(s.vmid);
    this.gFlags.set(s.gFlags);
    this.gpaPage.set(s.gpaPage);
  }

  /** Number of valid entries (tests and observers). */
  size(): number {
    let n = 0;
    for (const t of this.tag) if (t >= 0) n++;
    return n;
  }
}

/** Whether two VPNs fall in the same page of the given level. */
function sameSuperpage(a: number, b: number, level: number): boolean {
  for (let l = 2; l >= level; l--) if (vpn(l, a) !== vpn(l, b)) return false;
  return true;
}
