/**
 * The virt board's empty virtio-mmio transports and PCIe host bridge (emulator/devices/virtio-mmio.ts,
 * pcie-host.ts): register values from their tables, and where the board puts them. The same accesses
 * are compared with QEMU's devices in qemu-qtest.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtioMmioTransport, VIRTIO_MMIO_MAGIC, VIRTIO_MMIO_VENDOR_QEMU } from '../../../emulator/devices/virtio-mmio.js';
import { PcieEcam, PcieUnassignedWindow } from '../../../emulator/devices/pcie-host.js';
import type { AccessSize } from '../../../emulator/devices/device.js';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { pcieHighMmioRegion, ramRegion, regionSize, virtioMmioRegion, VIRT_MAP } from '../../../emulator/board/virt-map.js';
import { boardProgram } from '../board/support.js';

const ecamOffset = (bus: number, device: number, fn: number, register: number): number => (bus << 20) | (device << 15) | (fn << 12) | register;

describe('virtio-mmio transport without a device', () => {
  const t = new VirtioMmioTransport(3);

  it('answers MagicValue, Version 2, DeviceID 0 and QEMU\'s VendorID; every other register reads 0', () => {
    expect(t.name).toBe('virtio-mmio3');
    expect(t.size).toBe(0x1000);
    expect([0x000, 0x004, 0x008, 0x00c].map((o) => t.read(o, 4))).toEqual([BigInt(VIRTIO_MMIO_MAGIC), 2n, 0n, BigInt(VIRTIO_MMIO_VENDOR_QEMU)]);
    for (const o of [0x010, 0x034, 0x044, 0x070, 0x0fc, 0x100, 0xffc]) expect(t.read(o, 4), `offset 0x${o.toString(16)}`).toBe(0n);
  });

  it('narrow reads give the low bytes of the register at that offset; 8-byte reads two registers', () => {
    expect(t.read(0, 1)).toBe(0x76n);
    expect(t.read(0, 2)).toBe(0x6976n);
    expect(t.read(1, 1)).toBe(0n); // no register starts at 1
    expect(t.read(0, 8)).toBe(0x2_7472_6976n);
    expect(t.read(8, 8)).toBe(BigInt(VIRTIO_MMIO_VENDOR_QEMU) << 32n);
  });

  it('ignores every write (Status, QueueSel, config space): the registers read the same after', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3ff }), fc.constantFrom<AccessSize>(1, 2, 4, 8), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (word, size, value) => {
        const fresh = new VirtioMmioTransport(0);
        const offset = (word * 4) & ~(size - 1);
        fresh.write(offset, size, value & ((1n << BigInt(8 * size)) - 1n));
        for (let o = 0; o < 0x20; o += 4) expect(fresh.read(o, 4)).toBe(t.read(o, 4));
        expect(fresh.read(offset, size)).toBe(t.read(offset, size));
      }),
    );
  });
});

describe('PCIe ECAM with only the host bridge', () => {
  it('00:00.0 is QEMU\'s PCIe host bridge: Red Hat 1b36:0008, class 0x060000, subsystem 1af4:1100', () => {
    const ecam = new PcieEcam();
    expect(ecam.read(0x00, 4)).toBe(0x0008_1b36n);
    expect(ecam.read(0x04, 4)).toBe(0n);
    expect(ecam.read(0x08, 4)).toBe(0x0600_0000n);
    expect(ecam.read(0x0c, 4)).toBe(0n); // header type 0, single function
    for (let bar = 0x10; bar <= 0x24; bar += 4) expect(ecam.read(bar, 4)).toBe(0n);
    expect(ecam.read(0x2c, 4)).toBe(0x1100_1af4n);
    expect(ecam.read(0x02, 2)).toBe(0x0008n);
    expect(ecam.read(0x00, 8)).toBe(0x0008_1b36n);
  });

  it('reads all ones from every absent function and from the host bridge\'s bytes past 0x100', () => {
    const ecam = new PcieEcam();
    for (const [bus, device, fn] of [[0, 0, 1], [0, 1, 0], [0, 31, 7], [1, 0, 0], [255, 31, 7]] as const) {
      expect(ecam.read(ecamOffset(bus, device, fn, 0), 4), `${bus}:${device}.${fn}`).toBe(0xffff_ffffn);
      expect(ecam.read(ecamOffset(bus, device, fn, 0x3c), 1)).toBe(0xffn);
      expect(ecam.read(ecamOffset(bus, device, fn, 0), 8)).toBe((1n << 64n) - 1n);
    }
    expect(ecam.read(0x100, 4)).toBe(0xffff_ffffn);
    expect(ecam.read(0xffc, 4)).toBe(0xffff_ffffn);
    expect(ecam.read(0xfe, 4)).toBe(0xffff_0000n); // straddles the end of the 256 bytes
    expect(ecam.size).toBe(0x1000_0000);
  });

  it('latches only the writable bits: Command 0x0507, cache line size, interrupt line, device-specific bytes', () => {
    const ecam = new PcieEcam();
    ecam.write(0x04, 4, 0xffff_ffffn);
    expect(ecam.read(0x04, 4)).toBe(0x0507n);
    ecam.write(0x0c, 4, 0xffff_ffffn);
    expect(ecam.read(0x0c, 4)).toBe(0xffn);
    ecam.write(0x3c, 4, 0xffff_ffffn);
    expect(ecam.read(0x3c, 4)).toBe(0xffn);
    ecam.write(0x48, 8, 0x1122_3344_5566_7788n);
    expect(ecam.read(0x4c, 4)).toBe(0x1122_3344n);
    for (const o of [0x00, 0x08, 0x10, 0x2c, 0x30]) {
      const before = new PcieEcam().read(o, 4);
      ecam.write(o, 4, 0xffff_ffffn);
      expect(ecam.read(o, 4), `offset 0x${o.toString(16)}`).toBe(before);
    }
    ecam.write(ecamOffset(0, 1, 0, 0x04), 4, 0xffff_ffffn); // absent: dropped
    ecam.write(0x100, 4, 0n);
    expect(ecam.read(ecamOffset(0, 1, 0, 0x04), 4)).toBe(0xffff_ffffn);
    expect(ecam.read(0x100, 4)).toBe(0xffff_ffffn);
  });

  it('saves and restores the host bridge\'s configuration bytes, and rejects a snapshot of the wrong size', () => {
    const ecam = new PcieEcam();
    ecam.write(0x40, 4, 0xdead_beefn);
    const saved = structuredClone(ecam.save());
    ecam.write(0x40, 4, 0n);
    ecam.restore(saved);
    expect(ecam.read(0x40, 4)).toBe(0xdead_beefn);
    ecam.reset();
    expect(ecam.read(0x40, 4)).toBe(0n);
    expect(ecam.read(0x00, 4)).toBe(0x0008_1b36n);
    expect(() => ecam.restore({ hostBridgeConfig: [1, 2, 3] })).toThrow(/3 configuration bytes, not 256/);
  });

  it('PIO and MMIO windows decode nothing: all ones at every size, writes dropped', () => {
    const pio = new PcieUnassignedWindow('pcie-pio', 0x1_0000);
    pio.write(0, 4, 0n);
    expect([1, 2, 4, 8].map((s) => pio.read(0, s as AccessSize))).toEqual([0xffn, 0xffffn, 0xffff_ffffn, (1n << 64n) - 1n]);
  });
});

describe('the virt board\'s bus', () => {
  it('puts the transports, ECAM and the PCIe windows where QEMU does, so a PCI scan or virtio probe reads them', () => {
    const m = new VirtMachine({ firmware: 'builtin', payload: boardProgram('hello'), ramSize: 256 * 2 ** 20 });
    const at = (pa: number, size: AccessSize = 4): bigint => {
      const hit = m.bus.deviceAt(pa, size);
      if (hit === undefined) throw new Error(`nothing at 0x${pa.toString(16)}`);
      return hit.device.read(pa - hit.base, size);
    };
    for (let n = 0; n < 8; n++) {
      const base = virtioMmioRegion(n).base;
      expect(base).toBe(0x1000_1000 + n * 0x1000);
      expect([at(base), at(base + 4), at(base + 8)]).toEqual([0x7472_6976n, 2n, 0n]);
    }
    expect(() => virtioMmioRegion(8)).toThrow(/not 0\.\.7/);
    expect(at(0x3000_0000)).toBe(0x0008_1b36n);
    expect(at(0x3000_8004)).toBe(0xffff_ffffn); // the store a PCI scan makes first, here read back
    expect(at(0x3fff_fffc)).toBe(0xffff_ffffn);
    expect(at(0x0300_0000, 1)).toBe(0xffn);
    expect(at(0x7fff_fff8, 8)).toBe((1n << 64n) - 1n);
    const high = pcieHighMmioRegion(ramRegion(256 * 2 ** 20));
    expect(high).toEqual({ base: 0x4_0000_0000, end: 0x8_0000_0000 });
    expect(at(high.base)).toBe(0xffff_ffffn);
    expect(m.bus.deviceAt(high.end, 4)).toBeUndefined();
    expect(regionSize(VIRT_MAP.pcieEcam)).toBe(0x1000_0000);
    const snap = m.snapshot();
    m.bus.deviceAt(0x3000_0040, 4)!.device.write(0x40, 4, 7n);
    m.restore(snap);
    expect(at(0x3000_0040)).toBe(0n);
  });

  it('places the 64-bit PCIe window at the end of RAM rounded up to 16 GiB', () => {
    expect(pcieHighMmioRegion(ramRegion(14 * 2 ** 30)).base).toBe(0x4_0000_0000);
    expect(pcieHighMmioRegion(ramRegion(14 * 2 ** 30 + 4096)).base).toBe(0x8_0000_0000);
    expect(pcieHighMmioRegion(ramRegion(16 * 2 ** 30)).base).toBe(0x8_0000_0000);
  });
});
