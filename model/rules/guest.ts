/**
 * The guest rules (SPEC.md "Guests"): GUEST-DISJOINT, GUEST-EXACT, GUEST-G-STAGE-FLAGS,
 * GUEST-RECLAIM, HFENCE-DISCIPLINE and GUEST-ISOLATION, each over the smallest observation of a VM it
 * needs: its G-stage table flattened (`flattenGStage`), the host's frames, the allocator as read.
 */
import { hex, PAGE_SIZE, rangeContainsAddress, rangesOverlap, type Range } from '../address.js';
import { GUEST_RAM_BASE } from '../guest.js';
import { frameIndex, FRAME_STATE_CODE, type KmemState, type ObservedKmem, freeList } from '../kmem.js';
import { linearPa } from '../layout.js';
import { deviceRange, ramRange, reservedRangeAt, type Device, type Platform } from '../platform.js';
import { gStagePages, type FlatGStage } from '../sv39/flatten-g-stage.js';
import { formatFlags } from '../sv39/pte.js';
import type { GStageResult } from '../sv39/two-stage.js';
import { violation, type RuleVerdict } from './rule.js';

/** One VM as observed: what the console reported of it and its G-stage table read out of memory. */
export interface ObservedGuest {
  readonly id: number;
  readonly ramSize: bigint;
  readonly table: FlatGStage;
}

/** The host's own frames, as observed: page tables and cpu structs of every hart, and the free list (PAs). */
export interface HostFrames {
  readonly platform: Platform;
  readonly hostTableFrames: readonly bigint[];
  readonly cpuStructFrames: readonly bigint[];
  readonly freeFrames: readonly bigint[];
}

/**
 * GUEST-DISJOINT: every guest page and G-stage table frame is a RAM frame used once, by one VM, and
 * by nothing of the hypervisor's (reserved ranges, its page tables, cpu structs, the free list).
 */
export function guestFramesDisjoint(guests: readonly ObservedGuest[], host: HostFrames): RuleVerdict {
  const owner = new Map<bigint, string>();
  for (const pa of host.hostTableFrames) owner.set(pa, 'a host page-table frame');
  for (const pa of host.cpuStructFrames) owner.set(pa, 'a cpu-struct frame');
  for (const pa of host.freeFrames) owner.set(pa, 'on the free list');
  const ram = ramRange(host.platform);
  for (const guest of guests) {
    const uses = [
      ...guest.table.tableFrames.map((pa) => ({ pa, what: `vm ${guest.id}'s G-stage table frame` })),
      ...gStagePages(guest.table.runs).map(({ gpa, pa }) => ({ pa, what: `vm ${guest.id}'s GPA ${hex(gpa)}` })),
    ];
    for (const { pa, what } of uses) {
      const where = `${what} is host frame ${hex(pa)}`;
      if (!rangeContainsAddress(ram, pa)) return violation('GUEST-DISJOINT', `${where}, outside RAM`);
      const reserved = reservedRangeAt(host.platform, pa);
      if (reserved !== undefined) return violation('GUEST-DISJOINT', `${where}, in the hypervisor's ${reserved.name}`);
      const previous = owner.get(pa);
      if (previous !== undefined) return violation('GUEST-DISJOINT', `${where}, which is also ${previous}`);
      owner.set(pa, what);
    }
  }
  return undefined;
}

/** GUEST-EXACT: the VM's G-stage table maps exactly [GUEST_RAM_BASE, + ramSize), with no hole, nothing else, and no malformed PTE. */
export function gStageMapsExactly(guest: ObservedGuest): RuleVerdict {
  const anomaly = guest.table.anomalies[0];
  if (anomaly !== undefined) return violation('GUEST-EXACT', `vm ${guest.id}: the G-stage PTE at ${hex(anomaly.pteAddr)} (GPA ${hex(anomaly.va)}) is malformed (${anomaly.reason})`);
  const end = GUEST_RAM_BASE + guest.ramSize;
  let cursor = GUEST_RAM_BASE;
  for (const run of guest.table.runs) {
    if (run.va < cursor || run.va + run.size > end) return violation('GUEST-EXACT', `vm ${guest.id}: GPA ${hex(run.va)}-${hex(run.va + run.size)} is mapped, outside its RAM [${hex(GUEST_RAM_BASE)}, ${hex(end)})`);
    if (run.va > cursor) return violation('GUEST-EXACT', `vm ${guest.id}: GPA ${hex(cursor)}-${hex(run.va)} of its RAM is not mapped`);
    cursor = run.va + run.size;
  }
  if (cursor < end) return violation('GUEST-EXACT', `vm ${guest.id}: GPA ${hex(cursor)}-${hex(end)} of its RAM is not mapped`);
  return undefined;
}

/**
 * GUEST-G-STAGE-FLAGS: every G-stage leaf has U and A, D exactly when W, and maps no host device
 * unless the VM's configuration passes that device through.
 */
