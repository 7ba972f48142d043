/**
 * The virt board's PCIe host bridge (`pci-host-ecam-generic`, QEMU 7.2's gpex) with nothing plugged
 * in: the ECAM configuration window, the PIO window and the two MMIO windows (their addresses are
 * the board's, virt-map.ts).
 *
 * ECAM (PCI Express Base Specification, "Enhanced Configuration Access Mechanism"): the window's byte
 * offset is bus << 20 | device << 15 | function << 12 | register. Only function 00:00.0 exists: QEMU's
 * host bridge itself (gpex-root), a conventional PCI function with a 256-byte type 0 header and no
 * BARs or capabilities. Every other function is absent, and a configuration read of an absent
 * function returns all ones and writes to it are dropped (the root complex completes a
 * configuration read that no function claims with all ones, as the PCI specifications require).
 * Bytes 0x100..0xfff of the host bridge read all ones too (no extended configuration space).
 *
 * | host bridge register | offset | value                         | writable bits (as QEMU 7.2's) |
 * |----------------------|--------|-------------------------------|-------------------------------|
 * | Vendor ID, Device ID | 0x00   | 0x1b36, 0x0008 (Red Hat, QEMU PCIe host) | none                |
 * | Command, Status      | 0x04   | 0, 0                          | Command 0x0507 (IO, MEM, bus master, SERR, INTx disable) |
 * | Revision, Class code | 0x08   | 0, 0x060000 (host bridge)     | none                          |
 * | Cache line size      | 0x0c   | 0                             | 0xff (latency, header type 0, BIST: none) |
 * | Subsystem vendor/ID  | 0x2c   | 0x1af4, 0x1100                | none                          |
 * | Interrupt line       | 0x3c   | 0                             | 0xff (pin 0: none)            |
 * | device specific      | 0x40-0xff | 0                          | all                           |
 * | anything else        |        | 0                             | none                          |
 *
 * Accesses are byte-granular, as QEMU's: a read returns the bytes at the offset, little-endian, and
 * a write changes only the writable bits of the bytes it covers. The Status register's
 * write-one-to-clear bits never become set here, so ignoring writes to them is exact.
 *
 * The PIO and MMIO windows have nothing decoded in them: reads return all ones, writes are dropped,
 * as on QEMU with no devices assigned.
 */
import type { AccessSize, MmioDevice, Snapshottable } from './device.js';

/** 256 buses × 32 devices × 8 functions × 4 KiB. */
export const PCIE_ECAM_SIZE = 0x1000_0000;
/** Conventional PCI configuration space: the only bytes of 00:00.0 not reading as all ones. */
const CONFIG_SIZE = 0x100;

export const PCI_VENDOR_REDHAT = 0x1b36;
export const PCI_DEVICE_QEMU_PCIE_HOST = 0x0008;

/** The host bridge's configuration space after reset, the bytes QEMU 7.2 shows (only the non-zero ones). */
const HOST_BRIDGE_RESET: ReadonlyArray<readonly [offset: number, value: number]> = [
  [0x00, PCI_VENDOR_REDHAT & 0xff],
  [0x01, PCI_VENDOR_REDHAT >> 8],
  [0x02, PCI_DEVICE_QEMU_PCIE_HOST & 0xff],
  [0x03, PCI_DEVICE_QEMU_PCIE_HOST >> 8],
  [0x0b, 0x06], // class code 0x06 (bridge), subclass 0x00 (host), prog-if 0x00
  [0x2c, 0xf4], // subsystem vendor 0x1af4 (Red Hat, Inc.)
  [0x2d, 0x1a],
  [0x2e, 0x00], // subsystem ID 0x1100 (QEMU)
  [0x2f, 0x11],
];

/** The writable bits of each byte of the host bridge's configuration space. */
const HOST_BRIDGE_WRITE_MASK: Uint8Array = (() => {
  const mask = new Uint8Array(CONFIG_SIZE);
  mask[0x04] = 0x07; // Command: I/O space, memory space, bus master
  mask[0x05] = 0x05; // Command: SERR# enable, interrupt disable
  mask[0x0c] = 0xff; // Cache line size
  mask[0x3c] = 0xff; // Interrupt line
  mask.fill(0xff, 0x40); // device-specific space
  return mask;
})();

export interface PcieHostState {
  /** The host bridge's 256 configuration bytes. */
  readonly hostBridgeConfig: readonly number[];
}

/** The ECAM window: the configuration space of every function on buses 0..255. */
export class PcieEcam implements MmioDevice, Snapshottable<PcieHostState> {
  readonly name = 'pcie-ecam';
  readonly size = PCIE_ECAM_SIZE;
  readonly #config = new Uint8Array(CONFIG_SIZE);

  constructor() {
    this.reset();
  }

  /** Puts the host bridge's configuration space back as after power-on. */
  reset(): void {
    this.#config.fill(0);
    for (const [offset, value] of HOST_BRIDGE_RESET) this.#config[offset] = value;
  }

  read(offset: number, size: AccessSize): bigint {
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.#byte(offset + i));
    return value;
  }

  write(offset: number, size: AccessSize, value: bigint): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at >= CONFIG_SIZE) continue; // another function (absent) or the host bridge's missing extended space
      const mask = HOST_BRIDGE_WRITE_MASK[at]!;
      const byte = Number((value >> BigInt(8 * i)) & 0xffn);
      this.#config[at] = (this.#config[at]! & ~mask) | (byte & mask);
    }
  }

  /** One configuration byte at an ECAM offset: the host bridge's below 0x100 of function 00:00.0, else all ones. */
  #byte(offset: number): number {
    return offset < CONFIG_SIZE ? this.#config[offset]! : 0xff;
  }

  save(): PcieHostState {
    return { hostBridgeConfig: [...this.#config] };
  }

  restore(state: PcieHostState): void {
    if (state.hostBridgeConfig.length !== CONFIG_SIZE) throw new RangeError(`pcie-ecam: snapshot holds ${state.hostBridgeConfig.length} configuration bytes, not ${CONFIG_SIZE}`);
    this.#config.set(state.hostBridgeConfig);
  }
}

/** A PIO or MMIO window of the host bridge with no BAR assigned in it: reads all ones, drops writes. */
export class PcieUnassignedWindow implements MmioDevice {
  constructor(
    readonly name: string,
    readonly size: number,
  ) {}

  read(_offset: number, size: AccessSize): bigint {
    return (1n << BigInt(8 * size)) - 1n;
  }

  write(_offset: number, _size: AccessSize, _value: bigint): void {}
}
