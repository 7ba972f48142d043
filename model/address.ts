/**
 * Address vocabulary: the only place in model/ that shifts and masks addresses.
 * Every address is a bigint holding an unsigned 64-bit value. Ranges are half-open [start, end).
 * Sv39 facts are from the RISC-V privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System".
 */

export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;

export const PAGE_SHIFT = 12n;
/** A base page (4 KiB). */
export const PAGE_SIZE = 1n << PAGE_SHIFT;
/** A level-1 leaf (2 MiB). */
export const MEGAPAGE_SIZE = 2n * MiB;
/** A level-2 leaf (1 GiB). */
export const GIGAPAGE_SIZE = GiB;

/** Sv39 has three levels; level 2 is the root. */
export const LEVELS = 3;
export type Level = 0 | 1 | 2;
/** Bits of VPN per level, and entries per table (2^9). */
export const VPN_BITS = 9n;
export const PTES_PER_TABLE = 512;
/** Bytes per PTE (PTESIZE). */
export const PTE_SIZE = 8n;
/** Sv39 VAs are 39 bits; bits 63..39 must equal bit 38. */
export const VA_BITS = 39n;
/** Sv39 PAs are 56 bits. */
export const PA_BITS = 56n;

export const U64_MASK = (1n << 64n) - 1n;

/** Page sizes from the largest (1 GiB) down, the order "largest page that fits" tries them in. */
export const PAGE_SIZES_DESCENDING: readonly bigint[] = [GIGAPAGE_SIZE, MEGAPAGE_SIZE, PAGE_SIZE];

/** The size of the page a leaf at `level` maps: 4 KiB, 2 MiB or 1 GiB. */
export function pageSizeOfLevel(level: Level): bigint {
  return PAGE_SIZE << (VPN_BITS * BigInt(level));
}

/** The level whose leaves map pages of `size`; throws for a size Sv39 does not have. */
export function levelOfPageSize(size: bigint): Level {
  if (size === PAGE_SIZE) return 0;
  if (size === MEGAPAGE_SIZE) return 1;
  if (size === GIGAPAGE_SIZE) return 2;
  throw new RangeError(`not an Sv39 page size: ${hex(size)}`);
}

/** va.vpn[level]: the index into the level-`level` table. */
export function vpn(level: Level, va: bigint): number {
  return Number((va >> (PAGE_SHIFT + VPN_BITS * BigInt(level))) & 0x1ffn);
}

/** va.pgoff: the 12-bit page offset. */
export function pageOffset(va: bigint): bigint {
  return va & (PAGE_SIZE - 1n);
}

export function isAligned(address: bigint, alignment: bigint): boolean {
  return address % alignment === 0n;
}

export function pageRoundDown(address: bigint, size: bigint = PAGE_SIZE): bigint {
  return address - (address % size);
}

export function pageRoundUp(address: bigint, size: bigint = PAGE_SIZE): bigint {
  return pageRoundDown(address + size - 1n, size);
}

/** Sv39 canonical: bits 63..39 all equal bit 38 (else the access page-faults). */
export function isCanonical(va: bigint): boolean {
  if (va < 0n || va > U64_MASK) return false;
  const upper = va >> (VA_BITS - 1n); // bits 63..38: all zeros or all ones
  return upper === 0n || upper === (1n << (64n - VA_BITS + 1n)) - 1n;
}

/** Sign-extends a 39-bit VA to its canonical 64-bit form. */
export function canonicalize(va39: bigint): bigint {
  const low = va39 & ((1n << VA_BITS) - 1n);
  return low & (1n << (VA_BITS - 1n)) ? low | (U64_MASK ^ ((1n << VA_BITS) - 1n)) : low;
}

/** The PA a PTE's PPN field (bits 53..10) names. */
export function pteToPa(pte: bigint): bigint {
  return ((pte >> 10n) & ((1n << 44n) - 1n)) << PAGE_SHIFT;
}

/** The PPN of a page-aligned PA, for a PTE's PPN field. */
export function paToPpn(pa: bigint): bigint {
  return pa >> PAGE_SHIFT;
}

/** Lower-case hex with 0x, the form error messages and tables use. */
export function hex(value: bigint): string {
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** Human size: 4 KiB, 2 MiB, 1 GiB, or bytes when not a whole KiB. */
export function formatSize(bytes: bigint): string {
  if (bytes !== 0n && bytes % GiB === 0n) return `${bytes / GiB} GiB`;
  if (bytes !== 0n && bytes % MiB === 0n) return `${bytes / MiB} MiB`;
  if (bytes !== 0n && bytes % KiB === 0n) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

/** A half-open address range [start, end). */
export interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

export function rangeSize(range: Range): bigint {
  return range.end - range.start;
}

export function rangesOverlap(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}

export function rangeContains(outer: Range, inner: Range): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

export function rangeContainsAddress(range: Range, address: bigint): boolean {
  return range.start <= address && address < range.end;
}

/** The range rounded outward to whole pages. */
export function pageRoundOutward(range: Range): Range {
  return { start: pageRoundDown(range.start), end: pageRoundUp(range.end) };
}

export function formatRange(range: Range): string {
  return `[${hex(range.start)}, ${hex(range.end)})`;
}
