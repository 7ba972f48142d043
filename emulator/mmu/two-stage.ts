/**
 * Two-stage address translation of one guest access (privileged spec 1.12,
 * 8.5): the VS-stage (Sv39 through vsatp, or Bare) gives a guest-physical
 * address, the G-stage (Sv39x4 through hgatp, or Bare) the supervisor-physical
 * one. Every VS-stage PTE address is itself guest-physical and goes through
 * the G-stage as an implicit load (a store for an A/D update).
 *
 * `translateTwoStage` is the one place the hart decides a guest translation
 * (on a guest-TLB miss, and again per hit in strict TLB mode); it performs the
 * A/D updates through `TwoStageMemory.writePte` (or, with Svade, faults).
 * Pass a memory whose `writePte` does nothing to translate without side
 * effects (the hart's `translateGuestForInspection`, differential tests).
 */
import type { Access } from '../hart/pmp.js';
import { ACCESS_LOAD, ACCESS_STORE } from '../hart/pmp.js';
import { PRV_U } from '../hart/causes.js';
import { PTE_R, PTE_X, isCanonical, pteFlags, vpnKey } from './sv39.js';
import { PPN_LIMIT, checkPermission, flagsAfterAccess, refusedPteRead, walk, type Leaf, type PteReader, type TranslationError } from './walk.js';

/** satp/vsatp MODE for Sv39 and hgatp MODE for Sv39x4 (both 8). */
export const MODE_SV39 = 8;
/** Guest-physical addresses under Sv39x4 are 41 bits (8.5.1). */
export const GPA_LIMIT = 2 ** 41;
/** Supervisor-physical addresses at or above 2^53 exist on none of our buses (and would be inexact here): an access fault, as a PMA check gives. */
const SPA_LIMIT = PPN_LIMIT * 4096;
/** The Sv39x4 root index is GPA bits 40:30: 11 bits, a 16 KiB root. */
const SV39X4_ROOT_INDEX_MASK = 0x7ff;

/** Physical memory as the walker sees it: 8-byte PTE reads and writes at supervisor-physical addresses (false = access fault). */
export interface TwoStageMemory extends PteReader {
  writePte(pa: number, lo: number, hi: number): boolean;
}

/** The CSR state a guest translation depends on. */
export interface TwoStageContext {
  /** vsatp.MODE (0 Bare or 8 Sv39) and vsatp.PPN. */
  readonly vsMode: number;
  readonly vsRootPpn: number;
  /** hgatp.MODE (0 Bare or 8 Sv39x4) and hgatp.PPN (16 KiB aligned). */
  readonly gMode: number;
  readonly gRootPpn: number;
  /** Effective privilege of the access at the VS-stage: PRV_S (VS-mode, HLV with SPVP = 1) or PRV_U. */
  readonly priv: number;
  /** vsstatus.SUM. */
  readonly sum: boolean;
  /** vsstatus.MXR (VS-stage only) and mstatus.MXR (both stages). */
  readonly vsMxr: boolean;
  readonly mxr: boolean;
  /** HLVX: both stages require X instead of R. */
  readonly hlvx: boolean;
  /** Svade: a due A/D update is a (guest-)page fault instead of a write. */
  readonly svade: boolean;
  /** Walk the mappings only, without the permission checks (strict TLB mode compares mappings, not rights). */
  readonly mappingOnly?: boolean;
}

/** Which stage a translation came from or failed in. */
export type Stage = 'VS' | 'G';

export interface TwoStageTranslation {
  readonly ok: true;
  /** Supervisor-physical address of the 4 KiB page holding the access. */
  readonly pagePa: number;
  /** Guest-physical address of that 4 KiB page. */
  readonly gpaPage: number;
  /** VS-stage leaf flags (V R W X U G A D) after this access's A/D update; -1 under Bare. */
  readonly vsFlags: number;
  /** G-stage leaf flags after this access's A/D update; -1 under Bare. */
  readonly gFlags: number;
  /** Level of the combined mapping: the smaller of the two stages' leaf levels (2 when both are Bare). */
  readonly level: number;
  /** Effective G of the VS-stage leaf. */
  readonly global: boolean;
}

