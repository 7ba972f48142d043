/**
 * Virtual machines as the hypervisor gives them memory (SPEC.md "Guests"), as a state machine over
 * the allocator's persistent state (`kmem.ts`): `createVm` and `destroyVm` return a new host state
 * and leave their input as it was, so a model-based test can interleave them with `alloc` and `free`.
 * Guest RAM is `ramSize` bytes at GPA `GUEST_RAM_BASE`, one kalloc frame per 4 KiB guest page, mapped
 * by a per-VM Sv39x4 table whose frames also come from kalloc. Frames are PAs here; kalloc's VAs are
 * `linearVa(pa)`.
 */
import { hex, KiB, MiB, PAGE_SIZE } from './address.js';
import { linearVa } from './layout.js';
import { alloc, free, type KmemState } from './kmem.js';
import { mergeRuns, type LeafRun } from './sv39/mapping.js';
import { pteFor } from './sv39/pte.js';
import { gStageVpn, G_STAGE_ROOT_SIZE } from './sv39/two-stage.js';

/** Guest-physical RAM starts where a virt-board guest expects it. */
export const GUEST_RAM_BASE = 0x8000_0000n;
/** Guest RAM sizes the hypervisor accepts: whole 4 KiB pages in [32 KiB, 64 MiB]. */
export const GUEST_RAM_MIN = 32n * KiB;
export const GUEST_RAM_MAX = 64n * MiB;
/** Live VMs at most; VMIDs are 1..MAX_VMS, the lowest free one taken at create. */
export const MAX_VMS = 4;
/** The root search gives up holding this many frames without four contiguous, 16 KiB aligned ones. */
export const ROOT_SEARCH_MAX = 64;
/** Every G-stage leaf of guest RAM: V R W X U A D (U for guest access, A set, D since W). */
export const G_STAGE_LEAF_FLAGS = { r: true, w: true, x: true, u: true, g: false, a: true, d: true } as const;

export interface Vm {
  /** The console's handle, 1, 2, 3, ... in creation order, never reused. */
  readonly id: number;
  readonly vmid: number;
  readonly ramSize: bigint;
  /** PA of the 16 KiB root (four contiguous frames). */
  readonly root: bigint;
  /** Guest RAM frames, by GPA: frames[i] backs GUEST_RAM_BASE + i × 4 KiB. */
  readonly frames: readonly bigint[];
  /** Lower-level table frames, in allocation order, with the level and first GPA each covers. */
  readonly tables: readonly GStageTable[];
}

export interface GStageTable {
  readonly pa: bigint;
  /** 1: covers a GiB of GPA in 2 MiB entries; 0: 2 MiB in 4 KiB leaves. */
  readonly level: 0 | 1;
  readonly gpa: bigint;
}

export interface HostState {
  readonly kmem: KmemState;
  readonly vms: readonly Vm[];
  readonly nextId: number;
}

export type CreateError = 'BadSize' | 'TooManyVms' | 'OutOfMemory' | 'NoAlignedRoot';

export type CreateResult = { readonly ok: true; readonly vm: Vm } | { readonly ok: false; readonly error: CreateError };

export function initHost(kmem: KmemState): HostState {
  return { kmem, vms: [], nextId: 1 };
}

/** Why `ramSize` is refused, or undefined when it is a size the hypervisor accepts. */
export function guestRamSizeProblem(ramSize: bigint): string | undefined {
  if (ramSize % PAGE_SIZE !== 0n) return `${hex(ramSize)} is not a multiple of 4 KiB`;
  if (ramSize < GUEST_RAM_MIN) return `${hex(ramSize)} is below the ${hex(GUEST_RAM_MIN)} minimum`;
  if (ramSize > GUEST_RAM_MAX) return `${hex(ramSize)} is above the ${hex(GUEST_RAM_MAX)} maximum`;
  return undefined;
}

/** The lowest VMID no live VM holds (destroy fences a VMID before releasing it), or undefined. */
export function freeVmid(vms: readonly Vm[]): number | undefined {
  for (let vmid = 1; vmid <= MAX_VMS; vmid++) if (!vms.some((vm) => vm.vmid === vmid)) return vmid;
  return undefined;
}

/** Frees `pas` in order; every one was allocated by the model's own bookkeeping, so each verdict is Ok. */
function freeAll(kmem: KmemState, pas: readonly bigint[]): KmemState {
  let state = kmem;
  for (const pa of pas) {
    state = free(state, linearVa(pa, state.platform.ramBase)).state;
  }
  return state;
}

/**
 * The root: kalloc frames one at a time until four of those held are contiguous and 16 KiB aligned,
 * then kfree the others newest first (which puts the free list back in its old order without them).
 */
function allocRoot(kmem: KmemState): { kmem: KmemState; root: bigint } | { kmem: KmemState; error: 'OutOfMemory' | 'NoAlignedRoot' } {
  let state = kmem;
  const held: bigint[] = [];
  for (;;) {
    const step = alloc(state);
    if (!step.result.ok) return { kmem: freeAll(state, [...held].reverse()), error: 'OutOfMemory' };
    state = step.state;
    held.push(step.result.pa);
    const base = step.result.pa - (step.result.pa % G_STAGE_ROOT_SIZE);
    if ([0n, 1n, 2n, 3n].every((k) => held.includes(base + k * PAGE_SIZE))) {
      const rest = held.filter((pa) => pa < base || pa >= base + G_STAGE_ROOT_SIZE);
      return { kmem: freeAll(state, rest.reverse()), root: base };
    }
    if (held.length === ROOT_SEARCH_MAX) return { kmem: freeAll(state, [...held].reverse()), error: 'NoAlignedRoot' };
  }
}

