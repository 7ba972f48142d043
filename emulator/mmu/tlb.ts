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
  /** Round-robin victim per set (deterministic replacement). */
  private readonly victim = new Uint8Array(TLB_SETS);
  /** Counts for observers: hits and misses (walks). */
  hits = 0;
  misses = 0;

  /** Index of the entry translating `key` for `asid`, or -1. */
  lookup(key: number, asid: number): number {
    const base = (key & SET_MASK) * TLB_WAYS;
    for (let i = base; i < base + TLB_WAYS; i++) {
      if (this.tag[i] === key && (this.global[i] === 1 || this.asid[i] === asid)) {
        this.hits++;
        return i;
      }
    }
    this.misses++;
    return -1;
  }

  /** Fills an entry: an empty way of the set if any, else the set's round-robin victim. */
  insert(key: number, asid: number, global: boolean, flags: number, level: number, pagePa: number, ptePa: number): void {
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
  save(): { tag: Int32Array; asid: Int32Array; global: Uint8Array; flags: Int32Array; level: Int8Array; pagePa: Float64Array; ptePa: Float64Array; victim: Uint8Array } {
    return {
      tag: this.tag.slice(), asid: this.asid.slice(), global: this.global.slice(), flags: this.flags.slice(),
      level: this.level.slice(), pagePa: this.pagePa.slice(), ptePa: this.ptePa.slice(), victim: this.victim.slice(),
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
