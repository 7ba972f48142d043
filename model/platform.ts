/**
 * The platform the hypervisor boots on: harts, RAM, what is reserved in RAM, devices, and where the
 * image's sections were loaded. Defaults are QEMU's virt board (SPEC.md "Addresses").
 * A Platform is plain data; `validatePlatform` says what is wrong with one, naming field and value.
 */
import {
  GiB,
  GIGAPAGE_SIZE,
  hex,
  isAligned,
  KiB,
  MEGAPAGE_SIZE,
  MiB,
  PAGE_SIZE,
  pageRoundOutward,
  pageRoundDown,
  pageRoundUp,
  formatRange,
  rangeContains,
  rangesOverlap,
  VA_BITS,
  type Range,
} from './address.js';
import { DESIGN_PARAMETERS, designProblems, type DesignParameters } from './design.js';
import { KERNEL_GIGABYTE, VAS_KERNEL } from './layout.js';

/** An MMIO device, identity-mapped in the final tables (rounded outward to pages). */
export interface Device {
  readonly name: string;
  readonly base: bigint;
  readonly size: bigint;
}

/**
 * Where the image's sections were loaded (physical addresses; linker symbols _text_start.._bss_end).
 * Section starts are 4 KiB aligned; data and bss form one RW region ending at _end = pageRoundUp(bss.end).
 */
export interface ImageLayout {
  readonly text: Range;
  readonly rodata: Range;
  readonly data: Range;
  readonly bss: Range;
}

/** A range the device tree reserves (a /reserved-memory child's reg, or a /memreserve/ entry). */
export interface ReservedRange {
  readonly name: string;
  readonly range: Range;
}

export interface Platform {
  readonly harts: number;
  /** The hart that builds the early table and runs kmem init. */
  readonly bootHart: number;
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  /** What the firmware keeps: [ramBase, ramBase + 2 MiB) on virt with OpenSBI. */
  readonly firmware: Range;
  readonly image: ImageLayout;
  /** The device tree blob: [address in a1, + totalsize). */
  readonly dtb: Range;
  /**
   * Extra reserved ranges the blob declares, as declared; only their part in RAM counts (clipped).
   * They may overlap the firmware's range (OpenSBI declares its own memory there).
   */
  readonly reserved: readonly ReservedRange[];
  readonly devices: readonly Device[];
  /** The design parameters the image was built with (SPEC.md "Design parameters"). */
  readonly design: DesignParameters;
}

export const MIN_HARTS = 1;
export const MAX_HARTS = 8;
export const MIN_RAM_SIZE = 16n * MiB;
export const MAX_RAM_SIZE = 16n * GiB;
export const VIRT_RAM_BASE = 0x8000_0000n;
/** The device named so is the serial console the early table's 0 -> 0 gigapage exists for. */
export const SERIAL_CONSOLE = 'uart';

/** QEMU virt's devices the hypervisor maps (SPEC.md). */
export const VIRT_DEVICES: readonly Device[] = [
  { name: 'test-finisher', base: 0x10_0000n, size: 0x1000n },
  { name: 'clint', base: 0x200_0000n, size: 0x1_0000n },
  { name: 'plic', base: 0xc00_0000n, size: 0x60_0000n },
  { name: 'uart', base: 0x1000_0000n, size: 0x100n },
];

/** Size of the example device tree blob (QEMU virt's is a few KiB after packing). */
export const EXAMPLE_DTB_SIZE = 0x2000n;

/**
 * The example image layout, for when no ELF is at hand (the CLI's default, and tests): 24 KiB of text,
 * 8 KiB of rodata, 4 KiB of data, 28 KiB of bss (which holds the early root table), loaded at
 * ramBase + 2 MiB. Properties build the real layout from the ELF's linker symbols instead.
 */
export function exampleImageLayout(ramBase: bigint = VIRT_RAM_BASE, loadOffset: bigint = DESIGN_PARAMETERS.loadOffset): ImageLayout {
  const start = ramBase + loadOffset;
  return {
    text: { start, end: start + 24n * KiB },
    rodata: { start: start + 24n * KiB, end: start + 32n * KiB },
    data: { start: start + 32n * KiB, end: start + 36n * KiB },
    bss: { start: start + 36n * KiB, end: start + 64n * KiB },
  };
}

