/**
 * 64-bit integer arithmetic on (lo, hi) pairs of int32, the representation of
 * the integer registers (see hart/registers in README.md). BigInt allocates on
 * every operation, so the hot loop never uses it; the rare 128-bit products
 * and 64-bit divisions that do not fit a double fall back to BigInt here.
 *
 * Register file layout: `r[2*i]` is the low word of x[i], `r[2*i+1]` the high
 * word. Arguments named `d`, `a`, `b` are such doubled indices.
 */

export const TWO32 = 4294967296;

/** Unsigned 32-bit less-than. */
export function ltu32(a: number, b: number): boolean {
  return a >>> 0 < b >>> 0;
}

/** r[d] = r[a] + r[b] (mod 2^64). */
export function add64(r: Int32Array, d: number, a: number, b: number): void {
  const al = r[a]!;
  const l = (al + r[b]!) | 0;
  r[d + 1] = (r[a + 1]! + r[b + 1]! + (l >>> 0 < al >>> 0 ? 1 : 0)) | 0;
  r[d] = l;
}

/** r[d] = r[a] + sext(imm) (mod 2^64). */
export function addi64(r: Int32Array, d: number, a: number, imm: number): void {
  const al = r[a]!;
  const l = (al + imm) | 0;
  r[d + 1] = (r[a + 1]! + (imm >> 31) + (l >>> 0 < al >>> 0 ? 1 : 0)) | 0;
  r[d] = l;
}

/** r[d] = r[a] - r[b] (mod 2^64). */
export function sub64(r: Int32Array, d: number, a: number, b: number): void {
  const al = r[a]!;
  const bl = r[b]!;
  r[d + 1] = (r[a + 1]! - r[b + 1]! - (al >>> 0 < bl >>> 0 ? 1 : 0)) | 0;
  r[d] = (al - bl) | 0;
}

/** Signed 64-bit compare of registers a and b: negative, zero or positive. */
export function cmp64(r: Int32Array, a: number, b: number): number {
  const ah = r[a + 1]!;
  const bh = r[b + 1]!;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = r[a]! >>> 0;
  const bl = r[b]! >>> 0;
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** Unsigned 64-bit compare of registers a and b. */
export function cmpu64(r: Int32Array, a: number, b: number): number {
  const ah = r[a + 1]! >>> 0;
  const bh = r[b + 1]! >>> 0;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = r[a]! >>> 0;
  const bl = r[b]! >>> 0;
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** Signed compare of register a with a sign-extended 32-bit immediate. */
export function cmpImm64(r: Int32Array, a: number, imm: number): number {
  const ah = r[a + 1]!;
  const bh = imm >> 31;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = r[a]! >>> 0;
  const bl = imm >>> 0;
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** Unsigned compare of register a with a sign-extended 32-bit immediate. */
export function cmpuImm64(r: Int32Array, a: number, imm: number): number {
  const ah = r[a + 1]! >>> 0;
  const bh = (imm >> 31) >>> 0;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = r[a]! >>> 0;
  const bl = imm >>> 0;
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** r[d] = r[a] << sh, 0 <= sh < 64. */
export function sll64(r: Int32Array, d: number, a: number, sh: number): void {
  const l = r[a]!;
  const h = r[a + 1]!;
  if (sh === 0) {
    r[d] = l;
    r[d + 1] = h;
  } else if (sh < 32) {
    r[d + 1] = (h << sh) | (l >>> (32 - sh));
    r[d] = l << sh;
  } else {
    r[d + 1] = l << (sh - 32);
    r[d] = 0;
  }
}

/** r[d] = r[a] >>> sh (logical), 0 <= sh < 64. */
export function srl64(r: Int32Array, d: number, a: number, sh: number): void {
  const l = r[a]!;
  const h = r[a + 1]!;
  if (sh === 0) {
    r[d] = l;
    r[d + 1] = h;
  } else if (sh < 32) {
    r[d] = (l >>> sh) | (h << (32 - sh));
    r[d + 1] = h >>> sh;
  } else {
    r[d] = h >>> (sh - 32);
    r[d + 1] = 0;
  }
}

/** r[d] = r[a] >> sh (arithmetic), 0 <= sh < 64. */
export function sra64(r: Int32Array, d: number, a: number, sh: number): void {
  const l = r[a]!;
  const h = r[a + 1]!;
  if (sh === 0) {
    r[d] = l;
    r[d + 1] = h;
  } else if (sh < 32) {
    r[d] = (l >>> sh) | (h << (32 - sh));
    r[d + 1] = h >> sh;
  } else {
    r[d] = h >> (sh - 32);
    r[d + 1] = h >> 31;
  }
}

/** Writes a 32-bit result sign-extended to 64 bits (the *W instructions). */
export function setW(r: Int32Array, d: number, v: number): void {
  r[d] = v | 0;
  r[d + 1] = v >> 31;
}

/**
 * Low 64 bits of a 64x64 product without BigInt: the low word is imul's;
 * the high word is the high half of al*bl (schoolbook on 16-bit limbs, each
 * partial sum below 2^32) plus the two cross products' low words.
 */
export function mul64(r: Int32Array, d: number, a: number, b: number): void {
  const al = r[a]!;
  const bl = r[b]!;
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  const hi = a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + Math.imul(al, r[b + 1]!) + Math.imul(r[a + 1]!, bl);
  r[d] = Math.imul(al, bl);
  r[d + 1] = hi | 0;
}

/** The 64-bit value of register a as a BigInt (signed or unsigned view). */
export function regToBig(r: Int32Array, a: number, signed: boolean): bigint {
  const v = (BigInt(r[a + 1]!) << 32n) | BigInt(r[a]! >>> 0);
  return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
}

/** Stores a BigInt into register d, keeping its low 64 bits. */
export function bigToReg(r: Int32Array, d: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  r[d] = Number(u & 0xffffffffn) | 0;
  r[d + 1] = Number(u >> 32n) | 0;
}

/** A (lo, hi) pair as an unsigned BigInt. */
export function pairToBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Low word of a BigInt as int32. */
export function bigLo(v: bigint): number {
  return Number(BigInt.asUintN(32, v)) | 0;
}

/** Bits 63:32 of a BigInt as int32. */
export function bigHi(v: bigint): number {
  return Number(BigInt.asUintN(32, v >> 32n)) | 0;
}

/** Hex of a 64-bit BigInt, 16 digits, as traces print it. */
export function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}
