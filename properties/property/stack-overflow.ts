/**
 * stack-overflow: one hart runs 100 to 100 000 levels deep. Through the console it recurses
 * (`recurse`); on an image with no console protocol the profile's alloc is called on an idle hart
 * with its stack already used up to a generated depth (sp a generated number of bytes above the
 * stack's bottom, as deep recursion would leave it).
 * STACK-GUARD: the first fault is a load/store page fault in the guard page with no store outside
 * the stack before it (the console's recursion), and nothing is ever written into the guard page; it
 * is reported as a stack overflow and the hart keeps serving (the recurse command,
 * kmem/commands/recurse.ts); and the overflow leaves every page-table frame and the cpu-struct pages
 * of every sleeping hart byte for byte unchanged (here).
 */
import fc from 'fast-check';
import { CPU_STRUCT_GIGABYTE, formatRange, hex, PAGE_SIZE, pagesOf, runsWithin, type Violation } from '../../model/index.js';
import { observeOverflow } from '../checks/stack.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { AllocatorCalls, allocatorSymbols, describeCall } from '../kmem/calls.js';
import { runProgram } from '../kmem/program.js';
import { KMEM_SYMBOLS, changedRanges, readTranslatingHartTables } from '../observe/memory.js';
import { quickPlatforms, spec, STEP_RULES, type BootedFailure, type Case, type PropertyDefinition } from './definition.js';

const PTE_A_BIT = 0x40;
const PTE_D_BIT = 0x80;

export const stackOverflowProperty: PropertyDefinition = {
  name: 'stack-overflow',
  covers: ['stack within one frame of the guard'],
  // an image whose profile names our console must answer on it; one with no console protocol is driven by injected calls
  needsConsole: (p) => p.console !== null,
  // recurse: where the overflow's stores are watched from; the program's model needs the allocator and probe_ret
  needsSymbols: (p) => (p.console === 'hvspec-debug' ? [...KMEM_SYMBOLS, 'recurse', 'probe_ret'] : allocatorSymbols(p)),
  rules: ['STACK-GUARD'],
  checks: ['STACK-GUARD', ...STEP_RULES],
  runs: 6,
  arbitrary: (o) =>
    quickPlatforms(o).chain((platform) =>
      o.image.profile.console === null
        ? fc.record({
            platform: fc.constant(platform),
            hart: fc.nat({ max: platform.harts - 1 }),
            // bytes of stack left: mostly within a frame or two of the guard, sometimes anywhere (clamped to the image's stack)
            sp: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 256 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 0x4000 }), weight: 1 }),
          }) as fc.Arbitrary<Case>
        : fc.record({
            platform: fc.constant(platform),
            program: fc.tuple(fc.nat({ max: platform.harts - 1 }), fc.integer({ min: 100, max: 100_000 })).map(([hart, depth]) => [{ kind: 'recurse' as const, hart, depth }]),
          }),
    ),
  examples: (o) =>
    o.image.profile.console === null
      ? [
          // the alloc's first frame straddles the guard, and a stack used up to its last byte; on hart
          // 1 of two, because a boot hart may never be quiescent (ours polls its console)
          { platform: spec(2, 0, 16n), hart: 1, sp: 16 },
          { platform: spec(2, 0, 16n), hart: 1, sp: 0 },
        ]
      : [],
  check: (booted, c) => {
    if (booted.hasConsole) {
      const [command] = c.program ?? [];
      if (command?.kind !== 'recurse') return runProgram(booted, c.program ?? []);
      const hart = command.hart % booted.platform.harts;
      // the console hart runs meanwhile, so its pages are not compared
      return overflowLeavesOthersAlone(booted, hart, [hart, booted.bootHart], () => runProgram(booted, c.program ?? []));
    }
    const calls = new AllocatorCalls(booted);
    const hart = calls.requireHart((c.hart ?? 0) % booted.platform.harts);
    return overflowLeavesOthersAlone(booted, hart, [hart], () => callWithStackUsedUp(calls, hart, c.sp ?? 0));
  },
};

/**
 * The call-driven overflow: the profile's alloc called on `hart` with sp `left` bytes (rounded down
 * to the psABI's 16) above its stack's bottom. If the call traps, its first trap must be the guard
 * page's load or store page fault; whether it traps or returns, it must have stored nothing into the
 * guard page (a missing or mapped guard shows here), and a frame it returned is freed again.
 */