/** The linker symbols an image layout is read from (SPEC.md "The platform"). */
export const IMAGE_SYMBOLS = ['_text_start', '_text_end', '_rodata_start', '_rodata_end', '_data_start', '_data_end', '_bss_start', '_bss_end'] as const;

/**
 * The image layout from the ELF's linker symbols (link addresses, VAS_KERNEL + offset), as load
 * addresses: pa = va - VAS_KERNEL + ramBase. Throws naming a missing symbol or one outside
 * VAS_KERNEL's gigabyte.
 */
export function imageLayoutFromSymbols(symbols: Readonly<Record<string, bigint | undefined>>, ramBase: bigint): ImageLayout {
  const pa = (name: (typeof IMAGE_SYMBOLS)[number]): bigint => {
    const va = symbols[name];
    if (va === undefined) throw new PlatformError([{ field: `image symbol ${name}`, value: 'missing', message: 'the ELF must define it' }]);
    if (va < KERNEL_GIGABYTE.start || va >= KERNEL_GIGABYTE.end) {
      throw new PlatformError([{ field: `image symbol ${name}`, value: hex(va), message: `must be a link address in ${formatRange(KERNEL_GIGABYTE)}` }]);
    }
    return va - VAS_KERNEL + ramBase;
  };
  return {
    text: { start: pa('_text_start'), end: pa('_text_end') },
    rodata: { start: pa('_rodata_start'), end: pa('_rodata_end') },
    data: { start: pa('_data_start'), end: pa('_data_end') },
    bss: { start: pa('_bss_start'), end: pa('_bss_end') },
  };
}

/**
 * Where QEMU virt puts the blob (hw/riscv/boot.c): below the end of RAM or the 3 GiB address,
 * whichever is lower (when RAM starts below 3 GiB), minus its size, aligned down to 2 MiB.
 * OpenSBI fw_dynamic passes it on unmoved.
 */
export function virtDtbRange(ramBase: bigint, ramSize: bigint, totalSize: bigint = EXAMPLE_DTB_SIZE): Range {
  const end = ramBase + ramSize;
  const top = ramBase < 3n * GiB && end > 3n * GiB ? 3n * GiB : end;
  const start = pageRoundDown(top - totalSize, MEGAPAGE_SIZE);
  return { start, end: start + totalSize };
}

export interface PlatformOptions {
  readonly harts?: number;
  readonly bootHart?: number;
  readonly ramBase?: bigint;
  readonly ramSize?: bigint;
  readonly firmware?: Range;
  readonly image?: ImageLayout;
  readonly dtb?: Range;
  readonly reserved?: readonly ReservedRange[];
  readonly devices?: readonly Device[];
  readonly design?: DesignParameters;
}

/** The default platform: 4 harts, 256 MiB of RAM, boot hart 0, the example image layout. */
export const DEFAULT_HARTS = 4;
export const DEFAULT_RAM_SIZE = 256n * MiB;

/**
 * A validated QEMU virt platform; anything not given takes the virt default (4 harts, boot hart 0,
 * 256 MiB at 0x8000_0000, OpenSBI's 2 MiB, the example image, the blob where QEMU puts it, no extra
 * reserved ranges, the four devices). Throws PlatformError naming every bad field and its value.
 */
export function virtPlatform(options: PlatformOptions = {}): Platform {
  const ramBase = options.ramBase ?? VIRT_RAM_BASE;
  const ramSize = options.ramSize ?? DEFAULT_RAM_SIZE;
  const design = options.design ?? DESIGN_PARAMETERS;
  const platform: Platform = {
    harts: options.harts ?? DEFAULT_HARTS,
    bootHart: options.bootHart ?? 0,
    ramBase,
    ramSize,
    firmware: options.firmware ?? { start: ramBase, end: ramBase + design.loadOffset },
    image: options.image ?? exampleImageLayout(ramBase, design.loadOffset),
    dtb: options.dtb ?? virtDtbRange(ramBase, ramSize),
    reserved: options.reserved ?? [],
    devices: options.devices ?? VIRT_DEVICES,
    design,
  };
  return checkedPlatform(platform);
}

