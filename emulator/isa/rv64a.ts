/**
 * A extension: LR/SC and AMOs (unprivileged spec chapter 8). aq/rl are
 * accepted and have no further effect (harts run one at a time). Misaligned
 * addresses fault: LR with LoadAddressMisaligned, SC and AMOs with
 * StoreAddressMisaligned. The memory side is Hart.amo / Hart.lr / Hart.sc.
 */
import { add64, cmp64, cmpu64 } from '../bits.js';
import type { OpcodeEntry, Op, Site } from './op.js';
import { rdIndex, rs1Index, rs2Index } from './fields.js';

const AMO = 0xf800707f;
const LR = 0xf9f0707f;

/** New memory value from old (in r[o]) and the source register (r[b]), into r[o]. */
export type AmoCombine = (r: Int32Array, o: number, b: number) => void;

function amo(size: 4 | 8, combine: AmoCombine): (s: Site) => Op {
  return (s) => {
    const d = rdIndex(s.raw);
    const a = rs1Index(s.raw);
    const b = rs2Index(s.raw);
    const next = s.next;
    return (h) => (h.amo(d, a, b, size, combine), next);
  };
}

/** 32-bit combines work on the low words; the hart sign-extends what it stores back to rd. */
const W = {
  swap: (r: Int32Array, o: number, b: number) => { r[o] = r[b]!; },
  add: (r: Int32Array, o: number, b: number) => { r[o] = (r[o]! + r[b]!) | 0; },
  xor: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! ^ r[b]!; },
  and: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! & r[b]!; },
  or: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! | r[b]!; },
  min: (r: Int32Array, o: number, b: number) => { if (r[b]! < r[o]!) r[o] = r[b]!; },
  max: (r: Int32Array, o: number, b: number) => { if (r[b]! > r[o]!) r[o] = r[b]!; },
  minu: (r: Int32Array, o: number, b: number) => { if (r[b]! >>> 0 < r[o]! >>> 0) r[o] = r[b]!; },
  maxu: (r: Int32Array, o: number, b: number) => { if (r[b]! >>> 0 > r[o]! >>> 0) r[o] = r[b]!; },
};

function copy64(r: Int32Array, o: number, b: number): void {
  r[o] = r[b]!;
  r[o + 1] = r[b + 1]!;
}

const D = {
  swap: copy64,
  add: (r: Int32Array, o: number, b: number) => add64(r, o, o, b),
  xor: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! ^ r[b]!; r[o + 1] = r[o + 1]! ^ r[b + 1]!; },
  and: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! & r[b]!; r[o + 1] = r[o + 1]! & r[b + 1]!; },
  or: (r: Int32Array, o: number, b: number) => { r[o] = r[o]! | r[b]!; r[o + 1] = r[o + 1]! | r[b + 1]!; },
  min: (r: Int32Array, o: number, b: number) => { if (cmp64(r, b, o) < 0) copy64(r, o, b); },
  max: (r: Int32Array, o: number, b: number) => { if (cmp64(r, b, o) > 0) copy64(r, o, b); },
  minu: (r: Int32Array, o: number, b: number) => { if (cmpu64(r, b, o) < 0) copy64(r, o, b); },
  maxu: (r: Int32Array, o: number, b: number) => { if (cmpu64(r, b, o) > 0) copy64(r, o, b); },
};

const FUNCT5 = { add: 0x00, swap: 0x01, xor: 0x04, or: 0x08, and: 0x0c, min: 0x10, max: 0x14, minu: 0x18, maxu: 0x1c } as const;

function amoEntries(): OpcodeEntry[] {
  const out: OpcodeEntry[] = [];
  for (const [name, f5] of Object.entries(FUNCT5) as [keyof typeof FUNCT5, number][]) {
    out.push({ mnemonic: `amo${name}.w`, match: ((f5 << 27) | 0x202f) >>> 0, mask: AMO, make: amo(4, W[name]) });
    out.push({ mnemonic: `amo${name}.d`, match: ((f5 << 27) | 0x302f) >>> 0, mask: AMO, make: amo(8, D[name]) });
  }
  return out;
}

export const RV64A: readonly OpcodeEntry[] = [
  { mnemonic: 'lr.w', match: 0x1000202f, mask: LR, make: (s) => { const d = rdIndex(s.raw), a = rs1Index(s.raw), next = s.next; return (h) => (h.lr(d, a, 4), next); } },
  { mnemonic: 'lr.d', match: 0x1000302f, mask: LR, make: (s) => { const d = rdIndex(s.raw), a = rs1Index(s.raw), next = s.next; return (h) => (h.lr(d, a, 8), next); } },
  { mnemonic: 'sc.w', match: 0x1800202f, mask: AMO, make: (s) => { const d = rdIndex(s.raw), a = rs1Index(s.raw), b = rs2Index(s.raw), next = s.next; return (h) => (h.sc(d, a, b, 4), next); } },
  { mnemonic: 'sc.d', match: 0x1800302f, mask: AMO, make: (s) => { const d = rdIndex(s.raw), a = rs1Index(s.raw), b = rs2Index(s.raw), next = s.next; return (h) => (h.sc(d, a, b, 8), next); } },
  ...amoEntries(),
];
