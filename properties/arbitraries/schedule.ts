/**
 * Hart schedules: lists of (hart, steps) slices that fix how harts interleave (the board runs one
 * hart at a time, so a schedule makes a concurrent run exact and replayable). Shrinking goes toward
 * fewer and larger slices: the list shrinks by dropping slices, and each slice's length is drawn as
 * `maxSteps - offset` with the offset shrinking to 0.
 */
import fc from 'fast-check';

/** One slice: `hart` (by index in the machine's hart list) runs `steps` steps (instructions or traps). */
export interface ScheduleSlice {
  readonly hart: number;
  readonly steps: number;
}

export interface ScheduleArbitraryOptions {
  readonly maxSlices?: number;
  /** Longest slice; shrinking moves lengths toward it. */
  readonly maxSteps?: number;
  /** Shortest slice (default 1: a single instruction, the finest interleaving). */
  readonly minSteps?: number;
}

export const DEFAULT_MAX_SLICES = 24;
export const DEFAULT_MAX_STEPS = 400;

export function scheduleArbitrary(harts: number, options: ScheduleArbitraryOptions = {}): fc.Arbitrary<ScheduleSlice[]> {
  if (!Number.isInteger(harts) || harts < 1) throw new RangeError(`scheduleArbitrary: harts = ${harts}: must be a positive integer`);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const minSteps = options.minSteps ?? 1;
  if (minSteps < 1 || maxSteps < minSteps) throw new RangeError(`scheduleArbitrary: steps must satisfy 1 <= minSteps (${minSteps}) <= maxSteps (${maxSteps})`);
  // short slices are what make races; bias the offset toward the large end (short slices)
  const offset = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.integer({ min: 0, max: maxSteps - minSteps }), weight: 1 },
    { arbitrary: fc.integer({ min: Math.max(0, maxSteps - minSteps - 16), max: maxSteps - minSteps }), weight: 2 },
  );
  const slice = fc.record({ hart: fc.nat({ max: harts - 1 }), offset }).map(({ hart, offset }) => ({ hart, steps: maxSteps - offset }));
  return fc.array(slice, { maxLength: options.maxSlices ?? DEFAULT_MAX_SLICES });
}

/** Merges neighbouring slices of the same hart (the same interleaving, fewer slices). */
export function normalizeSchedule(slices: readonly ScheduleSlice[]): ScheduleSlice[] {
  const out: ScheduleSlice[] = [];
  for (const s of slices) {
    const last = out[out.length - 1];
    if (last !== undefined && last.hart === s.hart) out[out.length - 1] = { hart: s.hart, steps: last.steps + s.steps };
    else out.push(s);
  }
  return out;
}

/** "h1×12 h0×400 h1×3", or "round-robin" for the empty schedule (the board's default after the slices). */
export function formatSchedule(slices: readonly ScheduleSlice[]): string {
  return slices.length === 0 ? 'round-robin' : slices.map((s) => `h${s.hart}×${s.steps}`).join(' ');
}

/** Expands slices cyclically so the interleaving they describe lasts `totalSteps`. */
export function cycleSchedule(slices: readonly ScheduleSlice[], totalSteps: number): ScheduleSlice[] {
  if (slices.length === 0) return [];
  const out: ScheduleSlice[] = [];
  let steps = 0;
  while (steps < totalSteps) {
    for (const s of slices) {
      out.push(s);
      steps += s.steps;
    }
  }
  return out;
}

/** Checks a value that claims to be a schedule (e.g. from a replay token); throws naming the bad slice. */
export function checkSchedule(value: unknown, harts: number): ScheduleSlice[] {
  if (!Array.isArray(value)) throw new RangeError(`schedule = ${JSON.stringify(value)}: must be a list of slices`);
  return value.map((s: unknown, i) => {
    const slice = s as Partial<ScheduleSlice> | null;
    if (typeof slice !== 'object' || slice === null || !Number.isInteger(slice.hart) || slice.hart! < 0 || slice.hart! >= harts) {
      throw new RangeError(`schedule[${i}].hart = ${JSON.stringify(slice?.hart)}: must be a hart index below ${harts}`);
    }
    if (!Number.isSafeInteger(slice.steps) || slice.steps! < 1) throw new RangeError(`schedule[${i}].steps = ${JSON.stringify(slice.steps)}: must be a positive integer`);
    return { hart: slice.hart!, steps: slice.steps! };
  });
}
