/**
 * The board test programs (test/riscv/board) on the virt machine with
 * firmware none: locks and LR/SC under generated schedules, the CLINT
 * timer, IPIs through msip, UART receive interrupts through the PLIC, and
 * the test finisher's exit codes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Slice } from '../../../emulator/board/schedule.js';
import { boardMachine, readSymbol, symbolAddress } from './support.js';

const BUDGET = 2_000_000;

/** A schedule of up to 40 slices of 1..60 steps over `harts` harts (then round-robin). */
const slices = (harts: number): fc.Arbitrary<Slice[]> =>
  fc.array(fc.record({ hart: fc.integer({ min: 0, max: harts - 1 }), steps: fc.integer({ min: 1, max: 60 }) }), { minLength: 1, maxLength: 40 });

describe('AMO spin lock', () => {
  test('the counter is exact on 1-4 harts under generated schedules', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), slices(n))), ([harts, schedule]) => {
        const m = boardMachine('spinlock', { harts, firmware: 'none', schedule: { kind: 'slices', slices: schedule } }, { nharts: BigInt(harts), iterations: 30n });
        const out = m.run({ maxSteps: BUDGET });
        expect(out.reason).toBe('exit');
        expect(m.exit).toEqual({ source: 'finisher', code: 0, kind: 'pass' });
        expect(readSymbol(m, 'counter')).toBe(BigInt(harts * 30));
      }),
      { numRuns: 25 },
    );
  });

  test('a hart preempted inside the critical section keeps the others spinning until it releases', () => {
    const m = boardMachine('spinlock', { harts: 2, firmware: 'none' }, { nharts: 2n, iterations: 5n });
    const critical = symbolAddress(m, 'critical');
    // Hart 0 takes the lock and stops at the critical section; hart 1 then spins for 500 steps.
    expect(m.run({ until: { pc: { pc: critical, hart: 0 } } }).reason).toBe('pc');
    const lock = symbolAddress(m, 'lock');
    expect(m.readPhysical(lock, 4)).toEqual(new Uint8Array([1, 0, 0, 0]));
    m.setSchedule({ kind: 'slices', slices: [{ hart: 1, steps: 500 }], then: 'stop' });
    expect(m.run().reason).toBe('schedule-end');
    expect(readSymbol(m, 'counter')).toBe(0n);
    expect(m.hart(1).pc).toBeGreaterThanOrEqual(symbolAddress(m, 'acquire'));
    expect(m.hart(1).pc).toBeLessThan(critical);
    m.setSchedule({ kind: 'round-robin', quantum: 7 });
    expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(m.exit?.code).toBe(0);
    expect(readSymbol(m, 'counter')).toBe(10n);
  });
});

describe('LR/SC counter', () => {
  test('the counter is exact on 1-4 harts under generated schedules', () => {
    let failures = 0n;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), slices(n))), ([harts, schedule]) => {
        const m = boardMachine('lrsc', { harts, firmware: 'none', schedule: { kind: 'slices', slices: schedule } }, { nharts: BigInt(harts), iterations: 30n });
        expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
        expect(m.exit?.code).toBe(0);
        expect(readSymbol(m, 'counter')).toBe(BigInt(harts * 30));
        failures += readSymbol(m, 'sc_failures');
      }),
      { numRuns: 25 },
    );
    // Interleavings that split a pair happen under these schedules (else the property proves little).
    expect(failures).toBeGreaterThan(0n);
  });

  test('a schedule that puts another hart\'s store between LR and SC makes the SC fail', () => {
    const m = boardMachine('lrsc', { harts: 2, firmware: 'none' }, { nharts: 2n, iterations: 1n });
    const sc = symbolAddress(m, 'lrsc_sc');
    expect(m.run({ until: { pc: { pc: sc, hart: 0 } } }).reason).toBe('pc'); // hart 0 holds a reservation
    expect(m.hart(0).reservation).toBe(Number(symbolAddress(m, 'counter')));
    // Hart 1 runs its whole increment (its SC writes the reserved granule), then hart 0 runs its SC.
    m.setSchedule({ kind: 'slices', slices: [{ hart: 1, steps: 200 }, { hart: 0, steps: 1 }], then: 'stop' });
    m.run();
    expect(m.hart(0).pc).toBe(sc + 4n);
    expect(m.readRegister(0, 30)).toBe(1n); // t5: SC failed
    expect(readSymbol(m, 'counter')).toBe(1n); // only hart 1's increment landed
    m.setSchedule({ kind: 'round-robin', quantum: 100 });
    expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(readSymbol(m, 'counter')).toBe(2n);
    expect(readSymbol(m, 'sc_failures')).toBe(1n);
  });

  test('without an intervening store the same SC succeeds', () => {
    const m = boardMachine('lrsc', { harts: 2, firmware: 'none' }, { nharts: 2n, iterations: 1n });
    const sc = symbolAddress(m, 'lrsc_sc');
    m.run({ until: { pc: { pc: sc, hart: 0 } } });
    m.setSchedule({ kind: 'slices', slices: [{ hart: 0, steps: 1 }], then: 'stop' });
    m.run();
    expect(m.readRegister(0, 30)).toBe(0n);
    expect(readSymbol(m, 'counter')).toBe(1n);
  });
});

describe('interrupts', () => {
  test('CLINT timer interrupts: while spinning (mtime follows steps) and in WFI (time skips to the deadline)', () => {
    const m = boardMachine('timer', { harts: 2, firmware: 'none' });
    const traps: bigint[] = [];
    m.onTrap((e) => { if (e.interrupt) traps.push(m.clint.mtime); });
    expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(m.exit?.code).toBe(0);
    expect(traps.length).toBe(2);
    // The WFI wait cost no steps: far fewer steps ran than 1000 ticks' worth.
    expect(m.steps).toBeLessThan(1000 * 100);
  });

  test('an IPI through the CLINT\'s msip wakes a hart in WFI', () => {
    for (const quantum of [1, 13, 1000]) {
      const m = boardMachine('ipi-msip', { harts: 3, firmware: 'none', schedule: { kind: 'round-robin', quantum } });
      const taken: number[] = [];
      m.onTrap((e) => { if (e.interrupt) taken.push(e.hartId * 100 + e.cause); });
      expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
      expect(m.exit?.code).toBe(0);
      expect(taken).toEqual([103]); // hart 1, MachineSoftware
    }
  });

  test('UART receive interrupt through the PLIC: the byte fed is the byte read', () => {
    const idle = boardMachine('uart-rx', { firmware: 'none' });
    expect(idle.run({ maxSteps: BUDGET }).reason).toBe('idle'); // nothing to receive: waits forever
    idle.feedInput('Z');
    expect(idle.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(idle.exit?.code).toBe(0);
    const wrong = boardMachine('uart-rx', { firmware: 'none' });
    wrong.feedInput('Q');
    wrong.run({ maxSteps: BUDGET });
    expect(wrong.exit).toEqual({ source: 'finisher', code: 2, kind: 'fail' });
  });
});

describe('test finisher', () => {
  test.each([[0, 'pass'], [1, 'fail'], [42, 'fail'], [0xffff, 'fail']])('exit code %i', (code, kind) => {
    const m = boardMachine('finisher', { firmware: 'none' }, { exit_code: BigInt(code) });
    expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(m.exit).toEqual({ source: 'finisher', code, kind });
    // An exited machine stays exited.
    expect(m.run({ maxSteps: 10 })).toMatchObject({ reason: 'exit', steps: 0 });
  });
});