/**
 * The order destroy (and a failed create) frees a VM's frames: the table walked by GPA, each lower
 * table after the frames and tables below it, then the root's four frames ascending.
 */
export function vmFreeOrder(vm: Pick<Vm, 'root' | 'frames' | 'tables'>): bigint[] {
  const order: bigint[] = [];
  // tables are allocated in GPA order, so filtering keeps them sorted
  for (const l1 of vm.tables.filter((t) => t.level === 1)) {
    for (const l0 of vm.tables.filter((t) => t.level === 0 && t.gpa >= l1.gpa && t.gpa < l1.gpa + 0x4000_0000n)) {
      vm.frames.forEach((pa, i) => {
        const gpa = GUEST_RAM_BASE + BigInt(i) * PAGE_SIZE;
        if (gpa >= l0.gpa && gpa < l0.gpa + 0x20_0000n) order.push(pa);
      });
      order.push(l0.pa);
    }
    order.push(l1.pa);
  }
  for (let k = 0n; k < 4n; k++) order.push(vm.root + k * PAGE_SIZE);
  return order;
}

/**
 * vm create: a VMID, the root, then for each guest page by GPA the level-1 and level-0 tables it
 * still needs and then its frame. On OutOfMemory everything taken so far is freed (vmFreeOrder) and
 * the allocator is as the frees leave it.
 */
export function createVm(host: HostState, ramSize: bigint): { readonly host: HostState; readonly result: CreateResult } {
  if (guestRamSizeProblem(ramSize) !== undefined) return { host, result: { ok: false, error: 'BadSize' } };
  const vmid = freeVmid(host.vms);
  if (vmid === undefined) return { host, result: { ok: false, error: 'TooManyVms' } };
  const rooted = allocRoot(host.kmem);
  if ('error' in rooted) return { host: { ...host, kmem: rooted.kmem }, result: { ok: false, error: rooted.error } };
  let kmem = rooted.kmem;
  const tables: GStageTable[] = [];
  const frames: bigint[] = [];
  const fail = (): { host: HostState; result: CreateResult } => ({
    host: { ...host, kmem: freeAll(kmem, vmFreeOrder({ root: rooted.root, frames, tables })) },
    result: { ok: false, error: 'OutOfMemory' },
  });
  for (let gpa = GUEST_RAM_BASE; gpa < GUEST_RAM_BASE + ramSize; gpa += PAGE_SIZE) {
    for (const [level, span] of [[1, 0x4000_0000n], [0, 0x20_0000n]] as const) {
      const base = gpa - (gpa % span);
      if (tables.some((t) => t.level === level && t.gpa === base)) continue;
      const step = alloc(kmem);
      if (!step.result.ok) return fail();
      kmem = step.state;
      tables.push({ pa: step.result.pa, level, gpa: base });
    }
    const step = alloc(kmem);
    if (!step.result.ok) return fail();
    kmem = step.state;
    frames.push(step.result.pa);
  }
  const vm: Vm = { id: host.nextId, vmid, ramSize, root: rooted.root, frames, tables };
  return { host: { kmem, vms: [...host.vms, vm], nextId: host.nextId + 1 }, result: { ok: true, vm } };
}

/** vm destroy: HFENCE.GVMA for its VMID, then every frame back through kfree in vmFreeOrder; the VMID is free again. */
export function destroyVm(host: HostState, id: number): { readonly host: HostState; readonly freed: readonly bigint[] } | { readonly host: HostState; readonly error: 'NoSuchVm' } {
  const vm = host.vms.find((v) => v.id === id);
  if (vm === undefined) return { host, error: 'NoSuchVm' };
  const freed = vmFreeOrder(vm);
  return { host: { ...host, kmem: freeAll(host.kmem, freed), vms: host.vms.filter((v) => v.id !== id) }, freed };
}

/** Every frame a VM holds: guest RAM, lower tables, the root's four. */
export function vmFrames(vm: Pick<Vm, 'root' | 'frames' | 'tables'>): bigint[] {
  return vmFreeOrder(vm);
}

/** What a VM's G-stage table should map (runs by GPA, merged as ptdump shows them). */
export function expectedGStageRuns(vm: Pick<Vm, 'frames'>): LeafRun[] {
  return mergeRuns(vm.frames.map((pa, i) => ({ va: GUEST_RAM_BASE + BigInt(i) * PAGE_SIZE, pa, size: PAGE_SIZE, pageSize: PAGE_SIZE, flags: G_STAGE_LEAF_FLAGS, rsw: 0 })));
}

/** The PTEs (SPA of the entry -> value) the hypervisor writes for `vm`; every other entry of its tables is 0. */
export function gStagePtes(vm: Pick<Vm, 'root' | 'frames' | 'tables'>): Map<bigint, bigint> {
  const ptes = new Map<bigint, bigint>();
  const tableAt = (level: 0 | 1, gpa: bigint): bigint => vm.tables.find((t) => t.level === level && gpa >= t.gpa && gpa < t.gpa + (level === 1 ? 0x4000_0000n : 0x20_0000n))!.pa;
  vm.frames.forEach((pa, i) => {
    const gpa = GUEST_RAM_BASE + BigInt(i) * PAGE_SIZE;
    const l1 = tableAt(1, gpa);
    const l0 = tableAt(0, gpa);
    ptes.set(vm.root + gStageVpn(2, gpa) * 8n, pteFor(l1, { v: true }));
    ptes.set(l1 + gStageVpn(1, gpa) * 8n, pteFor(l0, { v: true }));
    ptes.set(l0 + gStageVpn(0, gpa) * 8n, pteFor(pa, { v: true, ...G_STAGE_LEAF_FLAGS }));
  });
  return ptes;
}
