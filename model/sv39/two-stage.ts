/**
 * Two-stage address translation while V = 1 (privileged spec 1.12, "Hypervisor Extension", section
 * "Two-Stage Address Translation"): the VS-stage maps a guest virtual address to a guest-physical
 * address (GPA) through vsatp (Sv39, walked by `walk` with every PTE read itself guest-physical), and
 * the G-stage maps every GPA, those of the VS-stage PTEs included, to a supervisor physical address
 * (SPA) through hgatp (Sv39x4, "Guest Physical Address Translation").
 *
 * As in `walk.ts`, memory is a function and nothing is written: A/D updates come back as data, and the
 * caller says which scheme its hart follows (`adScheme`: hardware updates, or Svade's page fault).
 * Every G-stage walk of one access reads the same unchanged memory, so a G-stage leaf whose A bit is
 * clear is reported once per walk through it; a hart that writes the first update sees it set later.
 */
import { hex, PAGE_SIZE, PTE_SIZE, pageSizeOfLevel, type Level } from '../address.js';
import { decodePte, isLeaf, ptePa } from './pte.js';
import {
  ACCESS_FAULT,
  PAGE_FAULT,
  accessedDirtyUpdate,
  isMisalignedSuperpage,
  permits,
  pteFormatFault,
  walk,
  type AccessType,
  type AccessedDirtyUpdate,
  type Privilege,
  type ReadPhys,
  type Translation,
  type WalkFault,
  type WalkFaultReason,
} from './walk.js';

/** Sv39x4: a GPA has 41 bits; bits 63..41 set are a guest-page fault. */
export const GPA_BITS = 41n;
/** The Sv39x4 root table is 2^11 PTEs (16 KiB) and must be 16 KiB aligned; the lower levels are 4 KiB. */
export const G_STAGE_ROOT_SIZE = 0x4000n;
const G_STAGE_LEVELS = 3;

/** Guest-page faults by their spec names and mcause codes ("Exception codes", hypervisor extension). */
export const GUEST_PAGE_FAULT = {
  fetch: { exception: 'InstructionGuestPageFault', cause: 20 },
  load: { exception: 'LoadGuestPageFault', cause: 21 },
  store: { exception: 'StoreAMOGuestPageFault', cause: 23 },
} as const;

export type GStageFaultReason =
  | Exclude<WalkFaultReason, 'non-canonical'>
  | 'gpa-too-wide' // Sv39x4: GPA bits 63..41 not all zero
  | 'accessed-dirty-clear'; // step 7 under Svade: A clear, or D clear on a store

/** How a due A/D update is handled: written by the hart, or a (guest-)page fault (Svade). */
export type AdScheme = 'update' | 'fault';

export interface GStageFault {
  readonly kind: 'fault';
  readonly stage: 'G';
  readonly gpa: bigint;
  /** The access the exception is reported for (the original access, also for an implicit one). */
  readonly access: AccessType;
  readonly exception: (typeof GUEST_PAGE_FAULT)[AccessType]['exception'] | (typeof ACCESS_FAULT)[AccessType]['exception'];
  readonly cause: number;
  readonly reason: GStageFaultReason;
  /** The step of the translation process (0: the GPA width check before the walk). */
  readonly step: number;
  readonly level: Level | null;
  readonly pteAddr: bigint | null;
  readonly pte: bigint | null;
}

export interface GStageTranslation {
  readonly kind: 'translation';
  readonly stage: 'G';
  readonly gpa: bigint;
  readonly pa: bigint;
  readonly level: Level;
  readonly pageSize: bigint;
  readonly pteAddr: bigint;
  readonly pte: bigint;
  /** The SPAs of the G-stage PTEs read, root first. */
  readonly path: readonly bigint[];
  /** Non-null when A is clear, or D is clear on a store (step 7). */
  readonly adUpdate: AccessedDirtyUpdate | null;
}

export type GStageResult = GStageTranslation | GStageFault;

/**
 * What the G-stage checks the access as: the original access (`explicit`), or, for a VS-stage PTE
 * read or A/D write, an implicit load or store ("permissions and the need to set A and/or D bits at
 * the G-stage level are checked as though for an implicit load or store").
 */
export interface GStageAccess {
  readonly reported: AccessType;
  readonly checked: AccessType;
  /** HLVX on an explicit access: X stands in for R. */
  readonly executeForRead: boolean;
}

/**
 * Translates `gpa` through the Sv39x4 table rooted at SPA `root` (hgatp.ppn × PAGESIZE). The steps are
 * Sv39's, with the changes the hypervisor extension lists: the root is 16 KiB and indexed by GPA bits
 * 40..30; every access is checked as U-mode, so every leaf needs U; the G bit is ignored; `mxr` is the
 * HS-level sstatus.MXR (vsstatus.MXR does not reach this stage); faults are guest-page faults.
 */
