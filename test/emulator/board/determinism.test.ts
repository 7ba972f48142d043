/**
 * Determinism and snapshots: the same schedule gives the same run bit for
 * bit; a run split into pieces equals the run in one go; snapshot, run,
 * restore, run again gives the same state; a restore puts back exactly the
 * state that was saved.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Slice } from '../../../emulator/board/schedule.js';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { boardMachine, haveHypervisor, HYPERVISOR, machineDigest, readSymbol } from './support.js';

const slices = (harts: number): fc.Arbitrary<Slice[]> =>
  fc.array(fc.record({ hart: fc.integer({ min: 0, max: harts - 1 }), steps: fc.integer({ min: 1, max: 80 }) }), { minLength: 1, maxLength: 30 });

/** A program, its firmware and symbol values, for 2-4 harts. */
interface Workload {
  readonly program: string;
  readonly firmware: 'none' | 'builtin';
  readonly data: Readonly<Record<string, bigint>>;
}
const workload = fc.constantFrom<Workload>(
  { program: 'lrsc', firmware: 'none', data: { iterations: 20n } },
  { program: 'spinlock', firmware: 'none', data: { iterations: 20n } },
  { program: 'hsm', firmware: 'builtin', data: {} },
  { program: 'sbi-ipi', firmware: 'builtin', data: {} },
);

const scenario = fc.record({ work: workload, harts: fc.integer({ min: 2, max: 4 }) }).chain(({ work, harts }) =>
  fc.record({ work: fc.constant(work), harts: fc.constant(harts), schedule: slices(harts), cut: fc.integer({ min: 0, max: 3000 }) }),
);

function build(s: { work: Workload; harts: number; schedule: Slice[] }): VirtMachine {
  const data = s.work.program === 'lrsc' || s.work.program === 'spinlock' ? { ...s.work.data, nharts: BigInt(s.harts) } : s.work.data;
  return boardMachine(s.work.program, { harts: s.harts, firmware: s.work.firmware, schedule: { kind: 'slices', slices: s.schedule } }, data);
}

const BUDGET = 1_000_000;

describe('determinism', () => {
  test('the same program and schedule, run twice, end in identical states', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const a = build(s);
        const b = build(s);
        a.run({ maxSteps: BUDGET });
        b.run({ maxSteps: BUDGET });
        expect(a.exit).not.toBeNull();
        expect(machineDigest(a)).toBe(machineDigest(b));
      }),
      { numRuns: 20 },
    );
  });

  test('a run split at any step equals the run in one go', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const whole = build(s);
        whole.run({ maxSteps: BUDGET });
        const split = build(s);
        split.run({ maxSteps: s.cut });
        split.run({ maxSteps: BUDGET - split.steps });
        expect(machineDigest(split)).toBe(machineDigest(whole));
      }),
      { numRuns: 20 },
    );
  });

  test('different schedules can give different interleavings (the digest sees them)', () => {
    const one = boardMachine('lrsc', { harts: 2, firmware: 'none', schedule: { kind: 'round-robin', quantum: 1 } }, { nharts: 2n, iterations: 20n });
    const other = boardMachine('lrsc', { harts: 2, firmware: 'none', schedule: { kind: 'round-robin', quantum: 1000 } }, { nharts: 2n, iterations: 20n });
    one.run({ maxSteps: BUDGET });
    other.run({ maxSteps: BUDGET });
    expect(readSymbol(one, 'counter')).toBe(readSymbol(other, 'counter'));
    expect(machineDigest(one)).not.toBe(machineDigest(other));
  });
});

describe('snapshots', () => {
  test('snapshot, run, restore, run again: identical states; the restore itself gives back the saved state', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const m = build(s);
        m.run({ maxSteps: s.cut });
        const atSnapshot = machineDigest(m);
        const snap = m.snapshot();
        m.run({ maxSteps: BUDGET });
        const first = machineDigest(m);
        m.restore(snap);
        expect(machineDigest(m)).toBe(atSnapshot);
        m.run({ maxSteps: BUDGET });
        expect(machineDigest(m)).toBe(first);
        // And once more from the same snapshot (it stays usable).
        m.restore(snap);
        m.run({ maxSteps: BUDGET });
        expect(machineDigest(m)).toBe(first);
      }),
      { numRuns: 20 },
    );
  });

  test('restoring an older snapshot after a newer one', () => {
    const m = boardMachine('lrsc', { harts: 3, firmware: 'none', schedule: { kind: 'round-robin', quantum: 3 } }, { nharts: 3n, iterations: 50n });
    m.run({ maxSteps: 200 });
    const early = m.snapshot();
    const earlyDigest = machineDigest(m);
    m.run({ maxSteps: 500 });
    const late = m.snapshot();
    const lateDigest = machineDigest(m);
    m.run({ maxSteps: BUDGET });
    const final = machineDigest(m);
    m.restore(early);
    expect(machineDigest(m)).toBe(earlyDigest);
    m.restore(late);
    expect(machineDigest(m)).toBe(lateDigest);
    m.run({ maxSteps: BUDGET });
    expect(machineDigest(m)).toBe(final);
  });

  test('a restore undoes memory writes, console output, exits and hart states', () => {
    const m = boardMachine('hello', { harts: 2 });
    const snap = m.snapshot();
    m.run({ maxSteps: BUDGET });
    expect(m.exit).not.toBeNull();
    expect(m.console).not.toBe('');
    m.restore(snap);
    expect(m.exit).toBeNull();
    expect(m.console).toBe('');
    expect(m.steps).toBe(0);
    expect(m.hart(0).pc).toBe(m.payload!.entry);
  });

  test.skipIf(!haveHypervisor)('a booted hypervisor: restore after more running gives the booted state back', () => {
    const m = new VirtMachine({ harts: 2, ramSize: 256 * 2 ** 20, payload: { name: HYPERVISOR, bytes: readFileSync(HYPERVISOR) } });
    expect(m.run({ maxSteps: 50_000_000, until: { console: 'hvspec-hv ready' } }).reason).toBe('console');
    const booted = machineDigest(m);
    const snap = m.snapshot();
    m.feedInput('help\n');
    m.run({ maxSteps: 200_000 });
    const after = machineDigest(m);
    expect(after).not.toBe(booted);
    m.restore(snap);
    expect(machineDigest(m)).toBe(booted);
    m.feedInput('help\n');
    m.run({ maxSteps: 200_000 });
    expect(machineDigest(m)).toBe(after);
  });
});
