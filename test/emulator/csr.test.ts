/**
 * CSR legality (privileged spec 1.12, chapters 2-4): WARL legalisation in one
 * place, read-only and privileged addresses, counter enables, TVM, the S-mode
 * views of M-mode registers.
 */
import { describe, expect, it } from 'vitest';
import { Exception, PRV_M, PRV_S, PRV_U, type Privilege } from '../../emulator/hart/causes.js';
import { allowAllPmp, asm, li, makeMachine, x } from './support.js';

const CSR = { sstatus: 0x100, sie: 0x104, sip: 0x144, satp: 0x180, mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305, mip: 0x344, mhartid: 0xf14, cycle: 0xc00, time: 0xc01, instret: 0xc02, hpmcounter3: 0xc03, minstret: 0xb02, pmpcfg0: 0x3a0, pmpcfg1: 0x3a1, pmpaddr20: 0x3c4, menvcfg: 0x30a };

/** Writes `value` to `csr` with csrrw at privilege `priv`, then reads it back into a1. */
function writeThenRead(csr: number, value: bigint, priv: Privilege = PRV_M, hypervisor = true) {
  const m = makeMachine([...li(x.a0, value), asm.csrrw(0, csr, x.a0), asm.csrrs(x.a1, csr, 0)], { hypervisor });
  allowAllPmp(m.hart);
  m.hart.priv = priv;
  m.run(20);
  return m;
}

function illegalAt(program: number[], priv: Privilege, setup?: (m: ReturnType<typeof makeMachine>) => void) {
  const m = makeMachine(program);
  allowAllPmp(m.hart);
  m.hart.priv = priv;
  setup?.(m);
  m.run(20);
  return m;
}

describe('CSR legalisation', () => {
  it('mstatus keeps only its writable fields; UXL = SXL = 2, FS and SD read 0; with H also GVA and MPV', () => {
    const m = writeThenRead(CSR.mstatus, -1n, PRV_M, false);
    // SIE MIE SPIE MPIE SPP MPP MPRV SUM MXR TVM TW TSR, plus UXL/SXL
    expect(m.hart.getRegister(x.a1)).toBe(0x7e19aan | (2n << 32n) | (2n << 34n));
    // The hypervisor extension adds GVA (38) and MPV (39).
    expect(writeThenRead(CSR.mstatus, -1n).hart.getRegister(x.a1)).toBe(0x7e19aan | (2n << 32n) | (2n << 34n) | (3n << 38n));
  });

  it('mstatus.MPP = 2 (reserved) is legalised to U', () => {
    const m = writeThenRead(CSR.mstatus, 2n << 11n);
    expect((m.hart.getRegister(x.a1) >> 11n) & 3n).toBe(0n);
  });

  it('misa is read-only: RV64 with A, C, I, M, S, U, and H unless the hart is built without it', () => {
    const m = writeThenRead(CSR.misa, 0n, PRV_M, false);
    expect(m.trapsBeforeEnd()).toEqual([]);
    const imac = (2n << 62n) | (1n << 0n) | (1n << 2n) | (1n << 8n) | (1n << 12n) | (1n << 18n) | (1n << 20n);
    expect(m.hart.getRegister(x.a1)).toBe(imac);
    expect(writeThenRead(CSR.misa, 0n).hart.getRegister(x.a1)).toBe(imac | (1n << 7n));
  });

  it('medeleg[11] (ecall from M) and mideleg M-level bits are read-only zero', () => {
    expect(writeThenRead(CSR.medeleg, -1n, PRV_M, false).hart.getRegister(x.a1)).toBe(0xb3ffn);
    expect(writeThenRead(CSR.mideleg, -1n, PRV_M, false).hart.getRegister(x.a1)).toBe(0x222n);
    // With H: ecall from VS (10) and causes 20-23 become delegable; mideleg's VS bits (2, 6, 10) read one even after writing 0.
    expect(writeThenRead(CSR.medeleg, -1n).hart.getRegister(x.a1)).toBe(0xf0b7ffn);
    expect(writeThenRead(CSR.mideleg, -1n).hart.getRegister(x.a1)).toBe(0x666n);
    expect(writeThenRead(CSR.mideleg, 0n).hart.getRegister(x.a1)).toBe(0x444n);
  });

  it('satp: Sv39 and Bare are accepted, an unsupported MODE leaves satp unchanged', () => {
    const sv39 = (8n << 60n) | (5n << 44n) | 0x80123n;
    const m = makeMachine([...li(x.a0, sv39), asm.csrrw(0, CSR.satp, x.a0), ...li(x.a0, (9n << 60n) | 7n), asm.csrrw(0, CSR.satp, x.a0), asm.csrrs(x.a1, CSR.satp, 0)]);
    m.run(40);
    expect(m.hart.getRegister(x.a1)).toBe(sv39);
  });

  it('mtvec with a reserved MODE is not written; vectored mode is kept', () => {
    expect(writeThenRead(CSR.mtvec, 0x8000_1002n).hart.getRegister(x.a1)).toBe(0n);
    expect(writeThenRead(CSR.mtvec, 0x8000_1001n).hart.getRegister(x.a1)).toBe(0x8000_1001n);
  });

  it('menvcfg has only FIOM', () => {
    expect(writeThenRead(CSR.menvcfg, -1n).hart.getRegister(x.a1)).toBe(1n);
  });

  it('sie and sip are mie and mip restricted to delegated interrupts', () => {
    const m = makeMachine([
      ...li(x.a0, 0x222n), asm.csrrw(0, CSR.mideleg, x.a0),
      ...li(x.a0, 0xaaan), asm.csrrw(0, CSR.mie, x.a0),
      asm.csrrs(x.a1, CSR.sie, 0),
      ...li(x.a0, 0x2n), asm.csrrw(0, CSR.sip, x.a0),
      asm.csrrs(x.a2, CSR.mip, 0),
      ...li(x.a0, 0x0n), asm.csrrw(0, CSR.sie, x.a0),
      asm.csrrs(x.a3, CSR.mie, 0),
    ]);
    m.run(40);
    expect(m.hart.getRegister(x.a1)).toBe(0x222n);
    expect(m.hart.getRegister(x.a2)).toBe(0x2n);
    expect(m.hart.getRegister(x.a3)).toBe(0x888n);
  });

  it('csrs/csrc on mip modify only the software SEIP bit, while reads show the line too', () => {
    const m = makeMachine([asm.csrrs(x.a1, CSR.mip, 0), ...li(x.a0, 0x2n), asm.csrrs(x.a2, CSR.mip, x.a0)]);
    m.hart.setInterruptLine(1 << 9, true); // SEIP from the PLIC
    m.run(10);
    expect(m.hart.getRegister(x.a1)).toBe(0x200n);
    expect(m.hart.getRegister(x.a2)).toBe(0x200n);
    expect(m.hart.mipSoftware).toBe(0x2); // SSIP set, software SEIP still clear
    m.hart.setInterruptLine(1 << 9, false);
    expect(m.hart.mip()).toBe(0x2);
  });

  it('a minstret write is what the next instruction reads', () => {
    const m = makeMachine([...li(x.a0, 1000n), asm.csrrw(0, CSR.minstret, x.a0), asm.csrrs(x.a1, CSR.minstret, 0), asm.csrrs(x.a2, CSR.instret, 0)]);
    m.run(10);
    expect(m.hart.getRegister(x.a1)).toBe(1000n);
    expect(m.hart.getRegister(x.a2)).toBe(1001n);
  });

  it('pmpaddr16-63 and pmpcfg4-14 (even) read zero; odd pmpcfg does not exist on RV64', () => {
    expect(writeThenRead(CSR.pmpaddr20, -1n).hart.getRegister(x.a1)).toBe(0n);
    const m = illegalAt([asm.csrrs(x.a1, CSR.pmpcfg1, 0)], PRV_M);
    expect(m.traps[0]?.cause).toBe(Exception.IllegalInstruction);
  });
});

