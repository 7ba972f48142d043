/**
 * The virt board's mask ROM at 0x1000: QEMU 7.2's reset vector followed by
 * the `fw_dynamic_info` structure OpenSBI's fw_dynamic reads (QEMU
 * hw/riscv/boot.c riscv_setup_rom_reset_vec and
 * riscv_rom_copy_firmware_info; OpenSBI docs/firmware/fw_dynamic.md).
 * Every hart starts here in M-mode and runs:
 *
 *   0x1000  auipc t0, 0            t0 = 0x1000
 *   0x1004  addi  a2, t0, 0x28     a2 = &fw_dynamic_info (0x1028)
 *   0x1008  csrr  a0, mhartid
 *   0x100c  ld    a1, 0x20(t0)     a1 = device tree address
 *   0x1010  ld    t0, 0x18(t0)     t0 = start address
 *   0x1014  jr    t0
 *   0x1018  .dword start address   (firmware entry, 0x8000_0000 with -bios)
 *   0x1020  .dword device tree address
 *   0x1028  fw_dynamic_info: magic "OSBI", version 2, next_addr (the
 *           payload's entry), next_mode (1 = S), options 0, boot_hart
 *
 * Checked against `qemu-system-riscv64 -machine virt` (monitor `xp` of the
 * ROM) in test/emulator/board/boot-rom.test.ts.
 */
import type { AccessSize, MmioDevice } from '../devices/device.js';
import { regionSize, VIRT_MAP } from './virt-map.js';

/** fw_dynamic_info.magic: "OSBI" in little-endian ASCII. */
export const FW_DYNAMIC_INFO_MAGIC = 0x4942534fn;
/** The structure version QEMU 7.2 writes (2: has boot_hart). */
export const FW_DYNAMIC_INFO_VERSION = 2n;
/** fw_dynamic_info.next_mode values. */
export const NEXT_MODE_S = 1n;
export const NEXT_MODE_M = 3n;

/** Offsets inside the ROM (from its base). */
export const ROM_START_ADDRESS_OFFSET = 0x18;
export const ROM_DTB_ADDRESS_OFFSET = 0x20;
export const ROM_FW_DYNAMIC_INFO_OFFSET = 0x28;

export interface BootRomContents {
  /** Where the reset vector jumps (firmware entry, or the program's entry with no firmware). */
  readonly startAddress: bigint;
  readonly dtbAddress: bigint;
  /** fw_dynamic_info.next_addr: the payload entry handed to firmware. */
  readonly nextAddress: bigint;
  readonly nextMode?: bigint;
  /** fw_dynamic_info.boot_hart (QEMU writes 0). */
  readonly bootHart?: bigint;
}

// ---- the few RV64 encodings the reset vector needs (unprivileged spec ch. 24) ----
const X_T0 = 5;
const X_A0 = 10;
const X_A1 = 11;
const X_A2 = 12;
const iType = (imm: number, rs1: number, funct3: number, rd: number, opcode: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
const auipc = (rd: number, imm20: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0;
const addi = (rd: number, rs1: number, imm: number): number => iType(imm, rs1, 0, rd, 0x13);
const ld = (rd: number, rs1: number, imm: number): number => iType(imm, rs1, 3, rd, 0x03);
const jalr = (rd: number, rs1: number, imm: number): number => iType(imm, rs1, 0, rd, 0x67);
/** csrrs rd, csr, x0. */
const csrr = (rd: number, csr: number): number => iType(csr, 0, 2, rd, 0x73);
const CSR_MHARTID = 0xf14;

/** The ROM image: reset vector, its two data words, fw_dynamic_info (little-endian). */
export function bootRomImage(contents: BootRomContents): Uint8Array {
  const bytes = new Uint8Array(ROM_FW_DYNAMIC_INFO_OFFSET + 6 * 8);
  const view = new DataView(bytes.buffer);
  const code = [
    auipc(X_T0, 0),
    addi(X_A2, X_T0, ROM_FW_DYNAMIC_INFO_OFFSET),
    csrr(X_A0, CSR_MHARTID),
    ld(X_A1, X_T0, ROM_DTB_ADDRESS_OFFSET),
    ld(X_T0, X_T0, ROM_START_ADDRESS_OFFSET),
    jalr(0, X_T0, 0),
  ];
  code.forEach((word, i) => view.setUint32(4 * i, word, true));
  view.setBigUint64(ROM_START_ADDRESS_OFFSET, contents.startAddress, true);
  view.setBigUint64(ROM_DTB_ADDRESS_OFFSET, contents.dtbAddress, true);
  const info = [FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, contents.nextAddress, contents.nextMode ?? NEXT_MODE_S, 0n, contents.bootHart ?? 0n];
  info.forEach((v, i) => view.setBigUint64(ROM_FW_DYNAMIC_INFO_OFFSET + 8 * i, BigInt.asUintN(64, v), true));
  return bytes;
}

/** The mask ROM as a bus device: reads of any size, writes ignored (it is ROM); bytes past the image read 0. */
export class BootRom implements MmioDevice {
  readonly name = 'mrom';
  readonly size = regionSize(VIRT_MAP.bootRom);
  readonly #bytes: Uint8Array;

  constructor(image: Uint8Array) {
    if (image.length > this.size) throw new RangeError(`boot ROM image of ${image.length} bytes does not fit in ${this.size}`);
    this.#bytes = image;
  }

  read(offset: number, size: AccessSize): bigint {
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.#bytes[offset + i] ?? 0);
    return v;
  }

  write(_offset: number, _size: AccessSize, _value: bigint): void {}
}
