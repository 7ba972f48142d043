/**
 * Placing images in RAM as QEMU 7.2's virt board does (hw/riscv/boot.c):
 * firmware like `-bios` (an ELF at its p_paddr, otherwise a raw image at
 * 0x8000_0000), the payload like `-kernel` (an ELF at its p_paddr, otherwise
 * a raw image at 0x8020_0000), and the device tree 2 MiB-aligned as high as
 * fits below min(end of RAM, 3 GiB).
 */
import { ElfError, parseElf, type ElfFile } from '../elf.js';
import type { SparseRam } from '../memory/ram.js';
import { VIRT_RAM_BASE } from './virt-map.js';

/** Where a raw (non-ELF) payload goes: RAM base + 2 MiB. */
export const RAW_PAYLOAD_ADDRESS = VIRT_RAM_BASE + 0x20_0000;
/** Where raw firmware goes: RAM base. */
export const RAW_FIRMWARE_ADDRESS = VIRT_RAM_BASE;

const MIB = 2 ** 20;
/** The device tree stays below 3 GiB so 32-bit software can reach it (QEMU riscv_compute_fdt_addr). */
const DTB_CEILING = 3072 * MIB;
const DTB_ALIGN = 2 * MIB;

/** A loaded image: what it is called, its entry, the physical ranges it occupies, and its ELF if it is one. */
export interface PlacedImage {
  readonly name: string;
  readonly entry: bigint;
  readonly ranges: readonly { readonly start: number; readonly end: number }[];
  readonly elf: ElfFile | undefined;
}

/** Whether `bytes` start with the ELF magic (ELF header e_ident[EI_MAG0..3]). */
export const isElf = (bytes: Uint8Array): boolean => bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;

/**
 * Describes where `bytes` would go: an ELF's PT_LOAD segments at p_paddr, or
 * the whole raw image at `rawAddress`. Throws, naming the image, when it is
 * a broken ELF or leaves RAM.
 */
export function placeImage(name: string, bytes: Uint8Array, rawAddress: number, ram: SparseRam): PlacedImage {
  const inside = (start: number, end: number, what: string): void => {
    if (start < ram.base || end > ram.base + ram.size) {
      throw new RangeError(
        `${name}: ${what} [0x${start.toString(16)}, 0x${end.toString(16)}) is outside RAM [0x${ram.base.toString(16)}, 0x${(ram.base + ram.size).toString(16)})`,
      );
    }
  };
  if (isElf(bytes)) {
    const elf = parseElf(bytes, name);
    const ramEnd = BigInt(ram.base + ram.size);
    const ranges = elf.segments.map((s, i) => {
      // compared as bigints first: a p_memsz such as 2^40 must be refused, not rounded into range
      if (s.paddr < BigInt(ram.base) || s.paddr + s.memsz > ramEnd) {
        throw new RangeError(`${name}: PT_LOAD ${i} (p_paddr 0x${s.paddr.toString(16)}, p_memsz 0x${s.memsz.toString(16)}) is outside RAM [0x${ram.base.toString(16)}, 0x${ramEnd.toString(16)})`);
      }
      return { start: Number(s.paddr), end: Number(s.paddr + s.memsz) };
    });
    // the boot ROM jumps to e_entry untranslated, as QEMU's virt board does
    if (!elf.segments.some((s) => elf.entry >= s.paddr && elf.entry < s.paddr + s.memsz)) {
      throw new ElfError(`${name}: entry 0x${elf.entry.toString(16)} (e_entry) is outside every PT_LOAD segment's physical range`);
    }
    return { name, entry: elf.entry, ranges, elf };
  }
  if (bytes.length === 0) throw new ElfError(`${name}: empty image`);
  inside(rawAddress, rawAddress + bytes.length, 'raw image');
  return { name, entry: BigInt(rawAddress), ranges: [{ start: rawAddress, end: rawAddress + bytes.length }], elf: undefined };
}

/** Copies a placed image into RAM (before any hart runs: no decode caches to invalidate yet). */
export function writeImage(image: PlacedImage, bytes: Uint8Array, ram: SparseRam): void {
  if (image.elf === undefined) {
    ram.writeBytes(image.ranges[0]!.start, bytes);
    return;
  }
  // Zero-filled tails need no writes: untouched RAM reads as zero.
  for (const s of image.elf.segments) if (s.data.length > 0) ram.writeBytes(Number(s.paddr), s.data);
}

/** Throws when two images (or an image and the device tree) share a byte, naming both. */
export function checkDisjoint(images: readonly PlacedImage[]): void {
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      for (const a of images[i]!.ranges) {
        for (const b of images[j]!.ranges) {
          if (a.start < b.end && b.start < a.end) {
            throw new RangeError(
              `${images[i]!.name} [0x${a.start.toString(16)}, 0x${a.end.toString(16)}) overlaps ${images[j]!.name} [0x${b.start.toString(16)}, 0x${b.end.toString(16)})`,
            );
          }
        }
      }
    }
  }
}

/**
 * How many bytes QEMU 7.2 sets aside for a device tree file given with `-dtb`: it loads the file
 * into a zeroed buffer of (file size + 10000) * 2 bytes (softmmu/device_tree.c load_device_tree),
 * and that buffer's size, not the blob's, decides where the tree goes (`dtbAddress`).
 */
export function dtbFileBufferSize(fileSize: number): number {
  return (fileSize + 10_000) * 2;
}

/** Physical address of a device tree of `size` bytes (QEMU 7.2 riscv_compute_fdt_addr). */
export function dtbAddress(ramBase: number, ramSize: number, size: number): number {
  const ramEnd = ramBase + ramSize;
  const top = ramBase < DTB_CEILING ? Math.min(ramEnd, DTB_CEILING) : ramEnd;
  const at = Math.floor((top - size) / DTB_ALIGN) * DTB_ALIGN;
  if (at < ramBase) throw new RangeError(`device tree of ${size} bytes does not fit in RAM`);
  return at;
}
