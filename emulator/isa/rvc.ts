/**
 * C extension (unprivileged spec chapter 16, RV64C): every compressed
 * instruction expands to the 32-bit instruction it stands for, which then
 * runs with length 2. Reserved encodings and the F/D forms (absent here)
 * expand to ILLEGAL. Table entries are disjoint match/mask pairs; an entry
 * covering several mnemonics says so in its name.
 */
import { encB, encI, encJ, encR, encS, encU } from './fields.js';

export const ILLEGAL = -1;

export interface CompressedEntry {
  readonly mnemonic: string;
  readonly match: number;
  readonly mask: number;
  /** The equivalent 32-bit instruction, or ILLEGAL. */
  readonly expand: (c: number) => number;
}

const OP_IMM = 0x13, OP_IMM_32 = 0x1b, OP = 0x33, OP_32 = 0x3b, LOAD = 0x03, STORE = 0x23, LUI = 0x37, JAL = 0x6f, JALR = 0x67, BRANCH = 0x63;

const bit = (c: number, n: number) => (c >>> n) & 1;
const bits = (c: number, hi: number, lo: number) => (c >>> lo) & ((1 << (hi - lo + 1)) - 1);
/** rd'/rs1'/rs2' (3 bits) name x8-x15. */
const rp = (c: number, lo: number) => 8 + bits(c, lo + 2, lo);
const rdFull = (c: number) => bits(c, 11, 7);
const rs2Full = (c: number) => bits(c, 6, 2);
const sext = (v: number, width: number) => (v << (32 - width)) >> (32 - width);
/** The 6-bit immediate imm[5]=c[12], imm[4:0]=c[6:2], sign-extended. */
const imm6 = (c: number) => sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
const shamt = (c: number) => (bit(c, 12) << 5) | bits(c, 6, 2);
const lwImm = (c: number) => (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6);
const ldImm = (c: number) => (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);
const jImm = (c: number) =>
  sext((bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) | (bit(c, 8) << 10) | (bit(c, 7) << 6) | (bit(c, 6) << 7) | (bits(c, 5, 3) << 1) | (bit(c, 2) << 5), 12);
const bImm = (c: number) => sext((bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5), 9);

const Q = 0xe003; // funct3 + quadrant

