/**
 * Test support: a one-hart machine with a hand-assembled program at
 * 0x8000_0000, a small assembler (encoders for the instructions tests use),
 * and page-table building helpers. Traps stop the run by default, so a test
 * runs a program and then looks at registers, CSRs and the recorded traps.
 */
import { Bus } from '../../emulator/memory/bus.js';
import { Hart, type HartOptions, type TrapEvent } from '../../emulator/hart/hart.js';
import { encB, encI, encJ, encR, encS, encU } from '../../emulator/isa/fields.js';

export const RAM_BASE = 0x8000_0000;

export interface TestMachine {
  readonly bus: Bus;
  readonly hart: Hart;
  readonly traps: TrapEvent[];
  /** Runs until the first trap (if stopOnTrap) or `max` steps; returns steps. */
  run(max?: number): number;
  /** Traps before the program ran off its end (the zero word after it is an illegal instruction). */
  trapsBeforeEnd(): TrapEvent[];
}

export function makeMachine(program: readonly number[], options: HartOptions & { stopOnTrap?: boolean; ramSize?: number; at?: number } = {}): TestMachine {
  const bus = new Bus(RAM_BASE, options.ramSize ?? 16 * 1024 * 1024);
  const at = options.at ?? RAM_BASE;
  writeWords(bus, at, program);
  const hart = new Hart(bus, { ...options, resetPc: options.resetPc ?? BigInt(at) });
  const traps: TrapEvent[] = [];
  const stopOnTrap = options.stopOnTrap ?? true;
  hart.hooks.onTrap = (e) => {
    traps.push(e);
    if (stopOnTrap) hart.requestStop();
  };
  const end = BigInt(at + 4 * program.length);
  return {
    bus, hart, traps,
    run: (max = 10_000) => hart.run(max),
    trapsBeforeEnd: () => traps.filter((t) => !(t.pc === end && t.cause === 2 && t.tval === 0n)),
  };
}

/** PMP entry 0 as NAPOT over all of memory with RWX, so S and U may access everything. */
export function allowAllPmp(hart: Hart): void {
  hart.writeCsr('pmpaddr0', (1n << 54n) - 1n);
  hart.writeCsr('pmpcfg0', 0x1fn);
}

export function writeWords(bus: Bus, pa: number, words: readonly number[]): void {
  words.forEach((w, i) => bus.write(pa + 4 * i, 4, w | 0, 0, -1));
}

export function writeDouble(bus: Bus, pa: number, v: bigint): void {
  bus.write(pa, 8, Number(BigInt.asUintN(32, v)) | 0, Number(BigInt.asUintN(32, v >> 32n)) | 0, -1);
}

export function readDouble(bus: Bus, pa: number): bigint {
  bus.read(pa, 8);
  return (BigInt(bus.value[1]! >>> 0) << 32n) | BigInt(bus.value[0]! >>> 0);
}

/** Register numbers by ABI name. */
export const x = { zero: 0, ra: 1, sp: 2, gp: 3, tp: 4, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9, a0: 10, a1: 11, a2: 12, a3: 13, a4: 14, a5: 15, a6: 16, a7: 17, t3: 28, t4: 29, t5: 30, t6: 31 } as const;

