/**
 * Loading a user's hypervisor image for `check`, `ptdump` and `replay`: file errors, non-ELF and
 * non-RISC-V files become usage errors naming the option, and a `--symbols` file renames the
 * symbols the observations read, for images that call them differently.
 *
 * Symbols file: a JSON object mapping the name the suite reads to the name in the image, e.g.
 * `{ "kalloc": "page_alloc", "kmem_freelist": "free_pages" }`. Keys must be names the suite reads
 * (SUITE_SYMBOLS); each value must exist in the image.
 */
import { readFileSync } from 'node:fs';
import { ElfError, parseElf, type ElfFile, type ElfSymbol } from '../../emulator/elf.js';
import { IMAGE_SYMBOLS } from '../../model/index.js';
import { VIRT_RAM_BASE } from '../../emulator/board/virt-map.js';
import { imageFromBytes, KMEM_SYMBOLS, MIN_GENERATED_RAM, type HypervisorImage } from '../../properties/index.js';
import { layoutSymbols } from '../../properties/profile/model.js';
import { DEFAULT_PROFILE, loadProfile, ProfileError, type ImageProfile } from '../../properties/profile/profile.js';
import { existingFile } from '../options.js';
import { UsageError } from '../usage.js';

/** Every symbol the property suite reads (properties/README.md "Image contract"); recurse and probe_ret are optional. */
export const SUITE_SYMBOLS: readonly string[] = [...IMAGE_SYMBOLS, ...KMEM_SYMBOLS, 'recurse', 'probe_ret'];

/**
 * Checks that `path` is an OpenSBI-style firmware image (an ELF for RISC-V, as `check --firmware
 * PATH` and `replay --firmware PATH` take); the error names the option.
 */
export function openSbiFile(command: string, option: string, path: string): string {
  existingFile(command, option, path);
  try {
    parseElf(readFileSync(path), path);
  } catch (e) {
    if (e instanceof ElfError) throw new UsageError(`${command}: ${option} ${e.message} (expected an OpenSBI fw_dynamic.elf)`);
    throw e;
  }
  return path;
}

