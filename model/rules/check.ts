/**
 * The combined check: every rule whose inputs an observation carries, in RULES order; the first
 * violation is the verdict. Each rule is a conjunct; this file only wires observations to them.
 */
import type { KmemState, ObservedKmem } from '../kmem.js';
import { CPU_STRUCT_GIGABYTE, linearPa } from '../layout.js';
import { expectedAddressSpace } from '../memory-map.js';
import type { Platform } from '../platform.js';
import type { FlatTable } from '../sv39/flatten.js';
import { bootCompletes, earlyTableExact, type BootObservation } from './boot.js';
import { concurrentHistoryLinearizable, type KmemCall } from './concurrent.js';
import { allocatedFrameZeroed, freeListIntact, freeVerdictsFollowOrder, neverHandedOutTwice, sequentialHistoryAgrees, type KmemEvent, type SequentialCall } from './kmem.js';
import {
  accessedDirtyPreset,
  framesDisjoint,
  globalExceptCpuStruct,
  matchesExpected,
  neverUser,
  noUserAnomalies,
  noWritableExecutable,
  overflowFaultsInGuard,
  pagesOf,
  regionsDisjoint,
  runsWithin,
  sameOutsideCpuStruct,
  stackGuarded,
  type ObservedHart,
  type StackOverflowFault,
} from './map.js';
import { RULES, type RuleId, type RuleVerdict, type Violation } from './rule.js';
import { noStaleTranslations, type CheckedTranslation } from './tlb.js';
import {
  destroyReclaims,
  gStageLeavesGuestAccessible,
  gStageMapsExactly,
  guestAccessesStayInside,
  guestFramesDisjoint,
  noStaleGuestTranslations,
  type CheckedGuestTranslation,
  type GuestAccess,
  type ObservedGuest,
} from './guest.js';

/** Whatever was observed of one machine (or computed from the model); every part is optional. */
export interface Observation {
  readonly platform: Platform;
  /** Each hart's final table, flattened. */
  readonly harts?: readonly ObservedHart[];
  /** The early boot table, flattened. */
  readonly earlyTable?: FlatTable;
  /** How the boot ended (its platform is `platform`). */
  readonly boot?: Omit<BootObservation, 'platform'>;
  /** The allocator, read at the end of `history`. */
  readonly kmem?: ObservedKmem;
  /** kalloc/kfree calls, in order. */
  readonly history?: readonly KmemEvent[];
  /**
   * PAs allocated before `history` began. When the history starts after boot, include the harts' table
   * and cpu-struct frames (framesInUseByTables); when it starts at boot, those kallocs are in it.
   */
  readonly inUseAtStart?: readonly bigint[];
  /** The frame-state table when `history` began (needed for KMEM-FREE-VERDICT). */
  readonly frameStatesAtStart?: ArrayLike<number>;
  /** The model allocator when `sequentialCalls` began (needed for KMEM-SEQUENTIAL). */
  readonly kmemAtStart?: KmemState;
  /** kalloc/kfree calls made one at a time from `kmemAtStart`, with their results (a `history` fits). */
  readonly sequentialCalls?: readonly SequentialCall[];
  /** Traps taken by stack overflows. */
  readonly stackOverflows?: readonly StackOverflowFault[];
  /** kalloc/kfree calls from several harts with their timing (judged from `inUseAtStart`). */
  readonly concurrentCalls?: readonly KmemCall[];
  /** Frames kalloc returned, each with its page's bytes as kalloc returned it. */
  readonly allocatedFrames?: readonly { readonly va: bigint; readonly bytes: ArrayLike<number> }[];
  /** Translations harts used, each with the model's walk of the table at that moment. */
  readonly translations?: readonly CheckedTranslation[];
  /** Live VMs with their G-stage tables (GUEST-DISJOINT also needs `harts` and `kmem` for the host's frames). */
  readonly guests?: readonly ObservedGuest[];
  /** Each VM destroy: the model's allocator after it, the allocator as read after it, and the VM's frames. */
  readonly guestDestroys?: readonly { readonly expected: KmemState; readonly observed: ObservedKmem; readonly frames: readonly bigint[] }[];
  /** Guest translations harts used, each with a G-stage walk of the current table at that moment. */
  readonly guestTranslations?: readonly CheckedGuestTranslation[];
  /** A guest's own accesses during a run, with the VM as observed then. */
  readonly guestAccesses?: readonly { readonly guest: ObservedGuest; readonly accesses: readonly GuestAccess[] }[];
}

/** Frames the harts' tables use: every table frame and every cpu-struct page's frame. */
export function framesInUseByTables(harts: readonly ObservedHart[]): bigint[] {
  return harts.flatMap(({ table }) => [...table.tableFrames, ...pagesOf(runsWithin(table.runs, CPU_STRUCT_GIGABYTE)).map((p) => p.pa)]);
}

/** PAs kalloc handed out in `history` and kfree did not take back (by verdict Ok, or no verdict). */
export function outstandingAllocations(platform: Platform, history: readonly KmemEvent[]): bigint[] {
  const outstanding = new Set<bigint>();
  for (const event of history) {
    if (event.va === null) continue;
    const pa = linearPa(event.va, platform.ramBase);
    if (event.kind === 'alloc') outstanding.add(pa);
    else if (event.verdict === undefined || event.verdict === 'Ok') outstanding.delete(pa);
  }
  return [...outstanding];
}

const firstOf = (verdicts: Iterable<RuleVerdict>): RuleVerdict => {
  for (const v of verdicts) if (v) return v;
  return undefined;
};

