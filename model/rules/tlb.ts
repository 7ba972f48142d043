/**
 * TLB-DISCIPLINE: a translation a hart used (from its TLB or a walk) against a fresh walk of the
 * table its satp names, made at the moment of use: the same PA and, when the use reports them, the
 * same leaf flag bits and page size. The property suite makes that walk with the model's `walk` when
 * the emulator reports the use; this rule compares the two.
 */
import { formatSize, hex } from '../address.js';
import { decodePte, formatFlags } from '../sv39/pte.js';
import type { AccessType, Privilege, WalkResult } from '../sv39/walk.js';
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
  /** The size of the page it came from (4 KiB, 2 MiB or 1 GiB), when reported. */
  readonly pageSize?: bigint;
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
 * TLB-DISCIPLINE: each use reached the PA a fresh walk gives, and only accesses a fresh walk permits,
 * from a leaf with the fresh walk's flag bits and page size when the use reports them.
 */
export function noStaleTranslations(checked: readonly CheckedTranslation[]): RuleVerdict {
  for (const { use, fresh } of checked) {
    const where = `hart ${use.hart} ${use.access} of ${hex(use.va)} (root ${hex(use.root)}) used PA ${hex(use.pa)}`;
    if (fresh.kind === 'fault') return violation('TLB-DISCIPLINE', `${where}, but the current table faults there (${fresh.reason}, step ${fresh.step}): a stale translation`);
    if (fresh.pa !== use.pa) return violation('TLB-DISCIPLINE', `${where}, but the current table maps it to ${hex(fresh.pa)}: a stale translation`);
    const freshFlags = Number(fresh.pte & PTE_FLAG_MASK);
    if (use.flags !== undefined && use.flags !== freshFlags) {
      return violation('TLB-DISCIPLINE', `${where} with leaf flags ${showFlags(use.flags)}, but the current table's leaf has ${showFlags(freshFlags)}: a stale translation`);
    }
    if (use.pageSize !== undefined && use.pageSize !== fresh.pageSize) {
      return violation('TLB-DISCIPLINE', `${where} from a ${formatSize(use.pageSize)} page, but the current table maps it with a ${formatSize(fresh.pageSize)} page: a stale translation`);
    }
  }
  return undefined;
}
