/**
 * stack-overflow-sp: STACK-GUARD from the emulator's side, no console needed. One hart is stopped
 * at a quiescent point, its sp moved to 0 or 8 bytes above its stack's bottom, and resumed; its
 * first trap must be a load/store page fault in the guard page with no store outside the stack
 * before it.
 */
import fc from 'fast-check';
import { hex, type Violation } from '../../model/index.js';
import { observeOverflow } from '../checks/stack.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { symbolVa, textSymbol } from '../observe/memory.js';
import { quickPlatforms, type BootedFailure, type Case, type PropertyDefinition } from './definition.js';

export const stackOverflowSpProperty: PropertyDefinition = {
  name: 'stack-overflow-sp',
  covers: ['stack within one frame of the guard'],
  // a sleeping hart is made to call the profile's alloc
  needsSymbols: (p) => [p.allocator.alloc],
  rules: ['STACK-GUARD'],
  runs: 6,
  arbitrary: (o) =>
    quickPlatforms(o).chain((platform) =>
      fc.record({
        platform: fc.constant(platform),
        hart: fc.nat({ max: platform.harts - 1 }),
        // at most one doubleword above the bottom: any frame that saves a register reaches the guard
        sp: fc.constantFrom(0, 8),
      }),
    ),
  check: (booted, c) => runStackPointerOverflow(booted, c),
};

/** Steps (all harts) a hart may take after boot to reach a quiescent point. */
const QUIESCE_STEPS = 1_000_000;
/** Steps (all harts) the overflowing hart may run before its first trap. */
const OVERFLOW_STEPS = 2_000_000;
const STT_FUNC = 2;

/**
 * The emulator-side overflow, which needs no console. Stop the hart at a quiescent point: the next
 * function entry it reaches after boot (nothing of that function's frame is live yet), or, if it
 * sleeps in wfi first, where it sleeps. Put its sp `c.sp` bytes above its stack's bottom and resume;
 * a sleeping hart, whose idle path may never touch its stack, is made to call the image's kalloc
 * from where it stands. The first trap it takes must be a load or store page fault in its guard
 * page, and it must write nothing outside its stack before that.
 */
function runStackPointerOverflow(booted: BootedHypervisor, c: Case): BootedFailure | Violation | undefined {
  const { machine, image } = booted;
  const allocName = image.profile.allocator.alloc;
  const kalloc = symbolVa(image.elf, allocName);
  const hart = (c.hart ?? 0) % booted.platform.harts;
  const h = machine.hart(hart);
  // the stack's bottom where the image's design puts it (the profile's cpu-struct layout)
  const sp = booted.platform.design.cpuStruct.stack.start + BigInt(c.sp ?? 0);
  const functionEntries = [...new Set(image.elf.symbols.filter((s) => s.type === STT_FUNC && s.value !== 0n).map((s) => s.value))];
  const transcript: string[] = [];
  // a pc as the function it is in (`recurse+0x8`) and its address
  const where = (pc: bigint): string => {
    const symbol = textSymbol(image.elf, booted.platform, pc);
    return symbol === undefined ? hex(pc) : `${symbol} (${hex(pc)})`;
  };
  const firstFault = { until: { trap: (e: { hartId: number; interrupt: boolean; cause: number }) => e.hartId === hart && !e.interrupt && e.cause !== 8 && e.cause !== 9 }, maxSteps: OVERFLOW_STEPS };
  let started = false;
  const seen = observeOverflow(
    booted,
    hart,
    functionEntries,
    (begin) => {
      let trapped = false;
      for (let steps = 0; !started && steps < QUIESCE_STEPS && !h.waiting; ) {
        const outcome = machine.run({ ...firstFault, maxSteps: 1_000 });
        steps += outcome.steps;
        trapped = outcome.reason === 'trap';
        if (outcome.reason !== 'budget') break;
      }
      if (trapped) return; // the hart entered a function, had its sp moved and faulted, all in that chunk
      if (!started && h.waiting) {
        const at = h.pc;
        // (said before begin, whose start callback would otherwise say it entered a function here)
        transcript.push(`(emulator) hart ${hart} asleep in wfi at ${where(at)}: sp := ${hex(sp)} (${c.sp ?? 0} bytes above its stack's bottom), then it calls ${allocName} (${hex(kalloc)})`);
        begin();
        h.setRegister(1, at);
        h.pc = kalloc;
        h.waiting = false;
      }
      if (started) machine.run(firstFault);
    },
    (moved) => {
      started = true;
      moved.setRegister(2, sp);
      if (transcript.length === 0) transcript.push(`(emulator) hart ${hart} enters ${where(moved.pc)}: sp := ${hex(sp)} (${c.sp ?? 0} bytes above its stack's bottom), resume`);
    },
  );
  if (!seen.started) return { rule: 'STACK-GUARD', message: `hart ${hart} neither entered a function nor slept in wfi within ${QUIESCE_STEPS} steps after boot, so its sp could not be moved`, transcript };
  if (seen.fault === undefined) {
    const bottom = booted.platform.design.cpuStruct.stack.start;
    const below = seen.stores.find((va) => va < bottom && va >= bottom - 0x1000n);
    const wrote = below === undefined ? '' : `, though it wrote ${hex(below)} in its guard page`;
    return { rule: 'STACK-GUARD', message: `hart ${hart} ran ${OVERFLOW_STEPS} steps with sp ${c.sp ?? 0} bytes above its stack's bottom and took no trap${wrote}`, transcript, hart };
  }
  transcript.push(`(emulator) hart ${hart}'s first trap: cause ${seen.fault.cause}, stval ${hex(seen.fault.tval)}${seen.trap ? `, at ${where(seen.trap.pc)}` : ''}`);
  if (seen.verdict) return { ...seen.verdict, transcript, hart };
  return undefined;
}

