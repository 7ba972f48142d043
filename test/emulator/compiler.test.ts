/**
 * The block compiler against the interpreter: the same generated program on
 * two machines, one with `compile: false` (the reference) and one compiling
 * every block on its first or second arrival, run in the same random slices;
 * after every slice the steps, pc, registers, instret, trap CSRs, the traps
 * taken and the watched writes, and at the end the RAM the program can
 * reach, must agree.
 *
 * Programs mix ALU (RV64IM), loads and stores (aligned, misaligned, out of
 * RAM, into the program's own page), branches and jumps, compressed and
 * illegal encodings, counter reads (instret must be exact inside a block),
 * ecall/ebreak, and a write watch that raises an interrupt line mid-block.
 * Every trap restarts the program (mtvec = its start), keeping the registers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encB, encI, encJ, encR, encS, encU } from '../../emulator/isa/fields.js';
import { MIP_MSIP } from '../../emulator/hart/causes.js';
import type { TrapEvent } from '../../emulator/hart/hart.js';
import { RAM_BASE, makeMachine, readDouble } from './support.js';

const SEED = 0x5eed14;
const CODE = RAM_BASE;
const DATA = RAM_BASE + 0x2000;
/** x20 points into the data page, x21 at the program (stores through it modify code). */
const DATA_BASE_REG = 20;
const CODE_BASE_REG = 21;

const reg = fc.integer({ min: 0, max: 15 });
const base = fc.constantFrom(DATA_BASE_REG, DATA_BASE_REG, DATA_BASE_REG, CODE_BASE_REG, CODE_BASE_REG, 5);
const imm12 = fc.integer({ min: -2048, max: 2047 });
const near = fc.integer({ min: -20, max: 20 }).map((n) => n * 2);

/** Mostly instructions that do not trap, so blocks grow long; the trapping ones are rarer. */
const instruction: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 7 }), reg, reg, fc.constantFrom(0, 0, 0x20, 0x01)).map(([d, f3, a, b, f7]) => encR(0x33, d, f3, a, b, f7 === 0x20 && f3 !== 0 && f3 !== 5 ? 0 : f7)) },
  { weight: 2, arbitrary: fc.tuple(reg, fc.constantFrom(0, 1, 5), reg, reg, fc.constantFrom(0, 0x01)).map(([d, f3, a, b, f7]) => encR(0x3b, d, f3, a, b, f7)) },
  { weight: 6, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 7 }), reg, imm12).map(([d, f3, a, k]) => encI(0x13, d, f3, a, f3 === 1 ? k & 0x3f : f3 === 5 ? k & 0x43f : k)) },
  { weight: 2, arbitrary: fc.tuple(reg, fc.constantFrom(0, 1, 5), reg, imm12).map(([d, f3, a, k]) => encI(0x1b, d, f3, a, f3 === 0 ? k : f3 === 1 ? k & 0x1f : k & 0x41f)) },
  // Loads and stores: mostly at the watched doubleword's neighbourhood, sometimes at the program itself.
  { weight: 4, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 6 }), base, fc.integer({ min: -16, max: 16 })).map(([d, f3, a, k]) => encI(0x03, d, f3, a, k)) },
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), base, reg, fc.integer({ min: -16, max: 16 })).map(([f3, a, b, k]) => encS(0x23, f3, a, b, k)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7), reg, reg, near).map(([f3, a, b, off]) => encB(0x63, f3, a, b, off)) },
  { weight: 1, arbitrary: fc.tuple(reg, near).map(([d, off]) => encJ(0x6f, d, off)) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 60 })).map(([d, k]) => encI(0x67, d, 0, CODE_BASE_REG, k * 2)) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 0xfffff })).map(([d, k]) => encU(0x37, d, k << 12)) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: -4, max: 4 })).map(([d, k]) => encU(0x17, d, k << 12)) },
  // csrrs rd, minstret/mcycle/mcause, x0: instret must be exact inside a block.
  { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(0xb02, 0xb00, 0x342)).map(([d, csr]) => encI(0x73, d, 2, 0, csr)) },
  { weight: 1, arbitrary: fc.constantFrom(0x00000073, 0x00100073, 0x0000100f, 0x0000000f, 0) },
  // Two compressed halves (or the halves of something else), including illegal ones.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([lo, hi]) => ((hi << 16) | ((lo & 3) === 3 ? lo ^ 1 : lo)) >>> 0) },
);

