/**
 * What the guest rules judge, read off a booted hypervisor: every live VM as `vm-list` names it with
 * its G-stage table read out of RAM, the guest translations strict TLB mode reports (each paired with
 * a fresh G-stage walk of the current hgatp root), and the physical writes a hart made while V = 1.
 * Used by the `guest` property and test/hypervisor/guest.test.ts, so both observe alike.
 */
import type { StaleTranslationEvent } from '../../emulator/hart/hart.js';
import {
  allViolations,
  flattenGStage,
  GUEST_RAM_BASE,
  gStageWalk,
  type CheckedGuestTranslation,
  type GuestAccess,
  type Observation,
  type ObservedGuest,
  type ObservedHart,
  type Violation,
} from '../../model/index.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { physicalReader, readAllHartTables, readKmem } from './memory.js';

/** The last line of a command's reply. */
export function lastReply(booted: BootedHypervisor, line: string): string {
  const reply = booted.command(line);
  return reply[reply.length - 1]!;
}

/** Every line the command printed, GUEST report lines included (booted.command returns reply lines only). */
export function printedLines(booted: BootedHypervisor, line: string, finalLines = 1): string[] {
  const start = booted.machine.console.length;
  booted.command(line, finalLines);
  return booted.machine.console
    .slice(start)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
}

/** `key=value` of a reply line, or undefined. */
export function replyField(reply: string, key: string): string | undefined {
  return new RegExp(`\\b${key}=(\\S*)`).exec(reply)?.[1];
}

/** A live VM as `vm-list` gives it, with its root. */
export interface ListedVm extends ObservedGuest {
  readonly vmid: number;
  readonly root: bigint;
}

/** Every live VM as the console lists it, with its G-stage table read out of RAM; throws when vm-list does not answer. */
export function observeGuests(booted: BootedHypervisor): ListedVm[] {
  const list = lastReply(booted, 'vm-list');
  const vms = /^OK vm-list .*\bvms=(\S+)/.exec(list)?.[1];
  if (vms === undefined) throw new Error(`vm-list answered "${list}"`);
  if (vms === 'none') return [];
  const read = physicalReader(booted.machine);
  return vms.split(',').map((entry) => {
    const [id, vmid, ram, root] = entry.split('/');
    return { id: Number(id), vmid: Number(vmid), ramSize: BigInt(ram!), root: BigInt(root!), table: flattenGStage(read, BigInt(root!)) };
  });
}

/** The rules a guest step is judged by. */
export const GUEST_STEP_RULES = ['GUEST-DISJOINT', 'GUEST-EXACT', 'GUEST-G-STAGE-FLAGS', 'GUEST-RECLAIM', 'HFENCE-DISCIPLINE', 'GUEST-ISOLATION', 'KMEM-INTEGRITY'] as const;

/**
 * The guest rules (and KMEM-INTEGRITY, which the VMs' frames must leave intact) on the machine as it
 * is now, plus `extra` observations. `harts`: the harts' tables, when the caller has read them already.
 */
export function judgeGuests(booted: BootedHypervisor, extra: Omit<Observation, 'platform'> = {}, guests: readonly ObservedGuest[] = observeGuests(booted), harts: readonly ObservedHart[] = readAllHartTables(booted.machine)): Violation[] {
  const kmem = readKmem(booted.machine, booted.image.elf, booted.platform);
  return allViolations({ ...extra, platform: booted.platform, harts, kmem, guests }).filter((v) => (GUEST_STEP_RULES as readonly string[]).includes(v.rule));
}

/** Runs `f` with every hart in strict TLB mode (each TLB hit re-walked and reported when stale), as it was after. */
export function strictly<T>(booted: BootedHypervisor, f: () => T): T {
  const before = booted.machine.harts.map((h) => h.strictTlb);
  for (const h of booted.machine.harts) h.strictTlb = true;
  try {
    return f();
  } finally {
    booted.machine.harts.forEach((h, i) => (h.strictTlb = before[i]!));
  }
}

/** The bundled guest's first report: the sum of what it stored (GPA ^ seed at each slot), as guest/guest.S computes it. */
export function expectedGuestReport(ramSize: bigint, seed: bigint, stores: bigint): bigint {
  const dataPages = ramSize / 4096n - 3n;
  let sum = 0n;
  for (let i = 0n; i < stores; i++) {
    const gpa = GUEST_RAM_BASE + (3n + ((seed + 7n * i) % dataPages)) * 4096n + ((8n * i) & 0x7f8n);
    sum = BigInt.asUintN(64, sum + (gpa ^ seed));
  }
  return sum;
}

/**
 * The guest side of one machine, installed once per machine (the listeners outlive snapshot
 * restores): strict-TLB reports of guest translations, and, while `recording`, every physical write a
 * hart made with V = 1.
 */
export class GuestObserver {
  static readonly #observers = new WeakMap<BootedHypervisor, GuestObserver>();
  /** Guest translations a hart used that the TLB reported as disagreeing with a fresh walk. */
  stale: CheckedGuestTranslation[] = [];
  /** Writes by a hart in V = 1 since `startRecording`, by hart. */
  writes: { hart: number; access: GuestAccess }[] = [];
  #recording = false;

  private constructor(readonly booted: BootedHypervisor) {
    const { machine } = booted;
    machine.onStaleTranslation((event) => {
      if (event.virtual === true) this.stale.push(this.#check(event));
    });
    const ram = machine.bus.ram;
    machine.watchPhysicalWrites(ram.base, ram.base + ram.size, (pa, size, hartId) => {
      if (this.#recording && hartId >= 0 && hartId < machine.harts.length && machine.harts[hartId]!.virt) this.writes.push({ hart: hartId, access: { kind: 'store', pa: BigInt(pa), size } });
    });
  }

  /** The observer of `booted`'s machine, reset (call after every restore). */
  static of(booted: BootedHypervisor): GuestObserver {
    let observer = GuestObserver.#observers.get(booted);
    if (observer === undefined) {
      observer = new GuestObserver(booted);
      GuestObserver.#observers.set(booted, observer);
    }
    observer.stale = [];
    observer.writes = [];
    observer.#recording = false;
    return observer;
  }

  /** Runs `f` with guest writes recorded, and returns them with f's result. */
  recording<T>(f: () => T): { result: T; writes: { hart: number; access: GuestAccess }[] } {
    this.writes = [];
    this.#recording = true;
    try {
      return { result: f(), writes: this.writes };
    } finally {
      this.#recording = false;
      this.writes = [];
    }
  }

  #check(event: StaleTranslationEvent): CheckedGuestTranslation {
    const { machine } = this.booted;
    const hgatp = machine.readCsr(event.hartId, 'hgatp');
    const gpa = BigInt(event.cachedGpaPage!);
    const fresh = gStageWalk(physicalReader(machine), (hgatp & ((1n << 44n) - 1n)) << 12n, gpa, { reported: 'load', checked: 'load', executeForRead: false }, false, 'update');
    return { hart: event.hartId, vmid: event.vmid!, gpa, pa: BigInt(event.cachedPagePa), fresh };
  }
}
