/**
 * TLB-DISCIPLINE: a translation a hart used (from its TLB or a walk) against a fresh walk of the
 * table its satp names, made at the moment of use: the same PA and, when the use reports the leaf
 * it came from, the same verdict for this access. The leaf's other bits and its page size are not
 * compared: between a satp write and its sfence.vma the architecture lets a hart use either table,
 * and a stale entry that differs only where this access cannot see it (another right, a larger page
 * with the same frame here) reaches the same frame with the same rights. The property suite makes
 * the walk with the model's `walk` when the emulator reports the use; this rule compares the two.
 */
import { hex } from '../address.js';
import { decodePte, formatFlags } from '../sv39/pte.js';
import { permits, type AccessType, type Privilege, type WalkResult } from '../sv39/walk.js';
import { violation, type RuleVerdict } from './rule.js';

/** One access as a hart translated it. */
export interface TranslationUse {
  readonly hart: number;
  readonly va: bigint;
  readonly access: AccessType;
  readonly privilege: Privilege;
  /** The PA the hart used. */
  readonly pa: bigint;
  /** The root its satp named. */
  readonly root: bigint;
  /** The low 8 bits (V R W X U G A D) of the leaf PTE the translation came from, when reported. */
  readonly flags?: number;
  /** mstatus.SUM and MXR at the access (they decide what a leaf permits); false when not reported. */
  readonly sum?: boolean;
  readonly mxr?: boolean;
}

/** The low 8 bits of a PTE: V R W X U G A D. */
const PTE_FLAG_MASK = 0xffn;

/** Flag bits as messages show them: hex, then "rwxugad" with '-' for clear bits (e.g. "0xc7 rw---ad"). */
function showFlags(flags: number): string {
  return `0x${flags.toString(16)} ${formatFlags(decodePte(BigInt(flags)).flags)}`;
}

/** A use, and the model's walk of the same access through the same root in memory as it was then. */
export interface CheckedTranslation {
  readonly use: TranslationUse;
  readonly fresh: WalkResult;
}

/**
 * TLB-DISCIPLINE: each use reached the PA a fresh walk gives, and only accesses a fresh walk permits;
 * a use that reports its leaf was refused by it only where the fresh walk refuses too.
 */
export function noStaleTranslations(checked: readonly CheckedTranslation[]): RuleVerdict {
  for (const { use, fresh } of checked) {
    const where = `hart ${use.hart} ${use.access} of ${hex(use.va)} (root ${hex(use.root)}) used PA ${hex(use.pa)}`;
    if (fresh.kind === 'fault') return violation('TLB-DISCIPLINE', `${where}, but the current table faults there (${fresh.reason}, step ${fresh.step}): a stale translation`);
    if (fresh.pa !== use.pa) return violation('TLB-DISCIPLINE', `${where}, but the current table maps it to ${hex(fresh.pa)}: a stale translation`);
    if (use.flags !== undefined && !permits(decodePte(BigInt(use.flags)).flags, use.access, use.privilege, use.sum ?? false, use.mxr ?? false)) {
      const freshFlags = Number(fresh.pte & PTE_FLAG_MASK);
      return violation('TLB-DISCIPLINE', `${where} through a leaf with flags ${showFlags(use.flags)}, which refuses it, but the current table's leaf ${showFlags(freshFlags)} permits it: a stale translation`);
    }
  }
  return undefined;
}