function callWithStackUsedUp(calls: AllocatorCalls, hart: number, left: number): BootedFailure | undefined {
  const { booted } = calls;
  const layout = booted.platform.design.cpuStruct;
  const size = layout.stack.end - layout.stack.start;
  const sp = layout.stack.start + ((BigInt(left) < size ? BigInt(left) : size) & ~15n);
  const guard = layout.guard ?? { start: layout.stack.start - PAGE_SIZE, end: layout.stack.start };
  const transcript = calls.transcript;
  transcript.push(`(emulator) hart ${hart} calls ${calls.profile.allocator.alloc} with sp := ${hex(sp)} (${sp - layout.stack.start} bytes above its stack's bottom)`);
  let outcome: ReturnType<AllocatorCalls['run']>[number] | undefined;
  const seen = observeOverflow(
    booted,
    hart,
    [],
    (begin) => {
      begin();
      [outcome] = calls.run([{ hart, op: 'alloc', sp }]);
    },
    undefined,
    // the allocator's own stores (its lock, the free list) are legitimate: the guard page is what is judged
    { judgeStores: false },
  );
  const fail = (message: string): BootedFailure => ({ rule: 'STACK-GUARD', message, transcript, hart });
  const intoGuard = seen.stores.find((va) => va >= guard.start && va < guard.end);
  if (intoGuard !== undefined) return fail(`${transcript.at(-1)}, but before that it stored to ${hex(intoGuard)}, in its ${layout.guard === null ? 'stack\'s next page down (the profile names no guard page)' : `guard page ${formatRange(guard)}`}`);
  if (outcome?.kind === 'trap' && seen.verdict !== undefined) return { ...fail(seen.verdict.message), rule: seen.verdict.rule };
  if (outcome?.kind === 'returned' && outcome.a0 !== 0n) calls.run([{ hart, op: 'free', va: calls.asVa(outcome.a0) }]);
  if (outcome !== undefined && outcome.kind !== 'returned' && outcome.kind !== 'trap') return fail(`${describeCall(calls.profile.allocator.alloc, hart, [], outcome)}: with its stack nearly used up a call must either return or fault in the guard page`);
  return undefined;
}

/**
 * Memory before/after an overflow: every page-table frame and the cpu-struct pages of every hart
 * not in `running` (which sleep meanwhile) must be byte for byte unchanged (the overflowing hart's
 * own trap stack and cpu info legitimately change, and so do those of a console hart that runs
 * meanwhile, so they are not compared).
 */
function overflowLeavesOthersAlone(booted: BootedHypervisor, hart: number, running: readonly (number | undefined)[], run: () => BootedFailure | Violation | undefined): BootedFailure | Violation | undefined {
  const harts = readTranslatingHartTables(booted.machine);
  const watched: { pa: bigint; what: string; table?: true }[] = [];
  for (const { hart: h, table } of harts) {
    for (const pa of table.tableFrames) watched.push({ pa, what: `a page-table frame of hart ${h}`, table: true });
    if (running.includes(h)) continue;
    for (const { va, pa } of pagesOf(runsWithin(table.runs, CPU_STRUCT_GIGABYTE))) watched.push({ pa, what: `hart ${h}'s cpu-struct page ${hex(va)}` });
  }
  // a PTE's A and D bits are the hardware's to set (an image may rely on it): not a change of the table
  const read = (w: { pa: bigint; table?: true }): Uint8Array => {
    const bytes = booted.machine.readPhysical(w.pa, 0x1000);
    if (w.table) for (let i = 0; i < bytes.length; i += 8) bytes[i]! &= ~(PTE_A_BIT | PTE_D_BIT);
    return bytes;
  };
  const before = watched.map(read);
  const failure = run();
  if (failure) return failure;
  for (const [i, w] of watched.entries()) {
    const [changed] = changedRanges(before[i]!, read(w), w.pa);
    if (changed) return { rule: 'STACK-GUARD', message: `hart ${hart}'s stack overflow changed ${formatRange(changed)} in ${w.what}, outside its stack`, hart };
  }
  return undefined;
}
