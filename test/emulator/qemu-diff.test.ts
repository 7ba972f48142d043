/**
 * Differential test against QEMU (an independent implementation): generated
 * straight-line RV64IMAC programs (ALU, M, W forms, compressed ALU forms, LUI/AUIPC, loads and
 * stores of every width incl. misaligned, AMOs, LR/SC, forward branches) run
 * on `qemu-system-riscv64 -machine spike` and on the emulator; both print
 * every register and the scratch memory through HTIF, and the outputs must
 * be identical. Skips, saying why, when QEMU is not installed (CI has it).
 * 60 programs by default; HVSPEC_QEMU_DIFF_RUNS=N runs more (HVSPEC_SEED picks others).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encB, encI, encR, encS, encU } from '../../emulator/isa/fields.js';
import { runElf } from '../../emulator/run.js';
import { buildElf, wordsToBytes } from './elf-builder.js';
import { li } from './support.js';

const QEMU = 'qemu-system-riscv64';
const QEMU_CPU = 'rv64,f=false,d=false,h=false,v=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false,svpbmt=false,svinval=false,svnapot=false';
const probe = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
const qemuMissing = probe.error !== undefined || probe.status !== 0;
if (qemuMissing) console.warn(`qemu-diff: skipping, ${QEMU} is not available (${probe.error?.message ?? `exit ${probe.status}`})`);

const CODE = 0x8000_0000n;
const DATA = 0x8008_0000n; // initial register values
const SCRATCH = 0x8008_1000n; // memory the program loads from and stores to
const TOHOST = 0x8009_0000n;
const SCRATCH_WORDS = 32;
// Registers the generated body may use: x1-x24. The harness owns x25-x31.
const BODY_REGS = 24;
const T_CMP = 25, T_VALUE = 26, T_NIBBLE = 27, T_SCRATCH = 28, T_ADDR = 29, T_HTIF = 30, T_TOHOST = 31;

const reg = fc.integer({ min: 1, max: BODY_REGS });
const src = fc.integer({ min: 0, max: BODY_REGS });
const imm12 = fc.oneof(fc.integer({ min: -2048, max: 2047 }), fc.constantFrom(0, 1, -1, 31, 32, 63, 2047, -2048));
const R_OPS = [[0x33, 0, 0], [0x33, 0, 0x20], [0x33, 1, 0], [0x33, 2, 0], [0x33, 3, 0], [0x33, 4, 0], [0x33, 5, 0], [0x33, 5, 0x20], [0x33, 6, 0], [0x33, 7, 0],
  [0x3b, 0, 0], [0x3b, 0, 0x20], [0x3b, 1, 0], [0x3b, 5, 0], [0x3b, 5, 0x20],
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((f3) => [0x33, f3, 1]), ...[0, 4, 5, 6, 7].map((f3) => [0x3b, f3, 1])] as const;
const I_OPS = [0, 2, 3, 4, 6, 7] as const; // addi slti sltiu xori ori andi
const AMO_F5 = [0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c] as const;

// Compressed ALU forms (RV64C), encoded from their fields; rd/rs in x1-x24 (x8-x15 for the 3-bit ones).
const cReg = fc.integer({ min: 1, max: BODY_REGS });
const cPrime = fc.integer({ min: 0, max: 7 }); // x8 + n
const imm6 = fc.integer({ min: -32, max: 31 });
const ci = (f3: number, rd: number, imm: number, op: number) => (f3 << 13) | (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2) | op;
const compressed: fc.Arbitrary<number> = fc.oneof(
  fc.tuple(cReg, imm6).map(([rd, k]) => ci(0, rd, k, 1)), // c.addi
  fc.tuple(cReg, imm6).map(([rd, k]) => ci(1, rd, k, 1)), // c.addiw
  fc.tuple(cReg, imm6).map(([rd, k]) => ci(2, rd, k, 1)), // c.li
  fc.tuple(cReg.filter((r) => r !== 2), imm6.filter((k) => k !== 0)).map(([rd, k]) => ci(3, rd, k, 1)), // c.lui
  fc.tuple(cReg, fc.integer({ min: 0, max: 63 })).map(([rd, sh]) => ci(0, rd, sh, 2)), // c.slli
  fc.tuple(fc.constantFrom(0, 1, 2), cPrime, fc.integer({ min: 0, max: 63 })).map(([f2, r, k]) => (4 << 13) | (((k >> 5) & 1) << 12) | (f2 << 10) | (r << 7) | ((k & 31) << 2) | 1), // c.srli c.srai c.andi
  fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 3 }), cPrime, cPrime).filter(([w, f2]) => w === 0 || f2 < 2).map(([w, f2, r, r2]) => (4 << 13) | (w << 12) | (3 << 10) | (r << 7) | (f2 << 5) | (r2 << 2) | 1), // c.sub..c.and, c.subw, c.addw
  fc.tuple(fc.constantFrom(0, 1), cReg, cReg).map(([add, rd, rs2]) => (4 << 13) | (add << 12) | (rd << 7) | (rs2 << 2) | 2), // c.mv, c.add
);

/** First word of a not-yet-encoded forward branch item: [BRANCH_MARK, funct3, rs1, rs2, items to skip]. */
const BRANCH_MARK = -1;