export interface TwoStageFault {
  readonly ok: false;
  readonly stage: Stage;
  readonly error: TranslationError;
  /**
   * The guest-physical address the G-stage refused, exact in all 64 bits
   * (-1n for a VS-stage fault); htval/mtval2 = gpa >> 2 for a guest-page fault.
   * Stage 'G' with error 'physical address out of range' is the final
   * supervisor-physical address lying past 2^53 (an access fault).
   */
  readonly gpa: bigint;
  /**
   * For a G-stage fault on an implicit VS-stage PTE access: 'read' or 'write'
   * (the htinst pseudoinstruction, 8.6.3); undefined for the access itself.
   */
  readonly implicit: 'read' | 'write' | undefined;
}

export type TwoStageResult = TwoStageTranslation | TwoStageFault;

interface GStageHit {
  readonly pa: number;
  readonly flags: number;
  readonly level: number;
}

const gHit = { pa: 0, flags: -1, level: 2 };

/** HLVX needs X where a load needs R: X is presented as R, and MXR no longer applies (8.2.x HLVX). */
function permissionFlags(flags: number, hlvx: boolean): number {
  return hlvx ? (flags & ~PTE_R) | ((flags & PTE_X) !== 0 ? PTE_R : 0) : flags;
}

/**
 * The G-stage for one guest-physical address: hgatp Bare is the identity;
 * Sv39x4 walks the 16 KiB root, every leaf must have U (G-stage accesses are
 * user-level, 8.5.1), and a GPA of 41 bits or more is a guest-page fault.
 * Returns the supervisor-physical address (in a shared object) or the error.
 */
function gStage(mem: TwoStageMemory, ctx: TwoStageContext, gpa: number, access: Access, hlvx: boolean): GStageHit | TranslationError {
  if (ctx.gMode !== MODE_SV39) {
    gHit.pa = gpa;
    gHit.flags = -1;
    gHit.level = 2;
    return gHit;
  }
  if (gpa >= GPA_LIMIT || gpa < 0) return 'guest physical address out of range';
  // Step 8 is left to below: a leaf past 2^53 is checked for permission (step 5) first.
  const leaf = walk(mem, ctx.gRootPpn, Math.floor(gpa / 4096), SV39X4_ROOT_INDEX_MASK, Infinity);
  if (typeof leaf === 'string') return leaf;
  let flags = pteFlags(leaf.pteLo);
  if (ctx.mappingOnly !== true && !checkPermission(permissionFlags(flags, hlvx), access, PRV_U, false, ctx.mxr && !hlvx)) return 'no permission';
  const wanted = flagsAfterAccess(flags, access);
  if (wanted !== flags) {
    if (ctx.svade) return 'A/D update needed (Svade)';
    if (!mem.writePte(leaf.ptePa, leaf.pteLo | wanted, leaf.pteHi)) return 'PTE access fault';
    flags = wanted;
  }
  if (leaf.pagePa >= SPA_LIMIT) return 'physical address out of range';
  gHit.pa = leaf.pagePa + (gpa % 4096);
  gHit.flags = flags;
  gHit.level = leaf.level;
  return gHit;
}

/** Reads VS-stage PTEs by guest-physical address through the G-stage, remembering a G-stage refusal. */
class GuestPteReader implements PteReader {
  mem!: TwoStageMemory;
  ctx!: TwoStageContext;
  /** Why the G-stage refused a VS-stage PTE read; the walk's refusedPteRead then says exactly where. */
  refused: TranslationError | undefined;

  readPte(gpa: number, out: Int32Array): boolean {
    const g = gStage(this.mem, this.ctx, gpa, ACCESS_LOAD, false);
    if (typeof g === 'string') {
      this.refused = g;
      return false;
    }
    return this.mem.readPte(g.pa, out);
  }
}

const reader = new GuestPteReader();

function gFault(error: TranslationError, gpa: bigint, implicit: 'read' | 'write' | undefined): TwoStageFault {
  return { ok: false, stage: 'G', error, gpa, implicit };
}

function vsFault(error: TranslationError): TwoStageFault {
  return { ok: false, stage: 'VS', error, gpa: -1n, implicit: undefined };
}

/**
 * Translates one guest access of kind `access` at guest virtual address
 * (lo, hi): the VS-stage walk with its PTE reads through the G-stage,
 * VS-stage permission (priv, SUM, MXR of either level), the VS A/D update
 * (a G-stage store), then the G-stage of the final guest-physical address.
 * Stages fail with named errors; `errors.ts` maps them to exceptions.
 */
