/**
 * Injected calls (emulator/board/call.ts) on the foreign-hv fixture booted by OpenSBI: kmalloc and
 * kfree called on idle harts with no console, the hart restored exactly, panics, traps, budgets,
 * and two harts' kmalloc calls racing under a schedule (the fixture's lock holds, the
 * kmalloc-no-lock mutant's does not).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CallError, callConcurrently, callFunction } from '../../../emulator/board/call.js';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { haveOpenSbi, OPENSBI } from './support.js';

const FIXTURE = 'test/fixtures/foreign-hv/build/foreign-hv.elf';
const mutant = (name: string): string => `test/fixtures/foreign-hv/build/mutants/${name}.elf`;
const note = haveOpenSbi ? '' : ` (skipped: ${OPENSBI} is absent)`;

function bootIdle(image: string, harts = 2): VirtMachine {
  const machine = new VirtMachine({
    harts, ramSize: 16 * 2 ** 20, bootHart: 0,
    payload: { name: image, bytes: readFileSync(image) }, firmware: { name: OPENSBI, bytes: readFileSync(OPENSBI) },
  });
  const run = machine.run({ until: { console: 'harts idle' }, maxSteps: 200_000_000 });
  if (run.reason !== 'console') throw new Error(`${image}: no idle line (${run.reason}); console:\n${machine.console.slice(-500)}`);
  expect(machine.run({ maxSteps: 10_000_000 }).reason).toBe('idle');
  return machine;
}

const sym = (m: VirtMachine, name: string): bigint => {
  const s = m.symbol(name);
  if (s === undefined) throw new Error(`no symbol ${name}`);
  return s.value;
};
const readVa = (m: VirtMachine, va: bigint): bigint => {
  const t = m.translate(0, va);
  if (!('pa' in t)) throw new Error(`0x${va.toString(16)}: ${t.error}`);
  return m.readPhysicalU64(t.pa);
};
const head = (m: VirtMachine): bigint => readVa(m, sym(m, 'kmem') + 8n);
/** The hart's architectural state as comparable data (the TLB is a cache: not compared). */
const arch = (m: VirtMachine, h: number): unknown => {
  const { tlb: _t, guestTlb: _g, ...rest } = m.hart(h).saveState();
  return { ...rest, registers: [...rest.registers], pmpCfg: [...rest.pmpCfg] };
};

