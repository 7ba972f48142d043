/**
 * Differential test of the integer ALU (RV64I register/immediate ops and M):
 * generated operands and opcodes, the emulator's result against a direct
 * BigInt reading of the unprivileged spec. Operands lean on edge values
 * (0, ±1, INT_MIN/MAX of 32 and 64 bits, shift amounts 31/32/63).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encB, encI, encR, encS } from '../../emulator/isa/fields.js';
import { makeMachine, readDouble, writeDouble } from './support.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const sext32 = (v: bigint) => u64(s32(v));

/** Reference semantics: (rs1, rs2) -> rd, all unsigned 64-bit. */
const REG_OPS: Record<string, { f3: number; f7: number; op: number; ref: (a: bigint, b: bigint) => bigint }> = {
  add: { op: 0x33, f3: 0, f7: 0, ref: (a, b) => u64(a + b) },
  sub: { op: 0x33, f3: 0, f7: 0x20, ref: (a, b) => u64(a - b) },
  sll: { op: 0x33, f3: 1, f7: 0, ref: (a, b) => u64(a << (b & 63n)) },
  slt: { op: 0x33, f3: 2, f7: 0, ref: (a, b) => (s64(a) < s64(b) ? 1n : 0n) },
  sltu: { op: 0x33, f3: 3, f7: 0, ref: (a, b) => (a < b ? 1n : 0n) },
  xor: { op: 0x33, f3: 4, f7: 0, ref: (a, b) => a ^ b },
  srl: { op: 0x33, f3: 5, f7: 0, ref: (a, b) => a >> (b & 63n) },
  sra: { op: 0x33, f3: 5, f7: 0x20, ref: (a, b) => u64(s64(a) >> (b & 63n)) },
  or: { op: 0x33, f3: 6, f7: 0, ref: (a, b) => a | b },
  and: { op: 0x33, f3: 7, f7: 0, ref: (a, b) => a & b },
  addw: { op: 0x3b, f3: 0, f7: 0, ref: (a, b) => sext32(a + b) },
  subw: { op: 0x3b, f3: 0, f7: 0x20, ref: (a, b) => sext32(a - b) },
  sllw: { op: 0x3b, f3: 1, f7: 0, ref: (a, b) => sext32(a << (b & 31n)) },
  srlw: { op: 0x3b, f3: 5, f7: 0, ref: (a, b) => sext32((a & 0xffffffffn) >> (b & 31n)) },
  sraw: { op: 0x3b, f3: 5, f7: 0x20, ref: (a, b) => u64(s32(a) >> (b & 31n)) },
  mul: { op: 0x33, f3: 0, f7: 1, ref: (a, b) => u64(a * b) },
  mulh: { op: 0x33, f3: 1, f7: 1, ref: (a, b) => u64((s64(a) * s64(b)) >> 64n) },
  mulhsu: { op: 0x33, f3: 2, f7: 1, ref: (a, b) => u64((s64(a) * b) >> 64n) },
  mulhu: { op: 0x33, f3: 3, f7: 1, ref: (a, b) => (a * b) >> 64n },
  div: { op: 0x33, f3: 4, f7: 1, ref: (a, b) => (b === 0n ? M64 : s64(a) === -(1n << 63n) && s64(b) === -1n ? a : u64(s64(a) / s64(b))) },
  divu: { op: 0x33, f3: 5, f7: 1, ref: (a, b) => (b === 0n ? M64 : a / b) },
  rem: { op: 0x33, f3: 6, f7: 1, ref: (a, b) => (b === 0n ? a : s64(a) === -(1n << 63n) && s64(b) === -1n ? 0n : u64(s64(a) % s64(b))) },
  remu: { op: 0x33, f3: 7, f7: 1, ref: (a, b) => (b === 0n ? a : a % b) },
  mulw: { op: 0x3b, f3: 0, f7: 1, ref: (a, b) => sext32(a * b) },
  divw: { op: 0x3b, f3: 4, f7: 1, ref: (a, b) => { const x = s32(a), y = s32(b); return y === 0n ? M64 : x === -(1n << 31n) && y === -1n ? sext32(x) : sext32(x / y); } },
  divuw: { op: 0x3b, f3: 5, f7: 1, ref: (a, b) => { const x = a & 0xffffffffn, y = b & 0xffffffffn; return y === 0n ? M64 : sext32(x / y); } },
  remw: { op: 0x3b, f3: 6, f7: 1, ref: (a, b) => { const x = s32(a), y = s32(b); return y === 0n ? sext32(x) : x === -(1n << 31n) && y === -1n ? 0n : sext32(x % y); } },
  remuw: { op: 0x3b, f3: 7, f7: 1, ref: (a, b) => { const x = a & 0xffffffffn, y = b & 0xffffffffn; return y === 0n ? sext32(x) : sext32(x % y); } },
};

