/**
 * The Sv39 translation of one access, as the privileged spec's "Virtual Address Translation Process"
 * (section of the Sv32 scheme that Sv39 follows, with PAGESIZE = 2^12, LEVELS = 3, PTESIZE = 8) defines it.
 * "Step n" below is that numbered list. Memory is a function; nothing is written: when a leaf's A or D
 * bit needs setting (step 7) the translation reports the update as data, and the caller decides whether
 * its hart updates the PTE or raises a page fault (both schemes are permitted).
 */
import { isCanonical, isAligned, hex, LEVELS, PAGE_SIZE, PTE_SIZE, pageSizeOfLevel, vpn, type Level } from '../address.js';
import { decodePte, isLeaf, ptePa, type Pte, type PteFlags } from './pte.js';

export type AccessType = 'fetch' | 'load' | 'store';
/** The effective privilege of the access; M-mode accesses are not translated. */
export type Privilege = 'S' | 'U';
/** Reads the 8-byte little-endian word at a PA; undefined when the read violates a PMA or PMP check. */
export type ReadPhys = (pa: bigint) => bigint | undefined;

/** Why a walk failed, named after the condition the spec states. */
export type WalkFaultReason =
  | 'non-canonical' // Sv39: VA bits 63..39 not all equal to bit 38
  | 'pte-access' // step 2: reading the PTE violates a PMA or PMP check (an access fault)
  | 'invalid' // step 3: pte.v = 0
  | 'write-without-read' // step 3: pte.r = 0 and pte.w = 1 (a reserved encoding)
  | 'reserved-bits' // step 3: bits 63..54 set, or D/A/U set on a non-leaf PTE
  | 'non-leaf-at-level-0' // step 4: i < 0
  | 'no-permission' // step 5: R/W/X/U with the privilege, SUM and MXR forbid the access
  | 'misaligned-superpage'; // step 6: pte.ppn[i-1:0] != 0

/** Exceptions by their spec names, with mcause/scause codes (privileged spec, "Exception codes"). */
export const PAGE_FAULT = {
  fetch: { exception: 'InstructionPageFault', cause: 12 },
  load: { exception: 'LoadPageFault', cause: 13 },
  store: { exception: 'StoreAMOPageFault', cause: 15 },
} as const;
export const ACCESS_FAULT = {
  fetch: { exception: 'InstructionAccessFault', cause: 1 },
  load: { exception: 'LoadAccessFault', cause: 5 },
  store: { exception: 'StoreAMOAccessFault', cause: 7 },
} as const;

export type ExceptionName = (typeof PAGE_FAULT)[AccessType]['exception'] | (typeof ACCESS_FAULT)[AccessType]['exception'];

export interface WalkFault {
  readonly kind: 'fault';
  readonly va: bigint;
  readonly access: AccessType;
  readonly exception: ExceptionName;
  readonly cause: number;
  readonly reason: WalkFaultReason;
  /** The step of the translation process that raised it (0: the canonical check before the walk). */
  readonly step: number;
  /** The level i at which it was raised; null for a non-canonical VA. */
  readonly level: Level | null;
  readonly pteAddr: bigint | null;
  readonly pte: bigint | null;
}

/** What step 7 would write: the leaf with A (and, for a store, D) set. */
export interface AccessedDirtyUpdate {
  readonly pteAddr: bigint;
  readonly oldPte: bigint;
  readonly newPte: bigint;
  readonly setA: boolean;
  readonly setD: boolean;
}

export interface Translation {
  readonly kind: 'translation';
  readonly va: bigint;
  readonly pa: bigint;
  /** The level of the leaf: 0 for a 4 KiB page, 1 for a 2 MiB megapage, 2 for a 1 GiB gigapage. */
  readonly level: Level;
  readonly pageSize: bigint;
  readonly pteAddr: bigint;
  readonly pte: bigint;
  readonly leaf: Pte;
  /** The leaf's R W X U: what the page grants before privilege, SUM and MXR are applied. */
  readonly permissions: Pick<PteFlags, 'r' | 'w' | 'x' | 'u'>;
  /** Which accesses step 5 would allow on this page with the walk's privilege, SUM and MXR. */
  readonly effective: Readonly<Record<AccessType, boolean>>;
  /** G on any PTE of the path: a non-leaf G makes every mapping below it global. */
  readonly global: boolean;
  /** The PTE addresses read, root first. */
  readonly path: readonly bigint[];
  /** Non-null when A is clear, or D is clear on a store (step 7). */
  readonly adUpdate: AccessedDirtyUpdate | null;
}

export type WalkResult = Translation | WalkFault;

const A_BIT = 1n << 6n;
const D_BIT = 1n << 7n;

/**
 * Translates `va` for one access through the table rooted at PA `root` (satp.ppn × PAGESIZE).
 * `sum` and `mxr` are mstatus.SUM and mstatus.MXR; `executeForRead` makes a load need X instead of R
 * (the hypervisor extension's HLVX).
 */
