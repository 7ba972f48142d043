/**
 * VM lifecycles as plain data: create / run / destroy steps mixed with kalloc / kfree console
 * commands. As in program.ts, everything that names something live (a VM, a held frame, a hart) is
 * a position taken modulo what exists when the step runs, so every shrink is still a valid lifecycle.
 */
import fc from 'fast-check';

import { checkSchedule, scheduleArbitrary, type ScheduleSlice } from './schedule.js';

export const GUEST_STEP_KINDS = ['create', 'run', 'destroy', 'alloc', 'free', 'together'] as const;
export type GuestStepKind = (typeof GUEST_STEP_KINDS)[number];

/**
 * The guest's final probe: none, a load inside its RAM (offset from its start) or past its end, or a
 * fetch past its end (the guest jumps there).
 */
export type GuestProbe =
  | { readonly at: 'none' }
  | { readonly at: 'inside'; readonly offset: number }
  | { readonly at: 'outside'; readonly offset: number }
  | { readonly at: 'fetch-outside'; readonly offset: number };

/** One guest run: live VM #vm on hart #hart, `stores` stores picked by `seed`, then the probe. */
export interface GuestRun {
  readonly hart: number;
  readonly vm: number;
  readonly seed: number;
  readonly stores: number;
  readonly probe: GuestProbe;
}

export type GuestStep =
  /** vm-create of `pages` × 4 KiB (below 8 pages: refused as bad-size). */
  | { readonly kind: 'create'; readonly pages: number }
  /** vm-run of one guest run. */
  | ({ readonly kind: 'run' } & GuestRun)
  /**
   * vm-run-together: several runs at once, each VM on its own hart (positions; a VM or hart named
   * twice takes the next one not yet taken), interleaved by `schedule` (hart positions, repeated).
   */
  | { readonly kind: 'together'; readonly runs: readonly GuestRun[]; readonly schedule: readonly ScheduleSlice[] }
  /** vm-destroy of live VM #vm. */
  | { readonly kind: 'destroy'; readonly vm: number }
  /** alloc on hart #hart (the frame is held by the lifecycle). */
  | { readonly kind: 'alloc'; readonly hart: number }
  /** free of held frame #frame on hart #hart. */
  | { readonly kind: 'free'; readonly hart: number; readonly frame: number };

/** The largest guest generated: 2 MiB + 2 pages (two level-0 tables); the hypervisor takes up to 64 MiB but every page costs a kalloc. */
export const MAX_GUEST_PAGES = 514;
/** Stores the bundled guest makes at most per run here. */
export const MAX_GUEST_STORES = 64;
/** Probe offsets reach a little over 1 GiB past the RAM's end (another level-1 table's range). */
const MAX_PROBE_OFFSET = 0x4010_0000;

const position = fc.nat({ max: 1 << 10 });
const hart = fc.nat({ max: 7 });

/** Guest RAM sizes in pages: the minimum, sizes that are no 2 MiB multiple, around 2 MiB, and a few refused ones. */
export const guestPagesArbitrary: fc.Arbitrary<number> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.integer({ min: 8, max: 40 }), weight: 6 },
  { arbitrary: fc.constantFrom(511, 512, 513, 514), weight: 3 },
  { arbitrary: fc.integer({ min: 41, max: MAX_GUEST_PAGES }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 7 }), weight: 1 },
);

const probeArbitrary: fc.Arbitrary<GuestProbe> = fc.oneof(
  { withCrossShrink: true },
  fc.constant({ at: 'none' as const }),
  fc.record({ at: fc.constant('inside' as const), offset: fc.nat({ max: MAX_GUEST_PAGES * 4096 - 8 }).map((o) => o & ~7) }),
  fc.record({ at: fc.constant('outside' as const), offset: fc.oneof(fc.nat({ max: 0x3000 }), fc.nat({ max: MAX_PROBE_OFFSET })).map((o) => o & ~7) }),
  fc.record({ at: fc.constant('fetch-outside' as const), offset: fc.oneof(fc.nat({ max: 0x3000 }), fc.nat({ max: MAX_PROBE_OFFSET })).map((o) => o & ~3) }),
);

const runArbitrary: fc.Arbitrary<GuestRun> = fc.record({ hart, vm: position, seed: fc.nat({ max: 0xffff }), stores: fc.nat({ max: MAX_GUEST_STORES }), probe: probeArbitrary });

/** Runs at most in one vm-run-together (the console's line holds three; a platform here has at most four harts). */
export const MAX_RUNS_TOGETHER = 3;

export const GUEST_STEP_ARBITRARIES: Readonly<Record<GuestStepKind, fc.Arbitrary<GuestStep>>> = {
  create: fc.record({ kind: fc.constant('create' as const), pages: guestPagesArbitrary }),
  run: runArbitrary.map((r) => ({ kind: 'run' as const, ...r })),
  together: fc.record({
    kind: fc.constant('together' as const),
    runs: fc.array(runArbitrary, { minLength: 2, maxLength: MAX_RUNS_TOGETHER }),
    // short slices make two guests (and the console) interleave finely
    schedule: scheduleArbitrary(8, { maxSlices: 6, maxSteps: 300 }),
  }),
  destroy: fc.record({ kind: fc.constant('destroy' as const), vm: position }),
  alloc: fc.record({ kind: fc.constant('alloc' as const), hart }),
  free: fc.record({ kind: fc.constant('free' as const), hart, frame: position }),
};

/**
 * A lifecycle: single steps mixed with cycles (create, run on a hart, destroy the oldest VM), so
 * VMIDs are given out again and run where their previous holder ran.
 */
