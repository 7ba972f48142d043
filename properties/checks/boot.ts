/**
 * What a freshly booted platform must satisfy, observed from outside and judged by the model's rules:
 * MAP-* on every hart's final table, BOOT-EARLY on the table of the first satp write, STACK-GUARD on
 * the tables, KMEM-INTEGRITY on the free list, KMEM-NO-DOUBLE-FREE on the boot's kalloc/kfree calls
 * (shadow allocator), KMEM-SEQUENTIAL on those calls, or KMEM-CONCURRENT when harts made them at
 * once, TLB-DISCIPLINE when the machine ran in strict TLB mode.
 */
import { allViolations, initKmem, type BootTrap, type KmemCall, type Observation, type Violation } from '../../model/index.js';
import { PRV_S } from '../../emulator/hart/causes.js';
import type { BootedHypervisor, ObservedTrap } from '../harness/hypervisor.js';
import { readTranslatingHartTables, readKmem } from '../observe/memory.js';

/** Whether two calls of different harts were in flight at once (each call's interval from entry to return). */
export function callsOverlap(calls: readonly KmemCall[]): boolean {
  // in entry order: a call overlaps an earlier one of another hart when it enters before that one returns
  const latestReturn = new Map<number, number>();
  for (const c of [...calls].sort((a, b) => a.call - b.call)) {
    for (const [hart, ret] of latestReturn) if (hart !== c.hart && c.call < ret) return true;
    latestReturn.set(c.hart, Math.max(c.ret, latestReturn.get(c.hart) ?? c.ret));
  }
  return false;
}

/** A trap as BOOT-COMPLETES reads it. */
export function bootTrap(t: ObservedTrap): BootTrap {
  return { hart: t.hartId, cause: t.cause, interrupt: t.interrupt, tval: t.tval, pc: t.pc, name: t.name, ...(t.fromVirtual ? { fromVirtual: true } : {}) };
}

/** The boot's observation: tables, early table, allocator, the boot's kalloc/kfree history, stale translations. */
export function observeBoot(booted: BootedHypervisor): Observation {
  const { machine, image, platform } = booted;
  return {
    platform,
    harts: readTranslatingHartTables(machine),
    ...(booted.earlyTable ? { earlyTable: booted.earlyTable.table } : {}),
    kmem: readKmem(machine, image.elf, platform, image.profile.allocator),
    history: booted.shadow.events,
    inUseAtStart: [],
    // the bundled hypervisor's harts build their tables in turn, so its boot's calls are sequential,
    // from the allocator kmem_init leaves; an image that starts its harts together (foreign-hv) has
    // calls of several harts in flight at once, a concurrent history
    ...(callsOverlap(booted.shadow.calls) ? { concurrentCalls: booted.shadow.calls } : { kmemAtStart: initKmem(platform), sequentialCalls: booted.shadow.events }),
    ...(booted.strictTlb ? { translations: booted.stale } : {}),
    // BOOT-COMPLETES: it got here ready (or settled); the boot's traps and every hart's root
    boot: {
      ready: true,
      // the image runs in S-mode (and a guest it starts in VS-mode, which is S with V = 1); the
      // firmware's own M-mode traps (OpenSBI probes CSRs by trapping) are not the boot's
      traps: booted.traps.filter((t) => t.from === PRV_S).map(bootTrap),
      satpRoots: booted.satpRoots(),
      ...(booted.earlyRoot === undefined ? {} : { earlyRoot: booted.earlyRoot }),
    },
  };
}

/**
 * Every rule the boot violates (RULES order, one violation each), the shadow allocator's verdict
 * first when it saw a double hand-out; plus BOOT-EARLY when no satp write was seen at all.
 */
export function bootViolations(booted: BootedHypervisor): Violation[] {
  const found = allViolations(observeBoot(booted));
  const shadow = booted.shadow.violation;
  if (shadow && !found.some((v) => v.rule === shadow.rule)) found.unshift(shadow);
  if (booted.shadow.unzeroed) found.push(booted.shadow.unzeroed);
  if (booted.earlyTable === undefined) found.push({ rule: 'BOOT-EARLY', message: 'no hart ever turned translation on with a satp write the suite could see' });
  return found;
}

/**
 * The observation itself is sound: at the first, middle and last 8 bytes of every run the suite
 * flattened, the emulator's own MMU translates to the same PA. Returns the first disagreement (a
 * bug in the model's flatten or the emulator, not in the hypervisor), or undefined.
 */
export function mmuDisagreement(booted: BootedHypervisor): string | undefined {
  for (const { hart, table } of readTranslatingHartTables(booted.machine)) {
    if (booted.machine.hart(hart).priv !== PRV_S) continue; // M-mode (firmware) does not translate
    for (const run of table.runs) {
      for (const va of [run.va, run.va + run.size / 2n, run.va + run.size - 8n]) {
        const mmu = booted.machine.translate(hart, va, 'load');
        const want = run.pa + (va - run.va);
        if (!('pa' in mmu) || mmu.pa !== want) {
          return `hart ${hart} VA 0x${va.toString(16)}: the flattened table says PA 0x${want.toString(16)}, the emulator's MMU says ${'pa' in mmu ? `0x${mmu.pa.toString(16)}` : mmu.error}`;
        }
      }
    }
  }
  return undefined;
}
