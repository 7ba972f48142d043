/**
 * The hypervisor image as tests read it: the emulator's ELF reader
 * (emulator/elf.ts) applied to a file, and symbol lookup that names the image
 * and the symbol when it is missing.
 */
import { readFileSync } from 'node:fs';
import { parseElf, type ElfFile } from '../../emulator/elf.js';

/** Parses the ELF at `path`; throws an ElfError naming the file and the problem. */
export function readElf(path: string): ElfFile {
  return parseElf(readFileSync(path), path);
}

/** The address of `name`, or an error naming the image and the symbol. */
export function symbol(image: ElfFile, name: string, path = image.fileName): bigint {
  const s = image.symbol(name);
  if (!s) throw new Error(`${path}: no symbol ${name}`);
  return s.value;
}
