/**
 * ELF64 little-endian RISC-V executables (System V gABI; RISC-V ELF psABI):
 * PT_LOAD segments, the entry point, the section headers and the symbol
 * table. Every refusal is an
 * ElfError naming the file and the problem.
 */
export class ElfError extends Error {
  override readonly name = 'ElfError';
}

export interface ElfSegment {
  /** Physical load address (p_paddr), where QEMU and hvspec place it. */
  readonly paddr: bigint;
  readonly vaddr: bigint;
  /** The file bytes (p_filesz); the rest up to memsz is zero-filled. */
  readonly data: Uint8Array;
  readonly memsz: bigint;
  readonly flags: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** STT_* type and STB_* binding. */
  readonly type: number;
  readonly bind: number;
  /** Index of the section holding it (st_shndx: 0 undefined, 0xfff1 absolute). */
  readonly section: number;
}

export interface ElfSection {
  /** From the section-name string table (e_shstrndx); "" when the file has none. */
  readonly name: string;
  readonly addr: bigint;
  readonly size: bigint;
  /** SHF_* flags. */
  readonly flags: bigint;
}

export interface ElfFile {
  readonly fileName: string;
  readonly entry: bigint;
  readonly segments: readonly ElfSegment[];
  readonly symbols: readonly ElfSymbol[];
  readonly sections: readonly ElfSection[];
  /** The symbol with this name (a global one first), or undefined. */
  symbol(name: string): ElfSymbol | undefined;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const EM_RISCV = 243;
const ET_EXEC = 2;

export function parseElf(bytes: Uint8Array, fileName = '<elf>'): ElfFile {
  const fail = (problem: string): never => {
    throw new ElfError(`${fileName}: ${problem}`);
  };
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('not an ELF file (bad magic)');
  if (bytes[4] !== 2) fail(`not a 64-bit ELF file (EI_CLASS ${bytes[4]})`);
  if (bytes[5] !== 1) fail(`not a little-endian ELF file (EI_DATA ${bytes[5]})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  if (machine !== EM_RISCV) fail(`not a RISC-V ELF file (e_machine ${machine})`);
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC) fail(`not an executable ELF file (e_type ${type})`);
  const entry = view.getBigUint64(24, true);
  const phoff = Number(view.getBigUint64(32, true));
  const shoff = Number(view.getBigUint64(40, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  if (phnum > 0 && (phentsize < 56 || phoff + phnum * phentsize > bytes.length)) fail('program header table runs past the end of the file');

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const flags = view.getUint32(at + 4, true);
    const offset = Number(view.getBigUint64(at + 8, true));
    const vaddr = view.getBigUint64(at + 16, true);
    const paddr = view.getBigUint64(at + 24, true);
    const filesz = Number(view.getBigUint64(at + 32, true));
    const memsz = view.getBigUint64(at + 40, true);
    if (offset + filesz > bytes.length) fail(`segment ${i} (p_offset 0x${offset.toString(16)}, p_filesz ${filesz}) runs past the end of the file`);
    if (BigInt(filesz) > memsz) fail(`segment ${i} has p_filesz ${filesz} larger than p_memsz ${memsz}`);
    segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz, flags });
  }
  if (segments.length === 0) fail('no PT_LOAD segment');

  const decoder = new TextDecoder();
  /** The NUL-terminated string at `at` inside the table [tableStart, tableEnd). */
  const stringAt = (tableStart: number, tableEnd: number, at: number): string => {
    let end = at;
    while (end < tableEnd && bytes[end] !== 0) end++;
    return at >= tableStart && at < tableEnd ? decoder.decode(bytes.subarray(at, end)) : '';
  };

  const symbols: ElfSymbol[] = [];
  const sections: ElfSection[] = [];
  if (shnum > 0 && shoff + shnum * shentsize <= bytes.length && shentsize >= 64) {
    const shstrndx = view.getUint16(62, true);
    const namesSh = shstrndx < shnum ? shoff + shstrndx * shentsize : -1;
    const namesOff = namesSh < 0 ? 0 : Number(view.getBigUint64(namesSh + 24, true));
    const namesEnd = namesSh < 0 ? 0 : Math.min(bytes.length, namesOff + Number(view.getBigUint64(namesSh + 32, true)));
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      sections.push({
        name: stringAt(namesOff, namesEnd, namesOff + view.getUint32(sh, true)),
        flags: view.getBigUint64(sh + 8, true),
        addr: view.getBigUint64(sh + 16, true),
        size: view.getBigUint64(sh + 32, true),
      });
    }
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (view.getUint32(sh + 4, true) !== SHT_SYMTAB) continue;
      const symOff = Number(view.getBigUint64(sh + 24, true));
      const symSize = Number(view.getBigUint64(sh + 32, true));
      const link = view.getUint32(sh + 40, true);
      const entsize = Number(view.getBigUint64(sh + 56, true)) || 24;
      const strSh = shoff + link * shentsize;
      const strOff = Number(view.getBigUint64(strSh + 24, true));
      const strSize = Number(view.getBigUint64(strSh + 32, true));
      if (symOff + symSize > bytes.length || strOff + strSize > bytes.length) fail('symbol table runs past the end of the file');
      for (let at = symOff; at + entsize <= symOff + symSize; at += entsize) {
        const name = stringAt(strOff, strOff + strSize, strOff + view.getUint32(at, true));
        const info = bytes[at + 4]!;
        if (name === '') continue;
        symbols.push({
          name, value: view.getBigUint64(at + 8, true), size: view.getBigUint64(at + 16, true),
          type: info & 0xf, bind: info >> 4, section: view.getUint16(at + 6, true),
        });
      }
    }
  }
  const byName = new Map<string, ElfSymbol>();
  for (const s of symbols) {
    const prior = byName.get(s.name);
    if (prior === undefined || (prior.bind === 0 && s.bind !== 0)) byName.set(s.name, s);
  }
  return { fileName, entry, segments, symbols, sections, symbol: (name) => byName.get(name) };
}

/** Physical address of a symbol: its value, moved by the segment that holds it (p_paddr - p_vaddr). */
export function symbolPhysicalAddress(elf: ElfFile, symbol: ElfSymbol): bigint {
  for (const s of elf.segments) {
    if (symbol.value >= s.vaddr && symbol.value < s.vaddr + s.memsz) return symbol.value - s.vaddr + s.paddr;
  }
  return symbol.value;
}
