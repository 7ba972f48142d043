/**
 * Sv39 page-table entries (privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System", figure
 * "Sv39 page table entry"): bits 0..7 V R W X U G A D, 8..9 RSW, 10..53 PPN, 54..63 reserved
 * (63 Svnapot's N, 62..61 Svpbmt's PBMT, 60..54 future use; none implemented here, so all must be 0).
 */
import { paToPpn, PAGE_SHIFT } from '../address.js';

export interface PteFlags {
  readonly v: boolean;
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly u: boolean;
  readonly g: boolean;
  readonly a: boolean;
  readonly d: boolean;
}

export interface Pte {
  readonly flags: PteFlags;
  /** Bits 9..8, reserved for supervisor software; the walk ignores them. */
  readonly rsw: number;
  /** Bits 53..10. */
  readonly ppn: bigint;
  /** Bits 63..54; any set bit makes the walk fault. */
  readonly reserved: bigint;
}

const FLAG_BITS: readonly (keyof PteFlags)[] = ['v', 'r', 'w', 'x', 'u', 'g', 'a', 'd'];
const PPN_MASK = (1n << 44n) - 1n;
const RESERVED_SHIFT = 54n;
const RESERVED_MASK = (1n << 10n) - 1n;

export const NO_FLAGS: PteFlags = { v: false, r: false, w: false, x: false, u: false, g: false, a: false, d: false };

export function decodePte(raw: bigint): Pte {
  const flags = Object.fromEntries(FLAG_BITS.map((name, bit) => [name, ((raw >> BigInt(bit)) & 1n) === 1n])) as unknown as PteFlags;
  return {
    flags,
    rsw: Number((raw >> 8n) & 3n),
    ppn: (raw >> 10n) & PPN_MASK,
    reserved: (raw >> RESERVED_SHIFT) & RESERVED_MASK,
  };
}

export interface PteFields {
  readonly flags: Partial<PteFlags>;
  readonly ppn: bigint;
  readonly rsw?: number;
  readonly reserved?: bigint;
}

export function encodePte(fields: PteFields): bigint {
  let raw = 0n;
  FLAG_BITS.forEach((name, bit) => {
    if (fields.flags[name] === true) raw |= 1n << BigInt(bit);
  });
  return (
    raw |
    (BigInt(fields.rsw ?? 0) & 3n) << 8n |
    (fields.ppn & PPN_MASK) << 10n |
    ((fields.reserved ?? 0n) & RESERVED_MASK) << RESERVED_SHIFT
  );
}

/** A PTE for a leaf or pointer to the page (or table) at `pa`. */
export function pteFor(pa: bigint, flags: Partial<PteFlags>, rsw = 0): bigint {
  return encodePte({ flags, ppn: paToPpn(pa), rsw });
}

/** The PA the PTE's PPN names (ppn × PAGESIZE). */
export function ptePa(pte: Pte): bigint {
  return pte.ppn << PAGE_SHIFT;
}

/** A valid PTE with R or X set is a leaf; with R = W = X = 0 it points to the next table. */
export function isLeaf(flags: PteFlags): boolean {
  return flags.r || flags.x;
}

/** "rwxugad" with '-' for clear bits, the way tables and messages show a PTE. */
export function formatFlags(flags: Omit<PteFlags, 'v'>): string {
  return (['r', 'w', 'x', 'u', 'g', 'a', 'd'] as const).map((f) => (flags[f] ? f : '-')).join('');
}