export const RVC: readonly CompressedEntry[] = [
  // Quadrant 0
  {
    mnemonic: 'c.addi4spn', match: 0x0000, mask: Q,
    expand: (c) => {
      const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
      return imm === 0 ? ILLEGAL : encI(OP_IMM, rp(c, 2), 0, 2, imm);
    },
  },
  { mnemonic: 'c.fld', match: 0x2000, mask: Q, expand: () => ILLEGAL },
  { mnemonic: 'c.lw', match: 0x4000, mask: Q, expand: (c) => encI(LOAD, rp(c, 2), 2, rp(c, 7), lwImm(c)) },
  { mnemonic: 'c.ld', match: 0x6000, mask: Q, expand: (c) => encI(LOAD, rp(c, 2), 3, rp(c, 7), ldImm(c)) },
  { mnemonic: 'c.reserved-q0', match: 0x8000, mask: Q, expand: () => ILLEGAL },
  { mnemonic: 'c.fsd', match: 0xa000, mask: Q, expand: () => ILLEGAL },
  { mnemonic: 'c.sw', match: 0xc000, mask: Q, expand: (c) => encS(STORE, 2, rp(c, 7), rp(c, 2), lwImm(c)) },
  { mnemonic: 'c.sd', match: 0xe000, mask: Q, expand: (c) => encS(STORE, 3, rp(c, 7), rp(c, 2), ldImm(c)) },

  // Quadrant 1
  { mnemonic: 'c.addi / c.nop', match: 0x0001, mask: Q, expand: (c) => encI(OP_IMM, rdFull(c), 0, rdFull(c), imm6(c)) },
  { mnemonic: 'c.addiw', match: 0x2001, mask: Q, expand: (c) => (rdFull(c) === 0 ? ILLEGAL : encI(OP_IMM_32, rdFull(c), 0, rdFull(c), imm6(c))) },
  { mnemonic: 'c.li', match: 0x4001, mask: Q, expand: (c) => encI(OP_IMM, rdFull(c), 0, 0, imm6(c)) },
  {
    mnemonic: 'c.addi16sp / c.lui', match: 0x6001, mask: Q,
    expand: (c) => {
      const rd = rdFull(c);
      if (rd === 2) {
        const imm = sext((bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5), 10);
        return imm === 0 ? ILLEGAL : encI(OP_IMM, 2, 0, 2, imm);
      }
      const imm = imm6(c);
      return imm === 0 ? ILLEGAL : encU(LUI, rd, imm << 12);
    },
  },
  { mnemonic: 'c.srli', match: 0x8001, mask: 0xec03, expand: (c) => encI(OP_IMM, rp(c, 7), 5, rp(c, 7), shamt(c)) },
  { mnemonic: 'c.srai', match: 0x8401, mask: 0xec03, expand: (c) => encI(OP_IMM, rp(c, 7), 5, rp(c, 7), shamt(c) | 0x400) },
  { mnemonic: 'c.andi', match: 0x8801, mask: 0xec03, expand: (c) => encI(OP_IMM, rp(c, 7), 7, rp(c, 7), imm6(c)) },
  { mnemonic: 'c.sub', match: 0x8c01, mask: 0xfc63, expand: (c) => encR(OP, rp(c, 7), 0, rp(c, 7), rp(c, 2), 0x20) },
  { mnemonic: 'c.xor', match: 0x8c21, mask: 0xfc63, expand: (c) => encR(OP, rp(c, 7), 4, rp(c, 7), rp(c, 2), 0) },
  { mnemonic: 'c.or', match: 0x8c41, mask: 0xfc63, expand: (c) => encR(OP, rp(c, 7), 6, rp(c, 7), rp(c, 2), 0) },
  { mnemonic: 'c.and', match: 0x8c61, mask: 0xfc63, expand: (c) => encR(OP, rp(c, 7), 7, rp(c, 7), rp(c, 2), 0) },
  { mnemonic: 'c.subw', match: 0x9c01, mask: 0xfc63, expand: (c) => encR(OP_32, rp(c, 7), 0, rp(c, 7), rp(c, 2), 0x20) },
  { mnemonic: 'c.addw', match: 0x9c21, mask: 0xfc63, expand: (c) => encR(OP_32, rp(c, 7), 0, rp(c, 7), rp(c, 2), 0) },
  { mnemonic: 'c.reserved-q1', match: 0x9c41, mask: 0xfc43, expand: () => ILLEGAL },
  { mnemonic: 'c.j', match: 0xa001, mask: Q, expand: (c) => encJ(JAL, 0, jImm(c)) },
  { mnemonic: 'c.beqz', match: 0xc001, mask: Q, expand: (c) => encB(BRANCH, 0, rp(c, 7), 0, bImm(c)) },
  { mnemonic: 'c.bnez', match: 0xe001, mask: Q, expand: (c) => encB(BRANCH, 1, rp(c, 7), 0, bImm(c)) },

  // Quadrant 2
  { mnemonic: 'c.slli', match: 0x0002, mask: Q, expand: (c) => encI(OP_IMM, rdFull(c), 1, rdFull(c), shamt(c)) },
  { mnemonic: 'c.fldsp', match: 0x2002, mask: Q, expand: () => ILLEGAL },
  {
    mnemonic: 'c.lwsp', match: 0x4002, mask: Q,
    expand: (c) => (rdFull(c) === 0 ? ILLEGAL : encI(LOAD, rdFull(c), 2, 2, (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6))),
  },
  {
    mnemonic: 'c.ldsp', match: 0x6002, mask: Q,
    expand: (c) => (rdFull(c) === 0 ? ILLEGAL : encI(LOAD, rdFull(c), 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6))),
  },
  {
    mnemonic: 'c.jr / c.mv', match: 0x8002, mask: 0xf003,
    expand: (c) => {
      const rs1 = rdFull(c);
      const rs2 = rs2Full(c);
      if (rs2 === 0) return rs1 === 0 ? ILLEGAL : encI(JALR, 0, 0, rs1, 0);
      return encR(OP, rs1, 0, 0, rs2, 0);
    },
  },
  {
    mnemonic: 'c.ebreak / c.jalr / c.add', match: 0x9002, mask: 0xf003,
    expand: (c) => {
      const rs1 = rdFull(c);
      const rs2 = rs2Full(c);
      if (rs2 === 0) return rs1 === 0 ? 0x00100073 : encI(JALR, 1, 0, rs1, 0);
      return encR(OP, rs1, 0, rs1, rs2, 0);
    },
  },
  { mnemonic: 'c.fsdsp', match: 0xa002, mask: Q, expand: () => ILLEGAL },
  { mnemonic: 'c.swsp', match: 0xc002, mask: Q, expand: (c) => encS(STORE, 2, 2, rs2Full(c), (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6)) },
  { mnemonic: 'c.sdsp', match: 0xe002, mask: Q, expand: (c) => encS(STORE, 3, 2, rs2Full(c), (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)) },
];

/** Expands a 16-bit instruction (bits 1:0 != 11) to its 32-bit equivalent, or ILLEGAL. */
export function expandCompressed(c: number): number {
  if (c === 0) return ILLEGAL; // the all-zero halfword is defined illegal
  for (const e of RVC) if ((c & e.mask) === e.match) return e.expand(c);
  return ILLEGAL;
}
