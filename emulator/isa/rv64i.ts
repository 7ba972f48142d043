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

/** A conditional branch: stays in the page when the target is in it. */
function branch(test: (r: Int32Array, a: number, b: number) => boolean): Make {
  return (s) => {
    const a = rs1Index(s.raw);
    const b = rs2Index(s.raw);
    const delta = s.off + immB(s.raw);
    const next = s.next;
    if (delta >= 0 && delta < 4096) return (h) => (test(h.r, a, b) ? delta : next);
    return (h) => (test(h.r, a, b) ? h.jumpRelative(delta) : next);
  };
}

function loadOp(kind: 'lb' | 'lh' | 'lw' | 'ld' | 'lbu' | 'lhu' | 'lwu'): Make {
  return (s) => {
    const d = rdIndex(s.raw);
    const a = rs1Index(s.raw);
    const imm = immI(s.raw);
    const next = s.next;
    switch (kind) {
      case 'ld': return (h) => (h.ld(d, a, imm), next);
      case 'lw': return (h) => (h.lw(d, a, imm), next);
      case 'lwu': return (h) => (h.lwu(d, a, imm), next);
      case 'lh': return (h) => (h.loadSmall(d, a, imm, 2, true), next);
      case 'lhu': return (h) => (h.loadSmall(d, a, imm, 2, false), next);
      case 'lb': return (h) => (h.loadSmall(d, a, imm, 1, true), next);
      case 'lbu': return (h) => (h.loadSmall(d, a, imm, 1, false), next);
    }
  };
}

function storeOp(size: 1 | 2 | 4 | 8): Make {
  return (s) => {
    const a = rs1Index(s.raw);
    const b = rs2Index(s.raw);
    const imm = immS(s.raw);
    const next = s.next;
    if (size === 8) return (h) => (h.sd(a, b, imm), next);
    if (size === 4) return (h) => (h.sw(a, b, imm), next);
    return (h) => (h.storeSmall(a, b, imm, size), next);
  };
}

/** Register-register ALU op writing a 64-bit result. */
function rr(body: (r: Int32Array, d: number, a: number, b: number) => void): Make {
  return (s) => {
    const d = rdIndex(s.raw);
    const a = rs1Index(s.raw);
    const b = rs2Index(s.raw);
    const next = s.next;
    return (h) => (body(h.r, d, a, b), next);
  };
}

