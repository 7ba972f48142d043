/**
 * Sv39 address vocabulary and PTE decoding (privileged spec 1.12, 4.4).
 * A virtual address is a (lo, hi) int32 pair; its virtual page number is the
 * 27-bit `vpnKey` = VA[38:12]. PTEs are (lo, hi) pairs too.
 */
export const LEVELS = 3;
export const PTE_SIZE = 8;

export const PTE_V = 0x01;
export const PTE_R = 0x02;
export const PTE_W = 0x04;
export const PTE_X = 0x08;
export const PTE_U = 0x10;
export const PTE_G = 0x20;
export const PTE_A = 0x40;
export const PTE_D = 0x80;

/** A VA is valid for Sv39 when bits 63:39 all equal bit 38. */
export function isCanonical(hi: number): boolean {
  return (hi << 25) >> 25 === hi;
}

/** VA[38:12], the virtual page number. */
export function vpnKey(lo: number, hi: number): number {
  return ((hi & 0x7f) << 20) | (lo >>> 12);
}

/** VPN[level] of a vpnKey: 9 bits. */
export function vpn(level: number, key: number): number {
  return (key >>> (9 * level)) & 0x1ff;
}

/** Bits 7:0 of a PTE (V R W X U G A D). */
export function pteFlags(lo: number): number {
  return lo & 0xff;
}

/** PTE.PPN (bits 53:10) as a number. */
export function ptePpn(lo: number, hi: number): number {
  return (hi & 0x3fffff) * 0x400000 + (lo >>> 10);
}

/** PTE bits 63:54: reserved (no Svpbmt or Svnapot here), must be zero. */
export function pteReservedBits(hi: number): number {
  return hi >>> 22;
}

/** A leaf has R or X set; otherwise the PTE points to the next level. */
export function isLeaf(flags: number): boolean {
  return (flags & (PTE_R | PTE_X)) !== 0;
}

/** Physical address of a page number (page numbers below 2^41 only are exact). */
export function ppnToPa(ppn: number): number {
  return ppn * 4096;
}
