/**
 * kmem-concurrent: batches of kalloc/kfree pairs on two or more harts at once, interleaved by a
 * generated schedule (repeated through the batch). The hooks' timed history must be linearizable
 * per frame and the batch must end with the free set it began with (KMEM-CONCURRENT); no frame is
 * handed out twice (KMEM-NO-DOUBLE-FREE); the free list stays intact (KMEM-INTEGRITY).
 */
import fc from 'fast-check';
import { concurrentHistoryLinearizable, freeListIntact, hex, linearPa, type Violation } from '../../model/index.js';
import { cycleSchedule, normalizeSchedule, scheduleArbitrary, type ScheduleSlice } from '../arbitraries/schedule.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { readKmem } from '../observe/memory.js';
import { AllocatorCalls, allocatorSymbols, runCallBatch } from '../kmem/calls.js';
import { quickPlatforms, spec, type BootedFailure, type Case, type PropertyDefinition } from './definition.js';

/** Steps the schedule is expanded to: longer than any batch of the generator's size. */
const CONCURRENT_STEPS = 3_000_000;

export const kmemConcurrentProperty: PropertyDefinition = {
  name: 'kmem-concurrent',
  covers: ['two harts inside kalloc at once'],
  // an image whose profile names our console must answer on it; one with no console protocol is driven by injected calls
  needsConsole: (p) => p.console !== null,
  // the hooks are the batch's whole history (console or injected calls)
  needsSymbols: allocatorSymbols,
  rules: ['KMEM-CONCURRENT', 'KMEM-NO-DOUBLE-FREE', 'KMEM-INTEGRITY', 'KMEM-ZEROED'],
  runs: 12,
  arbitrary: (o) =>
    quickPlatforms(o, 2).chain((platform) =>
      fc.record({
        platform: fc.constant(platform),
        program: fc.array(
          fc.record({ kind: fc.constant('batch' as const), harts: fc.uniqueArray(fc.nat({ max: platform.harts - 1 }), { minLength: 2, maxLength: platform.harts }), count: fc.integer({ min: 1, max: 32 }) }),
          { minLength: 1, maxLength: 3 },
        ),
        schedule: scheduleArbitrary(platform.harts, { maxSlices: 8, maxSteps: 200 }),
      }),
    ),
  examples: (o) => [
    // step-by-step interleavings, which a lock missing from alloc or free cannot survive; on harts
    // 1 and 2 of three, because a boot hart may never be quiescent (ours polls its console)
    ...(o.image.profile.console === null
      ? [
          { platform: spec(3, 0, 16n), program: [{ kind: 'batch' as const, harts: [1, 2], count: 4 }], schedule: [{ hart: 1, steps: 1 }, { hart: 2, steps: 1 }] },
          { platform: spec(3, 0, 16n), program: [{ kind: 'batch' as const, harts: [1, 2], count: 4 }], schedule: [{ hart: 1, steps: 3 }, { hart: 2, steps: 2 }] },
        ]
      : []),
    { platform: spec(2, 0, 16n), program: [{ kind: 'batch', harts: [0, 1], count: 16 }], schedule: [{ hart: 0, steps: 7 }, { hart: 1, steps: 5 }] },
    { platform: spec(4, 3, 16n), program: [{ kind: 'batch', harts: [0, 1, 2, 3], count: 32 }], schedule: [{ hart: 0, steps: 3 }, { hart: 1, steps: 11 }, { hart: 2, steps: 2 }, { hart: 3, steps: 17 }] },
  ],
  check: (booted, c) => runConcurrent(booted, c),
};

function runConcurrent(booted: BootedHypervisor, c: Case): BootedFailure | Violation | undefined {
  if (!booted.hasConsole) {
    const calls = new AllocatorCalls(booted);
    const cycle = normalizeSchedule(c.schedule ?? []);
    for (const batch of c.program ?? []) {
      if (batch.kind !== 'batch') continue;
      const failure = runCallBatch(calls, batch.harts, batch.count, cycle);
      if (failure !== undefined) return failure;
    }
    return undefined;
  }
  const { machine, platform } = booted;
  const transcript: string[] = [];
  const schedule = normalizeSchedule(c.schedule ?? []);
  const freeSet = (): Set<bigint> => new Set(readKmem(machine, booted.image.elf, platform).freeList);
  for (const batch of c.program ?? []) {
    if (batch.kind !== 'batch') continue;
    const harts = [...new Set(batch.harts.map((h) => h % platform.harts))];
    const line = `batch ${harts.join(',')} a${batch.count} f${batch.count}`;
    const inUse = booted.shadow.ownedFrames();
    booted.shadow.startHistory();
    const before = freeSet();
    if (schedule.length > 0) machine.setSchedule({ kind: 'slices', slices: cycleSchedule(schedule, CONCURRENT_STEPS), then: 'round-robin' });
    const reply = booted.command(line, harts.length + 1);
    machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
    transcript.push(`> ${line}`, ...reply.map((l) => `< ${l}`));
    // every kalloc of the batch is matched by a kfree of the same frame, so any linearization ends
    // with exactly the frames that were free before still free: compare the final state too
    const after = freeSet();
    const lost = [...before].find((va) => !after.has(va));
    const gained = [...after].find((va) => !before.has(va));
    const finalState: Violation | undefined =
      lost !== undefined || gained !== undefined
        ? {
            rule: 'KMEM-CONCURRENT',
            message: `after "${line}" (each kalloc matched by a kfree Ok) frame ${hex(linearPa((lost ?? gained)!, platform.ramBase))} is ${lost !== undefined ? 'no longer' : 'now'} on the free list (${after.size} listed, ${before.size} before): no sequential order of the calls ends in this state`,
          }
        : undefined;
    const kmem = readKmem(machine, booted.image.elf, platform);
    const found = [
      booted.shadow.violation,
      booted.shadow.unzeroed,
      concurrentHistoryLinearizable(platform, booted.shadow.calls, inUse),
      finalState,
      freeListIntact(platform, kmem, booted.shadow.ownedFrames()),
    ].filter((v): v is Violation => v !== undefined);
    if (found.length > 0) return { ...found[0]!, also: found.slice(1), transcript };
    const last = reply.at(-1) ?? '';
    if (!last.startsWith('OK batch ') || reply.some((l) => /failed=[1-9]/.test(l))) {
      return { rule: 'KMEM-CONCURRENT', message: `"${line}" answered ${reply.map((l) => JSON.stringify(l)).join(', ')}; a failed kalloc with frames to spare, or a batch that does not end as it began, is no sequential order of the calls`, transcript };
    }
  }
  return undefined;
}
