/**
 * The CSR-write observation hook: which CSR instructions write (Zicsr 9.1:
 * csrrw/csrrwi always, csrrs/csrrc/csrrsi/csrrci only with rs1 != x0 or
 * uimm != 0), what the event carries (old value, WARL-legalised new value,
 * pc), that it comes after the write and before the next instruction, never
 * for a trapping access, and the board's per-CSR listeners across snapshots.
 */
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../emulator/board/machine.js';
import { Exception, MIP_MSIP, PRV_S, type Privilege } from '../../emulator/hart/causes.js';
import { MSTATUS_TVM } from '../../emulator/hart/csr.js';
import type { CsrWriteEvent, Hart } from '../../emulator/hart/hart.js';
import { encI } from '../../emulator/isa/fields.js';
import { allowAllPmp, asm, li, makeMachine, RAM_BASE, satpSv39, x } from './support.js';

const CSR = { satp: 0x180, mstatus: 0x300, mie: 0x304, mtvec: 0x305, mscratch: 0x340, minstret: 0xb02, mhartid: 0xf14 };
const csrrci = (rd: number, csr: number, uimm: number) => encI(0x73, rd, 7, uimm, csr);

/** What a listener saw: the event, and the hart as it stood when the event arrived. */
interface Seen {
  readonly event: CsrWriteEvent;
  readonly csrNow: bigint;
  readonly pcNow: bigint;
  readonly instretNow: number;
}

function record(hart: Hart): Seen[] {
  const seen: Seen[] = [];
  hart.hooks.onCsrWrite = (event) => seen.push({ event, csrNow: hart.readCsr(event.name), pcNow: hart.pc, instretNow: hart.instret });
  return seen;
}

/** Runs `program` at `priv` (M by default) until the first trap; returns the machine and what the hook saw. */
function runProgram(program: number[], priv?: Privilege, setup?: (hart: Hart) => void) {
  const m = makeMachine(program);
  allowAllPmp(m.hart);
  if (priv !== undefined) m.hart.priv = priv;
  setup?.(m.hart);
  const seen = record(m.hart);
  m.run(200);
  return { m, seen };
}

const pcOf = (index: number) => BigInt(RAM_BASE + 4 * index);