export function guestLifecycleArbitrary(maxLength = 14): fc.Arbitrary<GuestStep[]> {
  const single = fc.oneof(
    { arbitrary: GUEST_STEP_ARBITRARIES.create, weight: 3 },
    { arbitrary: GUEST_STEP_ARBITRARIES.run, weight: 4 },
    { arbitrary: GUEST_STEP_ARBITRARIES.together, weight: 2 },
    { arbitrary: GUEST_STEP_ARBITRARIES.destroy, weight: 2 },
    { arbitrary: GUEST_STEP_ARBITRARIES.alloc, weight: 1 },
    { arbitrary: GUEST_STEP_ARBITRARIES.free, weight: 1 },
  ).map((s) => [s]);
  const cycle = fc
    .tuple(GUEST_STEP_ARBITRARIES.create, GUEST_STEP_ARBITRARIES.run)
    .map(([create, run]): GuestStep[] => [create, { ...(run as Extract<GuestStep, { kind: 'run' }>), vm: 0 }, { kind: 'destroy', vm: 0 }]);
  // two VMs made, then run at once: what a together step needs to run more than one guest
  const pair = fc
    .tuple(GUEST_STEP_ARBITRARIES.create, GUEST_STEP_ARBITRARIES.create, GUEST_STEP_ARBITRARIES.together)
    .map(([a, b, together]): GuestStep[] => [a, b, together]);
  return fc
    .array(fc.oneof({ arbitrary: single, weight: 3 }, { arbitrary: cycle, weight: 2 }, { arbitrary: pair, weight: 1 }), { minLength: 1, maxLength: Math.ceil(maxLength / 2) })
    .map((chunks) => chunks.flat().slice(0, maxLength));
}

export function formatGuestStep(s: GuestStep): string {
  const { kind, ...rest } = s;
  return `${kind}(${Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')})`;
}

const RUN_FIELDS = { hart: 7, vm: Number.MAX_SAFE_INTEGER, seed: 0xffff_ffff, stores: 1 << 16, probe: 0 };

/** Each kind's fields and the largest value of the numeric ones (together's are checked on their own). */
const STEP_FIELDS: Readonly<Record<GuestStepKind, Record<string, number>>> = {
  create: { pages: 1 << 20 },
  run: RUN_FIELDS,
  destroy: { vm: Number.MAX_SAFE_INTEGER },
  alloc: { hart: 7 },
  free: { hart: 7, frame: Number.MAX_SAFE_INTEGER },
  together: { runs: 0, schedule: 0 },
};

/** Checks `step`'s `fields` (a run's, or a kind's); throws naming `where` and the field. */
function checkFields(step: Record<string, unknown>, fields: Record<string, number>, where: string, what: string): void {
  for (const field of Object.keys(step)) {
    if (field !== 'kind' && !(field in fields)) throw new RangeError(`${where} (${what}) has an unknown field ${field}`);
  }
  for (const [field, max] of Object.entries(fields)) {
    const v = step[field];
    if (field === 'runs' || field === 'schedule') continue;
    if (field === 'probe') {
      const p = v as Record<string, unknown> | null;
      const ok = typeof p === 'object' && p !== null && (p.at === 'none' ? Object.keys(p).length === 1 : (p.at === 'inside' || p.at === 'outside' || p.at === 'fetch-outside') && Number.isSafeInteger(p.offset) && (p.offset as number) >= 0 && (p.offset as number) <= MAX_PROBE_OFFSET && (p.at !== 'fetch-outside' || (p.offset as number) % 4 === 0) && Object.keys(p).length === 2);
      if (!ok) throw new RangeError(`${where}.probe = ${JSON.stringify(v)}: must be {"at":"none"}, {"at":"inside"|"outside","offset":0..${MAX_PROBE_OFFSET}} or {"at":"fetch-outside","offset":a multiple of 4 up to ${MAX_PROBE_OFFSET}}`);
    } else if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > max) {
      throw new RangeError(`${where}.${field} = ${JSON.stringify(v)}: must be an integer from 0 to ${max}`);
    }
  }
}

/** Checks a value that claims to be a lifecycle (replay tokens); throws naming the bad step and field. */
export function checkGuestLifecycle(value: unknown): GuestStep[] {
  if (!Array.isArray(value)) throw new RangeError(`guest = ${JSON.stringify(value)}: must be a list of steps`);
  return value.map((s: unknown, i) => {
    const step = s as Record<string, unknown> | null;
    if (typeof step !== 'object' || step === null || !GUEST_STEP_KINDS.includes(step.kind as GuestStepKind)) {
      throw new RangeError(`guest[${i}].kind = ${JSON.stringify(step?.kind)}: must be one of ${GUEST_STEP_KINDS.join(', ')}`);
    }
    checkFields(step, STEP_FIELDS[step.kind as GuestStepKind], `guest[${i}]`, String(step.kind));
    if (step.kind === 'together') {
      const runs = step.runs;
      if (!Array.isArray(runs) || runs.length < 1 || runs.length > MAX_RUNS_TOGETHER) throw new RangeError(`guest[${i}].runs = ${JSON.stringify(runs)}: must be a list of 1 to ${MAX_RUNS_TOGETHER} runs`);
      runs.forEach((r: unknown, k) => {
        if (typeof r !== 'object' || r === null) throw new RangeError(`guest[${i}].runs[${k}] = ${JSON.stringify(r)}: must be a run`);
        checkFields(r as Record<string, unknown>, RUN_FIELDS, `guest[${i}].runs[${k}]`, 'run');
      });
      try {
        checkSchedule(step.schedule, 8);
      } catch (e) {
        throw new RangeError(`guest[${i}].schedule: ${(e as Error).message}`);
      }
    }
    return step as unknown as GuestStep;
  });
}
