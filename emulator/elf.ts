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
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const ADDRESS_SPACE = 1n << 64n;

const hex = (n: bigint | number): string => `0x${n.toString(16)}`;

/**
 * Parses an ELF64 RISC-V executable. Every offset, size and index the file gives is checked
 * against the file before it is read, so a damaged file is refused (naming the field and its
 * value) rather than read out of bounds: the ELF header, the program header table and each
 * PT_LOAD's file bytes, its address range (no wrap past 2^64), no two PT_LOADs sharing a physical
 * byte (QEMU refuses overlapping ROM regions too), the entry inside a PT_LOAD (at its virtual or
 * physical address; the virt board also requires the physical one), the section header table, the section-name and symbol string tables, and every name offset.
 */
export function parseElf(bytes: Uint8Array, fileName = '<elf>'): ElfFile {
  const fail = (problem: string): never => {
    throw new ElfError(`${fileName}: ${problem}`);
  };
  const size = BigInt(bytes.length);
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('not an ELF file (bad magic)');
  if (bytes.length < EHDR_SIZE) fail(`too short for an ELF header (${bytes.length} bytes, an ELF64 header is ${EHDR_SIZE})`);
  if (bytes[4] !== 2) fail(`not a 64-bit ELF file (EI_CLASS ${bytes[4]})`);
  if (bytes[5] !== 1) fail(`not a little-endian ELF file (EI_DATA ${bytes[5]})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  if (machine !== EM_RISCV) fail(`not a RISC-V ELF file (e_machine ${machine})`);
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC) fail(`not an executable ELF file (e_type ${type})`);
  const entry = view.getBigUint64(24, true);
  const phoff = view.getBigUint64(32, true);
  const shoff = view.getBigUint64(40, true);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  if (phnum === 0) fail('no program headers (e_phnum 0)');
  if (phentsize < PHDR_SIZE) fail(`e_phentsize ${phentsize} is smaller than an ELF64 program header (${PHDR_SIZE})`);
  if (phoff + BigInt(phnum * phentsize) > size) fail(`program header table (e_phoff ${hex(phoff)}, e_phnum ${phnum} x e_phentsize ${phentsize}) runs past the end of the file (${bytes.length} bytes)`);

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = Number(phoff) + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const flags = view.getUint32(at + 4, true);
    const offset = view.getBigUint64(at + 8, true);
    const vaddr = view.getBigUint64(at + 16, true);
    const paddr = view.getBigUint64(at + 24, true);
    const filesz = view.getBigUint64(at + 32, true);
    const memsz = view.getBigUint64(at + 40, true);
    const label = `PT_LOAD ${segments.length} (program header ${i})`;
    const segment = `${label} (p_paddr ${hex(paddr)}, p_memsz ${hex(memsz)})`;
    if (offset + filesz > size) fail(`${label} (p_offset ${hex(offset)}, p_filesz ${hex(filesz)}) runs past the end of the file (${bytes.length} bytes)`);
    if (filesz > memsz) fail(`${label} has p_filesz ${hex(filesz)} larger than p_memsz ${hex(memsz)}`);
    if (paddr + memsz > ADDRESS_SPACE) fail(`${segment} wraps past the end of the physical address space`);
    if (vaddr + memsz > ADDRESS_SPACE) fail(`${label} (p_vaddr ${hex(vaddr)}, p_memsz ${hex(memsz)}) wraps past the end of the address space`);
    segments.push({ paddr, vaddr, data: bytes.subarray(Number(offset), Number(offset + filesz)), memsz, flags });
  }
  if (segments.length === 0) fail('no PT_LOAD segment');
  const occupied = segments.map((s, k) => ({ s, k })).filter(({ s }) => s.memsz > 0n).sort((a, b) => (a.s.paddr < b.s.paddr ? -1 : a.s.paddr > b.s.paddr ? 1 : 0));
  for (let n = 1; n < occupied.length; n++) {
    const [a, b] = [occupied[n - 1]!, occupied[n]!];
    if (b.s.paddr < a.s.paddr + a.s.memsz) {
      const describe = ({ s, k }: typeof a) => `PT_LOAD ${k} (p_paddr ${hex(s.paddr)}, p_memsz ${hex(s.memsz)})`;
      fail(`${describe(a)} and ${describe(b)} overlap in physical memory`);
    }
  }
  const within = (base: bigint, s: ElfSegment) => entry >= base && entry < base + s.memsz;
  if (!segments.some((s) => within(s.paddr, s) || within(s.vaddr, s))) fail(`entry ${hex(entry)} (e_entry) is outside every PT_LOAD segment`);

  const decoder = new TextDecoder();
  /** A string table's bounds, refused when it lies outside the file. */
  const stringTable = (section: number, what: string): { start: number; end: number } => {
    const sh = Number(shoff) + section * shentsize;
    const offset = view.getBigUint64(sh + 24, true);
    const length = view.getBigUint64(sh + 32, true);
    if (offset + length > size) fail(`${what} (section ${section}, sh_offset ${hex(offset)}, sh_size ${hex(length)}) runs past the end of the file (${bytes.length} bytes)`);
    return { start: Number(offset), end: Number(offset + length) };
  };
  /** The NUL-terminated string at `offset` of `table` (ending at the table's end if unterminated); refused past the table. */
  const stringAt = (table: { start: number; end: number }, offset: number, what: string): string => {
    if (offset >= table.end - table.start && offset !== 0) fail(`${what} is past the end of its string table (${table.end - table.start} bytes)`);
    const at = table.start + offset;
    let end = at;
    while (end < table.end && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(at, end));
  };

  const symbols: ElfSymbol[] = [];
  const sections: ElfSection[] = [];
  if (shnum > 0) {
    if (shentsize < SHDR_SIZE) fail(`e_shentsize ${shentsize} is smaller than an ELF64 section header (${SHDR_SIZE})`);
    if (shoff + BigInt(shnum * shentsize) > size) fail(`section header table (e_shoff ${hex(shoff)}, e_shnum ${shnum} x e_shentsize ${shentsize}) runs past the end of the file (${bytes.length} bytes)`);
    const shstrndx = view.getUint16(62, true);
    if (shstrndx >= shnum) fail(`e_shstrndx ${shstrndx} is not a section (e_shnum ${shnum})`);
    // SHN_UNDEF (0): the file has no section names
    const names = shstrndx === 0 ? { start: 0, end: 0 } : stringTable(shstrndx, 'section-name string table');
    for (let i = 0; i < shnum; i++) {
      const sh = Number(shoff) + i * shentsize;
      const nameOffset = view.getUint32(sh, true);
      sections.push({
        name: shstrndx === 0 ? '' : stringAt(names, nameOffset, `section ${i}'s name (sh_name ${hex(nameOffset)})`),
        flags: view.getBigUint64(sh + 8, true),
        addr: view.getBigUint64(sh + 16, true),
        size: view.getBigUint64(sh + 32, true),
      });
    }
    for (let i = 0; i < shnum; i++) {
      const sh = Number(shoff) + i * shentsize;
      if (view.getUint32(sh + 4, true) !== SHT_SYMTAB) continue;
      const symOff = view.getBigUint64(sh + 24, true);
      const symSize = view.getBigUint64(sh + 32, true);
      const link = view.getUint32(sh + 40, true);
      const entsize = Number(view.getBigUint64(sh + 56, true)) || SYM_SIZE;
      if (symOff + symSize > size) fail(`symbol table (section ${i}, sh_offset ${hex(symOff)}, sh_size ${hex(symSize)}) runs past the end of the file (${bytes.length} bytes)`);
      if (entsize < SYM_SIZE) fail(`symbol table (section ${i}) has sh_entsize ${entsize}, smaller than an ELF64 symbol (${SYM_SIZE})`);
      if (link >= shnum) fail(`symbol table (section ${i}) links to string table ${link} (sh_link), but there are ${shnum} sections`);
      const strings = stringTable(link, `symbol table ${i}'s string table`);
      for (let at = Number(symOff), k = 0; at + entsize <= Number(symOff + symSize); at += entsize, k++) {
        const nameOffset = view.getUint32(at, true);
        const name = stringAt(strings, nameOffset, `symbol ${k} of section ${i} (st_name ${hex(nameOffset)})`);
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
