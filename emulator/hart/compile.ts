/**
 * The block compiler: straight-line code of one physical page (a basic
 * block, up to MAX_BLOCK instructions, ending at the first branch or jump,
 * at the page end, or before a 32-bit instruction that crosses it) becomes
 * one JavaScript function generated at run time. It has the Op protocol
 * (returns the next page offset, or -1 after setting pc) and the
 * interpreter's exact semantics:
 *
 * - ALU instructions, branches, jal and the load/store fast paths are
 *   written out inline, with the same formulas as bits.ts and Hart;
 *   everything else (a fast-path miss, CSR and system instructions, M and A
 *   extension, illegal encodings) calls the Hart method or the decoded Op the
 *   interpreter would run.
 * - Before every such call `h.instret` is exact (a trap's pc is then the
 *   instruction at `offsets[instret - instret at entry]`, and the `time` and
 *   `instret` CSRs read what the interpreter gives); after it the block ends
 *   if the call asked to leave the loop (`breakOut`: an interrupt line, a
 *   stop), returned anything but the next offset, or dropped this page's
 *   decoded code (a store into it: self-modifying code).
 * - Inline code has no side effects beyond registers and full, writable RAM
 *   pages (a store to a page with decoded code, a watch, a reservation or a
 *   snapshot share always calls out), so nothing it does can need an
 *   interrupt check: the interpreter, too, looks only after instructions
 *   that call out.
 *
 * Blocks depend on nothing but the page's bytes (pc-relative values come
 * from `h.pageLo/pageHi`, translation and privilege from the hart at run
 * time), so harts sharing a bus share them, like the decode cache.
 */
import { mul64, sll64, sra64, srl64 } from '../bits.js';
import { decode, findOpcode, instructionLength } from '../isa/decode.js';
import { immB, immI, immJ, immS, immU, rdIndex, rs1Index, rs2Index, shamt5, shamt6 } from '../isa/fields.js';
import type { Op } from '../isa/op.js';
import { ILLEGAL, expandCompressed } from '../isa/rvc.js';
import type { DecodedPage } from '../memory/bus.js';
import type { SparseRam } from '../memory/ram.js';

/** Longest block: bounds how long the hart runs without looking at its budget. */
export const MAX_BLOCK = 64;

/** One compiled block. */
export interface CompiledBlock {
  /** Runs the block (Op protocol). */
  readonly run: Op;
  /** Instructions on its straight path: the most it retires. */
  readonly length: number;
  /** Page offset of the k-th instruction (the pc of a trap after k retired). */
  readonly offsets: Int16Array;
}

/** Source of one instruction, and whether it ends the block. */
interface Emitted {
  readonly code: string;
  readonly ends: boolean;
}

const TWO32 = 4294967296;

/** Unsigned-less-than of two int32 expressions. */
const ltu = (x: string, y: string) => `((${x}) >>> 0) < ((${y}) >>> 0)`;

/**
 * Compiles the block starting at `off` in `page`. The instruction bits are
 * read from RAM now; a later write to the page drops the block with the
 * rest of the decoded code (Bus.dropDecodedPage).
 */