export function translateTwoStage(mem: TwoStageMemory, ctx: TwoStageContext, lo: number, hi: number, access: Access): TwoStageResult {
  let gpaPage: number;
  let vsFlags = -1;
  let vsLevel = 2;
  let global = false;
  if (ctx.vsMode === MODE_SV39) {
    if (!isCanonical(hi)) return vsFault('non-canonical address');
    reader.mem = mem;
    reader.ctx = ctx;
    reader.refused = undefined;
    // Step 8 is not the walk's here: a leaf's GPA of any width goes to the permission check, then to the G-stage.
    const leaf: Leaf | TranslationError = walk(reader, ctx.vsRootPpn, vpnKey(lo, hi), 0x1ff, Infinity);
    if (typeof leaf === 'string') {
      if (leaf === 'PTE access fault' && reader.refused !== undefined) {
        return gFault(reader.refused, BigInt(refusedPteRead.table) + BigInt(refusedPteRead.offset), 'read');
      }
      return vsFault(leaf);
    }
    let flags = pteFlags(leaf.pteLo);
    const mxr = ctx.mxr || ctx.vsMxr;
    if (ctx.mappingOnly !== true && !checkPermission(permissionFlags(flags, ctx.hlvx), access, ctx.priv, ctx.sum, mxr && !ctx.hlvx)) {
      return vsFault('no permission');
    }
    const wanted = flagsAfterAccess(flags, access);
    if (wanted !== flags) {
      if (ctx.svade) return vsFault('A/D update needed (Svade)');
      // The A/D write is a G-stage store to the PTE's guest-physical address (below 2^41: it was just read).
      const g = gStage(mem, ctx, leaf.ptePa, ACCESS_STORE, false);
      if (typeof g === 'string') return gFault(g, BigInt(leaf.ptePa), 'write');
      if (!mem.writePte(g.pa, leaf.pteLo | wanted, leaf.pteHi)) return vsFault('PTE access fault');
      flags = wanted;
    }
    vsFlags = flags;
    vsLevel = leaf.level;
    global = leaf.global;
    gpaPage = leaf.pagePa;
  } else {
    // VS-stage Bare: the guest virtual address is the guest-physical one (all 64 bits). Sv39x4 refuses bits 63:41
    // (a guest-page fault); under hgatp Bare it is the supervisor-physical address, and nothing is there (access fault).
    if (hi < 0 || hi >= 0x200000) {
      const gpa = BigInt(hi >>> 0) * 2n ** 32n + BigInt(lo >>> 0);
      return gFault(ctx.gMode === MODE_SV39 ? 'guest physical address out of range' : 'physical address out of range', gpa, undefined);
    }
    gpaPage = hi * 2 ** 32 + ((lo >>> 0) - ((lo >>> 0) % 4096));
  }
  // gpaPage is exact below 2^56 (a multiple of 4 KiB); the sum with the offset may not be past 2^53.
  const gpa = gpaPage + (lo & 0xfff);
  const g = gStage(mem, ctx, gpa, access, ctx.hlvx);
  if (typeof g === 'string') return gFault(g, BigInt(gpaPage) + BigInt(lo & 0xfff), undefined);
  // hgatp Bare: the GPA is the supervisor-physical address, past 2^53 on no bus.
  if (g.pa >= SPA_LIMIT) return gFault('physical address out of range', BigInt(gpaPage) + BigInt(lo & 0xfff), undefined);
  return { ok: true, pagePa: g.pa - (g.pa % 4096), gpaPage, vsFlags, gFlags: g.flags, level: Math.min(vsLevel, g.level), global };
}

/** Whether cached leaf flags still allow an access (a guest-TLB hit): VS-stage (unless Bare) and G-stage (unless Bare). */
export function cachedAllows(ctx: TwoStageContext, vsFlags: number, gFlags: number, access: Access): Stage | undefined {
  if (vsFlags >= 0 && !checkPermission(permissionFlags(vsFlags, ctx.hlvx), access, ctx.priv, ctx.sum, (ctx.mxr || ctx.vsMxr) && !ctx.hlvx)) return 'VS';
  if (gFlags >= 0 && !checkPermission(permissionFlags(gFlags, ctx.hlvx), access, PRV_U, false, ctx.mxr && !ctx.hlvx)) return 'G';
  return undefined;
}

/** Whether a cached entry must be re-walked for this access because an A or D bit is due in either stage. */
export function updateDue(vsFlags: number, gFlags: number, access: Access): boolean {
  return (vsFlags >= 0 && flagsAfterAccess(vsFlags, access) !== vsFlags) || (gFlags >= 0 && flagsAfterAccess(gFlags, access) !== gFlags);
}
