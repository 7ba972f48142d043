/**
 * BOOT-EARLY: the early boot table, checked on the flattened root the boot hart wrote to satp.
 * BOOT-COMPLETES: the boot as a whole, checked on what a run of it showed (its end, traps, satp roots).
 */
import { formatRange, formatSize, hex, isAligned, PAGE_SIZE } from '../address.js';
import { earlyBootRuns } from '../early-boot.js';
import { comparableRuns } from '../memory-map.js';
import { MAX_HARTS, MAX_RAM_SIZE, MIN_HARTS, MIN_RAM_SIZE, type Platform } from '../platform.js';
import type { FlatTable } from '../sv39/flatten.js';
import { mergeRuns } from '../sv39/mapping.js';
import { firstDifference } from './map.js';
import { violation, type RuleVerdict } from './rule.js';

/** BOOT-EARLY: one root in .bss, no pointers, no malformed PTEs, and exactly earlyBootTable's gigapages. */
export function earlyTableExact(platform: Platform, table: FlatTable): RuleVerdict {
  const { bss } = platform.image;
  if (table.root < bss.start || table.root >= bss.end || table.root % 0x1000n !== 0n) {
    return violation('BOOT-EARLY', `the early root ${hex(table.root)} is not a page-aligned frame in .bss ${formatRange(bss)}`);
  }
  const anomaly = table.anomalies[0];
  if (anomaly) return violation('BOOT-EARLY', `PTE at ${hex(anomaly.pteAddr)} (VA ${hex(anomaly.va)}) is malformed: ${anomaly.reason}`);
  const extra = table.tableFrames.find((f) => f !== table.root);
  if (extra !== undefined) return violation('BOOT-EARLY', `the early table points to a next-level table at ${hex(extra)}; only gigapage leaves are allowed`);
  const diff = firstDifference(earlyBootRuns(platform), mergeRuns(comparableRuns(platform.design, table.runs)));
  return diff === undefined ? undefined : violation('BOOT-EARLY', diff);
}

/** What a boot depends on that the design limits (a Platform, or the suite's platform spec, fits). */
export interface BootPlatform {
  readonly harts: number;
  readonly bootHart: number;
  readonly ramSize: bigint;
}

/** A trap a hart took during the boot (scause, stval and sepc/mepc as the hart set them). */
export interface BootTrap {
  readonly hart: number;
  readonly cause: number;
  /** An interrupt rather than an exception (interrupts are the firmware's and the platform's business). */
  readonly interrupt?: boolean;
  readonly tval: bigint;
  readonly pc: bigint;
  /** The cause's spec name, e.g. "LoadPageFault". */
  readonly name?: string;
  /** Taken from V = 1 (a guest the image runs, in VS- or VU-mode); absent means V = 0. */
  readonly fromVirtual?: boolean;
}

/** What a run of the boot showed; every field but `platform` and `ready` may be unobserved. */
export interface BootObservation {
  readonly platform: BootPlatform;
  /** The image reported ready, or the boot settled (every hart idle or quiescent): the caller decides. */
  readonly ready: boolean;
  /** Why the run ended, when it did not end ready (e.g. "out of steps after 400000000"). */
  readonly detail?: string;
  /** The panic line the console printed, if any. */
  readonly panic?: string;
  /** Traps taken during the boot, in order (SBI calls and interrupts among them are fine). */
  readonly traps?: readonly BootTrap[];
  /** Per hart id, the root PA its satp named when the boot ended; null when translation was off. */
  readonly satpRoots?: readonly (bigint | null)[];
  /** The early boot table's root: a hart still on it never installed its final table. */
  readonly earlyRoot?: bigint;
}

/** scause of an environment call from S-mode: how the hypervisor calls SBI. */
export const SBI_CALL_CAUSE = 9;
/** scause of an environment call from VS-mode: how a guest the hypervisor runs calls SBI, taken by the hypervisor (HS). */
export const GUEST_SBI_CALL_CAUSE = 10;

/**
 * Whether a trap is an SBI call: the hypervisor's own (ecall from S-mode, V = 0) or one of a guest it
 * runs (ecall from VS-mode, which only a trap from V = 1 can be), the hypervisor's to serve.
 */
export function isSbiCall(trap: BootTrap): boolean {
  if (trap.interrupt) return false;
  return trap.cause === SBI_CALL_CAUSE || (trap.cause === GUEST_SBI_CALL_CAUSE && trap.fromVirtual === true);
}

/** Whether the design supports the platform: 1 to 8 harts, a boot hart among them, 16 MiB to 16 GiB of RAM in pages. */
export function bootSupported(platform: BootPlatform): boolean {
  const { harts, bootHart, ramSize } = platform;
  return (
    Number.isInteger(harts) && harts >= MIN_HARTS && harts <= MAX_HARTS &&
    Number.isInteger(bootHart) && bootHart >= 0 && bootHart < harts &&
    isAligned(ramSize, PAGE_SIZE) && ramSize >= MIN_RAM_SIZE && ramSize <= MAX_RAM_SIZE
  );
}

/**
 * BOOT-COMPLETES: on a supported platform the boot printed no panic, took no exception but SBI
 * calls (the hypervisor's, or a guest's it started during the boot), left every hart on a root of its own other than the early table's, and ended ready.
 * Makes no claim about an unsupported platform.
 */
export function bootCompletes(boot: BootObservation): RuleVerdict {
  const { platform } = boot;
  if (!bootSupported(platform)) return undefined;
  const fail = (message: string): RuleVerdict => violation('BOOT-COMPLETES', message);
  const where = `${platform.harts} hart${platform.harts === 1 ? '' : 's'}, boot hart ${platform.bootHart}, ${formatSize(platform.ramSize)} RAM`;
  if (boot.panic !== undefined) return fail(`the boot panicked (${where}): ${JSON.stringify(boot.panic)}`);
  const trap = boot.traps?.find((t) => !t.interrupt && !isSbiCall(t));
  if (trap) {
    return fail(`hart ${trap.hart} took ${trap.name ?? 'an exception'} (cause ${trap.cause}) at pc ${hex(trap.pc)}, tval ${hex(trap.tval)}, during the boot (${where}); only SBI calls are expected`);
  }
  if (boot.satpRoots !== undefined) {
    if (boot.satpRoots.length > platform.harts) throw new RangeError(`bootCompletes: satpRoots has ${boot.satpRoots.length} entries for ${platform.harts} harts`);
    const owner = new Map<bigint, number>();
    for (let hart = 0; hart < platform.harts; hart++) {
      const root = boot.satpRoots[hart];
      if (root === undefined) return fail(`hart ${hart} never installed its final page table: no satp was observed for it (${where})`);
      if (root === null) return fail(`hart ${hart} never installed its final page table: translation is off (${where})`);
      if (root === boot.earlyRoot) return fail(`hart ${hart} never installed its final page table: satp still names the early table's root ${hex(root)} (${where})`);
      const other = owner.get(root);
      if (other !== undefined) return fail(`harts ${other} and ${hart} run on the same root ${hex(root)}; each hart needs a final table of its own (${where})`);
      owner.set(root, hart);
    }
  }
  if (!boot.ready) return fail(`the image neither reported ready nor settled (${where})${boot.detail === undefined ? '' : `: ${boot.detail}`}`);
  return undefined;
}