/** Parses and checks a symbols file: suite name -> image name. */
export function readSymbolsFile(command: string, path: string, elf: ElfFile): ReadonlyMap<string, string> {
  existingFile(command, '--symbols', path);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${command}: --symbols '${path}': not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${command}: --symbols '${path}': must be a JSON object such as {"kalloc": "page_alloc"}`);
  const renames = new Map<string, string>();
  for (const [suiteName, imageName] of Object.entries(value)) {
    if (!SUITE_SYMBOLS.includes(suiteName)) throw new UsageError(`${command}: --symbols '${path}': '${suiteName}' is not a symbol the suite reads (one of ${SUITE_SYMBOLS.join(', ')})`);
    if (typeof imageName !== 'string') throw new UsageError(`${command}: --symbols '${path}': the value of '${suiteName}' must be a string, got ${JSON.stringify(imageName)}`);
    if (elf.symbol(imageName) === undefined) throw new UsageError(`${command}: --symbols '${path}': ${suiteName} -> '${imageName}': the image has no symbol '${imageName}'`);
    const other = [...renames].find(([, target]) => target === imageName);
    if (other !== undefined) throw new UsageError(`${command}: --symbols '${path}': ${other[0]} and ${suiteName} both name '${imageName}'`);
    renames.set(suiteName, imageName);
  }
  return renames;
}

/** The ELF seen through the renames: `symbol('kalloc')` finds the image's `page_alloc`, under the suite's name. */
export function renameSymbols(elf: ElfFile, renames: ReadonlyMap<string, string>): ElfFile {
  if (renames.size === 0) return elf;
  const back = new Map([...renames].map(([suiteName, imageName]) => [imageName, suiteName]));
  const renamed = (s: ElfSymbol, name: string): ElfSymbol => ({ ...s, name });
  return {
    fileName: elf.fileName,
    entry: elf.entry,
    segments: elf.segments,
    sections: elf.sections,
    // a suite name now names the image's symbol; the image's own symbol of that name (if any) is hidden
    symbols: elf.symbols.filter((s) => !renames.has(s.name) || back.has(s.name)).map((s) => (back.has(s.name) ? renamed(s, back.get(s.name)!) : s)),
    symbol: (name) => {
      const target = renames.get(name);
      if (target === undefined) return back.has(name) ? undefined : elf.symbol(name);
      const s = elf.symbol(target);
      return s && renamed(s, name);
    },
  };
}

/** Where the boot protocol loads an image: RAM base (0x8000_0000 on virt) + 2 MiB (hypervisor/README.md "Boot protocol"). */
export const IMAGE_LOAD_ADDRESS = 0x8020_0000n;

/**
 * What can be checked of the image contract before booting (hypervisor/README.md "Boot protocol"):
 * loaded at RAM base + 2 MiB, every segment inside the smallest RAM the suite generates, the
 * layout symbols present.
 * Anything else would boot into nothing the suite can observe, so it is refused up front.
 */
export function contractProblems(elf: ElfFile, profile: ImageProfile = DEFAULT_PROFILE): string[] {
  const problems: string[] = [];
  const lowest = elf.segments.reduce<bigint | undefined>((low, s) => (low === undefined || s.paddr < low ? s.paddr : low), undefined);
  const loadAt = BigInt(VIRT_RAM_BASE) + profile.layout.loadOffset;
  const offsetText = profile.layout.loadOffset % (1n << 20n) === 0n ? `${profile.layout.loadOffset >> 20n} MiB` : `0x${profile.layout.loadOffset.toString(16)}`;
  if (lowest !== loadAt) problems.push(`its lowest segment loads at ${lowest === undefined ? 'nothing (no PT_LOAD)' : `0x${lowest.toString(16)}`}, not RAM base + ${offsetText} (0x${loadAt.toString(16)}${profile === DEFAULT_PROFILE ? '; a --profile FILE gives another layout.loadOffset' : ", the profile's layout.loadOffset"})`);
  // (parseElf has already refused an entry outside every segment)
  const ramEnd = BigInt(VIRT_RAM_BASE) + MIN_GENERATED_RAM;
  elf.segments.forEach((s, i) => {
    if (s.paddr + s.memsz > ramEnd) problems.push(`its PT_LOAD ${i} (p_paddr 0x${s.paddr.toString(16)}, p_memsz 0x${s.memsz.toString(16)}) ends past 0x${ramEnd.toString(16)}, outside the smallest RAM the suite boots (${MIN_GENERATED_RAM >> 20n} MiB)`);
  });
  const missing = (profile === DEFAULT_PROFILE ? [...IMAGE_SYMBOLS] : layoutSymbols(profile)).filter((name) => elf.symbol(name) === undefined);
  if (missing.length > 0) problems.push(`it has no layout symbol${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${profile === DEFAULT_PROFILE ? 'rename with --symbols, or describe the layout in a --profile FILE' : "the profile's layout names them"})`);
  return problems;
}

/** Loads `path` as a hypervisor image (RISC-V ELF executable) that meets the boot contract, with optional symbol renames. */
export function loadUserImage(command: string, option: string, path: string, symbolsPath?: string, profilePath?: string): HypervisorImage {
  const profile = profilePath === undefined ? DEFAULT_PROFILE : readProfileFile(command, profilePath);
  const image = { ...loadElfImage(command, option, path, symbolsPath), profile };
  const problems = contractProblems(image.elf, profile);
  if (problems.length > 0) throw new UsageError(`${command}: ${option} ${path} does not follow the hypervisor's boot contract (cli/reports/README.md): ${problems.join('; ')}`);
  return image;
}

/** Reads a --profile FILE; every problem is a usage error (exit 2) naming the file, the field and the value. */
export function readProfileFile(command: string, path: string): ImageProfile {
  existingFile(command, '--profile', path);
  try {
    return loadProfile(path);
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(`${command}: --profile ${e.message}`);
    throw e;
  }
}

function loadElfImage(command: string, option: string, path: string, symbolsPath?: string): HypervisorImage {
  existingFile(command, option, path);
  let image: HypervisorImage;
  try {
    image = imageFromBytes(path, readFileSync(path));
  } catch (e) {
    if (e instanceof ElfError) throw new UsageError(`${command}: ${option} ${e.message}`);
    throw e;
  }
  if (symbolsPath === undefined) return image;
  return { ...image, elf: renameSymbols(image.elf, readSymbolsFile(command, symbolsPath, image.elf)) };
}