function* perHart(obs: Observation, rule: (runs: ObservedHart) => RuleVerdict): Iterable<RuleVerdict> {
  for (const hart of obs.harts ?? []) {
    const v = rule(hart);
    yield v && { rule: v.rule, message: v.message.startsWith('hart ') ? v.message : `hart ${hart.hart}: ${v.message}` };
  }
}

const CHECKS: Readonly<Record<RuleId, (obs: Observation) => RuleVerdict>> = {
  'MAP-DISJOINT': (obs) =>
    firstOf([
      ...(obs.harts ?? []).filter((h) => h.hart >= 0 && h.hart < obs.platform.harts).map((h) => regionsDisjoint(expectedAddressSpace(obs.platform, h.hart))),
      obs.harts && framesDisjoint(obs.harts, (obs.kmem?.freeList ?? []).map((va) => linearPa(va, obs.platform.ramBase))),
    ]),
  'MAP-GLOBAL': (obs) => firstOf(perHart(obs, (h) => globalExceptCpuStruct(h.table.runs))),
  'MAP-WX': (obs) => firstOf(perHart(obs, (h) => noWritableExecutable(h.table.runs))),
  'MAP-USER': (obs) => firstOf(perHart(obs, (h) => neverUser(h.table.runs) ?? noUserAnomalies(h.table))),
  'MAP-AD': (obs) => firstOf(perHart(obs, (h) => accessedDirtyPreset(h.table.runs, obs.platform.design.accessedDirty))),
  'MAP-SHARED': (obs) => (obs.harts ? sameOutsideCpuStruct(obs.harts, obs.platform.design) : undefined),
  'MAP-EXACT': (obs) => firstOf(perHart(obs, (h) => matchesExpected(obs.platform, h.hart, h.table.runs))),
  'STACK-GUARD': (obs) => firstOf([...perHart(obs, (h) => stackGuarded(h.table.runs, obs.platform.design.cpuStruct)), overflowFaultsInGuard(obs.stackOverflows ?? [], obs.platform.design.cpuStruct)]),
  'BOOT-EARLY': (obs) => (obs.earlyTable ? earlyTableExact(obs.platform, obs.earlyTable) : undefined),
  'BOOT-COMPLETES': (obs) => obs.boot && bootCompletes({ ...obs.boot, platform: obs.platform }),
  'KMEM-INTEGRITY': (obs) =>
    obs.kmem &&
    freeListIntact(obs.platform, obs.kmem, [
      ...framesInUseByTables(obs.harts ?? []),
      ...(obs.inUseAtStart ?? []),
      ...outstandingAllocations(obs.platform, obs.history ?? []),
    ]),
  'KMEM-NO-DOUBLE-FREE': (obs) =>
    obs.history && neverHandedOutTwice(obs.platform, obs.history, obs.inUseAtStart ?? []),
  'KMEM-FREE-VERDICT': (obs) => (obs.history && obs.frameStatesAtStart ? freeVerdictsFollowOrder(obs.platform, obs.frameStatesAtStart, obs.history) : undefined),
  'KMEM-SEQUENTIAL': (obs) => (obs.kmemAtStart && obs.sequentialCalls ? sequentialHistoryAgrees(obs.kmemAtStart, obs.sequentialCalls) : undefined),
  'KMEM-CONCURRENT': (obs) => obs.concurrentCalls && concurrentHistoryLinearizable(obs.platform, obs.concurrentCalls, obs.inUseAtStart ?? []),
  'KMEM-ZEROED': (obs) => firstOf((obs.allocatedFrames ?? []).map((f) => allocatedFrameZeroed(f.va, f.bytes))),
  'TLB-DISCIPLINE': (obs) => obs.translations && noStaleTranslations(obs.translations),
  'GUEST-DISJOINT': (obs) =>
    obs.guests &&
    guestFramesDisjoint(obs.guests, {
      platform: obs.platform,
      hostTableFrames: (obs.harts ?? []).flatMap((h) => h.table.tableFrames),
      cpuStructFrames: (obs.harts ?? []).flatMap((h) => pagesOf(runsWithin(h.table.runs, CPU_STRUCT_GIGABYTE)).map((p) => p.pa)),
      freeFrames: (obs.kmem?.freeList ?? []).map((va) => linearPa(va, obs.platform.ramBase)),
    }),
  'GUEST-EXACT': (obs) => firstOf((obs.guests ?? []).map(gStageMapsExactly)),
  'GUEST-G-STAGE-FLAGS': (obs) => firstOf((obs.guests ?? []).map((g) => gStageLeavesGuestAccessible(g, obs.platform.devices))),
  'GUEST-RECLAIM': (obs) => firstOf((obs.guestDestroys ?? []).map((d) => destroyReclaims(d.expected, d.observed, d.frames))),
  'HFENCE-DISCIPLINE': (obs) => obs.guestTranslations && noStaleGuestTranslations(obs.guestTranslations),
  'GUEST-ISOLATION': (obs) => firstOf((obs.guestAccesses ?? []).map((a) => guestAccessesStayInside(a.guest, a.accesses))),
};

/** The first violated rule, in RULES order, with what broke it; undefined when every applicable rule holds. */
export function checkRules(obs: Observation): RuleVerdict {
  return firstOf(RULES.map((r) => CHECKS[r.id](obs)));
}

/** Every violated rule (one violation each), in RULES order. */
export function allViolations(obs: Observation): Violation[] {
  return RULES.map((r) => CHECKS[r.id](obs)).filter((v): v is Violation => v !== undefined);
}