/** A few-instruction assembler: each function returns one 32-bit instruction word. */
export const asm = {
  addi: (rd: number, rs1: number, imm: number) => encI(0x13, rd, 0, rs1, imm),
  add: (rd: number, rs1: number, rs2: number) => encR(0x33, rd, 0, rs1, rs2, 0),
  lui: (rd: number, imm20: number) => encU(0x37, rd, imm20 << 12),
  auipc: (rd: number, imm20: number) => encU(0x17, rd, imm20 << 12),
  jal: (rd: number, offset: number) => encJ(0x6f, rd, offset),
  jalr: (rd: number, rs1: number, imm: number) => encI(0x67, rd, 0, rs1, imm),
  beq: (rs1: number, rs2: number, offset: number) => encB(0x63, 0, rs1, rs2, offset),
  bne: (rs1: number, rs2: number, offset: number) => encB(0x63, 1, rs1, rs2, offset),
  ld: (rd: number, rs1: number, imm: number) => encI(0x03, rd, 3, rs1, imm),
  lw: (rd: number, rs1: number, imm: number) => encI(0x03, rd, 2, rs1, imm),
  lbu: (rd: number, rs1: number, imm: number) => encI(0x03, rd, 4, rs1, imm),
  sd: (rs2: number, rs1: number, imm: number) => encS(0x23, 3, rs1, rs2, imm),
  sw: (rs2: number, rs1: number, imm: number) => encS(0x23, 2, rs1, rs2, imm),
  sb: (rs2: number, rs1: number, imm: number) => encS(0x23, 0, rs1, rs2, imm),
  lrD: (rd: number, rs1: number) => encR(0x2f, rd, 3, rs1, 0, 0x08),
  scD: (rd: number, rs1: number, rs2: number) => encR(0x2f, rd, 3, rs1, rs2, 0x0c),
  lrW: (rd: number, rs1: number) => encR(0x2f, rd, 2, rs1, 0, 0x08),
  amoaddD: (rd: number, rs1: number, rs2: number) => encR(0x2f, rd, 3, rs1, rs2, 0x00),
  amoaddW: (rd: number, rs1: number, rs2: number) => encR(0x2f, rd, 2, rs1, rs2, 0x00),
  csrrw: (rd: number, csr: number, rs1: number) => encI(0x73, rd, 1, rs1, csr),
  csrrs: (rd: number, csr: number, rs1: number) => encI(0x73, rd, 2, rs1, csr),
  csrrc: (rd: number, csr: number, rs1: number) => encI(0x73, rd, 3, rs1, csr),
  csrrwi: (rd: number, csr: number, uimm: number) => encI(0x73, rd, 5, uimm, csr),
  csrrsi: (rd: number, csr: number, uimm: number) => encI(0x73, rd, 6, uimm, csr),
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
  mret: () => 0x30200073,
  sret: () => 0x10200073,
  wfi: () => 0x10500073,
  fenceI: () => 0x0000100f,
  sfenceVma: (rs1: number, rs2: number) => encR(0x73, 0, 0, rs1, rs2, 0x09),
  nop: () => 0x00000013,
};

/** Instructions that put a 64-bit constant in rd (lui/addi/slli chain; up to 8 words). */
export function li(rd: number, value: bigint): number[] {
  const v = BigInt.asIntN(64, value);
  if (v >= -2048n && v < 2048n) return [asm.addi(rd, 0, Number(v))];
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const lo = Number(BigInt.asIntN(12, v));
    const hi = Number(BigInt.asIntN(32, v - BigInt(lo))) >> 12;
    return [asm.lui(rd, hi & 0xfffff), ...(lo === 0 ? [] : [encI(0x1b, rd, 0, rd, lo)])];
  }
  const lo = Number(BigInt.asIntN(12, v));
  const rest = (v - BigInt(lo)) >> 12n;
  let shift = 12;
  let upper = rest;
  while ((upper & 1n) === 0n && shift < 60) {
    upper >>= 1n;
    shift++;
  }
  return [...li(rd, upper), encI(0x13, rd, 1, rd, shift), ...(lo === 0 ? [] : [asm.addi(rd, rd, lo)])];
}

// ---- Sv39 page tables --------------------------------------------------------

export const PTE = { V: 1, R: 2, W: 4, X: 8, U: 16, G: 32, A: 64, D: 128 } as const;

export function pte(pa: bigint, flags: number): bigint {
  return ((pa >> 12n) << 10n) | BigInt(flags);
}

/** satp for Sv39 with a root table at `rootPa` and `asid`. */
export function satpSv39(rootPa: bigint, asid = 0): bigint {
  return (8n << 60n) | (BigInt(asid) << 44n) | (rootPa >> 12n);
}

export function vpnOf(va: bigint, level: number): bigint {
  return (va >> (12n + 9n * BigInt(level))) & 0x1ffn;
}