export function compileBlock(ram: SparseRam, page: DecodedPage, off: number): CompiledBlock {
  const ops: Op[] = [];
  const offsets: number[] = [];
  const parts: string[] = [];
  let usesLoad = false;
  let usesStore = false;
  const generation = page.generation;
  let at = off;
  while (offsets.length < MAX_BLOCK && at < 4096) {
    const low = ram.readU8(page.pa + at) | (ram.readU8(page.pa + at + 1) << 8);
    const len = instructionLength(low);
    if (len === 4 && at > 0xffc) break; // crosses into the next page: the interpreter fetches it
    const bits = len === 2 ? low : (low | (ram.readU8(page.pa + at + 2) << 16) | (ram.readU8(page.pa + at + 3) << 24)) >>> 0;
    const k = offsets.length;
    offsets.push(at);
    const raw = len === 2 ? expandCompressed(low) : bits | 0;
    const next = at + len;
    const op = decode(bits, at);
    ops.push(op);
    const e = raw === ILLEGAL ? undefined : emit(raw, at, next, k);
    const emitted = e ?? { code: callOut(k, next), ends: false };
    if (emitted.code.includes('LT[')) usesLoad = true;
    if (emitted.code.includes('ST[')) usesStore = true;
    parts.push(`// 0x${at.toString(16)}\n${emitted.code}`);
    at = next;
    if (emitted.ends) break;
  }
  const length = offsets.length;
  const body = [
    'const r = h.r;',
    'const i0 = h.instret;',
    usesLoad ? 'const LT = h.fastLoadTag, LP = h.fastLoadPage, V = h.ramViews, SP = h.ramSparse;' : '',
    usesStore ? 'const ST = h.fastStoreTag, SQ = h.fastStorePage, W = h.ramWritable, V2 = h.ramViews;' : '',
    ...parts,
    // Fell through (block length or page end): the next instruction's offset.
    lastEnds(parts) ? '' : `h.instret = i0 + ${length};\nreturn ${at};`,
  ].join('\n');
  const factory = new Function('ops', 'page', 'GEN', 'mul64', 'sll64', 'srl64', 'sra64', `"use strict";\nreturn function block(h) {\n${body}\n};`) as (
    ops: Op[], page: DecodedPage, gen: number, m: typeof mul64, a: typeof sll64, b: typeof srl64, c: typeof sra64,
  ) => Op;
  return { run: factory(ops, page, generation, mul64, sll64, srl64, sra64), length, offsets: Int16Array.from(offsets) };
}

function lastEnds(parts: string[]): boolean {
  const last = parts[parts.length - 1];
  return last !== undefined && last.includes('/*END*/');
}

/** Calls the decoded Op of instruction k; the block goes on only if it returned `next` and nothing asked to leave. */
function callOut(k: number, next: number): string {
  return `h.instret = i0 + ${k};\n{ const n = ops[${k}](h);\nif (n !== ${next} || h.breakOut || page.generation !== GEN) { h.instret = i0 + ${k + 1}; return n; } }`;
}

/** After a Hart method called on a fast-path miss: leave when it asked to (the method itself cannot change the next pc). */
function afterSlow(k: number, next: number): string {
  return `if (h.breakOut || page.generation !== GEN) { h.instret = i0 + ${k + 1}; return ${next}; }`;
}

/** Effective address (lo, hi) of x[a] + k, as Hart.ld computes it. */
function address(a: number, k: number): string {
  return `const al = r[${a}]; const lo = (al + ${k}) | 0; const hi = (r[${a + 1}] + ${k >> 31} + (${ltu('lo', 'al')} ? 1 : 0)) | 0; const off = lo & 0xfff;`;
}

/** Whether x[a] < x[b], signed or unsigned (bits.ts cmp64/cmpu64). */
function less(a: number, b: number, unsigned: boolean): string {
  const ah = unsigned ? `(r[${a + 1}] >>> 0)` : `r[${a + 1}]`;
  const bh = unsigned ? `(r[${b + 1}] >>> 0)` : `r[${b + 1}]`;
  return `(${ah} < ${bh} || (r[${a + 1}] === r[${b + 1}] && ${ltu(`r[${a}]`, `r[${b}]`)}))`;
}

/** Whether x[a] < sext(k), signed or unsigned (bits.ts cmpImm64/cmpuImm64). */
function lessImm(a: number, k: number, unsigned: boolean): string {
  const kh = k >> 31;
  const ah = unsigned ? `(r[${a + 1}] >>> 0)` : `r[${a + 1}]`;
  const bh = unsigned ? `${kh >>> 0}` : `${kh}`;
  return `(${ah} < ${bh} || (r[${a + 1}] === ${kh} && ${ltu(`r[${a}]`, `${k}`)}))`;
}

