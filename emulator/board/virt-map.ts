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
} as const satisfies Record<string, Region>;

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