export function gStageLeavesGuestAccessible(guest: ObservedGuest, devices: readonly Device[], passedThrough: readonly string[] = []): RuleVerdict {
  for (const run of guest.table.runs) {
    const where = `vm ${guest.id}: G-stage leaf GPA ${hex(run.va)} -> ${hex(run.pa)} ${formatFlags(run.flags)}`;
    if (!run.flags.u) return violation('GUEST-G-STAGE-FLAGS', `${where} lacks U: every guest access to it faults`);
    if (!run.flags.a) return violation('GUEST-G-STAGE-FLAGS', `${where} lacks A`);
    if (run.flags.d !== run.flags.w) return violation('GUEST-G-STAGE-FLAGS', `${where} has D ${run.flags.d ? 'without' : 'clear with'} W`);
    const mapped: Range = { start: run.pa, end: run.pa + run.size };
    const device = devices.find((d) => rangesOverlap(deviceRange(d), mapped) && !passedThrough.includes(d.name));
    if (device !== undefined) return violation('GUEST-G-STAGE-FLAGS', `${where} maps the host's ${device.name}, which is not passed through`);
  }
  return undefined;
}

/**
 * GUEST-RECLAIM: after destroying a VM the allocator is exactly as the model's destroyVm leaves it
 * (`expected`): the same free count and free list, every frame of the VM free, none freed twice.
 */
export function destroyReclaims(expected: KmemState, observed: ObservedKmem, vmFrames: readonly bigint[]): RuleVerdict {
  const platform = expected.platform;
  const listed = observed.freeList.map((va) => linearPa(va, platform.ramBase));
  const seen = new Set<bigint>();
  for (const pa of listed) {
    if (seen.has(pa)) return violation('GUEST-RECLAIM', `frame ${hex(pa)} is on the free list twice: freed twice`);
    seen.add(pa);
  }
  for (const pa of vmFrames) {
    const state = observed.frameStates?.[frameIndex(platform, pa)];
    if (!seen.has(pa) || (state !== undefined && state !== FRAME_STATE_CODE.FREE)) return violation('GUEST-RECLAIM', `the destroyed VM's frame ${hex(pa)} was not returned (leaked)`);
  }
  const want = freeList(expected);
  if (observed.nfree !== undefined && observed.nfree !== BigInt(expected.nfree)) return violation('GUEST-RECLAIM', `kmem_nfree is ${observed.nfree}, the model says ${expected.nfree}`);
  for (let i = 0; i < Math.max(want.length, listed.length); i++) {
    if (want[i] !== listed[i]) {
      return violation('GUEST-RECLAIM', `free list entry #${i} is ${listed[i] === undefined ? 'missing' : hex(listed[i]!)}, the model says ${want[i] === undefined ? 'the list ends' : hex(want[i]!)}`);
    }
  }
  return undefined;
}

/** A guest translation a hart used (its guest TLB or a walk), paired with a G-stage walk of its GPA through the current hgatp root at that moment. */
export interface CheckedGuestTranslation {
  readonly hart: number;
  readonly vmid: number;
  readonly gpa: bigint;
  /** The host page the hart used. */
  readonly pa: bigint;
  readonly fresh: GStageResult;
}

/** HFENCE-DISCIPLINE: every guest translation a hart used reaches the host page a fresh G-stage walk gives, so no stale G-stage entry survives a table change or VMID reuse. */
export function noStaleGuestTranslations(checked: readonly CheckedGuestTranslation[]): RuleVerdict {
  for (const { hart, vmid, gpa, pa, fresh } of checked) {
    const where = `hart ${hart} VMID ${vmid} used GPA ${hex(gpa)} -> ${hex(pa)}`;
    if (fresh.kind === 'fault') return violation('HFENCE-DISCIPLINE', `${where}, but the current G-stage table faults there (${fresh.reason}): a stale translation`);
    const page = (x: bigint): bigint => x - (x % PAGE_SIZE);
    if (page(fresh.pa) !== page(pa)) return violation('HFENCE-DISCIPLINE', `${where}, but the current G-stage table maps it to ${hex(fresh.pa)}: a stale translation`);
  }
  return undefined;
}

/** A host-physical access a guest made (V = 1): an explicit load, store or fetch, as the machine saw it. */
export interface GuestAccess {
  readonly kind: 'load' | 'store' | 'fetch';
  readonly pa: bigint;
  readonly size: number;
}

/** GUEST-ISOLATION: every byte a guest's own accesses touched lies in a frame its G-stage table gives it. */
export function guestAccessesStayInside(guest: ObservedGuest, accesses: readonly GuestAccess[]): RuleVerdict {
  const own = new Set(gStagePages(guest.table.runs).map((p) => p.pa));
  for (const access of accesses) {
    for (const pa of [access.pa, access.pa + BigInt(access.size - 1)]) {
      if (!own.has(pa - (pa % PAGE_SIZE))) return violation('GUEST-ISOLATION', `vm ${guest.id} made a ${access.kind} of ${access.size} bytes at host ${hex(access.pa)}, outside its own frames`);
    }
  }
  return undefined;
}