export function gStageWalk(
  readPhys: ReadPhys,
  root: bigint,
  gpa: bigint,
  access: GStageAccess,
  mxr: boolean,
  adScheme: AdScheme,
): GStageResult {
  if (root % G_STAGE_ROOT_SIZE !== 0n) throw new RangeError(`gStageWalk: root ${hex(root)} is not 16 KiB aligned (Sv39x4)`);
  const fault = (reason: GStageFaultReason, step: number, level: Level | null, pteAddr: bigint | null, pte: bigint | null): GStageFault => ({
    kind: 'fault',
    stage: 'G',
    gpa,
    access: access.reported,
    ...(reason === 'pte-access' ? ACCESS_FAULT[access.reported] : GUEST_PAGE_FAULT[access.reported]),
    reason,
    step,
    level,
    pteAddr,
    pte,
  });
  // Sv39x4: the incoming address is 41 bits; any higher bit set is a guest-page fault.
  if (gpa >> GPA_BITS !== 0n) return fault('gpa-too-wide', 0, null, null, null);

  // Step 1: a = hgatp.ppn × PAGESIZE, i = LEVELS - 1.
  let a = root;
  const path: bigint[] = [];
  for (let i = G_STAGE_LEVELS - 1; ; i -= 1) {
    const level = i as Level;
    // Step 2: pte at a + gpa.vpn[i] × PTESIZE; vpn[2] is the 11 bits 40..30 (the 16 KiB root).
    const pteAddr = a + gStageVpn(level, gpa) * PTE_SIZE;
    path.push(pteAddr);
    const raw = readPhys(pteAddr);
    if (raw === undefined) return fault('pte-access', 2, level, pteAddr, null);
    const pte = decodePte(raw);
    // Step 3: the Sv39 format checks (the G bit is reserved here and ignored).
    const malformed = pteFormatFault(pte);
    if (malformed !== null) return fault(malformed, 3, level, pteAddr, raw);
    // Step 4: a pointer to the next level, none below level 0.
    if (!isLeaf(pte.flags)) {
      if (i === 0) return fault('non-leaf-at-level-0', 4, level, pteAddr, raw);
      a = ptePa(pte);
      continue;
    }
    // Step 5: checked as a U-mode access (so U must be set), with HS-level MXR and, for HLVX, X for R.
    if (!permits(pte.flags, access.checked, 'U', false, mxr, access.executeForRead)) return fault('no-permission', 5, level, pteAddr, raw);
    // Step 6: a superpage's low PPN fields must be zero.
    if (isMisalignedSuperpage(pte, level)) return fault('misaligned-superpage', 6, level, pteAddr, raw);
    // Step 7: A/D for the checked access type (an implicit store for a VS-stage A/D write).
    const adUpdate = accessedDirtyUpdate(pteAddr, raw, access.checked);
    if (adUpdate !== null && adScheme === 'fault') return fault('accessed-dirty-clear', 7, level, pteAddr, raw);
    // Step 8: spa.pgoff = gpa.pgoff; a superpage takes its low PPN fields from the GPA.
    const pageSize = pageSizeOfLevel(level);
    return {
      kind: 'translation',
      stage: 'G',
      gpa,
      pa: (ptePa(pte) & ~(pageSize - 1n)) | (gpa & (pageSize - 1n)),
      level,
      pageSize,
      pteAddr,
      pte: raw,
      path,
      adUpdate,
    };
  }
}

/** gpa.vpn[level] for Sv39x4: 9 bits at levels 0 and 1, 11 bits (40..30) at the root. */
export function gStageVpn(level: Level, gpa: bigint): bigint {
  const width = level === 2 ? 11n : 9n;
  return (gpa >> (12n + 9n * BigInt(level))) & ((1n << width) - 1n);
}

/** The CSR state that decides one guest access. */
export interface TwoStageContext {
  /** vsatp.ppn × PAGESIZE, or null for vsatp.MODE = Bare (GPA = VA). */
  readonly vsRoot: bigint | null;
  /** hgatp.ppn × PAGESIZE, or null for hgatp.MODE = Bare (SPA = GPA, no G-stage protection). */
  readonly gRoot: bigint | null;
  /** The VS-stage privilege: S for VS-mode (or HLV with hstatus.SPVP = 1), U for VU-mode. */
  readonly privilege: Privilege;
  /** vsstatus.SUM and vsstatus.MXR: they apply to the VS-stage only. */
  readonly vsSum: boolean;
  readonly vsMxr: boolean;
  /** The HS-level sstatus.MXR: it makes execute-only pages readable at both stages. */
  readonly hsMxr: boolean;
  /** HLVX.HU / HLVX.WU: a load that needs X instead of R at both stages. */
  readonly executeForRead: boolean;
  readonly adScheme: AdScheme;
}

/** A fault of a guest access, with what the trap writes: tval (the guest VA) and htval / mtval2. */
export type TwoStageFault =
  | (Omit<WalkFault, 'exception' | 'reason'> & {
      readonly stage: 'VS';
      readonly exception: WalkFault['exception'];
      readonly reason: WalkFaultReason | 'accessed-dirty-clear';
      readonly htval: 0n;
      readonly implicit: false;
    })
  | (GStageFault & {
      readonly va: bigint;
      /** GPA >> 2 for a guest-page fault, 0 for an access fault. */
      readonly htval: bigint;
      /** The G-stage fault was on a VS-stage PTE read or A/D write (gpa is that PTE's address). */
      readonly implicit: boolean;
    });

