/**
 * STACK-OVERFLOW observations: from the moment a hart starts overflowing (entry of the image's
 * `recurse`, or the function entry or wfi where the suite moved its sp) to its first trap, every store it makes (a
 * physical write watch, mapped back to VAs through its own table) and that trap. The model's
 * overflowFaultsInGuard (STACK-GUARD) judges them.
 */
import type { Hart } from '../../emulator/hart/hart.js';
import {
  CPU_GUARD,
  CPU_STACK,
  CPU_STRUCT_GIGABYTE,
  linearVa,
  overflowFaultsInGuard,
  pagesOf,
  runsWithin,
  type RuleVerdict,
  type StackOverflowFault,
} from '../../model/index.js';
import type { BootedHypervisor, ObservedTrap } from '../harness/hypervisor.js';
import { machineClock, readHartTable, recordWrites } from '../observe/memory.js';

export interface OverflowObservation {
  /** The first trap on the hart after the overflow began (undefined: none, e.g. the recursion fit). */
  readonly fault: StackOverflowFault | undefined;
  readonly trap: ObservedTrap | undefined;
  readonly verdict: RuleVerdict;
  /** Whether the overflow began at all (the start hook fired). */
  readonly started: boolean;
  /** The VAs the hart stored to from the start to its first trap (or to the end, without one). */
  readonly stores: readonly bigint[];
}

/**
 * Runs `drive` (which makes `hart` overflow) while watching: `start(hart)` is called, and the
 * recording begins, when that hart first reaches one of the PCs `startAt`; `drive` may also call
 * the `begin` it is given to start at once.
 */
export function observeOverflow(
  booted: BootedHypervisor,
  hart: number,
  startAt: readonly bigint[],
  drive: (begin: () => void) => void,
  start?: (h: Hart) => void,
  { judgeStores = true }: { judgeStores?: boolean } = {},
): OverflowObservation {
  const { machine } = booted;
  const table = readHartTable(machine, hart);
  // PA -> VA of this hart's cpu struct pages; any other RAM PA is named by its linear-map VA
  const cpuVa = new Map<bigint, bigint>();
  for (const { va, pa } of pagesOf(runsWithin(table?.runs ?? [], CPU_STRUCT_GIGABYTE))) cpuVa.set(pa, va);
  const ramBase = BigInt(machine.bus.ram.base);
  const vaOf = (pa: bigint): bigint => {
    const page = pa & ~0xfffn;
    const va = cpuVa.get(page);
    return va === undefined ? linearVa(pa, ramBase) : va + (pa - page);
  };
  let startedAt: number | undefined;
  let stopRecording: (() => { pa: bigint; hart: number; time: number }[]) | undefined;
  const begin = (h: Hart): void => {
    if (startedAt !== undefined) return;
    start?.(h);
    startedAt = machineClock(machine);
    stopRecording = recordWrites(machine);
  };
  const removeHooks = startAt.map((pc) => machine.addPcHook(hart, pc, begin));
  const trapsBefore = booted.traps.length;
  try {
    drive(() => begin(machine.hart(hart)));
  } finally {
    for (const remove of removeHooks) remove();
  }
  const writes = stopRecording?.() ?? [];
  const trap = booted.traps.slice(trapsBefore).find((t) => t.hartId === hart && !t.interrupt && t.cause !== 8 && t.cause !== 9 && startedAt !== undefined && t.time >= startedAt);
  const storesBeforeFault = writes.filter((w) => w.hart === hart && (trap === undefined || w.time <= trap.time)).map((w) => vaOf(w.pa));
  if (startedAt === undefined || trap === undefined) return { fault: undefined, trap, verdict: undefined, started: startedAt !== undefined, stores: storesBeforeFault };
  // the image's own cpu-struct layout (its profile), which may have no guard page
  const layout = booted.platform.design.cpuStruct;
  const guard = layout.guard;
  if (storesBeforeFault.some((va) => va >= layout.stack.start && va < layout.stack.start + 0x1000n) || (guard !== null && trap.tval >= guard.start && trap.tval < guard.end)) {
    booted.coverage.add('stack within one frame of the guard');
  }
  // when sp was moved from outside, the code before the fault ran legitimately (locks, globals): judge the fault only
  const fault: StackOverflowFault = { hart, cause: trap.cause, tval: trap.tval, ...(judgeStores ? { storesBeforeFault } : {}) };
  return { fault, trap, verdict: overflowFaultsInGuard([fault], layout), started: true, stores: storesBeforeFault };
}
