/**
 * M extension: multiply and divide (unprivileged spec chapter 7). Division by
 * zero gives all ones (quotient) or the dividend (remainder); the signed
 * overflow case (-2^(XLEN-1) / -1) gives the dividend and remainder 0.
 * Operands that fit in 32 bits take double arithmetic; the rest BigInt.
 */
import { bigToReg, mul64, regToBig, setW } from '../bits.js';
import type { OpcodeEntry, Site } from './op.js';
import { rdIndex, rs1Index, rs2Index } from './fields.js';

const R = 0xfe00707f;

/** Operands of an R-type instruction (each entry below has its own closure literal, so V8 can inline its body). */
function fields(s: Site) {
  return { d: rdIndex(s.raw), a: rs1Index(s.raw), b: rs2Index(s.raw), next: s.next };
}

/** Whether register a holds a sign-extended 32-bit value. */
function fitsInt32(r: Int32Array, a: number): boolean {
  return r[a + 1] === r[a]! >> 31;
}

/** Writes a safe integer to register d. */
function setNumber(r: Int32Array, d: number, v: number): void {
  r[d] = v | 0;
  r[d + 1] = Math.floor(v / 4294967296) | 0;
}

const MIN64 = -(1n << 63n);

export function div(r: Int32Array, d: number, a: number, b: number): void {
  if (fitsInt32(r, a) && fitsInt32(r, b) && r[b] !== 0) return setNumber(r, d, Math.trunc(r[a]! / r[b]!));
  const x = regToBig(r, a, true);
  const y = regToBig(r, b, true);
  bigToReg(r, d, y === 0n ? -1n : x === MIN64 && y === -1n ? x : x / y);
}

export function divu(r: Int32Array, d: number, a: number, b: number): void {
  if (r[a + 1] === 0 && r[b + 1] === 0 && r[b] !== 0) return setNumber(r, d, Math.floor((r[a]! >>> 0) / (r[b]! >>> 0)));
  const x = regToBig(r, a, false);
  const y = regToBig(r, b, false);
  bigToReg(r, d, y === 0n ? -1n : x / y);
}

export function rem(r: Int32Array, d: number, a: number, b: number): void {
  if (fitsInt32(r, a) && fitsInt32(r, b) && r[b] !== 0) return setNumber(r, d, r[a]! % r[b]! || 0);
  const x = regToBig(r, a, true);
  const y = regToBig(r, b, true);
  bigToReg(r, d, y === 0n ? x : x === MIN64 && y === -1n ? 0n : x % y);
}

export function remu(r: Int32Array, d: number, a: number, b: number): void {
  if (r[a + 1] === 0 && r[b + 1] === 0 && r[b] !== 0) return setNumber(r, d, (r[a]! >>> 0) % (r[b]! >>> 0));
  const x = regToBig(r, a, false);
  const y = regToBig(r, b, false);
  bigToReg(r, d, y === 0n ? x : x % y);
}

export function mulh(r: Int32Array, d: number, a: number, b: number): void {
  bigToReg(r, d, (regToBig(r, a, true) * regToBig(r, b, true)) >> 64n);
}

export function mulhsu(r: Int32Array, d: number, a: number, b: number): void {
  bigToReg(r, d, (regToBig(r, a, true) * regToBig(r, b, false)) >> 64n);
}

export function mulhu(r: Int32Array, d: number, a: number, b: number): void {
  bigToReg(r, d, (regToBig(r, a, false) * regToBig(r, b, false)) >> 64n);
}

export function mulw(r: Int32Array, d: number, a: number, b: number): void {
  setW(r, d, Math.imul(r[a]!, r[b]!));
}

export function divw(r: Int32Array, d: number, a: number, b: number): void {
  const x = r[a]!;
  const y = r[b]!;
  setW(r, d, y === 0 ? -1 : x === -0x80000000 && y === -1 ? x : Math.trunc(x / y));
}

export function divuw(r: Int32Array, d: number, a: number, b: number): void {
  const y = r[b]! >>> 0;
  setW(r, d, y === 0 ? -1 : Math.floor((r[a]! >>> 0) / y));
}

export function remw(r: Int32Array, d: number, a: number, b: number): void {
  const x = r[a]!;
  const y = r[b]!;
  setW(r, d, y === 0 ? x : x === -0x80000000 && y === -1 ? 0 : x % y);
}

export function remuw(r: Int32Array, d: number, a: number, b: number): void {
  const y = r[b]! >>> 0;
  setW(r, d, y === 0 ? r[a]! : (r[a]! >>> 0) % y);
}

export const RV64M: readonly OpcodeEntry[] = [
  { mnemonic: 'mul', match: 0x02000033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (mul64(h.r, d, a, b), next); } },
  { mnemonic: 'mulh', match: 0x02001033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (mulh(h.r, d, a, b), next); } },
  { mnemonic: 'mulhsu', match: 0x02002033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (mulhsu(h.r, d, a, b), next); } },
  { mnemonic: 'mulhu', match: 0x02003033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (mulhu(h.r, d, a, b), next); } },
  { mnemonic: 'div', match: 0x02004033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (div(h.r, d, a, b), next); } },
  { mnemonic: 'divu', match: 0x02005033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (divu(h.r, d, a, b), next); } },
  { mnemonic: 'rem', match: 0x02006033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (rem(h.r, d, a, b), next); } },
  { mnemonic: 'remu', match: 0x02007033, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (remu(h.r, d, a, b), next); } },
  { mnemonic: 'mulw', match: 0x0200003b, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (mulw(h.r, d, a, b), next); } },
  { mnemonic: 'divw', match: 0x0200403b, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (divw(h.r, d, a, b), next); } },
  { mnemonic: 'divuw', match: 0x0200503b, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (divuw(h.r, d, a, b), next); } },
  { mnemonic: 'remw', match: 0x0200603b, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (remw(h.r, d, a, b), next); } },
  { mnemonic: 'remuw', match: 0x0200703b, mask: R, make: (s) => { const { d, a, b, next } = fields(s); return (h) => (remuw(h.r, d, a, b), next); } },
];