describe('CSR access rules', () => {
  const cases: [string, number[], Privilege, ((m: ReturnType<typeof makeMachine>) => void)?][] = [
    ['an M-mode CSR from S-mode', [asm.csrrs(x.a1, CSR.mstatus, 0)], PRV_S],
    ['an S-mode CSR from U-mode', [asm.csrrs(x.a1, CSR.sstatus, 0)], PRV_U],
    ['a write to a read-only CSR (mhartid)', [asm.csrrw(x.a1, CSR.mhartid, x.a0)], PRV_M],
    ['csrrsi with a nonzero immediate on a read-only CSR', [asm.csrrsi(x.a1, CSR.cycle, 1)], PRV_M],
    ['an unknown CSR (0x7c0)', [asm.csrrs(x.a1, 0x7c0, 0)], PRV_M],
    ['the fcsr CSR (no F extension)', [asm.csrrs(x.a1, 0x003, 0)], PRV_M],
    ['cycle from S-mode without mcounteren.CY', [asm.csrrs(x.a1, CSR.cycle, 0)], PRV_S],
    ['time from U-mode with mcounteren.TM but not scounteren.TM', [asm.csrrs(x.a1, CSR.time, 0)], PRV_U, (m) => { m.hart.mcounteren = 2; }],
    ['hpmcounter3 from S-mode without mcounteren.HPM3', [asm.csrrs(x.a1, CSR.hpmcounter3, 0)], PRV_S],
    ['satp from S-mode with mstatus.TVM', [asm.csrrs(x.a1, CSR.satp, 0)], PRV_S, (m) => { m.hart.mstatus |= 1 << 20; }],
  ];
  for (const [name, program, priv, setup] of cases) {
    it(`${name} is an illegal instruction with the instruction in tval`, () => {
      const m = illegalAt(program, priv, setup);
      expect(m.traps[0]).toMatchObject({ cause: Exception.IllegalInstruction, from: priv });
      expect(m.hart.mtval).toBe(BigInt(program[0]! >>> 0));
      expect(m.hart.getRegister(x.a1)).toBe(0n);
    });
  }

  it('reads are allowed where the rules allow them', () => {
    const m = illegalAt([asm.csrrs(x.a1, CSR.mhartid, 0), asm.csrrs(x.a2, CSR.instret, 0)], PRV_M);
    expect(m.trapsBeforeEnd()).toEqual([]);
    const u = illegalAt([asm.csrrs(x.a1, CSR.cycle, 0), asm.csrrs(x.a2, CSR.sstatus, 0)], PRV_U, (mm) => { mm.hart.mcounteren = 1; mm.hart.scounteren = 1; });
    expect(u.traps.map((t) => t.cause)).toEqual([Exception.IllegalInstruction]); // cycle ok, sstatus not
    expect(u.hart.mepc).toBe(0x8000_0004n);
    const s = illegalAt([asm.csrrs(x.a1, CSR.satp, 0), asm.csrrs(x.a2, CSR.sip, 0)], PRV_S);
    expect(s.trapsBeforeEnd()).toEqual([]);
  });
});
