/**
 * A virtio-mmio transport with no device behind it (`virtio,mmio`), as the virt board has eight
 * of with no `-device` given. Virtio 1.1, section 4.2.2 "MMIO Device Register Layout": DeviceID 0 marks
 * a placeholder transport at a fixed address with no device behind it, and a driver must ignore it
 * (without reporting an error) once it has checked MagicValue and Version (4.2.2.2, driver
 * requirements), so no register past these is ever used.
 *
 * | offset | name       | access | value here                                     |
 * |--------|------------|--------|------------------------------------------------|
 * | 0x000  | MagicValue | R      | 0x74726976 ("virt")                            |
 * | 0x004  | Version    | R      | 2 (the non-legacy interface)                   |
 * | 0x008  | DeviceID   | R      | 0: no device                                   |
 * | 0x00c  | VendorID   | R      | 0x554d4551 ("QEMU", as QEMU's transport says)  |
 * | other  | (all)      | R/W    | read 0, writes ignored                         |
 *
 * As in QEMU 7.2 (hw/virtio/virtio-mmio.c), the registers are 32 bits: a 1- or 2-byte read at an
 * offset gives the low bytes of the register at exactly that offset (0 if none starts there), an
 * 8-byte read the two registers at offset and offset + 4. QEMU 7.2 answers Version 1 unless started
 * with `-global virtio-mmio.force-legacy=false`; a probe without a device behaves the same with
 * either (it stops at DeviceID 0), and this transport is the modern one.
 */
import type { AccessSize, MmioDevice } from './device.js';

export const VIRTIO_MMIO_MAGIC = 0x7472_6976;
export const VIRTIO_MMIO_VERSION = 2;
/** QEMU's vendor ID for its transports ("QEMU" little-endian). */
export const VIRTIO_MMIO_VENDOR_QEMU = 0x554d_4551;
/** Each transport's window. */
export const VIRTIO_MMIO_SIZE = 0x1000;

const REGISTERS: ReadonlyMap<number, number> = new Map([
  [0x000, VIRTIO_MMIO_MAGIC],
  [0x004, VIRTIO_MMIO_VERSION],
  [0x008, 0], // DeviceID: no device
  [0x00c, VIRTIO_MMIO_VENDOR_QEMU],
]);

export class VirtioMmioTransport implements MmioDevice {
  readonly size = VIRTIO_MMIO_SIZE;

  /** `index` is the transport's number on the board (0..7), for traces and errors. */
  constructor(readonly index: number) {}

  get name(): string {
    return `virtio-mmio${this.index}`;
  }

  read(offset: number, size: AccessSize): bigint {
    const at = (o: number): bigint => BigInt(REGISTERS.get(o) ?? 0);
    if (size === 8) return at(offset) | (at(offset + 4) << 32n);
    return at(offset) & ((1n << BigInt(8 * size)) - 1n);
  }

  /** No device: every register a driver may write (Status, QueueSel, ...) ignores the write. */
  write(_offset: number, _size: AccessSize, _value: bigint): void {}
}
