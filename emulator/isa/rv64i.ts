/**
 * RV64I base integer instructions (unprivileged spec chapters 2 and 5), by
 * mnemonic. fence is a no-op: one hart sees its own accesses in order and the
 * board runs harts one at a time. ecall/ebreak live in system.ts.
 */
import {
  add64, addi64, cmp64, cmpImm64, cmpu64, cmpuImm64, setW, sll64, sra64, srl64, sub64,
} from '../bits.js';
import type { OpcodeEntry, Op, Site } from './op.js';
import { immB, immI, immJ, immS, immU, rdIndex, rs1Index, rs2Index, shamt5, shamt6 } from './fields.js';

const R = 0xfe00707f;
const I = 0x0000707f;
const U = 0x0000007f;
const SHIFT64 = 0xfc00707f;

type Make = (s: Site) => Op;

function entry(mnemonic: string, match: number, mask: number, make: Make): OpcodeEntry {
  return { mnemonic, match, mask, make };
}

/*
 * Every mnemonic gets its own closure literal below (no shared wrapper taking
 * the body as a function): V8 then sees one monomorphic, inlinable body per
 * call site, which is most of the interpreter's speed.
 */

function fields(s: Site) {
  return { d: rdIndex(s.raw), a: rs1Index(s.raw), b: rs2Index(s.raw), next: s.next };
}

function immFields(s: Site, imm: (raw: number) => number = immI) {
  return { d: rdIndex(s.raw), a: rs1Index(s.raw), k: imm(s.raw), next: s.next };
}

/** Branch target as a page offset; in the page when 0 <= delta < 4096. */
function branchFields(s: Site) {
  return { a: rs1Index(s.raw), b: rs2Index(s.raw), delta: s.off + immB(s.raw), next: s.next };
}
const inPage = (delta: number) => delta >= 0 && delta < 4096;

const beq: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => { const r = h.r; return r[a] === r[b] && r[a + 1] === r[b + 1] ? delta : next; };
  return (h) => { const r = h.r; return r[a] === r[b] && r[a + 1] === r[b + 1] ? h.jumpRelative(delta) : next; };
};
const bne: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => { const r = h.r; return r[a] !== r[b] || r[a + 1] !== r[b + 1] ? delta : next; };
  return (h) => { const r = h.r; return r[a] !== r[b] || r[a + 1] !== r[b + 1] ? h.jumpRelative(delta) : next; };
};
const blt: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => (cmp64(h.r, a, b) < 0 ? delta : next);
  return (h) => (cmp64(h.r, a, b) < 0 ? h.jumpRelative(delta) : next);
};
const bge: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => (cmp64(h.r, a, b) >= 0 ? delta : next);
  return (h) => (cmp64(h.r, a, b) >= 0 ? h.jumpRelative(delta) : next);
};
const bltu: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => (cmpu64(h.r, a, b) < 0 ? delta : next);
  return (h) => (cmpu64(h.r, a, b) < 0 ? h.jumpRelative(delta) : next);
};
const bgeu: Make = (s) => {
  const { a, b, delta, next } = branchFields(s);
  if (inPage(delta)) return (h) => (cmpu64(h.r, a, b) >= 0 ? delta : next);
  return (h) => (cmpu64(h.r, a, b) >= 0 ? h.jumpRelative(delta) : next);
};

const lb: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.loadSmall(d, a, k, 1, true), next); };
const lh: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.loadSmall(d, a, k, 2, true), next); };
const lw: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.lw(d, a, k), next); };
const ld: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.ld(d, a, k), next); };
const lbu: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.loadSmall(d, a, k, 1, false), next); };
const lhu: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.loadSmall(d, a, k, 2, false), next); };
const lwu: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (h.lwu(d, a, k), next); };
const sb: Make = (s) => { const { a, b, next } = fields(s); const k = immS(s.raw); return (h) => (h.storeSmall(a, b, k, 1), next); };
const sh: Make = (s) => { const { a, b, next } = fields(s); const k = immS(s.raw); return (h) => (h.storeSmall(a, b, k, 2), next); };
const sw: Make = (s) => { const { a, b, next } = fields(s); const k = immS(s.raw); return (h) => (h.sw(a, b, k), next); };
const sd: Make = (s) => { const { a, b, next } = fields(s); const k = immS(s.raw); return (h) => (h.sd(a, b, k), next); };

