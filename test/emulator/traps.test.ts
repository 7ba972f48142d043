/**
 * Traps and interrupts (privileged spec 1.12, 3.1.6-3.1.9, 3.3, 4.1.1):
 * causes and tval, delegation, xRET effects, TW/TSR, interrupt priority and
 * enables, vectored mode, WFI.
 */
import { describe, expect, it } from 'vitest';
import { Exception, Interrupt, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SSIP, MIP_STIP, PRV_M, PRV_S, PRV_U, type Privilege } from '../../emulator/hart/causes.js';
import { MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_TSR, MSTATUS_TW } from '../../emulator/hart/csr.js';
import { RAM_BASE, allowAllPmp, asm, li, makeMachine, x } from './support.js';

function machineAt(program: number[], priv: Privilege) {
  const m = makeMachine(program);
  allowAllPmp(m.hart);
  m.hart.priv = priv;
  return m;
}

describe('exceptions', () => {
  for (const [priv, cause] of [[PRV_U, Exception.EnvironmentCallFromUMode], [PRV_S, Exception.EnvironmentCallFromSMode], [PRV_M, Exception.EnvironmentCallFromMMode]] as const) {
    it(`ecall from privilege ${priv} raises cause ${cause} with tval 0, to M`, () => {
      const m = machineAt([asm.nop(), asm.ecall()], priv);
      m.hart.mtvec = 0x8000_0100n;
      m.run();
      expect(m.traps[0]).toMatchObject({ cause, tval: 0n, pc: 0x8000_0004n, from: priv, to: PRV_M });
      expect(m.hart.mepc).toBe(0x8000_0004n);
      expect(m.hart.pc).toBe(0x8000_0100n);
      expect((m.hart.mstatus >> 11) & 3).toBe(priv);
    });
  }

  it('ebreak and c.ebreak raise Breakpoint with tval = pc', () => {
    const m = machineAt([asm.nop(), asm.ebreak()], PRV_M);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.Breakpoint, tval: 0x8000_0004n });
    const c = machineAt([0x9002_0001], PRV_M); // c.nop; c.ebreak
    c.run();
    expect(c.traps[0]).toMatchObject({ cause: Exception.Breakpoint, tval: 0x8000_0002n, pc: 0x8000_0002n });
  });

  it('a load from nowhere is a LoadAccessFault with the address in tval; a store a StoreAccessFault', () => {
    const m = machineAt([...li(x.a0, 0x1000n), asm.ld(x.a1, x.a0, 8)], PRV_M);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: 0x1008n });
    const s = machineAt([...li(x.a0, 0x1000n), asm.sd(x.a1, x.a0, -8)], PRV_M);
    s.run();
    expect(s.traps[0]).toMatchObject({ cause: Exception.StoreAccessFault, tval: 0xff8n });
  });

  it('jumping to nowhere is an InstructionAccessFault at the target', () => {
    const m = machineAt([...li(x.a0, 0x2000n), asm.jalr(x.ra, x.a0, 4)], PRV_M);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.InstructionAccessFault, tval: 0x2004n, pc: 0x2004n });
    expect(m.hart.getRegister(x.ra)).toBe(0x8000_0008n);
  });

  it('misaligned loads and stores of RAM are performed, also across a page boundary', () => {
    const m = machineAt([...li(x.a0, 0x8000_1ffdn), ...li(x.a1, 0x1122_3344_5566_7788n), asm.sd(x.a1, x.a0, 0), asm.ld(x.a2, x.a0, 0), asm.lw(x.a3, x.a0, 1)], PRV_M);
    m.run();
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(m.hart.getRegister(x.a2)).toBe(0x1122_3344_5566_7788n);
    expect(m.hart.getRegister(x.a3)).toBe(0x4455_6677n);
  });

  it('misaligned LR faults as a load, misaligned AMO and SC as a store, tval = the address', () => {
    const lr = machineAt([...li(x.a0, 0x8000_1004n), asm.lrD(x.a1, x.a0)], PRV_M);
    lr.run();
    expect(lr.traps[0]).toMatchObject({ cause: Exception.LoadAddressMisaligned, tval: 0x8000_1004n });
    const amo = machineAt([...li(x.a0, 0x8000_1002n), asm.amoaddW(x.a1, x.a0, x.a0)], PRV_M);
    amo.run();
    expect(amo.traps[0]).toMatchObject({ cause: Exception.StoreAddressMisaligned, tval: 0x8000_1002n });
    const sc = machineAt([...li(x.a0, 0x8000_1001n), asm.scD(x.a1, x.a0, x.a0)], PRV_M);
    sc.run();
    expect(sc.traps[0]).toMatchObject({ cause: Exception.StoreAddressMisaligned, tval: 0x8000_1001n });
  });

  it('medeleg sends exceptions from S and U to S (scause, sepc, stval, SPP, SPIE), never from M', () => {
    const m = machineAt([asm.ecall()], PRV_U);
    m.hart.medeleg = 1 << Exception.EnvironmentCallFromUMode;
    m.hart.stvec = 0x8000_0200n;
    m.hart.mstatus |= MSTATUS_SIE;
    m.run();
    expect(m.traps[0]).toMatchObject({ to: PRV_S, cause: Exception.EnvironmentCallFromUMode });
    expect(m.hart.scause).toBe(8n);
    expect(m.hart.sepc).toBe(0x8000_0000n);
    expect(m.hart.pc).toBe(0x8000_0200n);
    expect(m.hart.mstatus & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE)).toBe(MSTATUS_SPIE);
    expect(m.hart.mcause).toBe(0n);

    const fromM = machineAt([asm.ebreak()], PRV_M);
    fromM.hart.medeleg = 1 << Exception.Breakpoint;
    fromM.run();
    expect(fromM.traps[0]).toMatchObject({ to: PRV_M });
  });
});

