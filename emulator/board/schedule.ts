/**
 * Schedules: which hart runs next, and for how many steps. A step is one
 * instruction retired or one trap taken (Hart.run's unit); harts never run
 * concurrently, so a schedule fixes the interleaving exactly and a run is a
 * pure function of image, platform, input and schedule.
 *
 * - `round-robin`: harts 0, 1, ..., N-1, 0, ... each for `quantum` steps.
 * - `slices`: the given (hart, steps) slices in order, then `then`
 *   ('round-robin' with the default quantum, or 'stop', which ends the run
 *   with reason 'schedule-end').
 *
 * A slice ends early, and the rest of it is forfeited, when its hart is
 * stopped (HSM STOPPED, or never started) — such a slice runs nothing — or
 * when the hart waits in WFI with no interrupt pending (it runs up to the
 * WFI, then gives up the slice). A slice cut short by the run itself (an
 * exit, an `until` condition, the instruction budget) keeps its remainder
 * for the next run, so splitting a run into pieces never changes it.
 * Time (mtime) advances with the steps actually executed, so a waiting
 * hart's forfeited steps do not count; when every hart is stopped or
 * waiting, mtime jumps to the next timer deadline (machine.ts).
 */
import { VIRT_MAX_HARTS } from './virt-map.js';

export interface Slice {
  readonly hart: number;
  readonly steps: number;
}

export type Schedule =
  | { readonly kind: 'round-robin'; readonly quantum: number }
  | { readonly kind: 'slices'; readonly slices: readonly Slice[]; readonly then?: 'round-robin' | 'stop' };

/** Steps per round-robin turn unless the schedule says otherwise. */
export const DEFAULT_QUANTUM = 1000;

export const roundRobin = (quantum = DEFAULT_QUANTUM): Schedule => ({ kind: 'round-robin', quantum });

/** Throws a RangeError naming the first bad field. */
export function checkSchedule(schedule: Schedule, harts: number): void {
  const positive = (n: number, what: string): void => {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`schedule: ${what} must be a positive integer, got ${n}`);
  };
  if (schedule.kind === 'round-robin') return positive(schedule.quantum, 'quantum');
  schedule.slices.forEach((s, i) => {
    if (!Number.isInteger(s.hart) || s.hart < 0 || s.hart >= Math.min(harts, VIRT_MAX_HARTS)) {
      throw new RangeError(`schedule: slice ${i} names hart ${s.hart}, but the machine has harts 0..${harts - 1}`);
    }
    positive(s.steps, `slice ${i} steps`);
  });
}

/** Where a schedule stands: plain data, so snapshots copy it. */
export interface ScheduleCursor {
  /** Index of the current explicit slice (past the end: round-robin or stop). */
  slice: number;
  /** Round-robin: the hart whose turn it is. */
  hart: number;
  /** Steps left in the current slice or turn; 0 = not begun. */
  remaining: number;
}

export const freshCursor = (): ScheduleCursor => ({ slice: 0, hart: 0, remaining: 0 });

/** The current slice (beginning it if needed), or null when the schedule has ended. */
export function currentSlice(schedule: Schedule, cursor: ScheduleCursor): Slice | null {
  if (schedule.kind === 'slices' && cursor.slice < schedule.slices.length) {
    const s = schedule.slices[cursor.slice]!;
    if (cursor.remaining === 0) cursor.remaining = s.steps;
    return { hart: s.hart, steps: cursor.remaining };
  }
  if (schedule.kind === 'slices' && schedule.then === 'stop') return null;
  const quantum = schedule.kind === 'round-robin' ? schedule.quantum : DEFAULT_QUANTUM;
  if (cursor.remaining === 0) cursor.remaining = quantum;
  return { hart: cursor.hart, steps: cursor.remaining };
}

/** Ends the current slice (done or forfeited) and moves to the next. */
export function endSlice(schedule: Schedule, cursor: ScheduleCursor, harts: number): void {
  cursor.remaining = 0;
  if (schedule.kind === 'slices' && cursor.slice < schedule.slices.length) cursor.slice++;
  else cursor.hart = (cursor.hart + 1) % harts;
}