describe('onCsrWrite: which instructions write', () => {
  it('every writing form fires once with old and new values; the x0 / uimm 0 forms of set and clear do not', () => {
    const program: number[] = [];
    const expected: { index: number; oldValue: bigint; newValue: bigint; written: bigint }[] = [];
    const at = (word: number, oldValue?: bigint, newValue?: bigint, written?: bigint) => {
      if (oldValue !== undefined) expected.push({ index: program.length, oldValue, newValue: newValue!, written: written! });
      program.push(word);
    };
    program.push(...li(x.a0, 0x1234n), ...li(x.a2, 0xf0000n));
    at(asm.csrrw(0, CSR.mscratch, x.a0), 0n, 0x1234n, 0x1234n);
    at(asm.csrrs(x.a1, CSR.mscratch, 0)); // reads only
    at(asm.csrrc(x.a1, CSR.mscratch, 0)); // reads only
    at(asm.csrrsi(x.a1, CSR.mscratch, 0)); // reads only
    at(csrrci(x.a1, CSR.mscratch, 0)); // reads only
    at(asm.csrrs(x.a3, CSR.mscratch, x.a2), 0x1234n, 0xf1234n, 0xf1234n);
    at(asm.csrrs(0, CSR.mscratch, x.t0), 0xf1234n, 0xf1234n, 0xf1234n); // rs1 = t0 holds 0: still a write
    at(asm.csrrc(x.a4, CSR.mscratch, x.a2), 0xf1234n, 0x1234n, 0x1234n);
    at(asm.csrrwi(x.a5, CSR.mscratch, 0x1f), 0x1234n, 0x1fn, 0x1fn);
    at(csrrci(0, CSR.mscratch, 3), 0x1fn, 0x1cn, 0x1cn);
    at(asm.csrrsi(0, CSR.mscratch, 1), 0x1cn, 0x1dn, 0x1dn);
    at(asm.csrrwi(0, CSR.mscratch, 0), 0x1dn, 0n, 0n); // csrrwi with uimm 0 writes
    const { m, seen } = runProgram(program);
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(seen.map((s) => ({ index: Number((s.event.pc - BigInt(RAM_BASE)) / 4n), oldValue: s.event.oldValue, newValue: s.event.newValue, written: s.event.written })))
      .toEqual(expected);
    for (const s of seen) expect(s.event).toMatchObject({ hartId: 0, csr: CSR.mscratch, name: 'mscratch', priv: 3 });
    // rd received the old value
    expect([m.hart.getRegister(x.a3), m.hart.getRegister(x.a4), m.hart.getRegister(x.a5)]).toEqual([0x1234n, 0xf1234n, 0x1234n]);
  });

  it('comes after the write and after retirement, before the next instruction', () => {
    const { seen } = runProgram([...li(x.a0, 0x55n), asm.csrrw(0, CSR.mscratch, x.a0), asm.csrrwi(0, CSR.mscratch, 7)]);
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.csrNow).toBe(s.event.newValue);
      expect(s.pcNow).toBe(s.event.pc + 4n);
    }
    // li 0x55 is one addi: the first CSR instruction is the second to retire
    expect(seen.map((s) => s.instretNow)).toEqual([2, 3]);
  });

  it('a listener that stops the hart stops it right after the writing instruction', () => {
    const m = makeMachine([asm.csrrwi(0, CSR.mscratch, 1), asm.addi(x.a0, 0, 9), asm.csrrwi(0, CSR.mscratch, 2)]);
    let calls = 0;
    m.hart.hooks.onCsrWrite = () => { calls++; m.hart.requestStop(); };
    expect(m.run(100)).toBe(1);
    expect([calls, m.hart.pc, m.hart.getRegister(x.a0)]).toEqual([1, pcOf(1), 0n]);
  });

  it('reports the WARL-legalised value: an unsupported satp MODE leaves new = old; mstatus drops unwritable bits', () => {
    const sv39 = satpSv39(0x8012_3000n, 5);
    const bad = (9n << 60n) | 7n;
    const { seen } = runProgram([...li(x.a0, sv39), asm.csrrw(0, CSR.satp, x.a0), ...li(x.a0, bad), asm.csrrw(0, CSR.satp, x.a0), ...li(x.a0, -1n), asm.csrrw(0, CSR.mstatus, x.a0)]);
    expect(seen.map((s) => [s.event.name, s.event.oldValue, s.event.written, s.event.newValue])).toEqual([
      ['satp', 0n, sv39, sv39],
      ['satp', sv39, bad, sv39],
      // With the hypervisor extension (the default) mstatus also keeps GVA and MPV (bits 38, 39).
      ['mstatus', 2n << 32n | 2n << 34n, (1n << 64n) - 1n, 0x7e19aan | 2n << 32n | 2n << 34n | 3n << 38n],
    ]);
  });

  it('minstret: the new value is what the next instruction reads', () => {
    const { m, seen } = runProgram([...li(x.a0, 1000n), asm.csrrw(0, CSR.minstret, x.a0), asm.csrrs(x.a1, CSR.minstret, 0)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.event.newValue).toBe(1000n);
    expect(m.hart.getRegister(x.a1)).toBe(1000n);
  });

  it('is delivered before an interrupt the write made pending is taken', () => {
    const log: string[] = [];
    const m = makeMachine([...li(x.t0, BigInt(RAM_BASE + 0x800)), asm.csrrw(0, CSR.mtvec, x.t0), asm.csrrsi(0, CSR.mie, 8), asm.csrrsi(0, CSR.mstatus, 8), asm.nop()]);
    m.hart.setInterruptLine(MIP_MSIP, true);
    m.hart.hooks.onCsrWrite = (e) => log.push(`csr ${e.name}`);
    const onTrap = m.hart.hooks.onTrap!;
    m.hart.hooks.onTrap = (e) => { log.push(`trap ${e.name} at ${e.pc.toString(16)}`); onTrap(e); };
    m.run(100);
    const mstatusWrite = BigInt(RAM_BASE + 4 * (li(x.t0, BigInt(RAM_BASE + 0x800)).length + 2));
    expect(log).toEqual(['csr mtvec', 'csr mie', 'csr mstatus', `trap MachineSoftware at ${(mstatusWrite + 4n).toString(16)}`]);
  });
});

describe('onCsrWrite: accesses that trap write nothing and fire nothing', () => {
  const cases: [string, number[], Privilege | undefined, ((h: Hart) => void) | undefined][] = [
    ['an M-mode CSR from S-mode', [asm.csrrwi(0, CSR.mscratch, 1)], PRV_S, undefined],
    ['a read-only CSR written with csrrw', [asm.csrrw(0, CSR.mhartid, x.a0)], undefined, undefined],
    ['a read-only CSR written with csrrsi', [asm.csrrsi(0, CSR.mhartid, 1)], undefined, undefined],
    ['satp from S-mode with mstatus.TVM', [asm.csrrwi(0, CSR.satp, 0)], PRV_S, (h) => { h.mstatus |= MSTATUS_TVM; }],
    ['a CSR that does not exist', [asm.csrrwi(0, 0x7c0, 1)], undefined, undefined],
  ];
  for (const [name, program, priv, setup] of cases) {
    it(name, () => {
      const { m, seen } = runProgram(program, priv, setup);
      expect(m.traps.map((t) => [t.cause, t.pc])).toEqual([[Exception.IllegalInstruction, pcOf(0)]]);
      expect(seen).toEqual([]);
    });
  }

  it('but reading a read-only CSR with csrrs x0 is legal and silent', () => {
    const { m, seen } = runProgram([asm.csrrs(x.a0, CSR.mhartid, 0)]);
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(seen).toEqual([]);
  });
});