describe('hooks', () => {
  it('interceptTrap lets the host handle a trap (builtin SBI): no trap is taken, the host sets pc', () => {
    const m = machineAt([...li(x.a7, 0x10n), asm.ecall(), asm.addi(x.a1, x.a0, 1)], PRV_S);
    const seen: number[] = [];
    m.hart.hooks.interceptTrap = (h, cause, interrupt) => {
      if (interrupt || cause !== Exception.EnvironmentCallFromSMode) return false;
      seen.push(Number(h.getRegister(x.a7)));
      h.setRegister(x.a0, 41n);
      h.pc += 4n;
      return true;
    };
    m.run();
    expect(seen).toEqual([0x10]);
    expect(m.hart.getRegister(x.a1)).toBe(42n);
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(m.traps[0]?.from).toBe(PRV_S); // still in S when it ran off the program's end
  });

  it('a PC hook fires once per arrival, also in a loop run at full speed elsewhere', () => {
    // a0 counts to 100 in a loop at 0x8000_0000; the hook sits in another page at the loop's exit
    const m = makeMachine([asm.addi(x.a0, x.a0, 1), ...li(x.t0, 100n), asm.bne(x.a0, x.t0, -4 * (1 + li(x.t0, 100n).length)), ...li(x.t1, 0x8000_2000n), asm.jalr(0, x.t1, 0)]);
    m.bus.write(0x8000_2000, 4, asm.addi(x.a2, 0, 9), 0, -1);
    let hits = 0;
    m.hart.addPcHook(0x8000_2000n, () => hits++);
    m.run(1000);
    expect(hits).toBe(1);
    expect(m.hart.getRegister(x.a0)).toBe(100n);
    expect(m.hart.getRegister(x.a2)).toBe(9n);
  });
});

describe('xRET', () => {
  it('mret: priv = MPP, MIE = MPIE, MPIE = 1, MPP = U, MPRV cleared when leaving M', () => {
    const m = machineAt([asm.mret()], PRV_M);
    m.hart.mstatus = MSTATUS_MPIE | MSTATUS_MPRV | (PRV_S << 11);
    m.hart.mepc = 0x8000_0400n;
    m.run(1);
    expect(m.hart.priv).toBe(PRV_S);
    expect(m.hart.pc).toBe(0x8000_0400n);
    expect(m.hart.mstatus).toBe(MSTATUS_MIE | MSTATUS_MPIE);
  });

  it('sret: priv = SPP, SIE = SPIE, SPIE = 1, SPP = U', () => {
    const m = machineAt([asm.sret()], PRV_S);
    m.hart.mstatus = MSTATUS_SPIE;
    m.hart.sepc = 0x8000_0400n;
    m.run(1);
    expect(m.hart.priv).toBe(PRV_U);
    expect(m.hart.pc).toBe(0x8000_0400n);
    expect(m.hart.mstatus).toBe(MSTATUS_SIE | MSTATUS_SPIE);
  });

  const illegal: [string, number, Privilege, number][] = [
    ['mret in S-mode', asm.mret(), PRV_S, 0],
    ['sret in U-mode', asm.sret(), PRV_U, 0],
    ['sret in S-mode with TSR', asm.sret(), PRV_S, MSTATUS_TSR],
    ['wfi in U-mode', asm.wfi(), PRV_U, 0],
    ['wfi in S-mode with TW', asm.wfi(), PRV_S, MSTATUS_TW],
    ['sfence.vma in U-mode', asm.sfenceVma(0, 0), PRV_U, 0],
    ['sfence.vma in S-mode with TVM', asm.sfenceVma(0, 0), PRV_S, 1 << 20],
  ];
  for (const [name, insn, priv, status] of illegal) {
    it(`${name} is illegal`, () => {
      const m = machineAt([insn], priv);
      m.hart.mstatus |= status;
      m.run();
      expect(m.traps[0]).toMatchObject({ cause: Exception.IllegalInstruction, tval: BigInt(insn >>> 0), from: priv });
    });
  }
});