const addi: Make = (s) => {
  const { d, a, k, next } = immFields(s);
  if (a === 0) { const hiK = k >> 31; return (h) => { h.r[d] = k; h.r[d + 1] = hiK; return next; }; } // li
  if (k === 0) return (h) => { const r = h.r; r[d] = r[a]!; r[d + 1] = r[a + 1]!; return next; }; // mv
  return (h) => (addi64(h.r, d, a, k), next);
};
const slti: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => { const r = h.r; r[d] = cmpImm64(r, a, k) < 0 ? 1 : 0; r[d + 1] = 0; return next; }; };
const sltiu: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => { const r = h.r; r[d] = cmpuImm64(r, a, k) < 0 ? 1 : 0; r[d + 1] = 0; return next; }; };
const xori: Make = (s) => { const { d, a, k, next } = immFields(s); const kh = k >> 31; return (h) => { const r = h.r; r[d] = r[a]! ^ k; r[d + 1] = r[a + 1]! ^ kh; return next; }; };
const ori: Make = (s) => { const { d, a, k, next } = immFields(s); const kh = k >> 31; return (h) => { const r = h.r; r[d] = r[a]! | k; r[d + 1] = r[a + 1]! | kh; return next; }; };
const andi: Make = (s) => { const { d, a, k, next } = immFields(s); const kh = k >> 31; return (h) => { const r = h.r; r[d] = r[a]! & k; r[d + 1] = r[a + 1]! & kh; return next; }; };
const slli: Make = (s) => { const { d, a, k, next } = immFields(s, shamt6); return (h) => (sll64(h.r, d, a, k), next); };
const srli: Make = (s) => { const { d, a, k, next } = immFields(s, shamt6); return (h) => (srl64(h.r, d, a, k), next); };
const srai: Make = (s) => { const { d, a, k, next } = immFields(s, shamt6); return (h) => (sra64(h.r, d, a, k), next); };

const add: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (add64(h.r, d, a, b), next); };
const sub: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (sub64(h.r, d, a, b), next); };
const sll: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (sll64(h.r, d, a, h.r[b]! & 63), next); };
const slt: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => { const r = h.r; r[d] = cmp64(r, a, b) < 0 ? 1 : 0; r[d + 1] = 0; return next; }; };
const sltu: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => { const r = h.r; r[d] = cmpu64(r, a, b) < 0 ? 1 : 0; r[d + 1] = 0; return next; }; };
const xor: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => { const r = h.r; r[d] = r[a]! ^ r[b]!; r[d + 1] = r[a + 1]! ^ r[b + 1]!; return next; }; };
const srl: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (srl64(h.r, d, a, h.r[b]! & 63), next); };
const sra: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (sra64(h.r, d, a, h.r[b]! & 63), next); };
const or: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => { const r = h.r; r[d] = r[a]! | r[b]!; r[d + 1] = r[a + 1]! | r[b + 1]!; return next; }; };
const and: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => { const r = h.r; r[d] = r[a]! & r[b]!; r[d + 1] = r[a + 1]! & r[b + 1]!; return next; }; };

const addiw: Make = (s) => { const { d, a, k, next } = immFields(s); return (h) => (setW(h.r, d, h.r[a]! + k), next); };
const slliw: Make = (s) => { const { d, a, k, next } = immFields(s, shamt5); return (h) => (setW(h.r, d, h.r[a]! << k), next); };
const srliw: Make = (s) => { const { d, a, k, next } = immFields(s, shamt5); return (h) => (setW(h.r, d, h.r[a]! >>> k), next); };
const sraiw: Make = (s) => { const { d, a, k, next } = immFields(s, shamt5); return (h) => (setW(h.r, d, h.r[a]! >> k), next); };
const addw: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (setW(h.r, d, h.r[a]! + h.r[b]!), next); };
const subw: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (setW(h.r, d, h.r[a]! - h.r[b]!), next); };
const sllw: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (setW(h.r, d, h.r[a]! << (h.r[b]! & 31)), next); };
const srlw: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (setW(h.r, d, h.r[a]! >>> (h.r[b]! & 31)), next); };
const sraw: Make = (s) => { const { d, a, b, next } = fields(s); return (h) => (setW(h.r, d, h.r[a]! >> (h.r[b]! & 31)), next); };