export interface TwoStageTranslation {
  readonly kind: 'translation';
  readonly va: bigint;
  readonly gpa: bigint;
  readonly pa: bigint;
  /** The VS-stage translation (PTE addresses are GPAs); null when vsatp is Bare. */
  readonly vs: Translation | null;
  /** The G-stage translation of the final GPA; null when hgatp is Bare. */
  readonly g: GStageTranslation | null;
  /** The G-stage translations of the VS-stage PTE reads, root first, then of its A/D write if any. */
  readonly implicit: readonly GStageTranslation[];
  /** The SPAs of the VS-stage PTEs read, root first. */
  readonly vsPtePas: readonly bigint[];
  /** Under `adScheme: 'update'`: the PTE writes due, at SPAs, in the order the walk makes them. */
  readonly adUpdates: readonly AccessedDirtyUpdate[];
}

export type TwoStageResult = TwoStageTranslation | TwoStageFault;

/**
 * Translates guest virtual address `va` for one access while V = 1: the VS-stage first (each of its
 * PTE reads, an implicit load at a GPA, goes through the G-stage), then the G-stage on the GPA it
 * yields. A VS-stage failure is a page fault (or an access fault), a G-stage one a guest-page fault
 * reported for the original access type with htval = GPA >> 2.
 */
export function twoStageWalk(readPhys: ReadPhys, ctx: TwoStageContext, va: bigint, access: AccessType): TwoStageResult {
  const implicit: GStageTranslation[] = [];
  const adUpdates: AccessedDirtyUpdate[] = [];
  const vsPtePas: bigint[] = [];
  const gStage = (gpa: bigint, checked: AccessType, executeForRead: boolean): GStageResult => {
    if (ctx.gRoot === null) {
      return { kind: 'translation', stage: 'G', gpa, pa: gpa, level: 0, pageSize: PAGE_SIZE, pteAddr: 0n, pte: 0n, path: [], adUpdate: null };
    }
    return gStageWalk(readPhys, ctx.gRoot, gpa, { reported: access, checked, executeForRead }, ctx.hsMxr, ctx.adScheme);
  };
  const gFault = (f: GStageFault, isImplicit: boolean): TwoStageFault => ({
    ...f,
    va,
    htval: f.reason === 'pte-access' ? 0n : f.gpa >> 2n,
    implicit: isImplicit,
  });
  const record = (t: GStageTranslation, into: GStageTranslation[] | null): void => {
    into?.push(t);
    if (t.adUpdate !== null) adUpdates.push(t.adUpdate);
  };
  const bareG = ctx.gRoot === null;

  let gpa = va;
  let vs: Translation | null = null;
  if (ctx.vsRoot !== null) {
    // The VS-stage is Sv39 through vsatp; its step 2 reads the PTE at a GPA, through the G-stage.
    const pending: { fault: GStageFault | null } = { fault: null };
    const readGuestPhys: ReadPhys = (pteGpa) => {
      const t = gStage(pteGpa, 'load', false);
      if (t.kind === 'fault') {
        pending.fault = t;
        return undefined;
      }
      record(t, bareG ? null : implicit);
      vsPtePas.push(t.pa);
      return readPhys(t.pa);
    };
    const result = walk(readGuestPhys, ctx.vsRoot, va, access, ctx.privilege, ctx.vsSum, ctx.vsMxr || ctx.hsMxr, ctx.executeForRead);
    if (pending.fault !== null) return gFault(pending.fault, true);
    if (result.kind === 'fault') return { ...result, stage: 'VS', htval: 0n, implicit: false };
    if (result.adUpdate !== null) {
      const { level, pteAddr, pte } = result;
      if (ctx.adScheme === 'fault') {
        // Svade at the VS-stage: a leaf that would need A or D set is a page fault of the original access.
        const svade = { kind: 'fault', va, access, ...PAGE_FAULT[access], reason: 'accessed-dirty-clear', step: 7, level, pteAddr, pte } as const;
        return { ...svade, stage: 'VS', htval: 0n, implicit: false };
      }
      // The hart's write of A/D to the VS-stage leaf is an implicit store at the leaf's GPA.
      const w = gStage(pteAddr, 'store', false);
      if (w.kind === 'fault') return gFault(w, true);
      record(w, bareG ? null : implicit);
      adUpdates.push({ ...result.adUpdate, pteAddr: w.pa });
    }
    vs = result;
    gpa = result.pa;
  }
  const g = gStage(gpa, access, ctx.executeForRead);
  if (g.kind === 'fault') return gFault(g, false);
  record(g, null);
  return { kind: 'translation', va, gpa, pa: g.pa, vs, g: bareG ? null : g, implicit, vsPtePas, adUpdates };
}