describe('injected calls on the foreign-hv fixture (OpenSBI, no console)', () => {
  it.skipIf(!haveOpenSbi)(`kmalloc pops the free-list head and kfree pushes it back; the hart is restored exactly${note}`, () => {
    const m = bootIdle(FIXTURE);
    const before = arch(m, 1);
    const steps = m.steps;
    const h0 = head(m);
    const next = readVa(m, h0);
    const got = callFunction(m, { hart: 1, fn: sym(m, 'kmalloc') });
    expect(got).toMatchObject({ kind: 'returned', a0: h0 });
    expect(head(m)).toBe(next);
    expect(arch(m, 1)).toEqual(before);
    expect(m.steps).toBe(steps); // calls take no machine time
    const freed = callFunction(m, { hart: 0, fn: sym(m, 'kfree'), args: [h0] });
    expect(freed.kind).toBe('returned');
    expect(head(m)).toBe(h0);
    expect(readVa(m, h0)).toBe(next);
    // the machine still runs on as before: every hart idle again
    expect(m.run({ maxSteps: 1_000_000 }).reason).toBe('idle');
  });

  it.skipIf(!haveOpenSbi)(`a bad kfree reaches panic; a jump to nowhere is a trap with cause, tval, pc; a short budget runs out${note}`, () => {
    const m = bootIdle(FIXTURE);
    const before = arch(m, 0);
    const panics = [{ name: 'panic', pc: sym(m, 'panic') }];
    const bad = callFunction(m, { hart: 0, fn: sym(m, 'kfree'), args: [head(m) + 8n] }, { panics });
    expect(bad).toMatchObject({ kind: 'panic', function: 'panic' });
    expect(arch(m, 0)).toEqual(before);
    const nowhere = callFunction(m, { hart: 0, fn: 0x1000n }, { panics });
    expect(nowhere).toMatchObject({ kind: 'trap', trap: { cause: 12, tval: 0x1000n, pc: 0x1000n, hartId: 0 } });
    const short = callFunction(m, { hart: 0, fn: sym(m, 'kmalloc'), budget: 3 });
    expect(short).toMatchObject({ kind: 'budget', steps: 3 });
    expect(arch(m, 0)).toEqual(before);
    expect(() => callFunction(m, { hart: 0, fn: sym(m, 'kmalloc'), atPc: 0x1234n })).toThrow(CallError);
  });

  it.skipIf(!haveOpenSbi)(`a call starts on the hart's sp less the red zone, or on the sp it is given; the hart's own sp comes back${note}`, () => {
    const m = bootIdle(FIXTURE);
    const own = m.hart(1).getRegister(2);
    const atEntry: bigint[] = [];
    m.addPcHook(1, sym(m, 'kmalloc'), (h) => atEntry.push(h.getRegister(2)));
    expect(callFunction(m, { hart: 1, fn: sym(m, 'kmalloc') }).kind).toBe('returned');
    const given = (own - 0x800n) & ~15n;
    expect(callFunction(m, { hart: 1, fn: sym(m, 'kmalloc'), sp: given }).kind).toBe('returned');
    expect(atEntry).toEqual([(own - 128n) & ~15n, given]);
    expect(m.hart(1).getRegister(2)).toBe(own);
  });

  it.skipIf(!haveOpenSbi)(`a trap inside the call names the faulting instruction${note}`, () => {
    const m = bootIdle(FIXTURE);
    // a free-list head pointing at an unmapped VA: kmalloc's load of the next pointer faults
    const headVa = sym(m, 'kmem') + 8n;
    const t = m.translate(0, headVa);
    if (!('pa' in t)) throw new Error(t.error);
    const saved = m.readPhysicalU64(t.pa);
    m.writePhysicalU64(t.pa, 0x40_0000_0000n);
    const got = callFunction(m, { hart: 0, fn: sym(m, 'kmalloc') });
    expect(got).toMatchObject({ kind: 'trap', trap: { cause: 13, tval: 0x40_0000_0000n } });
    if (got.kind !== 'trap') return;
    expect(got.instruction).toBeDefined();
    // a load (opcode LOAD 0x03, or compressed C.LD/C.LDSP)
    const insn = got.instruction!;
    expect((insn & 3) === 3 ? (insn & 0x7f) === 0x03 : [0x6000, 0x6002].includes(insn & 0xe003)).toBe(true);
    m.writePhysicalU64(t.pa, saved);
  });

  it.skipIf(!haveOpenSbi)(`two harts' kmalloc calls racing step by step: distinct pages with the lock, one page twice without (kmalloc-no-lock)${note}`, () => {
    const race = (image: string): bigint[] => {
      const m = bootIdle(image);
      const fn = sym(m, 'kmalloc');
      const slices = Array.from({ length: 400 }, (_, i) => ({ hart: i % 2, steps: 1 }));
      const out = callConcurrently(m, [{ hart: 0, fn }, { hart: 1, fn }], { kind: 'slices', slices });
      return out.map((o) => (o.kind === 'returned' ? o.a0 : -1n));
    };
    const fixed = race(FIXTURE);
    expect(fixed.every((a) => a > 0n)).toBe(true);
    expect(fixed[0]).not.toBe(fixed[1]);
    const broken = race(mutant('kmalloc-no-lock'));
    expect(broken[0]).toBeGreaterThan(0n);
    expect(broken[0]).toBe(broken[1]);
    expect(race(mutant('kmalloc-no-lock'))).toEqual(broken); // deterministic
  });
});
