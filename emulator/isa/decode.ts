/**
 * Decoding: find the opcode table entry for an instruction and specialise its
 * Op to the operands and the instruction's place in its page. Tables are data
 * (rv64i.ts, rv64m.ts, rv64a.ts, system.ts, rvc.ts); a test checks that no
 * two entries' match/mask pairs overlap. Anything unmatched — including the
 * F/D opcodes, absent here — is an illegal instruction.
 */
import type { Op, OpcodeEntry, Site } from './op.js';
import { RV64A } from './rv64a.js';
import { RV64I } from './rv64i.js';
import { RV64M } from './rv64m.js';
import { ILLEGAL, expandCompressed } from './rvc.js';
import { SYSTEM } from './system.js';

export const OPCODES: readonly OpcodeEntry[] = [...RV64I, ...RV64M, ...RV64A, ...SYSTEM];

/** Entries bucketed by the 7-bit major opcode (every mask covers bits 6:0). */
const BY_MAJOR: OpcodeEntry[][] = Array.from({ length: 128 }, () => []);
for (const e of OPCODES) {
  if ((e.mask & 0x7f) !== 0x7f) throw new Error(`opcode entry ${e.mnemonic} does not fix the major opcode`);
  BY_MAJOR[e.match & 0x7f]!.push(e);
}

/** The table entry for a 32-bit instruction, or undefined (illegal). */
export function findOpcode(raw: number): OpcodeEntry | undefined {
  for (const e of BY_MAJOR[raw & 0x7f]!) if (((raw & e.mask) >>> 0) === e.match >>> 0) return e;
  return undefined;
}

/** Length in bytes of the instruction whose first halfword is `low16`. */
export function instructionLength(low16: number): 2 | 4 {
  return (low16 & 3) === 3 ? 4 : 2;
}

/**
 * The Op for the instruction `bits` (16 or 32 bits as in memory) at page
 * offset `off`. Unknown and reserved encodings raise IllegalInstruction with
 * the instruction bits as tval.
 */
export function decode(bits: number, off: number): Op {
  const len = instructionLength(bits & 0xffff);
  const raw = len === 2 ? expandCompressed(bits & 0xffff) : bits | 0;
  const entry = raw === ILLEGAL ? undefined : findOpcode(raw);
  if (entry === undefined) {
    const tval = len === 2 ? bits & 0xffff : bits >>> 0;
    return (h) => h.illegalInstruction(tval);
  }
  const site: Site = { raw: raw | 0, bits: len === 2 ? bits & 0xffff : bits >>> 0, off, len, next: off + len };
  return entry.make(site);
}

/** The mnemonic of an instruction (traces, disassembly in errors); "illegal" when none. */
export function mnemonicOf(bits: number): string {
  const len = instructionLength(bits & 0xffff);
  const raw = len === 2 ? expandCompressed(bits & 0xffff) : bits | 0;
  if (raw === ILLEGAL) return 'illegal';
  return findOpcode(raw)?.mnemonic ?? 'illegal';
}

/** Major opcodes whose instructions write rd (when they retire). */
const WRITES_RD = new Set([0x37, 0x17, 0x6f, 0x67, 0x03, 0x13, 0x33, 0x1b, 0x3b, 0x2f]);

/** The register an instruction writes when it retires (0 for none), as traces report it. */
export function writtenRegister(bits: number): number {
  const len = instructionLength(bits & 0xffff);
  const raw = len === 2 ? expandCompressed(bits & 0xffff) : bits | 0;
  if (raw === ILLEGAL) return 0;
  const major = raw & 0x7f;
  const csr = major === 0x73 && ((raw >>> 12) & 7) !== 0;
  return WRITES_RD.has(major) || csr ? (raw >>> 7) & 31 : 0;
}