/** x[d] = page base + delta (Hart.pcRelativeToRegister). */
function pcRelative(d: number, delta: number): string {
  return `{ const full = (h.pageLo >>> 0) + ${delta}; r[${d}] = full | 0; r[${d + 1}] = (h.pageHi + Math.floor(full / ${TWO32})) | 0; }`;
}

/** Leaves for `target` (a page offset): in the page it is returned, else pc is set (Hart.jumpRelative). */
function jumpTo(target: number): string {
  return target >= 0 && target < 4096 ? `return ${target};` : `return h.jumpRelative(${target});`;
}

function setW(d: number, expr: string): string {
  return `{ const v = (${expr}) | 0; r[${d}] = v; r[${d + 1}] = v >> 31; }`;
}

function shiftImm(kind: 'sll' | 'srl' | 'sra', d: number, a: number, sh: number): string {
  if (sh === 0) return `{ const l = r[${a}], u = r[${a + 1}]; r[${d}] = l; r[${d + 1}] = u; }`;
  if (kind === 'sll') {
    return sh < 32
      ? `{ const l = r[${a}], u = r[${a + 1}]; r[${d + 1}] = (u << ${sh}) | (l >>> ${32 - sh}); r[${d}] = l << ${sh}; }`
      : `{ const l = r[${a}]; r[${d + 1}] = l << ${sh - 32}; r[${d}] = 0; }`;
  }
  const top = kind === 'srl' ? '>>>' : '>>';
  if (sh < 32) return `{ const l = r[${a}], u = r[${a + 1}]; r[${d}] = (l >>> ${sh}) | (u << ${32 - sh}); r[${d + 1}] = u ${top} ${sh}; }`;
  return kind === 'srl'
    ? `{ const u = r[${a + 1}]; r[${d}] = u >>> ${sh - 32}; r[${d + 1}] = 0; }`
    : `{ const u = r[${a + 1}]; r[${d}] = u >> ${sh - 32}; r[${d + 1}] = u >> 31; }`;
}

/** A load: the fast path of Hart.ld/lw/loadSmall inline, the Hart method on a miss. */
function load(d: number, a: number, k: number, size: number, signed: boolean, k0: number, next: number): string {
  let read: string;
  if (size === 8) read = `r[${d}] = v.getInt32(off, true); r[${d + 1}] = v.getInt32(off + 4, true);`;
  else {
    const get = size === 4 ? 'v.getInt32(off, true)' : size === 2 ? (signed ? 'v.getInt16(off, true)' : 'v.getUint16(off, true)') : signed ? 'v.getInt8(off)' : 'v.getUint8(off)';
    read = `const x = ${get}; r[${d}] = x; r[${d + 1}] = x >> 31;`;
  }
  const slow = size === 8 ? `h.ld(${d}, ${a}, ${k});` : size === 4 ? `h.lw(${d}, ${a}, ${k});` : `h.loadSmall(${d}, ${a}, ${k}, ${size}, ${signed});`;
  return `{ ${address(a, k)}
let done = false;
if (off <= ${4096 - size}) { const key = ((hi & 0x7f) << 20) | (lo >>> 12); const i = key & 255;
  if (LT[i] === key && ((hi << 25) >> 25) === hi) { const p = LP[i]; const v = V[p];
    if (v !== undefined) { ${read} done = true; } else if (SP[p] === 0) { r[${d}] = 0; r[${d + 1}] = 0; done = true; } } }
if (!done) { h.instret = i0 + ${k0}; ${slow} ${afterSlow(k0, next)} } }`;
}