/** Returns the platform unchanged if valid; otherwise throws PlatformError listing every problem. */
export function checkedPlatform(platform: Platform): Platform {
  const problems = validatePlatform(platform);
  if (problems.length > 0) throw new PlatformError(problems);
  return platform;
}

/** One thing wrong with a platform: the field (a path like `image.text.start`), its value, and why. */
export interface PlatformProblem {
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(readonly problems: readonly PlatformProblem[]) {
    super(`invalid platform: ${problems.map((p) => `${p.field} = ${p.value}: ${p.message}`).join('; ')}`);
  }
}

/** End of RAM (exclusive). */
export function ramEnd(platform: Platform): bigint {
  return platform.ramBase + platform.ramSize;
}

export function ramRange(platform: Platform): Range {
  return { start: platform.ramBase, end: ramEnd(platform) };
}

/** Number of 4 KiB frames of RAM. */
export function ramFrames(platform: Platform): bigint {
  return platform.ramSize / PAGE_SIZE;
}

/** _end: the page-rounded end of bss. */
export function imageEnd(platform: Platform): bigint {
  return pageRoundUp(platform.image.bss.end);
}

/** The whole loaded image, [text start, _end). */
export function imageRange(platform: Platform): Range {
  return { start: platform.image.text.start, end: imageEnd(platform) };
}

/** The frame-state table: 1 byte per frame, from _end, ceil(frames / 4096) pages; empty when the design keeps none (design.frameStateTable). */
export function frameStateTableRange(platform: Platform): Range {
  const start = imageEnd(platform);
  return { start, end: platform.design.frameStateTable ? start + pageRoundUp(ramFrames(platform)) : start };
}

/** A named reserved range, rounded outward to pages. */
export interface NamedRange {
  readonly name: string;
  readonly range: Range;
}

/**
 * Everything in RAM that is never on the free list (SPEC.md "The page allocator"): firmware, image,
 * frame-state table, the blob, and the blob's reserved ranges, each rounded outward to pages.
 */
export function reservedRanges(platform: Platform): readonly NamedRange[] {
  return [
    { name: 'firmware', range: pageRoundOutward(platform.firmware) },
    { name: 'image', range: pageRoundOutward(imageRange(platform)) },
    ...(platform.design.frameStateTable ? [{ name: 'frame-state table', range: frameStateTableRange(platform) }] : []),
    { name: 'device tree', range: pageRoundOutward(platform.dtb) },
    ...platform.reserved.flatMap((r) => {
      const range = blobReservedInRam(platform, r.range);
      return range ? [{ name: `reserved ${r.name}`, range }] : [];
    }),
  ];
}

/** A range the blob reserves, rounded outward to pages and clipped to RAM; undefined when none of it is RAM. */
export function blobReservedInRam(platform: Platform, range: Range): Range | undefined {
  const rounded = pageRoundOutward(range);
  const start = rounded.start > platform.ramBase ? rounded.start : platform.ramBase;
  const end = rounded.end < ramEnd(platform) ? rounded.end : ramEnd(platform);
  return start < end ? { start, end } : undefined;
}

/** The reserved range containing PA `pa`, if any. */
export function reservedRangeAt(platform: Platform, pa: bigint): NamedRange | undefined {
  return reservedRanges(platform).find((r) => r.range.start <= pa && pa < r.range.end);
}

/** Device ranges as mapped: rounded outward to pages. */
export function deviceRange(device: Device): Range {
  return pageRoundOutward({ start: device.base, end: device.base + device.size });
}

const LOWER_HALF_END = 1n << (VA_BITS - 1n);

