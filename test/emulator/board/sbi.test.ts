/**
 * Builtin SBI firmware call by call: the hart is put on an `ecall` with the
 * arguments in registers, runs one step, and the results are read back
 * (SBI spec v1.0: a7 = EID, a6 = FID, a0..a5 arguments; a0 = error, a1 = value).
 */
import { describe, expect, test } from 'vitest';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { HSM_STARTED, HSM_STOPPED, SBI_EXT } from '../../../emulator/board/sbi.js';
import { MIP_SSIP, MIP_STIP, PRV_S } from '../../../emulator/hart/causes.js';

const ECALL = 0x0000_0073;
const ENTRY = 0x8020_0000n;
const ALL = BigInt.asUintN(64, -1n);

/** A machine whose raw payload is a page of ecalls. */
function ecallMachine(harts = 3): VirtMachine {
  const bytes = new Uint8Array(4096);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 1024; i++) view.setUint32(4 * i, ECALL, true);
  return new VirtMachine({ harts, payload: { name: 'ecalls.bin', bytes } });
}

/** Runs one SBI call on `hart`; returns [a0 as signed, a1]. */
function call(m: VirtMachine, hart: number, eid: number, fid: number, ...args: bigint[]): [bigint, bigint] {
  const h = m.hart(hart);
  h.setRegister(17, BigInt(eid));
  h.setRegister(16, BigInt(fid));
  args.forEach((a, i) => h.setRegister(10 + i, a));
  const pc = h.pc;
  m.setSchedule({ kind: 'slices', slices: [{ hart, steps: 1 }], then: 'stop' });
  m.run();
  if (m.hsmState(hart) === HSM_STARTED && m.exit === null) {
    expect(h.pc).toBe(pc + 4n);
    expect(h.priv).toBe(PRV_S);
  }
  return [BigInt.asIntN(64, h.getRegister(10)), h.getRegister(11)];
}

