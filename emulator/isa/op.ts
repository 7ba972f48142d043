import type { Hart } from '../hart/hart.js';

/**
 * One decoded instruction, specialised to its operands and to its place in a
 * physical page. It returns the page offset of the next instruction (which may
 * be >= 4096 when execution falls off the page), or -1 after setting the
 * hart's pc itself (jumps out of the page, and instructions after which the
 * hart must re-check interrupts and translation). It raises exceptions by
 * throwing through `Hart.raise`.
 */
export type Op = (h: Hart) => number;

/** What an opcode table entry's factory gets to specialise an Op. */
export interface Site {
  /** The 32-bit instruction (a compressed one already expanded). */
  readonly raw: number;
  /** The instruction as encoded in memory (16 bits for a compressed one): mtval of an illegal instruction, traces. */
  readonly bits: number;
  /** Byte offset of the instruction in its page. */
  readonly off: number;
  /** Instruction length in bytes: 2 or 4. */
  readonly len: number;
  /** off + len. */
  readonly next: number;
}

/** An opcode table entry: matches when (raw & mask) === match. */
export interface OpcodeEntry {
  readonly mnemonic: string;
  readonly match: number;
  readonly mask: number;
  readonly make: (site: Site) => Op;
}
