/**
 * stack-overflow: one hart recurses 100 to 100 000 levels deep through the console (`recurse`).
 * STACK-GUARD: its first fault is a load/store page fault in the guard page with no store outside
 * the stack before it, it is reported as a stack overflow, and the hart keeps serving (the recurse
 * command, kmem/commands/recurse.ts); and the overflow leaves every page-table frame and the
 * cpu-struct pages of every sleeping hart byte for byte unchanged (here).
 */
import fc from 'fast-check';
import { CPU_STRUCT_GIGABYTE, formatRange, hex, pagesOf, runsWithin, type Violation } from '../../model/index.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { runProgram } from '../kmem/program.js';
import { KMEM_SYMBOLS, changedRanges, readTranslatingHartTables } from '../observe/memory.js';
import { quickPlatforms, STEP_RULES, type BootedFailure, type Case, type PropertyDefinition } from './definition.js';

export const stackOverflowProperty: PropertyDefinition = {
  name: 'stack-overflow',
  covers: ['stack within one frame of the guard'],
  needsConsole: true,
  // recurse: where the overflow's stores are watched from; the program's model needs the allocator and probe_ret
  needsSymbols: [...KMEM_SYMBOLS, 'recurse', 'probe_ret'],
  rules: ['STACK-GUARD'],
  checks: ['STACK-GUARD', ...STEP_RULES],
  runs: 6,
  arbitrary: (o) =>
    quickPlatforms(o).chain((platform) =>
      fc.record({
        platform: fc.constant(platform),
        program: fc.tuple(fc.nat({ max: platform.harts - 1 }), fc.integer({ min: 100, max: 100_000 })).map(([hart, depth]) => [{ kind: 'recurse' as const, hart, depth }]),
      }),
    ),
  check: (booted, c) => overflowLeavesOthersAlone(booted, c, () => runProgram(booted, c.program ?? [])),
};

/**
 * Memory before/after an overflow: every page-table frame and the cpu-struct pages of every hart
 * that sleeps meanwhile must be byte for byte unchanged (the overflowing hart's own trap stack and
 * cpu info, and the console hart, which runs meanwhile, legitimately change, so they are not compared).
 */
function overflowLeavesOthersAlone(booted: BootedHypervisor, c: Case, run: () => BootedFailure | Violation | undefined): BootedFailure | Violation | undefined {
  const [command] = c.program ?? [];
  if (command?.kind !== 'recurse') return run();
  const hart = command.hart % booted.platform.harts;
  const harts = readTranslatingHartTables(booted.machine);
  const watched: { pa: bigint; what: string }[] = [];
  for (const { hart: h, table } of harts) {
    for (const pa of table.tableFrames) watched.push({ pa, what: `a page-table frame of hart ${h}` });
    // the overflowing hart's own pages change while the fault is reported; the console hart runs meanwhile
    if (h === hart || h === booted.bootHart) continue;
    for (const { va, pa } of pagesOf(runsWithin(table.runs, CPU_STRUCT_GIGABYTE))) watched.push({ pa, what: `hart ${h}'s cpu-struct page ${hex(va)}` });
  }
  const before = watched.map((w) => booted.machine.readPhysical(w.pa, 0x1000));
  const failure = run();
  if (failure) return failure;
  for (const [i, w] of watched.entries()) {
    const [changed] = changedRanges(before[i]!, booted.machine.readPhysical(w.pa, 0x1000), w.pa);
    if (changed) return { rule: 'STACK-GUARD', message: `hart ${hart}'s stack overflow changed ${formatRange(changed)} in ${w.what}, outside its stack`, hart };
  }
  return undefined;
}