/** Immediate ops: (rs1, imm12 or shamt) -> rd. `imm` says how the immediate field is formed. */
const IMM_OPS: Record<string, { op: number; f3: number; high: number; shamtBits?: number; ref: (a: bigint, imm: bigint) => bigint }> = {
  addi: { op: 0x13, f3: 0, high: 0, ref: (a, i) => u64(a + i) },
  slti: { op: 0x13, f3: 2, high: 0, ref: (a, i) => (s64(a) < i ? 1n : 0n) },
  sltiu: { op: 0x13, f3: 3, high: 0, ref: (a, i) => (a < u64(i) ? 1n : 0n) },
  xori: { op: 0x13, f3: 4, high: 0, ref: (a, i) => a ^ u64(i) },
  ori: { op: 0x13, f3: 6, high: 0, ref: (a, i) => a | u64(i) },
  andi: { op: 0x13, f3: 7, high: 0, ref: (a, i) => a & u64(i) },
  slli: { op: 0x13, f3: 1, high: 0, shamtBits: 6, ref: (a, s) => u64(a << s) },
  srli: { op: 0x13, f3: 5, high: 0, shamtBits: 6, ref: (a, s) => a >> s },
  srai: { op: 0x13, f3: 5, high: 0x400, shamtBits: 6, ref: (a, s) => u64(s64(a) >> s) },
  addiw: { op: 0x1b, f3: 0, high: 0, ref: (a, i) => sext32(a + i) },
  slliw: { op: 0x1b, f3: 1, high: 0, shamtBits: 5, ref: (a, s) => sext32(a << s) },
  srliw: { op: 0x1b, f3: 5, high: 0, shamtBits: 5, ref: (a, s) => sext32((a & 0xffffffffn) >> s) },
  sraiw: { op: 0x1b, f3: 5, high: 0x400, shamtBits: 5, ref: (a, s) => u64(s32(a) >> s) },
};

const EDGES = [0n, 1n, 2n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffff80000000n, 31n, 32n, 63n, 64n, 0x1_0000_0000n];
const operand = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: 0xffffffffn }).map(sext32));

/** Runs one instruction with x5 = a, x6 = b and returns x7. */
function execute(instruction: number, a: bigint, b: bigint): bigint {
  const m = makeMachine([instruction]);
  m.hart.setRegister(5, a);
  m.hart.setRegister(6, b);
  m.run(1);
  expect(m.traps).toEqual([]);
  return m.hart.getRegister(7);
}

describe('ALU against a BigInt reference', () => {
  it('register-register ops (RV64I, M)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(REG_OPS)), operand, operand, (name, a, b) => {
        const o = REG_OPS[name]!;
        const got = execute(encR(o.op, 7, o.f3, 5, 6, o.f7), a, b);
        expect(got, `${name} 0x${a.toString(16)}, 0x${b.toString(16)}`).toBe(o.ref(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('register-immediate ops, including shifts by 0, 31, 32, 63', () => {
    const imm12 = fc.oneof(fc.constantFrom(0, 1, -1, 2047, -2048), fc.integer({ min: -2048, max: 2047 }));
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(IMM_OPS)), operand, imm12, fc.constantFrom(0, 1, 31, 32, 63, 17), (name, a, imm, sh) => {
        const o = IMM_OPS[name]!;
        const shamt = o.shamtBits === undefined ? undefined : sh & ((1 << o.shamtBits) - 1);
        const field = shamt === undefined ? imm : o.high | shamt;
        const got = execute(encI(o.op, 7, o.f3, 5, field), a, 0n);
        const expected = o.ref(a, shamt === undefined ? BigInt(imm) : BigInt(shamt));
        expect(got, `${name} 0x${a.toString(16)}, ${shamt ?? imm}`).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes to x0 vanish and rd may equal a source', () => {
    const m = makeMachine([encR(0x33, 0, 0, 5, 6, 0), encR(0x33, 5, 0, 5, 5, 0)]);
    m.hart.setRegister(5, 0xffff_ffff_ffff_fff0n);
    m.hart.setRegister(6, 1n);
    m.run(2);
    expect(m.hart.getRegister(0)).toBe(0n);
    expect(m.hart.getRegister(5)).toBe(0xffff_ffff_ffff_ffe0n);
  });
});

const BRANCHES: Record<string, { f3: number; ref: (a: bigint, b: bigint) => boolean }> = {
  beq: { f3: 0, ref: (a, b) => a === b },
  bne: { f3: 1, ref: (a, b) => a !== b },
  blt: { f3: 4, ref: (a, b) => s64(a) < s64(b) },
  bge: { f3: 5, ref: (a, b) => s64(a) >= s64(b) },
  bltu: { f3: 6, ref: (a, b) => a < b },
  bgeu: { f3: 7, ref: (a, b) => a >= b },
};

const AMOS: Record<string, { f5: number; ref: (mem: bigint, src: bigint, width: 32 | 64) => bigint }> = {
  amoswap: { f5: 0x01, ref: (_m, s) => s },
  amoadd: { f5: 0x00, ref: (m, s) => m + s },
  amoxor: { f5: 0x04, ref: (m, s) => m ^ s },
  amoand: { f5: 0x0c, ref: (m, s) => m & s },
  amoor: { f5: 0x08, ref: (m, s) => m | s },
  amomin: { f5: 0x10, ref: (m, s, w) => (BigInt.asIntN(w, s) < BigInt.asIntN(w, m) ? s : m) },
  amomax: { f5: 0x14, ref: (m, s, w) => (BigInt.asIntN(w, s) > BigInt.asIntN(w, m) ? s : m) },
  amominu: { f5: 0x18, ref: (m, s, w) => (BigInt.asUintN(w, s) < BigInt.asUintN(w, m) ? s : m) },
  amomaxu: { f5: 0x1c, ref: (m, s, w) => (BigInt.asUintN(w, s) > BigInt.asUintN(w, m) ? s : m) },
};

describe('branches and AMOs against a BigInt reference', () => {
  it('each branch is taken exactly when its comparison holds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(BRANCHES)), operand, operand, (name, a, b) => {
        const br = BRANCHES[name]!;
        const m = makeMachine([encB(0x63, br.f3, 5, 6, 8)]);
        m.hart.setRegister(5, a);
        m.hart.setRegister(6, b);
        m.run(1);
        expect(m.hart.pc, `${name} 0x${a.toString(16)}, 0x${b.toString(16)}`).toBe(br.ref(a, b) ? 0x8000_0008n : 0x8000_0004n);
      }),
      { numRuns: 1000 },
    );
  });

  it('each AMO (W and D) writes op(memory, rs2) and returns the old value sign-extended', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(AMOS)), fc.constantFrom<32 | 64>(32, 64), operand, operand, (name, width, mem, src) => {
        const amo = AMOS[name]!;
        const addr = 0x8000_4000;
        const m = makeMachine([encR(0x2f, 7, width === 32 ? 2 : 3, 5, 6, (amo.f5 << 2) | 3)]);
        writeDouble(m.bus, addr, mem);
        m.hart.setRegister(5, BigInt(addr));
        m.hart.setRegister(6, src);
        m.run(1);
        const what = `${name}.${width === 32 ? 'w' : 'd'} mem=0x${mem.toString(16)} src=0x${src.toString(16)}`;
        expect(m.traps, what).toEqual([]);
        const mask = (1n << BigInt(width)) - 1n;
        const expectedMem = (mem & ~mask) | (amo.ref(mem & mask, src & mask, width) & mask);
        expect(readDouble(m.bus, addr), what).toBe(expectedMem);
        expect(m.hart.getRegister(7), what).toBe(u64(BigInt.asIntN(width, mem)));
      }),
      { numRuns: 1000 },
    );
  });
});