export const RV64I: readonly OpcodeEntry[] = [
  entry('lui', 0x37, U, (s) => {
    const d = rdIndex(s.raw);
    const v = immU(s.raw);
    const next = s.next;
    return (h) => {
      h.r[d] = v;
      h.r[d + 1] = v >> 31;
      return next;
    };
  }),
  entry('auipc', 0x17, U, (s) => {
    const d = rdIndex(s.raw);
    const delta = s.off + immU(s.raw);
    const next = s.next;
    return (h) => (h.pcRelativeToRegister(d, delta), next);
  }),
  entry('jal', 0x6f, U, (s) => {
    const d = rdIndex(s.raw);
    const delta = s.off + immJ(s.raw);
    const next = s.next;
    if (delta >= 0 && delta < 4096) return (h) => (h.pcRelativeToRegister(d, next), delta);
    return (h) => (h.pcRelativeToRegister(d, next), h.jumpRelative(delta));
  }),
  entry('jalr', 0x67, I, (s) => {
    const d = rdIndex(s.raw);
    const a = rs1Index(s.raw);
    const imm = immI(s.raw);
    const next = s.next;
    return (h) => h.jalr(d, a, imm, next);
  }),
  entry('beq', 0x63, I, beq),
  entry('bne', 0x1063, I, bne),
  entry('blt', 0x4063, I, blt),
  entry('bge', 0x5063, I, bge),
  entry('bltu', 0x6063, I, bltu),
  entry('bgeu', 0x7063, I, bgeu),

  entry('lb', 0x0003, I, lb),
  entry('lh', 0x1003, I, lh),
  entry('lw', 0x2003, I, lw),
  entry('ld', 0x3003, I, ld),
  entry('lbu', 0x4003, I, lbu),
  entry('lhu', 0x5003, I, lhu),
  entry('lwu', 0x6003, I, lwu),
  entry('sb', 0x0023, I, sb),
  entry('sh', 0x1023, I, sh),
  entry('sw', 0x2023, I, sw),
  entry('sd', 0x3023, I, sd),

  entry('addi', 0x0013, I, addi),
  entry('slti', 0x2013, I, slti),
  entry('sltiu', 0x3013, I, sltiu),
  entry('xori', 0x4013, I, xori),
  entry('ori', 0x6013, I, ori),
  entry('andi', 0x7013, I, andi),
  entry('slli', 0x1013, SHIFT64, slli),
  entry('srli', 0x5013, SHIFT64, srli),
  entry('srai', 0x40005013, SHIFT64, srai),

  entry('add', 0x0033, R, add),
  entry('sub', 0x40000033, R, sub),
  entry('sll', 0x1033, R, sll),
  entry('slt', 0x2033, R, slt),
  entry('sltu', 0x3033, R, sltu),
  entry('xor', 0x4033, R, xor),
  entry('srl', 0x5033, R, srl),
  entry('sra', 0x40005033, R, sra),
  entry('or', 0x6033, R, or),
  entry('and', 0x7033, R, and),

  entry('addiw', 0x001b, I, addiw),
  entry('slliw', 0x101b, R, slliw),
  entry('srliw', 0x501b, R, srliw),
  entry('sraiw', 0x4000501b, R, sraiw),
  entry('addw', 0x003b, R, addw),
  entry('subw', 0x4000003b, R, subw),
  entry('sllw', 0x103b, R, sllw),
  entry('srlw', 0x503b, R, srlw),
  entry('sraw', 0x4000503b, R, sraw),

  // FENCE (any pred/succ/fm, including fence.tso and pause): ordering is already total here.
  entry('fence', 0x000f, I, (s) => {
    const next = s.next;
    return () => next;
  }),
];