export function walk(
  readPhys: ReadPhys,
  root: bigint,
  va: bigint,
  access: AccessType,
  privilege: Privilege,
  sum: boolean,
  mxr: boolean,
  executeForRead = false,
): WalkResult {
  if (!isAligned(root, PAGE_SIZE)) throw new RangeError(`walk: root ${hex(root)} is not page aligned (satp holds a PPN)`);
  const fault = (reason: WalkFaultReason, step: number, level: Level | null, pteAddr: bigint | null, pte: bigint | null): WalkFault => ({
    kind: 'fault',
    va,
    access,
    ...(reason === 'pte-access' ? ACCESS_FAULT[access] : PAGE_FAULT[access]),
    reason,
    step,
    level,
    pteAddr,
    pte,
  });
  // Sv39 "Addressing and Memory Protection": bits 63..39 must equal bit 38, or the access page-faults.
  if (!isCanonical(va)) return fault('non-canonical', 0, null, null, null);

  // Step 1: a = satp.ppn × PAGESIZE, i = LEVELS - 1.
  let a = root;
  let i = LEVELS - 1;
  let global = false;
  const path: bigint[] = [];
  for (;;) {
    const level = i as Level;
    // Step 2: pte = the PTE at a + va.vpn[i] × PTESIZE; a PMA/PMP violation is an access fault.
    const pteAddr = a + BigInt(vpn(level, va)) * PTE_SIZE;
    path.push(pteAddr);
    const raw = readPhys(pteAddr);
    if (raw === undefined) return fault('pte-access', 2, level, pteAddr, null);
    const pte = decodePte(raw);
    const { flags } = pte;
    // Step 3: invalid, the reserved encoding W without R, or reserved bits set.
    const malformed = pteFormatFault(pte);
    if (malformed !== null) return fault(malformed, 3, level, pteAddr, raw);
    global ||= flags.g;
    // Step 4: a leaf if R or X; otherwise a pointer to the next level.
    if (!isLeaf(flags)) {
      i -= 1;
      if (i < 0) return fault('non-leaf-at-level-0', 4, level, pteAddr, raw);
      a = ptePa(pte);
      continue;
    }
    // Step 5: the leaf's permissions for this access, privilege, SUM and MXR.
    if (!permits(flags, access, privilege, sum, mxr, executeForRead)) return fault('no-permission', 5, level, pteAddr, raw);
    // Step 6: a superpage's PPN must be aligned to its size.
    if (isMisalignedSuperpage(pte, level)) return fault('misaligned-superpage', 6, level, pteAddr, raw);
    // Step 7: A clear, or D clear on a store: reported, not written.
    const adUpdate = accessedDirtyUpdate(pteAddr, raw, access);
    // Step 8: pa.pgoff = va.pgoff; for a superpage pa.ppn[i-1:0] = va.vpn[i-1:0]; the rest from pte.ppn.
    const pageSize = pageSizeOfLevel(level);
    const pa = (ptePa(pte) & ~(pageSize - 1n)) | (va & (pageSize - 1n));
    return {
      kind: 'translation',
      va,
      pa,
      level,
      pageSize,
      pteAddr,
      pte: raw,
      leaf: pte,
      permissions: { r: flags.r, w: flags.w, x: flags.x, u: flags.u },
      effective: {
        fetch: permits(flags, 'fetch', privilege, sum, mxr),
        load: permits(flags, 'load', privilege, sum, mxr, executeForRead),
        store: permits(flags, 'store', privilege, sum, mxr),
      },
      global,
      path,
      adUpdate,
    };
  }
}

/**
 * Step 3's format checks: V clear, the reserved encoding W without R, bits 63..54 set (no Svnapot, no
 * Svpbmt), or D, A or U on a non-leaf PTE (reserved there); null for a well-formed PTE.
 */
export function pteFormatFault(pte: Pte): 'invalid' | 'write-without-read' | 'reserved-bits' | null {
  const { flags } = pte;
  if (!flags.v) return 'invalid';
  if (!flags.r && flags.w) return 'write-without-read';
  if (pte.reserved !== 0n || (!isLeaf(flags) && (flags.d || flags.a || flags.u))) return 'reserved-bits';
  return null;
}

/** Step 6: a leaf above level 0 whose pte.ppn[i-1:0] is not zero. */
export function isMisalignedSuperpage(pte: Pte, level: Level): boolean {
  return level > 0 && (pte.ppn & ((1n << (9n * BigInt(level))) - 1n)) !== 0n;
}

/** Step 7: the write that sets A (and D for a store) on the leaf `raw` at `pteAddr`; null when none is due. */
export function accessedDirtyUpdate(pteAddr: bigint, raw: bigint, access: AccessType): AccessedDirtyUpdate | null {
  const setA = (raw & A_BIT) === 0n;
  const setD = access === 'store' && (raw & D_BIT) === 0n;
  if (!setA && !setD) return null;
  return { pteAddr, oldPte: raw, newPte: raw | A_BIT | (access === 'store' ? D_BIT : 0n), setA, setD };
}

/**
 * Step 5 (with mstatus.SUM and MXR, privileged spec "Memory Privilege in sstatus"): U-mode may touch
 * only U pages; S-mode may load/store U pages only with SUM and never fetch from them; a load needs R,
 * or X when MXR is set; a store needs W; a fetch needs X. With `executeForRead` (HLVX) a load needs X
 * in place of R, and MXR adds nothing.
 */
export function permits(
  flags: PteFlags,
  access: AccessType,
  privilege: Privilege,
  sum: boolean,
  mxr: boolean,
  executeForRead = false,
): boolean {
  if (privilege === 'U' && !flags.u) return false;
  if (privilege === 'S' && flags.u && (access === 'fetch' || !sum)) return false;
  if (access === 'fetch') return flags.x;
  if (access === 'load') return executeForRead ? flags.x : flags.r || (mxr && flags.x);
  return flags.w;
}
