/**
 * Builds small ELF64 files in memory for loader and HTIF tests: PT_LOAD
 * segments, an entry point and a symbol table, with header fields a test may
 * override to make the file wrong in one named way.
 */
export interface SegmentSpec {
  paddr: bigint;
  vaddr?: bigint;
  data: Uint8Array;
  memsz?: bigint;
}

export interface ElfSpec {
  entry: bigint;
  segments: SegmentSpec[];
  symbols?: Record<string, bigint>;
  /** Byte overrides applied last: offset -> value. */
  patch?: Record<number, number>;
}

export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w >>> 0, true));
  return out;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const symbols = Object.entries(spec.symbols ?? {});
  const strtab = [0];
  const nameOffsets: number[] = [];
  for (const [name] of symbols) {
    nameOffsets.push(strtab.length);
    for (const ch of Buffer.from(name)) strtab.push(ch);
    strtab.push(0);
  }
  const ehsize = 64;
  const phentsize = 56;
  const phoff = ehsize;
  let at = phoff + phentsize * spec.segments.length;
  const dataOffsets = spec.segments.map((s) => {
    const off = at;
    at += s.data.length;
    return off;
  });
  at = (at + 7) & ~7;
  const symOff = at;
  const symSize = 24 * (symbols.length + 1);
  at += symSize;
  const strOff = at;
  at += strtab.length;
  at = (at + 7) & ~7;
  const shoff = at;
  const shnum = 3; // null, .symtab, .strtab
  const total = shoff + 64 * shnum;
  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, spec.entry, true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, ehsize, true);
  v.setUint16(54, phentsize, true);
  v.setUint16(56, spec.segments.length, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, 0, true);
  spec.segments.forEach((s, i) => {
    const p = phoff + i * phentsize;
    v.setUint32(p, 1, true); // PT_LOAD
    v.setUint32(p + 4, 7, true);
    v.setBigUint64(p + 8, BigInt(dataOffsets[i]!), true);
    v.setBigUint64(p + 16, s.vaddr ?? s.paddr, true);
    v.setBigUint64(p + 24, s.paddr, true);
    v.setBigUint64(p + 32, BigInt(s.data.length), true);
    v.setBigUint64(p + 40, s.memsz ?? BigInt(s.data.length), true);
    bytes.set(s.data, dataOffsets[i]!);
  });
  symbols.forEach(([, value], i) => {
    const e = symOff + 24 * (i + 1);
    v.setUint32(e, nameOffsets[i]!, true);
    bytes[e + 4] = 0x11; // STB_GLOBAL, STT_OBJECT
    v.setUint16(e + 6, 1, true);
    v.setBigUint64(e + 8, value, true);
    v.setBigUint64(e + 16, 8n, true); // QEMU wants tohost/fromhost sized
  });
  bytes.set(strtab, strOff);
  const sh = (i: number, type: number, off: number, size: number, link: number, entsize: number) => {
    const b = shoff + 64 * i;
    v.setUint32(b + 4, type, true);
    v.setBigUint64(b + 24, BigInt(off), true);
    v.setBigUint64(b + 32, BigInt(size), true);
    v.setUint32(b + 40, link, true);
    v.setBigUint64(b + 56, BigInt(entsize), true);
  };
  sh(1, 2, symOff, symSize, 2, 24);
  sh(2, 3, strOff, strtab.length, 0, 0);
  for (const [off, value] of Object.entries(spec.patch ?? {})) bytes[Number(off)] = value;
  return bytes;
}