const program = fc.record({
  words: fc.array(instruction, { minLength: 4, maxLength: 48 }),
  seeds: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 16, maxLength: 16 }),
  slices: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 4, maxLength: 12 }),
  threshold: fc.integer({ min: 1, max: 2 }),
});

type Program = typeof program extends fc.Arbitrary<infer T> ? T : never;

function machine(p: Program, compile: boolean) {
  const m = makeMachine(p.words, { compile, compileThreshold: p.threshold, stopOnTrap: false });
  const h = m.hart;
  for (let i = 1; i < 16; i++) h.setRegister(i, p.seeds[i]!);
  h.setRegister(DATA_BASE_REG, BigInt(DATA + 0x800));
  h.setRegister(CODE_BASE_REG, BigInt(CODE));
  for (let i = 0; i < 16; i++) m.bus.write(DATA + 0x800 - 64 + 8 * i, 8, Number(p.seeds[i]! & 0xffffffffn) | 0, Number(p.seeds[i]! >> 32n) | 0, -1);
  h.writeCsr('mtvec', BigInt(CODE));
  h.writeCsr('mie', 1n << 3n);
  h.writeCsr('mstatus', 1n << 3n);
  const watched: string[] = [];
  // A write to the watched doubleword records itself and raises the software interrupt line, as a device would.
  m.bus.watchWrites(DATA + 0x800, DATA + 0x808, (pa, size) => {
    watched.push(`${pa.toString(16)}/${size}@${h.instret}`);
    h.setInterruptLine(MIP_MSIP, true);
  });
  return { ...m, watched };
}

/** The program's code and data pages, as doublewords. */
function memory(m: ReturnType<typeof machine>): string {
  const words: string[] = [];
  for (const page of [CODE, DATA]) for (let pa = page; pa < page + 4096; pa += 8) words.push(readDouble(m.bus, pa).toString(16));
  return words.join(',');
}

function state(m: ReturnType<typeof machine>, traps: TrapEvent[]) {
  const h = m.hart;
  const regs = Array.from({ length: 32 }, (_, i) => h.getRegister(i).toString(16));
  return {
    pc: h.pc.toString(16), instret: h.instret, regs, mcause: h.readCsr('mcause'), mepc: h.readCsr('mepc'), mtval: h.readCsr('mtval'),
    traps: traps.map((t) => `${t.name}@${t.pc.toString(16)}:${t.tval.toString(16)}`), watched: [...m.watched],
  };
}

describe('block compiler', () => {
  it('agrees with the interpreter instruction for instruction on generated programs', () => {
    fc.assert(
      fc.property(program, (p) => {
        const reference = machine(p, false);
        const compiled = machine(p, true);
        const refTraps: TrapEvent[] = [];
        const cmpTraps: TrapEvent[] = [];
        reference.hart.hooks.onTrap = (e) => refTraps.push(e);
        compiled.hart.hooks.onTrap = (e) => cmpTraps.push(e);
        for (const [i, n] of p.slices.entries()) {
          const a = reference.hart.run(n);
          const b = compiled.hart.run(n);
          expect({ slice: i, steps: b, ...state(compiled, cmpTraps) }).toEqual({ slice: i, steps: a, ...state(reference, refTraps) });
        }
        expect(memory(compiled)).toBe(memory(reference));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('compiles: a hot loop runs as blocks and gives the interpreter result', () => {
    // x10 = sum of 1..1000 by a loop: addi x11, x0, 1000; loop: add x10, x10, x11; addi x11, x11, -1; bne x11, x0, loop; ebreak
    const words = [encI(0x13, 11, 0, 0, 1000), encR(0x33, 10, 0, 10, 11, 0), encI(0x13, 11, 0, 11, -1), encB(0x63, 1, 11, 0, -8), 0x00100073];
    const run = (compile: boolean) => {
      const m = makeMachine(words, { compile });
      m.run(100_000);
      return { sum: m.hart.getRegister(10), instret: m.hart.instret, blocks: (m.bus.decodedPage(CODE).blocks ?? []).filter((b) => b !== undefined).length };
    };
    const interpreted = run(false);
    const compiled = run(true);
    expect(interpreted).toEqual({ sum: 500500n, instret: 3001, blocks: 0 });
    expect(compiled.sum).toBe(500500n);
    expect(compiled.instret).toBe(3001);
    expect(compiled.blocks).toBeGreaterThan(0);
  });
});