const LOADS: Record<string, { f3: number; size: number; signed: boolean }> = {
  lb: { f3: 0, size: 1, signed: true }, lh: { f3: 1, size: 2, signed: true }, lw: { f3: 2, size: 4, signed: true }, ld: { f3: 3, size: 8, signed: true },
  lbu: { f3: 4, size: 1, signed: false }, lhu: { f3: 5, size: 2, signed: false }, lwu: { f3: 6, size: 4, signed: false },
};
const STORES: Record<string, { f3: number; size: number }> = { sb: { f3: 0, size: 1 }, sh: { f3: 1, size: 2 }, sw: { f3: 2, size: 4 }, sd: { f3: 3, size: 8 } };

describe('loads and stores against a byte-array reference', () => {
  it('every width, signedness and alignment, including across a page boundary, on warm and cold fast paths', () => {
    const BASE = 0x8000_8000;
    const access = fc.record({
      store: fc.boolean(),
      name: fc.nat(),
      // offsets cluster around the page boundary at BASE + 0x1000
      offset: fc.oneof(fc.integer({ min: 0xff0, max: 0x1010 }), fc.integer({ min: 0, max: 0x1ff8 })),
      value: operand,
    });
    fc.assert(
      fc.property(fc.array(access, { minLength: 1, maxLength: 20 }), (accesses) => {
        const program = accesses.map((a) => {
          if (a.store) { const st = Object.values(STORES)[a.name % 4]!; return encS(0x23, st.f3, 5, 6, 0); }
          const ld = Object.values(LOADS)[a.name % 7]!;
          return encI(0x03, 7, ld.f3, 5, 0);
        });
        const m = makeMachine(program);
        const reference = new Uint8Array(0x2008);
        for (const [i, a] of accesses.entries()) {
          m.hart.setRegister(5, BigInt(BASE + a.offset));
          m.hart.setRegister(6, a.value);
          m.run(1);
          expect(m.traps, `access ${i}`).toEqual([]);
          if (a.store) {
            const st = Object.values(STORES)[a.name % 4]!;
            for (let b = 0; b < st.size; b++) reference[a.offset + b] = Number((a.value >> BigInt(8 * b)) & 0xffn);
          } else {
            const [name, ld] = Object.entries(LOADS)[a.name % 7]!;
            let v = 0n;
            for (let b = ld.size - 1; b >= 0; b--) v = (v << 8n) | BigInt(reference[a.offset + b]!);
            const expected = ld.signed ? u64(BigInt.asIntN(8 * ld.size, v)) : v;
            expect(m.hart.getRegister(7), `access ${i}: ${name} at +0x${a.offset.toString(16)}`).toBe(expected);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