describe('builtin SBI calls', () => {
  test('base: spec version, implementation, probe, machine ids', () => {
    const m = ecallMachine();
    expect(call(m, 0, SBI_EXT.base, 0)).toEqual([0n, 0x0100_0000n]);
    expect(call(m, 0, SBI_EXT.base, 1)).toEqual([0n, 0x6876n]);
    expect(call(m, 0, SBI_EXT.base, 3, BigInt(SBI_EXT.hsm))).toEqual([0n, 1n]);
    expect(call(m, 0, SBI_EXT.base, 3, 0x4442434en)).toEqual([0n, 0n]); // DBCN: not implemented
    expect(call(m, 0, SBI_EXT.base, 4)).toEqual([0n, 0n]);
    expect(call(m, 0, SBI_EXT.base, 9)[0]).toBe(-2n);
    expect(call(m, 0, 0x12345, 0)[0]).toBe(-2n);
  });

  test('HSM: start, status, errors, stop', () => {
    const m = ecallMachine();
    expect(call(m, 0, SBI_EXT.hsm, 2, 1n)).toEqual([0n, 1n]); // STOPPED
    expect(call(m, 0, SBI_EXT.hsm, 2, 3n)[0]).toBe(-3n);
    expect(call(m, 0, SBI_EXT.hsm, 0, 0n, ENTRY, 0n)[0]).toBe(-6n); // already started
    expect(call(m, 0, SBI_EXT.hsm, 0, 7n, ENTRY, 0n)[0]).toBe(-3n);
    expect(call(m, 0, SBI_EXT.hsm, 0, 2n, ENTRY, 0xabcn)).toEqual([0n, 0n]);
    expect(m.hsmState(2)).toBe(HSM_STARTED);
    const h2 = m.hart(2);
    expect([h2.pc, h2.priv, h2.getRegister(10), h2.getRegister(11), h2.satp]).toEqual([ENTRY, PRV_S, 2n, 0xabcn, 0n]);
    expect(call(m, 0, SBI_EXT.hsm, 2, 2n)).toEqual([0n, 0n]); // STARTED
    call(m, 2, SBI_EXT.hsm, 1);
    expect(m.hsmState(2)).toBe(HSM_STOPPED);
    expect(call(m, 0, SBI_EXT.hsm, 3)[0]).toBe(-2n); // suspend
  });

  test('IPI: a mask with a base, -1 for all, and nonexistent harts', () => {
    const m = ecallMachine();
    const ssip = (h: number): boolean => (m.hart(h).mip() & MIP_SSIP) !== 0;
    expect(call(m, 0, SBI_EXT.ipi, 0, 0b1n, 2n)[0]).toBe(0n);
    expect([ssip(0), ssip(1), ssip(2)]).toEqual([false, false, true]);
    expect(call(m, 0, SBI_EXT.ipi, 0, 0n, ALL)[0]).toBe(0n);
    expect([ssip(0), ssip(1), ssip(2)]).toEqual([true, true, true]);
    expect(call(m, 0, SBI_EXT.ipi, 0, 0b100n, 1n)[0]).toBe(-3n);
  });

  test('TIME: set_timer arms the hart\'s mtimecmp and clears or raises STIP', () => {
    const m = ecallMachine(2);
    const stip = (): boolean => (m.hart(1).mip() & MIP_STIP) !== 0;
    call(m, 0, SBI_EXT.hsm, 0, 1n, ENTRY, 0n);
    expect(stip()).toBe(false); // firmware parked mtimecmp at 2^64-1
    call(m, 1, SBI_EXT.time, 0, 0n);
    expect(stip()).toBe(true);
    call(m, 1, SBI_EXT.time, 0, 1000n);
    expect(stip()).toBe(false);
    expect(m.clint.mtimecmp(1)).toBe(1000n);
    call(m, 1, SBI_EXT.legacySetTimer, 0, 5n);
    expect(m.clint.mtimecmp(1)).toBe(5n);
  });

  test('RFENCE: remote sfence.vma empties the target harts\' TLBs, and only theirs', () => {
    const m = ecallMachine(3);
    for (const h of m.harts) h.tlb.insert(0x1234, 0, true, 0xcf, 0, 0x8040_0000, 0x8050_0000);
    expect(call(m, 0, SBI_EXT.rfence, 1, 0b110n, 0n, 0n, 0n)[0]).toBe(0n);
    expect(m.harts.map((h) => h.tlb.size())).toEqual([1, 0, 0]);
    expect(call(m, 0, SBI_EXT.rfence, 0, 0n, ALL)[0]).toBe(0n);
    expect(call(m, 0, SBI_EXT.rfence, 3, 0n, ALL)[0]).toBe(-2n); // hfence.gvma
  });

  test('legacy console: putchar to the UART, getchar from its receiver (-1 when empty)', () => {
    const m = ecallMachine(1);
    call(m, 0, SBI_EXT.legacyConsolePutchar, 0, 0x41n);
    expect(m.console).toBe('A');
    expect(call(m, 0, SBI_EXT.legacyConsoleGetchar, 0)[0]).toBe(-1n);
    m.feedInput('xy');
    expect(call(m, 0, SBI_EXT.legacyConsoleGetchar, 0)[0]).toBe(0x78n);
    expect(call(m, 0, SBI_EXT.legacyConsoleGetchar, 0)[0]).toBe(0x79n);
  });

  test('SRST: an unknown type is refused; a reboot ends the run with the reason as exit code', () => {
    const m = ecallMachine(1);
    expect(call(m, 0, SBI_EXT.srst, 0, 5n, 0n)[0]).toBe(-3n);
    expect(m.exit).toBeNull();
    call(m, 0, SBI_EXT.srst, 0, 1n, 1n);
    expect(m.exit).toEqual({ source: 'sbi', code: 1, kind: 'cold-reboot' });
  });

  test('an exception medeleg does not delegate is redirected to S-mode', () => {
    const m = ecallMachine(1);
    const h = m.hart(0);
    h.writeCsr('stvec', ENTRY + 0x800n);
    h.pc = ENTRY + 0x1000n; // past the page of ecalls: a zero word, an illegal instruction
    m.setSchedule({ kind: 'slices', slices: [{ hart: 0, steps: 1 }], then: 'stop' });
    m.run();
    expect([h.priv, h.pc, h.scause, h.sepc, h.stval]).toEqual([PRV_S, ENTRY + 0x800n, 2n, ENTRY + 0x1000n, 0n]);
    expect(h.readCsr('sstatus') & 0x100n).toBe(0x100n); // SPP = S
  });
});