/** Every problem with `platform`, each naming the field and its value; empty when valid. */
export function validatePlatform(platform: Platform): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  const bad = (field: string, value: string, message: string): void => {
    problems.push({ field, value, message });
  };
  const { harts, bootHart, ramBase, ramSize } = platform;

  if (!Number.isInteger(harts) || harts < MIN_HARTS || harts > MAX_HARTS) {
    bad('harts', String(harts), `must be an integer from ${MIN_HARTS} to ${MAX_HARTS}`);
  }
  if (!Number.isInteger(bootHart) || bootHart < 0 || bootHart >= harts) {
    bad('bootHart', String(bootHart), `must be a hart id below harts (${harts})`);
  }
  if (!isAligned(ramBase, GIGAPAGE_SIZE) || ramBase < GIGAPAGE_SIZE) {
    bad('ramBase', hex(ramBase), 'must be a non-zero multiple of 1 GiB (the early table maps RAM with gigapages, and GiB 0 is the serial console)');
  } else if (ramBase + GIGAPAGE_SIZE > LOWER_HALF_END) {
    bad('ramBase', hex(ramBase), `must be below ${hex(LOWER_HALF_END - GIGAPAGE_SIZE)} (the early identity gigapage needs a canonical lower-half VA)`);
  }
  if (!isAligned(ramSize, PAGE_SIZE)) bad('ramSize', hex(ramSize), 'must be a multiple of 4 KiB');
  if (ramSize < MIN_RAM_SIZE) bad('ramSize', hex(ramSize), `must be at least ${hex(MIN_RAM_SIZE)} (16 MiB)`);
  if (ramSize > MAX_RAM_SIZE) bad('ramSize', hex(ramSize), `must be at most ${hex(MAX_RAM_SIZE)} (16 GiB)`);
  if (problems.some((p) => p.field.startsWith('ram'))) return problems; // everything below is relative to RAM
  problems.push(...designProblems(platform.design));
  if (problems.length > 0) return problems; // everything below reads the design parameters
  const linear = platform.design.earlyTable.linearGigapages;
  if (linear !== 'ram' && BigInt(linear) * GIGAPAGE_SIZE < ramSize) bad('design.earlyTable.linearGigapages', String(linear), `the early linear map must cover RAM (${hex(ramSize)} bytes)`);

  const ram = ramRange(platform);
  checkImage(platform, bad);
  checkRange('firmware', platform.firmware, bad);
  if (platform.firmware.start !== ramBase) bad('firmware.start', hex(platform.firmware.start), `must be the RAM base ${hex(ramBase)}`);
  if (platform.firmware.end > ramBase + platform.design.loadOffset) {
    bad('firmware.end', hex(platform.firmware.end), `must not reach the image at ${hex(ramBase + platform.design.loadOffset)}`);
  }
  checkRange('dtb', platform.dtb, bad);
  if (!rangeContains(ram, platform.dtb)) bad('dtb', formatRange(platform.dtb), `must lie inside RAM ${formatRange(ram)}`);
  platform.reserved.forEach((r, i) => checkRange(`reserved[${i}].range`, r.range, bad));
  if (problems.length === 0) checkReservedDisjoint(platform, bad);
  checkDevices(platform, bad);
  return problems;
}

type Bad = (field: string, value: string, message: string) => void;

function checkRange(field: string, range: Range, bad: Bad): void {
  if (range.end <= range.start) bad(field, formatRange(range), 'must be non-empty (end above start)');
}

function checkImage(platform: Platform, bad: Bad): void {
  const { text, rodata, data, bss } = platform.image;
  const loadAddress = platform.ramBase + platform.design.loadOffset;
  if (text.start !== loadAddress) bad('image.text.start', hex(text.start), `must be the load address ramBase + ${hex(platform.design.loadOffset)} = ${hex(loadAddress)}`);
  checkRange('image.text', text, bad);
  const sections = { text, rodata, data, bss } as const;
  for (const [name, range] of Object.entries(sections)) {
    if (!isAligned(range.start, PAGE_SIZE)) bad(`image.${name}.start`, hex(range.start), 'must be 4 KiB aligned');
    if (range.end < range.start) bad(`image.${name}`, formatRange(range), 'must not end before it starts');
  }
  // text and rodata are mapped with their own permissions, so their ends are page boundaries too.
  for (const [name, range] of Object.entries({ text, rodata })) {
    if (!isAligned(range.end, PAGE_SIZE)) bad(`image.${name}.end`, hex(range.end), 'must be 4 KiB aligned');
  }
  const order: [string, Range, string, Range][] = [
    ['text', text, 'rodata', rodata],
    ['rodata', rodata, 'data', data],
    ['data', data, 'bss', bss],
  ];
  for (const [lowName, low, highName, high] of order) {
    if (low.end > high.start) bad(`image.${highName}.start`, hex(high.start), `must not be below the end of ${lowName} ${hex(low.end)}`);
  }
  const end = imageEnd(platform);
  const table = frameStateTableRange(platform);
  if (end > ramEnd(platform)) {
    bad('image.bss.end', hex(bss.end), `the image must lie inside RAM ${formatRange(ramRange(platform))}`);
  } else if (table.end > ramEnd(platform)) {
    bad('image.bss.end', hex(bss.end), `the frame-state table ${formatRange(table)} after the image must fit in RAM`);
  }
  if (end > platform.ramBase + GIGAPAGE_SIZE) {
    bad('image.bss.end', hex(bss.end), `the image must lie in RAM's first GiB (the early table maps one kernel gigapage) ending ${hex(platform.ramBase + GIGAPAGE_SIZE)}`);
  }
}

