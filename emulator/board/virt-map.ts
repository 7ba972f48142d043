/**
 * QEMU 7.2's `virt` board as this emulator models it: the one memory map
 * table shared by the bus and the device tree builder (fdt.ts).
 *
 * Facts from QEMU 7.2 hw/riscv/virt.c (`virt_memmap[]`) and
 * include/hw/riscv/virt.h, checked against the blob `qemu-system-riscv64
 * -machine virt,dumpdtb=...` writes (test/emulator/fdt.test.ts compares).
 * Regions are half-open: a region covers `base <= addr < end`.
 */

/** A half-open physical address range `[base, end)`. */
export interface Region {
  readonly base: number;
  readonly end: number;
}

/** Every fixed region of the board. RAM is not here: its end depends on the configured size (see `ramRegion`). */
export const VIRT_MAP = {
  /** Mask ROM holding the reset vector and the fw_dynamic info (VIRT_MROM: 0x1000, size 0xf000). */
  bootRom: { base: 0x0000_1000, end: 0x0001_0000 },
  /** SiFive test finisher, `sifive,test0` (VIRT_TEST: size 0x1000). */
  test: { base: 0x0010_0000, end: 0x0010_1000 },
  /** CLINT: msip, mtimecmp, mtime (VIRT_CLINT: size 0x1_0000). */
  clint: { base: 0x0200_0000, end: 0x0201_0000 },
  /**
   * PLIC. QEMU sizes the window for its maximum of 512 harts x 2 contexts:
   * 0x20_0000 + 1024 * 0x1000 = 0x60_0000; only the contexts of configured
   * harts respond.
   */
  plic: { base: 0x0c00_0000, end: 0x0c60_0000 },
  /** 16550A UART, `ns16550a` (VIRT_UART0: size 0x100; the 8 registers are its first 8 bytes). */
  uart0: { base: 0x1000_0000, end: 0x1000_0100 },
  /** The eight virtio-mmio transports, `virtio,mmio` (VIRT_VIRTIO: 0x1000 each; see `virtioMmioRegion`). */
  virtio: { base: 0x1000_1000, end: 0x1000_9000 },
  /** PCIe PIO window (VIRT_PCIE_PIO: size 0x1_0000), PCI I/O address 0 at its base. */
  pciePio: { base: 0x0300_0000, end: 0x0301_0000 },
  /** PCIe ECAM configuration space, buses 0..255 (VIRT_PCIE_ECAM: size 0x1000_0000). */
  pcieEcam: { base: 0x3000_0000, end: 0x4000_0000 },
  /** PCIe 32-bit MMIO window, PCI address = CPU address (VIRT_PCIE_MMIO: size 0x4000_0000). */
  pcieMmio: { base: 0x4000_0000, end: 0x8000_0000 },
} as const satisfies Record<string, Region>;

/** virtio-mmio transports on the board (VIRTIO_COUNT) and each one's window (VIRTIO_MMIO_SIZE). */
export const VIRT_VIRTIO_COUNT = 8;
export const VIRT_VIRTIO_SIZE = 0x1000;

/** Transport `n` (0..7) of the virtio-mmio block. */
export function virtioMmioRegion(n: number): Region {
  if (!Number.isInteger(n) || n < 0 || n >= VIRT_VIRTIO_COUNT) throw new RangeError(`virtio-mmio transport ${String(n)} is not 0..${VIRT_VIRTIO_COUNT - 1}`);
  const base = VIRT_MAP.virtio.base + n * VIRT_VIRTIO_SIZE;
  return { base, end: base + VIRT_VIRTIO_SIZE };
}

/** Size of the 64-bit PCIe MMIO window above RAM (VIRT64_HIGH_PCIE_MMIO_SIZE: 16 GiB). */
export const VIRT_PCIE_HIGH_MMIO_SIZE = 0x4_0000_0000;

/**
 * The 64-bit PCIe MMIO window, which QEMU places after RAM: its base is the end of RAM rounded up
 * to the window's size (hw/riscv/virt.c, virt_machine_init), e.g. 0x4_0000_0000 for up to 14 GiB of
 * RAM at 0x8000_0000 and 0x8_0000_0000 above that.
 */
export function pcieHighMmioRegion(ram: Region): Region {
  const base = Math.ceil(ram.end / VIRT_PCIE_HIGH_MMIO_SIZE) * VIRT_PCIE_HIGH_MMIO_SIZE;
  return { base, end: base + VIRT_PCIE_HIGH_MMIO_SIZE };
}

/** Start of RAM (VIRT_DRAM); firmware is entered here. */
export const VIRT_RAM_BASE = 0x8000_0000;
/** Smallest and largest RAM the board accepts (16 MiB to 16 GiB). */
export const VIRT_RAM_MIN_SIZE = 16 * 2 ** 20;
export const VIRT_RAM_MAX_SIZE = 16 * 2 ** 30;

/** Harts the board supports. */
export const VIRT_MAX_HARTS = 8;

/** PLIC interrupt source numbers (include/hw/riscv/virt.h). */
export const VIRT_IRQ = {
  uart0: 10,
  /** virtio-mmio transport n raises source virtio0 + n (VIRTIO_IRQ = 1, so 1..8). */
  virtio0: 1,
  /** PCIe INTA..INTD, swizzled by slot in the host bridge's interrupt-map (PCIE_IRQ = 0x20, so 0x20..0x23). */
  pcieIntA: 0x20,
} as const;

/**
 * PLIC interrupt sources counted as QEMU counts them, source 0 ("no
 * interrupt") included, so sources 1..95 exist. QEMU's device tree says
 * `riscv,ndev = <96>` (VIRT_IRQCHIP_NUM_SOURCES) all the same; we write what QEMU writes.
 */
export const VIRT_PLIC_NUM_SOURCES = 96;
/** Highest PLIC priority (VIRT_IRQCHIP_NUM_PRIO_BITS = 3, so 0..7). */
export const VIRT_PLIC_MAX_PRIORITY = 7;

/** mtime ticks per second: the device tree's `timebase-frequency` (RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const VIRT_TIMEBASE_FREQUENCY = 10_000_000;
/** The UART's input clock as QEMU advertises it (`clock-frequency`, 0x38_4000 Hz). */
export const VIRT_UART_CLOCK_FREQUENCY = 3_686_400;

/** Whether `address` lies in `region`. */
export function regionContains(region: Region, address: number): boolean {
  return address >= region.base && address < region.end;
}

/** Size of `region` in bytes. */
export function regionSize(region: Region): number {
  return region.end - region.base;
}

/** Whether two half-open regions share at least one byte. */
export function regionsOverlap(a: Region, b: Region): boolean {
  return a.base < b.end && b.base < a.end;
}

/**
 * RAM as a region for `size` bytes at `base`. Throws, naming the value, when
 * the size is outside 16 MiB..16 GiB or not a multiple of 4 KiB.
 */
export function ramRegion(size: number, base: number = VIRT_RAM_BASE): Region {
  if (!Number.isSafeInteger(size) || size < VIRT_RAM_MIN_SIZE || size > VIRT_RAM_MAX_SIZE) {
    throw new RangeError(`RAM size ${String(size)} is outside 16 MiB..16 GiB`);
  }
  if (size % 4096 !== 0) {
    throw new RangeError(`RAM size 0x${size.toString(16)} is not a multiple of 4 KiB`);
  }
  return { base, end: base + size };
}
