/**
 * The Sv39 page-table walk, as the numbered steps of privileged spec 1.12
 * section 4.3.2. It reads memory through `PteReader` and decides, but never
 * performs, the A/D update: the caller writes it (or, under Svade, faults).
 * Permission is checked apart from the walk (`checkPermission`) because the
 * TLB caches leaves and re-checks permission on every use.
 */
import type { Access } from '../hart/pmp.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE } from '../hart/pmp.js';
import { PRV_S, PRV_U } from '../hart/causes.js';
import {
  LEVELS, PTE_A, PTE_D, PTE_G, PTE_R, PTE_SIZE, PTE_U, PTE_V, PTE_W, PTE_X,
  isLeaf, pteFlags, ptePpn, pteReservedBits, vpn,
} from './sv39.js';

/** Named ways a translation fails; `errors.ts` maps them to exceptions. */
export type TranslationError =
  | 'non-canonical address'
  | 'PTE access fault'
  | 'invalid PTE'
  | 'reserved PTE bits'
  | 'write without read'
  | 'no leaf PTE'
  | 'misaligned superpage'
  | 'no permission'
  | 'A/D update needed (Svade)'
  | 'physical address out of range'
  | 'guest physical address out of range';

/** Reads the 8-byte PTE at a physical address, or returns false (access fault: PMP or nothing there). */
export interface PteReader {
  readPte(pa: number, out: Int32Array): boolean;
}

/** A leaf PTE found by a walk. */
export interface Leaf {
  /** Level of the leaf: 0 (4 KiB), 1 (2 MiB), 2 (1 GiB). */
  readonly level: number;
  readonly pteLo: number;
  readonly pteHi: number;
  /** Physical address of the leaf PTE. */
  readonly ptePa: number;
  /** Whether the mapping is global (G on the leaf or any PTE above it). */
  readonly global: boolean;
  /** Physical address of the 4 KiB page holding the walked VA. */
  readonly pagePa: number;
}

export type WalkResult = Leaf | TranslationError;

const pte = new Int32Array(2);

/**
 * Where the last refused PTE read was: its table's address and the PTE's
 * offset in it, apart, because their sum is inexact past 2^53 and a guest's
 * htval needs the exact guest-physical address. Written only on a refusal.
 */
export const refusedPteRead = { table: 0, offset: 0 };

/** Step 8's limit on a leaf's PPN: nothing exists at or above 2^53 on our buses (the sum with the page offset would be inexact). */
export const PPN_LIMIT = 2 ** 41;

/**
 * Walks the table rooted at PPN `rootPpn` for page number `key` (steps 1-4, 6
 * and 8). `rootIndexMask` selects the root index from key bits 28:18: 0x1ff
 * for Sv39 (a 27-bit vpnKey), 0x7ff for Sv39x4, whose 41-bit guest-physical
 * addresses index a 16 KiB root (privileged spec 1.12, 8.5.1). A leaf whose
 * PPN is `ppnLimit` or more is refused at step 8; the two-stage walks pass
 * Infinity and decide such a leaf themselves after its permission check
 * (its page address, a multiple of 4 KiB below 2^56, is still exact).
 */
export function walk(reader: PteReader, rootPpn: number, key: number, rootIndexMask = 0x1ff, ppnLimit = PPN_LIMIT): WalkResult {
  // Step 1: a = satp.ppn * PAGESIZE, i = LEVELS - 1.
  let a = rootPpn * 4096;
  let global = false;
  for (let i = LEVELS - 1; i >= 0; i--) {
    // Step 2: pte = the PTE at a + va.vpn[i] * PTESIZE; a PMP or bus failure is an access fault.
    const offset = (i === LEVELS - 1 ? (key >>> 18) & rootIndexMask : vpn(i, key)) * PTE_SIZE;
    const ptePa = a + offset;
    if (!reader.readPte(ptePa, pte)) {
      refusedPteRead.table = a;
      refusedPteRead.offset = offset;
      return 'PTE access fault';
    }
    const lo = pte[0]!;
    const hi = pte[1]!;
    const flags = pteFlags(lo);
    // Step 3: invalid, reserved W-without-R, or reserved bits set: page fault.
    if ((flags & PTE_V) === 0) return 'invalid PTE';
    if ((flags & (PTE_R | PTE_W)) === PTE_W) return 'write without read';
    if (pteReservedBits(hi) !== 0) return 'reserved PTE bits';
    // For a pointer, D, A and U are reserved for future standard use too (4.4.1): also a page fault.
    if (!isLeaf(flags) && (flags & (PTE_D | PTE_A | PTE_U)) !== 0) return 'reserved PTE bits';
    if ((flags & PTE_G) !== 0) global = true;
    const ppn = ptePpn(lo, hi);
    if (!isLeaf(flags)) {
      // Step 4: a pointer to the next level; none below level 0.
      a = ppn * 4096;
      continue;
    }
    // Step 6: a superpage's low PPN fields must be zero.
    if (i > 0 && ppn % 2 ** (9 * i) !== 0) return 'misaligned superpage';
    // Step 8: pa.ppn[i-1:0] = va.vpn[i-1:0] for superpages.
    const pagePpn = ppn + (key % 2 ** (9 * i));
    if (pagePpn >= ppnLimit) return 'physical address out of range';
    return { level: i, pteLo: lo, pteHi: hi, ptePa, global, pagePa: pagePpn * 4096 };
  }
  return 'no leaf PTE';
}

/** Step 5: whether the leaf's R/W/X/U bits allow the access at effective privilege `priv`. */
export function checkPermission(flags: number, access: Access, priv: number, sum: boolean, mxr: boolean): boolean {
  if (priv === PRV_U) {
    if ((flags & PTE_U) === 0) return false;
  } else if (priv === PRV_S && (flags & PTE_U) !== 0) {
    // S-mode may never execute user pages, and may load/store them only with SUM.
    if (access === ACCESS_FETCH || !sum) return false;
  }
  if (access === ACCESS_FETCH) return (flags & PTE_X) !== 0;
  if (access === ACCESS_LOAD) return (flags & PTE_R) !== 0 || (mxr && (flags & PTE_X) !== 0);
  return (flags & PTE_W) !== 0; // store, AMO (W implies R: W without R is reserved)
}

/** Step 7: the flags the PTE must have after this access (A, and D for writes); equal to `flags` when no update is due. */
export function flagsAfterAccess(flags: number, access: Access): number {
  return flags | PTE_A | (access >= ACCESS_STORE ? PTE_D : 0);
}