/** A store: the fast path of Hart.sd/sw/storeSmall inline (writable pages only), the Hart method otherwise. */
function store(a: number, b: number, k: number, size: number, k0: number, next: number): string {
  const write = size === 8
    ? `v.setInt32(off, r[${b}], true); v.setInt32(off + 4, r[${b + 1}], true);`
    : size === 4 ? `v.setInt32(off, r[${b}], true);` : size === 2 ? `v.setUint16(off, r[${b}] & 0xffff, true);` : `v.setUint8(off, r[${b}] & 0xff);`;
  const slow = size === 8 ? `h.sd(${a}, ${b}, ${k});` : size === 4 ? `h.sw(${a}, ${b}, ${k});` : `h.storeSmall(${a}, ${b}, ${k}, ${size});`;
  return `{ ${address(a, k)}
let done = false;
if (off <= ${4096 - size}) { const key = ((hi & 0x7f) << 20) | (lo >>> 12); const i = key & 255;
  if (ST[i] === key && ((hi << 25) >> 25) === hi) { const p = SQ[i];
    if (W[p] === 1) { const v = V2[p]; ${write} done = true; } } }
if (!done) { h.instret = i0 + ${k0}; ${slow} ${afterSlow(k0, next)} } }`;
}

/** Inline source for the 32-bit instruction `raw` (k-th of the block, at `off`), or undefined to call its Op. */
function emit(raw: number, off: number, next: number, k: number): Emitted | undefined {
  const entry = findOpcode(raw);
  if (entry === undefined) return undefined;
  const d = rdIndex(raw);
  const a = rs1Index(raw);
  const b = rs2Index(raw);
  const ki = immI(raw);
  const kh = ki >> 31;
  const plain = (code: string): Emitted => ({ code, ends: false });
  const ending = (code: string): Emitted => ({ code: `h.instret = i0 + ${k + 1};\n${code} /*END*/`, ends: true });
  const branch = (cond: string): Emitted => {
    const target = off + immB(raw);
    return ending(`if (${cond}) ${jumpTo(target)}\nreturn ${next};`);
  };
  switch (entry.mnemonic) {
    case 'lui': { const v = immU(raw); return plain(`r[${d}] = ${v}; r[${d + 1}] = ${v >> 31};`); }
    case 'auipc': return plain(pcRelative(d, off + immU(raw)));
    case 'jal': return ending(`${pcRelative(d, next)}\n${jumpTo(off + immJ(raw))}`);
    case 'jalr': return ending(`return h.jalr(${d}, ${a}, ${ki}, ${next});`);
    case 'beq': return branch(`r[${a}] === r[${b}] && r[${a + 1}] === r[${b + 1}]`);
    case 'bne': return branch(`r[${a}] !== r[${b}] || r[${a + 1}] !== r[${b + 1}]`);
    case 'blt': return branch(less(a, b, false));
    case 'bge': return branch(`!${less(a, b, false)}`);
    case 'bltu': return branch(less(a, b, true));
    case 'bgeu': return branch(`!${less(a, b, true)}`);
    case 'lb': return plain(load(d, a, ki, 1, true, k, next));
    case 'lh': return plain(load(d, a, ki, 2, true, k, next));
    case 'lw': return plain(load(d, a, ki, 4, true, k, next));
    case 'ld': return plain(load(d, a, ki, 8, true, k, next));
    case 'lbu': return plain(load(d, a, ki, 1, false, k, next));
    case 'lhu': return plain(load(d, a, ki, 2, false, k, next));
    case 'sb': return plain(store(a, b, immS(raw), 1, k, next));
    case 'sh': return plain(store(a, b, immS(raw), 2, k, next));
    case 'sw': return plain(store(a, b, immS(raw), 4, k, next));
    case 'sd': return plain(store(a, b, immS(raw), 8, k, next));
    case 'addi':
      if (a === 0) return plain(`r[${d}] = ${ki}; r[${d + 1}] = ${kh};`);
      if (ki === 0) return plain(`{ const l = r[${a}], u = r[${a + 1}]; r[${d}] = l; r[${d + 1}] = u; }`);
      return plain(`{ const al = r[${a}]; const l = (al + ${ki}) | 0; r[${d + 1}] = (r[${a + 1}] + ${kh} + (${ltu('l', 'al')} ? 1 : 0)) | 0; r[${d}] = l; }`);
    case 'slti': return plain(`{ const t = ${lessImm(a, ki, false)} ? 1 : 0; r[${d}] = t; r[${d + 1}] = 0; }`);
    case 'sltiu': return plain(`{ const t = ${lessImm(a, ki, true)} ? 1 : 0; r[${d}] = t; r[${d + 1}] = 0; }`);
    case 'xori': return plain(`{ const l = r[${a}] ^ ${ki}, u = r[${a + 1}] ^ ${kh}; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'ori': return plain(`{ const l = r[${a}] | ${ki}, u = r[${a + 1}] | ${kh}; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'andi': return plain(`{ const l = r[${a}] & ${ki}, u = r[${a + 1}] & ${kh}; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'slli': return plain(shiftImm('sll', d, a, shamt6(raw)));
    case 'srli': return plain(shiftImm('srl', d, a, shamt6(raw)));
    case 'srai': return plain(shiftImm('sra', d, a, shamt6(raw)));
    case 'add': return plain(`{ const al = r[${a}]; const l = (al + r[${b}]) | 0; r[${d + 1}] = (r[${a + 1}] + r[${b + 1}] + (${ltu('l', 'al')} ? 1 : 0)) | 0; r[${d}] = l; }`);
    case 'sub': return plain(`{ const al = r[${a}], bl = r[${b}]; r[${d + 1}] = (r[${a + 1}] - r[${b + 1}] - (${ltu('al', 'bl')} ? 1 : 0)) | 0; r[${d}] = (al - bl) | 0; }`);
    case 'sll': return plain(`sll64(r, ${d}, ${a}, r[${b}] & 63);`);
    case 'srl': return plain(`srl64(r, ${d}, ${a}, r[${b}] & 63);`);
    case 'sra': return plain(`sra64(r, ${d}, ${a}, r[${b}] & 63);`);
    case 'slt': return plain(`{ const t = ${less(a, b, false)} ? 1 : 0; r[${d}] = t; r[${d + 1}] = 0; }`);
    case 'sltu': return plain(`{ const t = ${less(a, b, true)} ? 1 : 0; r[${d}] = t; r[${d + 1}] = 0; }`);
    case 'xor': return plain(`{ const l = r[${a}] ^ r[${b}], u = r[${a + 1}] ^ r[${b + 1}]; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'or': return plain(`{ const l = r[${a}] | r[${b}], u = r[${a + 1}] | r[${b + 1}]; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'and': return plain(`{ const l = r[${a}] & r[${b}], u = r[${a + 1}] & r[${b + 1}]; r[${d}] = l; r[${d + 1}] = u; }`);
    case 'addiw': return plain(setW(d, `r[${a}] + ${ki}`));
    case 'slliw': return plain(setW(d, `r[${a}] << ${shamt5(raw)}`));
    case 'srliw': return plain(setW(d, `r[${a}] >>> ${shamt5(raw)}`));
    case 'sraiw': return plain(setW(d, `r[${a}] >> ${shamt5(raw)}`));
    case 'addw': return plain(setW(d, `r[${a}] + r[${b}]`));
    case 'subw': return plain(setW(d, `r[${a}] - r[${b}]`));
    case 'sllw': return plain(setW(d, `r[${a}] << (r[${b}] & 31)`));
    case 'srlw': return plain(setW(d, `r[${a}] >>> (r[${b}] & 31)`));
    case 'sraw': return plain(setW(d, `r[${a}] >> (r[${b}] & 31)`));
    case 'mul': return plain(`mul64(r, ${d}, ${a}, ${b});`);
    case 'mulw': return plain(setW(d, `Math.imul(r[${a}], r[${b}])`));
    case 'fence': return plain('');
    default: {
      // System instructions end the block: they may change anything the next one depends on.
      const major = raw & 0x7f;
      if (major === 0x73) return { code: `${callOut(k, next)}\nh.instret = i0 + ${k + 1};\nreturn ${next}; /*END*/`, ends: true };
      return undefined;
    }
  }
}