function checkReservedDisjoint(platform: Platform, bad: Bad): void {
  // What the platform itself reserves, each with the field to blame when it collides.
  const own: (NamedRange & { field: string; value: string })[] = [
    { name: 'firmware', field: 'firmware', value: formatRange(platform.firmware), range: pageRoundOutward(platform.firmware) },
    { name: 'image', field: 'image.bss.end', value: hex(platform.image.bss.end), range: pageRoundOutward(imageRange(platform)) },
    ...(platform.design.frameStateTable ? [{ name: 'frame-state table', field: 'image.bss.end', value: hex(platform.image.bss.end), range: frameStateTableRange(platform) }] : []),
    { name: 'device tree', field: 'dtb', value: formatRange(platform.dtb), range: pageRoundOutward(platform.dtb) },
  ];
  own.forEach((b, j) => {
    const a = own.slice(0, j).find((a) => rangesOverlap(a.range, b.range));
    if (a) bad(b.field, b.value, `(${b.name}) overlaps the ${a.name} ${formatRange(a.range)}`);
  });
  // The blob's reserved ranges may overlap the firmware's (OpenSBI declares its own memory there).
  const others = own.slice(1);
  platform.reserved.forEach((r, i) => {
    const range = blobReservedInRam(platform, r.range);
    if (range === undefined) return;
    const clash =
      others.find((o) => rangesOverlap(o.range, range)) ??
      platform.reserved
        .slice(0, i)
        .flatMap((o) => {
          const clipped = blobReservedInRam(platform, o.range);
          return clipped ? [{ name: `reserved ${o.name}`, range: clipped }] : [];
        })
        .find((o) => rangesOverlap(o.range, range));
    if (clash) bad(`reserved[${i}].range`, formatRange(r.range), `(${r.name}) overlaps the ${clash.name} ${formatRange(clash.range)}`);
  });
}

function checkDevices(platform: Platform, bad: Bad): void {
  const seen = new Set<string>();
  platform.devices.forEach((device, i) => {
    const field = `devices[${i}]`;
    if (seen.has(device.name)) bad(`${field}.name`, device.name, 'must be unique');
    seen.add(device.name);
    if (device.size <= 0n) {
      bad(`${field}.size`, hex(device.size), `(${device.name}) must be positive`);
      return;
    }
    const range = deviceRange(device);
    if (range.end > LOWER_HALF_END) bad(`${field}.base`, hex(device.base), `(${device.name}) identity mapping needs a canonical lower-half VA, below ${hex(LOWER_HALF_END)}`);
    if (rangesOverlap(range, ramRange(platform))) bad(`${field}.base`, hex(device.base), `(${device.name}) overlaps RAM ${formatRange(ramRange(platform))}`);
    platform.devices.slice(0, i).forEach((other) => {
      if (other.size > 0n && rangesOverlap(range, deviceRange(other))) {
        bad(`${field}.base`, hex(device.base), `(${device.name}) overlaps device ${other.name} ${formatRange(deviceRange(other))}`);
      }
    });
  });
  const serial = platform.devices.find((d) => d.name === SERIAL_CONSOLE);
  if (serial === undefined) {
    bad('devices', platform.devices.map((d) => d.name).join(','), `must include the serial console '${SERIAL_CONSOLE}'`);
  } else if (serial.base + serial.size > GIGAPAGE_SIZE) {
    bad(`devices[${platform.devices.indexOf(serial)}].base`, hex(serial.base), `the serial console must lie in the first GiB (the early table's 0 -> 0 gigapage)`);
  }
}