/** Register-immediate ALU op. */
function ri(body: (r: Int32Array, d: number, a: number, imm: number) => void, imm: (raw: number) => number = immI): Make {
  return (s) => {
    const d = rdIndex(s.raw);
    const a = rs1Index(s.raw);
    const k = imm(s.raw);
    const next = s.next;
    return (h) => (body(h.r, d, a, k), next);
  };
}

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
  entry('beq', 0x63, I, branch((r, a, b) => r[a] === r[b] && r[a + 1] === r[b + 1])),
  entry('bne', 0x1063, I, branch((r, a, b) => r[a] !== r[b] || r[a + 1] !== r[b + 1])),
  entry('blt', 0x4063, I, branch((r, a, b) => cmp64(r, a, b) < 0)),
  entry('bge', 0x5063, I, branch((r, a, b) => cmp64(r, a, b) >= 0)),
  entry('bltu', 0x6063, I, branch((r, a, b) => cmpu64(r, a, b) < 0)),
  entry('bgeu', 0x7063, I, branch((r, a, b) => cmpu64(r, a, b) >= 0)),

  entry('lb', 0x0003, I, loadOp('lb')),
  entry('lh', 0x1003, I, loadOp('lh')),
  entry('lw', 0x2003, I, loadOp('lw')),
  entry('ld', 0x3003, I, loadOp('ld')),
  entry('lbu', 0x4003, I, loadOp('lbu')),
  entry('lhu', 0x5003, I, loadOp('lhu')),
  entry('lwu', 0x6003, I, loadOp('lwu')),
  entry('sb', 0x0023, I, storeOp(1)),
  entry('sh', 0x1023, I, storeOp(2)),
  entry('sw', 0x2023, I, storeOp(4)),
  entry('sd', 0x3023, I, storeOp(8)),

  entry('addi', 0x0013, I, ri(addi64)),
  entry('slti', 0x2013, I, ri((r, d, a, k) => { const v = cmpImm64(r, a, k) < 0 ? 1 : 0; r[d] = v; r[d + 1] = 0; })),
  entry('sltiu', 0x3013, I, ri((r, d, a, k) => { const v = cmpuImm64(r, a, k) < 0 ? 1 : 0; r[d] = v; r[d + 1] = 0; })),
  entry('xori', 0x4013, I, ri((r, d, a, k) => { r[d] = r[a]! ^ k; r[d + 1] = r[a + 1]! ^ (k >> 31); })),
  entry('ori', 0x6013, I, ri((r, d, a, k) => { r[d] = r[a]! | k; r[d + 1] = r[a + 1]! | (k >> 31); })),
  entry('andi', 0x7013, I, ri((r, d, a, k) => { r[d] = r[a]! & k; r[d + 1] = r[a + 1]! & (k >> 31); })),
  entry('slli', 0x1013, SHIFT64, ri(sll64, shamt6)),
  entry('srli', 0x5013, SHIFT64, ri(srl64, shamt6)),
  entry('srai', 0x40005013, SHIFT64, ri(sra64, shamt6)),

  entry('add', 0x0033, R, rr(add64)),
  entry('sub', 0x40000033, R, rr(sub64)),
  entry('sll', 0x1033, R, rr((r, d, a, b) => sll64(r, d, a, r[b]! & 63))),
  entry('slt', 0x2033, R, rr((r, d, a, b) => { const v = cmp64(r, a, b) < 0 ? 1 : 0; r[d] = v; r[d + 1] = 0; })),
  entry('sltu', 0x3033, R, rr((r, d, a, b) => { const v = cmpu64(r, a, b) < 0 ? 1 : 0; r[d] = v; r[d + 1] = 0; })),
  entry('xor', 0x4033, R, rr((r, d, a, b) => { r[d] = r[a]! ^ r[b]!; r[d + 1] = r[a + 1]! ^ r[b + 1]!; })),
  entry('srl', 0x5033, R, rr((r, d, a, b) => srl64(r, d, a, r[b]! & 63))),
  entry('sra', 0x40005033, R, rr((r, d, a, b) => sra64(r, d, a, r[b]! & 63))),
  entry('or', 0x6033, R, rr((r, d, a, b) => { r[d] = r[a]! | r[b]!; r[d + 1] = r[a + 1]! | r[b + 1]!; })),
  entry('and', 0x7033, R, rr((r, d, a, b) => { r[d] = r[a]! & r[b]!; r[d + 1] = r[a + 1]! & r[b + 1]!; })),

  entry('addiw', 0x001b, I, ri((r, d, a, k) => setW(r, d, r[a]! + k))),
  entry('slliw', 0x101b, R, ri((r, d, a, k) => setW(r, d, r[a]! << k), shamt5)),
  entry('srliw', 0x501b, R, ri((r, d, a, k) => setW(r, d, r[a]! >>> k), shamt5)),
  entry('sraiw', 0x4000501b, R, ri((r, d, a, k) => setW(r, d, r[a]! >> k), shamt5)),
  entry('addw', 0x003b, R, rr((r, d, a, b) => setW(r, d, r[a]! + r[b]!))),
  entry('subw', 0x4000003b, R, rr((r, d, a, b) => setW(r, d, r[a]! - r[b]!))),
  entry('sllw', 0x103b, R, rr((r, d, a, b) => setW(r, d, r[a]! << (r[b]! & 31)))),
  entry('srlw', 0x503b, R, rr((r, d, a, b) => setW(r, d, r[a]! >>> (r[b]! & 31)))),
  entry('sraw', 0x4000503b, R, rr((r, d, a, b) => setW(r, d, r[a]! >> (r[b]! & 31)))),

  // FENCE (any pred/succ/fm, including fence.tso and pause): ordering is already total here.
  entry('fence', 0x000f, I, (s) => {
    const next = s.next;
    return () => next;
  }),
];