describe('VirtMachine.onCsrWrite', () => {
  /** Raw M-mode payload (firmware 'none'): mscratch = hartid, satp = Sv39 (M-mode does not translate), then spin. */
  const program = [
    asm.csrrs(x.a0, CSR.mhartid, 0),
    asm.csrrw(0, CSR.mscratch, x.a0),
    ...li(x.t0, satpSv39(0x8040_0000n, 3)),
    asm.csrrw(x.t1, CSR.satp, x.t0),
    asm.csrrs(x.t1, CSR.satp, 0),
    asm.jal(0, 0),
  ];
  const payload = () => ({ name: 'csr-writes.bin', bytes: new Uint8Array(new Uint32Array(program).buffer) });

  it('delivers only the chosen CSR, from every hart, by name or number, until removed', () => {
    const m = new VirtMachine({ harts: 2, firmware: 'none', payload: payload() });
    const satp: CsrWriteEvent[] = [];
    const scratch: CsrWriteEvent[] = [];
    m.onCsrWrite('satp', (e) => satp.push(e));
    const removeScratch = m.onCsrWrite(0x340, (e) => scratch.push(e));
    m.run({ maxSteps: 2_000 });
    expect(satp.map((e) => [e.hartId, e.csr, e.oldValue, e.newValue]).sort()).toEqual([
      [0, CSR.satp, 0n, satpSv39(0x8040_0000n, 3)],
      [1, CSR.satp, 0n, satpSv39(0x8040_0000n, 3)],
    ]);
    expect(scratch.map((e) => [e.hartId, e.newValue]).sort()).toEqual([[0, 0n], [1, 1n]]);
    removeScratch();
    m.harts.forEach((h) => { h.pc = m.payload!.entry; });
    m.run({ maxSteps: 2_000 });
    expect([satp.length, scratch.length]).toEqual([4, 2]);
  });

  it('costs nothing when unused: the harts carry no hook until a listener exists, and none after the last goes', () => {
    const m = new VirtMachine({ harts: 2, firmware: 'none', payload: payload() });
    expect(m.harts.map((h) => h.hooks.onCsrWrite)).toEqual([undefined, undefined]);
    const a = m.onCsrWrite('satp', () => {});
    const b = m.onCsrWrite('mscratch', () => {});
    expect(m.harts.every((h) => h.hooks.onCsrWrite !== undefined)).toBe(true);
    a();
    expect(m.harts.every((h) => h.hooks.onCsrWrite !== undefined)).toBe(true);
    b();
    expect(m.harts.map((h) => h.hooks.onCsrWrite)).toEqual([undefined, undefined]);
  });

  it('names an unknown CSR', () => {
    const m = new VirtMachine({ harts: 1, firmware: 'none', payload: payload() });
    expect(() => m.onCsrWrite('satpp', () => {})).toThrow(/no CSR named satpp/);
    expect(() => m.onCsrWrite(0x7c0, () => {})).toThrow(/no CSR at address .*0x7c0/);
  });

  it('listeners are observers: they survive a restore, and a restored run reports the same writes', () => {
    const m = new VirtMachine({ harts: 2, firmware: 'none', payload: payload() });
    const snap = m.snapshot();
    const events: CsrWriteEvent[] = [];
    m.onCsrWrite('satp', (e) => events.push(e));
    m.run({ maxSteps: 2_000 });
    const first = [...events];
    expect(first).toHaveLength(2);
    m.restore(snap);
    events.length = 0;
    m.run({ maxSteps: 2_000 });
    expect(events).toEqual(first);
  });
});

describe('PC hooks', () => {
  // a0 counts to 100 in a three-instruction loop; the hook sits on its middle instruction
  const program = [asm.addi(x.a0, 0, 0), asm.addi(x.a1, 0, 100), asm.addi(x.a0, x.a0, 1), asm.addi(x.t0, x.t0, 2), asm.bne(x.a0, x.a1, -8)];
  const hooked = BigInt(RAM_BASE + 3 * 4);

  it('fire once per arrival, before the instruction, with the rest of their page run as without them', () => {
    const plain = makeMachine(program);
    const withHook = makeMachine(program);
    const arrivals: [bigint, number, bigint][] = [];
    withHook.hart.addPcHook(hooked, (h) => arrivals.push([h.pc, h.instret, h.getRegister(x.t0)]));
    // the same steps in the same slices, hooked or not
    const slices = [7, 1, 50, 300];
    expect(slices.map((n) => withHook.hart.run(n))).toEqual(slices.map((n) => plain.hart.run(n)));
    expect(arrivals).toHaveLength(100);
    arrivals.forEach(([pc, instret, t0], k) => expect([pc, instret, t0]).toEqual([hooked, 3 + 3 * k, BigInt(2 * k)]));
    expect([withHook.hart.pc, withHook.hart.instret, withHook.hart.getRegister(x.t0)]).toEqual([plain.hart.pc, plain.hart.instret, plain.hart.getRegister(x.t0)]);
  });

  it('a removed hook stops firing; another hook in the same page keeps firing', () => {
    const m = makeMachine(program);
    let first = 0;
    let second = 0;
    const remove = m.hart.addPcHook(hooked, () => {
      first++;
      if (first === 10) remove();
    });
    m.hart.addPcHook(hooked + 4n, () => second++);
    m.hart.run(10_000);
    expect([first, second]).toEqual([10, 100]);
  });
});
