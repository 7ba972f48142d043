/**
 * TLB-DISCIPLINE: a translation a hart used (from its TLB or a walk) against a fresh walk of the
 * table its satp names, made at the moment of use. The property suite makes that walk with the
 * model's `walk` when the emulator reports the use; this rule compares the two.
 */
import { hex } from '../address.js';
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
}

/** A use, and the model's walk of the same access through the same root in memory as it was then. */
export interface CheckedTranslation {
  readonly use: TranslationUse;
  readonly fresh: WalkResult;
}

/** TLB-DISCIPLINE: each use reached the PA a fresh walk gives, and only accesses a fresh walk permits. */
export function noStaleTranslations(checked: readonly CheckedTranslation[]): RuleVerdict {
  for (const { use, fresh } of checked) {
    const where = `hart ${use.hart} ${use.access} of ${hex(use.va)} (root ${hex(use.root)}) used PA ${hex(use.pa)}`;
    if (fresh.kind === 'fault') return violation('TLB-DISCIPLINE', `${where}, but the current table faults there (${fresh.reason}, step ${fresh.step}): a stale translation`);
    if (fresh.pa !== use.pa) return violation('TLB-DISCIPLINE', `${where}, but the current table maps it to ${hex(fresh.pa)}: a stale translation`);
  }
  return undefined;
}