/** One generated instruction (or a short fixed sequence), as words. */
const instruction: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(...R_OPS), reg, src, src).map(([[op, f3, f7], rd, a, b]) => [encR(op, rd, f3, a, b, f7)]),
  fc.tuple(fc.constantFrom(...I_OPS), reg, src, imm12).map(([f3, rd, a, k]) => [encI(0x13, rd, f3, a, k)]),
  fc.tuple(reg, src, imm12).map(([rd, a, k]) => [encI(0x1b, rd, 0, a, k)]), // addiw
  fc.tuple(fc.constantFrom([1, 0], [5, 0], [5, 0x400]), reg, src, fc.integer({ min: 0, max: 63 })).map(([[f3, hi], rd, a, sh]) => [encI(0x13, rd, f3, a, hi | sh)]),
  fc.tuple(fc.constantFrom([1, 0], [5, 0], [5, 0x400]), reg, src, fc.integer({ min: 0, max: 31 })).map(([[f3, hi], rd, a, sh]) => [encI(0x1b, rd, f3, a, hi | sh)]),
  fc.tuple(reg, fc.integer({ min: 0, max: 0xfffff })).map(([rd, k]) => [encU(0x37, rd, k << 12)]),
  fc.tuple(reg, fc.integer({ min: 0, max: 0xfffff })).map(([rd, k]) => [encU(0x17, rd, k << 12)]),
  // loads and stores relative to the scratch base, any width and alignment
  fc.tuple(fc.integer({ min: 0, max: 6 }), reg, fc.integer({ min: 0, max: 8 * SCRATCH_WORDS - 8 })).map(([f3, rd, off]) => [encI(0x03, rd, f3, T_SCRATCH, off)]),
  fc.tuple(fc.integer({ min: 0, max: 3 }), src, fc.integer({ min: 0, max: 8 * SCRATCH_WORDS - 8 })).map(([f3, b, off]) => [encS(0x23, f3, T_SCRATCH, b, off)]),
  // AMOs and LR/SC on an aligned scratch address
  fc.tuple(fc.constantFrom(...AMO_F5), fc.constantFrom(2, 3), reg, src, fc.integer({ min: 0, max: SCRATCH_WORDS - 1 })).map(([f5, f3, rd, b, w]) => [
    encI(0x13, T_ADDR, 0, T_SCRATCH, 8 * w), encR(0x2f, rd, f3, T_ADDR, b, f5 << 2),
  ]),
  fc.tuple(fc.constantFrom(2, 3), reg, reg, src, fc.integer({ min: 0, max: SCRATCH_WORDS - 1 })).map(([f3, rd, rd2, b, w]) => [
    encI(0x13, T_ADDR, 0, T_SCRATCH, 8 * w), encR(0x2f, rd, f3, T_ADDR, 0, 0x08), encR(0x2f, rd2, f3, T_ADDR, b, 0x0c),
  ]),
  // two compressed instructions in one word
  fc.tuple(compressed, compressed).map(([c1, c2]) => [((c2 << 16) | c1) >>> 0]),
  // a forward branch over the next 1-3 generated items (never into the middle of one): resolved by buildProgram
  fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7), src, src, fc.integer({ min: 1, max: 3 })).map(([f3, a, b, skip]) => [BRANCH_MARK, f3, a, b, skip]),
);

/** Prints x[T_VALUE] as 16 hex digits and a newline through HTIF putchar, waiting for each. */
function printValue(): number[] {
  const out: number[] = [];
  const putchar = (r: number) => [
    ...li(T_HTIF, 0x0101_0000_0000_0000n), encR(0x33, T_HTIF, 6, T_HTIF, r, 0), encS(0x23, 3, T_TOHOST, T_HTIF, 0),
    encI(0x03, T_HTIF, 3, T_TOHOST, 0), encB(0x63, 1, T_HTIF, 0, -4), // wait for tohost == 0
    encS(0x23, 3, T_TOHOST, 0, 0x40), // clear fromhost
  ];
  for (let i = 15; i >= 0; i--) {
    out.push(encI(0x13, T_NIBBLE, 5, T_VALUE, 4 * i), encI(0x13, T_NIBBLE, 7, T_NIBBLE, 15), encI(0x13, T_NIBBLE, 0, T_NIBBLE, 48));
    out.push(encI(0x13, T_CMP, 2, T_NIBBLE, 58), encB(0x63, 1, T_CMP, 0, 8), encI(0x13, T_NIBBLE, 0, T_NIBBLE, 39));
    out.push(...putchar(T_NIBBLE));
  }
  out.push(encI(0x13, T_NIBBLE, 0, 0, 10), ...putchar(T_NIBBLE));
  return out;
}

