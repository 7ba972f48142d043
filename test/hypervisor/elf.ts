/**
 * A minimal ELF64 little-endian reader for the hypervisor image: header, program headers and the
 * symbol table (System V ABI, "Object Files"). Enough for tests to check the boot contract and to
 * fill console scripts with symbol addresses. Bad input throws an error naming the field.
 */
import { readFileSync } from 'node:fs';

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** Index of the section holding the symbol (0 = undefined, 0xfff1 = absolute). */
  readonly section: number;
}

export interface ElfSection {
  readonly name: string;
  readonly addr: bigint;
  readonly size: bigint;
  readonly flags: bigint;
}

export interface ElfImage {
  readonly machine: number;
  readonly entry: bigint;
  readonly segments: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  readonly symbols: ReadonlyMap<string, ElfSymbol>;
}

export const PT_LOAD = 1;
export const EM_RISCV = 243;

export function readElf(path: string): ElfImage {
  const b = readFileSync(path);
  const fail = (what: string): never => {
    throw new Error(`${path}: not a usable ELF64 image: ${what}`);
  };
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) fail('bad magic');
  if (b[4] !== 2) fail(`EI_CLASS = ${b[4]}, expected 2 (ELF64)`);
  if (b[5] !== 1) fail(`EI_DATA = ${b[5]}, expected 1 (little endian)`);
  const machine = b.readUInt16LE(18);
  const entry = b.readBigUInt64LE(24);
  const phoff = Number(b.readBigUInt64LE(32));
  const shoff = Number(b.readBigUInt64LE(40));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const shentsize = b.readUInt16LE(58);
  const shnum = b.readUInt16LE(60);
  const shstrndx = b.readUInt16LE(62);
  if (phoff + phnum * phentsize > b.length) fail(`program headers (e_phoff ${phoff}) run past the file`);
  if (shoff + shnum * shentsize > b.length) fail(`section headers (e_shoff ${shoff}) run past the file`);

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    segments.push({
      type: b.readUInt32LE(o),
      flags: b.readUInt32LE(o + 4),
      vaddr: b.readBigUInt64LE(o + 16),
      paddr: b.readBigUInt64LE(o + 24),
      filesz: b.readBigUInt64LE(o + 32),
      memsz: b.readBigUInt64LE(o + 40),
    });
  }

  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      name: b.readUInt32LE(o),
      type: b.readUInt32LE(o + 4),
      flags: b.readBigUInt64LE(o + 8),
      addr: b.readBigUInt64LE(o + 16),
      offset: Number(b.readBigUInt64LE(o + 24)),
      size: b.readBigUInt64LE(o + 32),
      link: b.readUInt32LE(o + 40),
      entsize: Number(b.readBigUInt64LE(o + 56)),
    };
  };
  const cstr = (at: number): string => {
    const end = b.indexOf(0, at);
    if (end < 0) fail(`unterminated string at offset ${at}`);
    return b.toString('latin1', at, end);
  };
  const shstr = sh(shstrndx);
  const sections: ElfSection[] = [];
  const symbols = new Map<string, ElfSymbol>();
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    sections.push({ name: cstr(shstr.offset + s.name), addr: s.addr, size: s.size, flags: s.flags });
    if (s.type !== 2 /* SHT_SYMTAB */) continue;
    const strtab = sh(s.link);
    for (let o = s.offset; o + 24 <= s.offset + Number(s.size); o += s.entsize || 24) {
      const name = cstr(strtab.offset + b.readUInt32LE(o));
      if (name === '') continue;
      symbols.set(name, {
        name,
        section: b.readUInt16LE(o + 6),
        value: b.readBigUInt64LE(o + 8),
        size: b.readBigUInt64LE(o + 16),
      });
    }
  }
  return { machine, entry, segments, sections, symbols };
}

/** The address of `name`, or an error naming the image and the symbol. */
export function symbol(image: ElfImage, name: string, path = 'image'): bigint {
  const s = image.symbols.get(name);
  if (!s) throw new Error(`${path}: no symbol ${name}`);
  return s.value;
}