describe('interrupts', () => {
  function pendingMachine(priv: Privilege, lines: number, softwareBits = 0) {
    const m = machineAt([asm.nop(), asm.nop()], priv);
    m.hart.mie = 0xaaa;
    m.hart.mipSoftware = softwareBits;
    m.hart.setInterruptLine(lines, true);
    m.hart.mtvec = 0x8000_0100n;
    m.hart.stvec = 0x8000_0200n;
    return m;
  }

  it('are taken in priority order MEI, MSI, MTI, SEI, SSI, STI', () => {
    const all = [MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SSIP, MIP_STIP];
    const order = [Interrupt.MachineExternal, Interrupt.MachineSoftware, Interrupt.MachineTimer, Interrupt.SupervisorExternal, Interrupt.SupervisorSoftware, Interrupt.SupervisorTimer];
    for (let i = 0; i < all.length; i++) {
      const pending = all.slice(i).reduce((a, b) => a | b, 0);
      const m = pendingMachine(PRV_U, pending & (MIP_MEIP | MIP_MSIP | MIP_MTIP | MIP_SEIP), pending & (MIP_SSIP | MIP_STIP));
      m.run(1);
      expect(m.traps[0], `pending 0x${pending.toString(16)}`).toMatchObject({ interrupt: true, cause: order[i] });
      expect(m.hart.mcause).toBe((1n << 63n) | BigInt(order[i]!));
      expect(m.hart.mepc).toBe(BigInt(RAM_BASE));
    }
  });

  it('M-level interrupts are masked by mstatus.MIE only in M-mode', () => {
    const inM = pendingMachine(PRV_M, MIP_MTIP);
    inM.run(2);
    expect(inM.traps.filter((t) => t.interrupt)).toEqual([]);
    const inMEnabled = pendingMachine(PRV_M, MIP_MTIP);
    inMEnabled.hart.mstatus |= MSTATUS_MIE;
    inMEnabled.run(1);
    expect(inMEnabled.traps[0]).toMatchObject({ interrupt: true, cause: Interrupt.MachineTimer, from: PRV_M });
    const inS = pendingMachine(PRV_S, MIP_MTIP);
    inS.run(1);
    expect(inS.traps[0]).toMatchObject({ interrupt: true, cause: Interrupt.MachineTimer, to: PRV_M });
  });

  it('delegated interrupts go to S, are masked by SIE in S, and are never taken in M', () => {
    const inU = pendingMachine(PRV_U, 0, MIP_STIP);
    inU.hart.mideleg = MIP_STIP;
    inU.run(1);
    expect(inU.traps[0]).toMatchObject({ interrupt: true, cause: Interrupt.SupervisorTimer, to: PRV_S });
    expect(inU.hart.scause).toBe((1n << 63n) | 5n);
    const inS = pendingMachine(PRV_S, 0, MIP_STIP);
    inS.hart.mideleg = MIP_STIP;
    inS.run(2);
    expect(inS.traps.filter((t) => t.interrupt)).toEqual([]);
    const inM = pendingMachine(PRV_M, 0, MIP_STIP);
    inM.hart.mideleg = MIP_STIP;
    inM.hart.mstatus |= MSTATUS_MIE | MSTATUS_SIE;
    inM.run(2);
    expect(inM.traps.filter((t) => t.interrupt)).toEqual([]);
  });

  it('vectored mode jumps to base + 4 * cause for interrupts, base for exceptions', () => {
    const m = pendingMachine(PRV_U, MIP_MTIP);
    m.hart.mtvec = 0x8000_0101n;
    m.run(1);
    expect(m.hart.pc).toBe(0x8000_0100n + 4n * 7n);
    const e = machineAt([asm.ecall()], PRV_M);
    e.hart.mtvec = 0x8000_0101n;
    e.run();
    expect(e.hart.pc).toBe(0x8000_0100n);
  });

  it('wfi waits until an interrupt is pending (even if disabled), then continues after it', () => {
    const m = machineAt([asm.wfi(), asm.addi(x.a0, 0, 7)], PRV_M);
    m.hart.mie = MIP_MTIP;
    expect(m.run(10)).toBe(1);
    expect(m.hart.waiting).toBe(true);
    expect(m.hart.pc).toBe(0x8000_0004n);
    expect(m.run(10)).toBe(0);
    m.hart.setInterruptLine(MIP_MTIP, true);
    m.run(1);
    expect(m.hart.waiting).toBe(false);
    expect(m.hart.getRegister(x.a0)).toBe(7n);
    expect(m.traps).toEqual([]);
  });

  it('an interrupt line raised mid-run is taken at the next instruction boundary', () => {
    const m = machineAt([asm.nop(), asm.nop(), asm.nop(), asm.nop()], PRV_U);
    m.hart.mie = MIP_MEIP;
    m.hart.mtvec = 0x8000_0100n;
    m.hart.addPcHook(0x8000_0008n, (h) => h.setInterruptLine(MIP_MEIP, true));
    m.run(10);
    expect(m.traps[0]).toMatchObject({ interrupt: true, cause: Interrupt.MachineExternal, pc: 0x8000_0008n });
  });
});