function buildProgram(initial: bigint[], scratch: bigint[], body: number[][]): Uint8Array {
  const code: number[] = [...li(T_TOHOST, TOHOST), ...li(T_SCRATCH, DATA)];
  for (let r = 1; r <= BODY_REGS; r++) code.push(encI(0x03, r, 3, T_SCRATCH, 8 * (r - 1)));
  code.push(...li(T_SCRATCH, SCRATCH));
  body.forEach((item, i) => {
    if (item[0] !== BRANCH_MARK) return code.push(...item);
    const [, f3, a, b, skip] = item as [number, number, number, number, number];
    // skipped items past the end of the body are the three no-ops below
    const skipped = body.slice(i + 1, i + 1 + skip).reduce((n, next) => n + (next[0] === BRANCH_MARK ? 1 : next.length), 0) + Math.max(0, i + 1 + skip - body.length);
    code.push(encB(0x63, f3, a, b, 4 * (skipped + 1)));
  });
  code.push(0x13, 0x13, 0x13);
  for (let r = 1; r <= BODY_REGS; r++) code.push(encI(0x13, T_VALUE, 0, r, 0), ...printValue());
  for (let w = 0; w < SCRATCH_WORDS; w++) code.push(encI(0x03, T_VALUE, 3, T_SCRATCH, 8 * w), ...printValue());
  code.push(encI(0x13, T_HTIF, 0, 0, 1), encS(0x23, 3, T_TOHOST, T_HTIF, 0), 0x0000006f);
  const words = (values: bigint[]) => {
    const bytes = new Uint8Array(values.length * 8);
    values.forEach((v, i) => new DataView(bytes.buffer).setBigUint64(8 * i, BigInt.asUintN(64, v), true));
    return bytes;
  };
  return buildElf({
    entry: CODE,
    segments: [
      { paddr: CODE, data: wordsToBytes(code) },
      { paddr: DATA, data: words(initial) },
      { paddr: SCRATCH, data: words(scratch) },
      { paddr: TOHOST, data: new Uint8Array(0x80) },
    ],
    symbols: { tohost: TOHOST, fromhost: TOHOST + 0x40n },
  });
}

const value64 = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 1n, (1n << 64n) - 1n, 1n << 63n, (1n << 63n) - 1n, 0x8000_0000n, 0xffff_ffffn, 0xffff_ffff_8000_0000n));

describe.skipIf(qemuMissing)('generated programs: emulator and QEMU print the same registers and memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvspec-qemu-diff-'));
  it('for straight-line RV64IMA code with loads, stores, AMOs and forward branches', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.array(value64, { minLength: BODY_REGS, maxLength: BODY_REGS }), fc.array(value64, { minLength: SCRATCH_WORDS, maxLength: SCRATCH_WORDS }), fc.array(instruction, { minLength: 1, maxLength: 120 }), (initial, scratch, body) => {
        const elf = buildProgram(initial, scratch, body);
        const file = join(dir, `p${n++}.elf`);
        writeFileSync(file, elf);
        const ours = runElf(elf, { fileName: file, maxInstructions: 10_000_000 });
        // QEMU's HTIF console drops characters when stdout is a pipe; a file keeps them all.
        const out = openSync(`${file}.qemu.txt`, 'w');
        const qemu = spawnSync(QEMU, ['-machine', 'spike', '-cpu', QEMU_CPU, '-bios', 'none', '-kernel', file, '-nographic', '-monitor', 'none'], { stdio: ['ignore', out, 'pipe'], encoding: 'latin1', timeout: 20_000 });
        closeSync(out);
        const expected = readFileSync(`${file}.qemu.txt`, 'latin1');
        expect(qemu.status, `QEMU on ${file}: ${qemu.stderr}`).toBe(0);
        expect(ours.exitCode).toBe(0);
        const line = ours.console.split('\n').findIndex((l, i) => l !== expected.split('\n')[i]);
        expect(ours.console, `${file}: line ${line + 1} differs (lines 1-24: x1-x24, then scratch words)`).toBe(expected);
      }),
      { numRuns: Number(process.env.HVSPEC_QEMU_DIFF_RUNS ?? 60) },
    );
  });
});
