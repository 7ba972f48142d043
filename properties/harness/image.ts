/** Hypervisor images (ELF) and the firmware the suite can boot them with. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseElf, type ElfFile } from '../../emulator/elf.js';
import { DEFAULT_PROFILE, type ImageProfile } from '../profile/profile.js';

export interface HypervisorImage {
  /** What reports call it: a path, or a mutant's name. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly elf: ElfFile;
  /** First 16 hex digits of the SHA-256 of the bytes: replay tokens carry it to catch a different image. */
  readonly digest: string;
  /** How the suite sees and drives it (properties/profile/README.md); the bundled hypervisor's by default. */
  readonly profile: ImageProfile;
}

export function imageFromBytes(name: string, bytes: Uint8Array, profile: ImageProfile = DEFAULT_PROFILE): HypervisorImage {
  return { name, bytes, elf: parseElf(bytes, name), digest: imageDigest(bytes), profile };
}

/** Reads and parses an image; errors name the file and the problem. */
export function loadImage(path: string, name: string = path, profile: ImageProfile = DEFAULT_PROFILE): HypervisorImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`image ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e)}`);
  }
  return imageFromBytes(name, bytes, profile);
}

export function imageDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Debian's OpenSBI fw_dynamic (package opensbi). */
export const OPENSBI_FW_DYNAMIC = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';

/** OpenSBI's bytes, or undefined with the reason when it is not installed. */
export function openSbiFirmware(path: string = OPENSBI_FW_DYNAMIC): { bytes: Uint8Array } | { missing: string } {
  if (!existsSync(path)) return { missing: `OpenSBI is not installed (${path} is missing; apt-get install opensbi)` };
  return { bytes: readFileSync(path) };
}
