/**
 * The final per-hart address space (design: "Virtual memory map" and "Virtual memory manager";
 * SPEC.md "The final per-hart address space"): what each hart's own page table maps once vmem is done.
 */
import { hex, PAGE_SIZE, pageRoundUp, rangeContainsAddress, rangeSize, type Range } from './address.js';
import type { EarlyEntryPurpose } from './early-boot.js';
import { DESIGN_CPU_STRUCT, largestLeaf, type CpuStructLayout, type DesignParameters } from './design.js';
import { CPU_STRUCT_GIGABYTE, KERNEL_GIGABYTE, kernelVa, VAS_RAM } from './layout.js';
import { deviceRange, imageEnd, VIRT_DEVICES, type Platform } from './platform.js';
import { largestPageRuns, mergeRuns, type LeafFlags, type LeafRun } from './sv39/mapping.js';

/** The trap stack lies inside the info part (the image keeps no separate trap-stack pages). */
export function trapStackInInfo(cpu: CpuStructLayout): boolean {
  return cpu.trapStack.start >= cpu.info.start && cpu.trapStack.end <= cpu.info.end;
}

export interface Permissions {
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
}

export type RegionKind = 'image' | 'cpu-struct' | 'linear-map' | 'device';

/**
 * One region of the expected map. `pa` is the first PA, or 'private-frames' for the cpu struct, whose
 * frames come from kalloc and so are known only as "this hart's own" (distinct across harts, in RAM,
 * not free, not reserved).
 */
export interface ExpectedRegion {
  readonly name: string;
  readonly kind: RegionKind;
  readonly va: bigint;
  readonly size: bigint;
  readonly pa: bigint | 'private-frames';
  readonly perms: Permissions;
  readonly global: boolean;
  /** The leaf sizes used, largest first. */
  readonly pageSizes: readonly bigint[];
}

export interface ExpectedAddressSpace {
  readonly hart: number;
  /** Sorted by VA (unsigned), pairwise disjoint. */
  readonly regions: readonly ExpectedRegion[];
  /** How the leaves' A/D bits are expected (design.accessedDirty). */
  readonly accessedDirty?: DesignParameters['accessedDirty'];
  /** The largest leaf of the fixed-PA regions (design.largestLeaf; absent: 1 GiB). */
  readonly largestLeaf?: bigint;
}

/**
 * The names of the regions of the hypervisor's address spaces: the one vocabulary of every map
 * table (`hvspec spec --map`, `hvspec ptdump`, counterexamples, the HTML report). The early table's
 * gigapages have names of their own, so its RAM identity gigapage is never confused with a device.
 */
export const REGION_NAMES = {
  text: 'text',
  rodata: 'rodata',
  data: 'data+bss',
  cpuGuard: 'cpu guard',
  cpuStack: 'cpu stack',
  cpuInfo: 'cpu info',
  cpuTrapStack: 'cpu trap stack',
  linearMap: 'linear map',
  /** Elsewhere in the cpu struct's or the image's gigabyte, or the lower half: where nothing is expected. */
  cpuStruct: 'cpu struct',
  kernelImage: 'kernel image',
  lowerHalf: 'lower half',
} as const;

/** A device's region: `device uart`. */
export const deviceRegionName = (device: string): string => `device ${device}`;

/** The early boot table's gigapages by purpose. */
export const EARLY_REGION_NAMES: Readonly<Record<EarlyEntryPurpose, string>> = {
  'serial console': 'early devices',
  identity: 'early identity',
  'kernel image': 'early kernel image',
  'kernel physical memory': 'early linear map',
};

/** What names a VA's region: the platform's devices and image sections (absent: QEMU virt's devices, sections by flags). */
export type RegionLayout = Pick<Platform, 'ramBase' | 'image' | 'devices'> & { readonly design?: Pick<DesignParameters, 'cpuStruct'> };

/**
 * The region of a final page table that `va` lies in, by REGION_NAMES. With the layout, image
 * sections are named by address; without it, a run in the image's gigabyte is named by `flags`
 * (executable text, writable data+bss, else rodata), as the expected map gives them.
 */
export function regionNameAt(va: bigint, layout?: RegionLayout, flags?: { readonly w: boolean; readonly x: boolean }): string {
  const N = REGION_NAMES;
  if (rangeContainsAddress(CPU_STRUCT_GIGABYTE, va)) {
    const cpu = layout?.design?.cpuStruct ?? DESIGN_CPU_STRUCT;
    // (the info part first: a trap stack inside it is named by it)
    const parts: [Range | null, string][] = [[cpu.guard, N.cpuGuard], [cpu.stack, N.cpuStack], [cpu.info, N.cpuInfo], [cpu.trapStack, N.cpuTrapStack]];
    return parts.find(([range]) => range !== null && rangeContainsAddress(range, va))?.[1] ?? N.cpuStruct;
  }
  if (rangeContainsAddress(KERNEL_GIGABYTE, va)) {
    if (layout !== undefined) {
      const { image, ramBase } = layout;
      const sections: [Range, string][] = [[image.text, N.text], [image.rodata, N.rodata], [{ start: image.data.start, end: pageRoundUp(image.bss.end) }, N.data]];
      return sections.find(([s]) => rangeContainsAddress({ start: kernelVa(s.start, ramBase), end: kernelVa(s.end, ramBase) }, va))?.[1] ?? N.kernelImage;
    }
    if (flags === undefined) return N.kernelImage;
    return flags.x ? N.text : flags.w ? N.data : N.rodata;
  }
  if (va >= VAS_RAM) return N.linearMap;
  const device = (layout?.devices ?? VIRT_DEVICES).find((d) => rangeContainsAddress(deviceRange(d), va));
  return device === undefined ? N.lowerHalf : deviceRegionName(device.name);
}

const R__: Permissions = { r: true, w: false, x: false };
const RW_: Permissions = { r: true, w: true, x: false };
const R_X: Permissions = { r: true, w: false, x: true };

/**
 * Leaf flags for a region: U never; A always set and D exactly when W (SPEC.md), or, when the design
 * leaves A/D to the hart (design.accessedDirty 'hardware'), both clear: comparisons then ignore them
 * (comparableRuns).
 */
export function leafFlagsOf(perms: Permissions, global: boolean, accessedDirty: DesignParameters['accessedDirty'] = 'preset'): LeafFlags {
  return accessedDirty === 'hardware' ? { ...perms, u: false, g: global, a: false, d: false } : { ...perms, u: false, g: global, a: true, d: perms.w };
}

/** Observed runs as the expected map is compared with them: A/D cleared (and runs merged again) when the design leaves A/D to the hart. */
export function comparableRuns(design: Pick<DesignParameters, 'accessedDirty'>, runs: readonly LeafRun[]): LeafRun[] {
  if (design.accessedDirty === 'preset') return [...runs];
  return mergeRuns(runs.map((r) => ({ ...r, flags: { ...r.flags, a: false, d: false } })));
}

/** The expected address space of `hart`'s final page table. */
export function expectedAddressSpace(platform: Platform, hart: number): ExpectedAddressSpace {
  if (!Number.isInteger(hart) || hart < 0 || hart >= platform.harts) {
    throw new RangeError(`expectedAddressSpace: hart = ${hart}: must be from 0 to ${platform.harts - 1}`);
  }
  const { ramBase, ramSize, image } = platform;
  const { accessedDirty, cpuStruct } = platform.design;
  const largest = largestLeaf(platform.design);
  const fixed = (name: string, kind: RegionKind, va: bigint, pa: bigint, size: bigint, perms: Permissions): ExpectedRegion => ({
    name,
    kind,
    va,
    size,
    pa,
    perms,
    global: true,
    pageSizes: distinctPageSizes(largestPageRuns(va, pa, size, leafFlagsOf(perms, true, accessedDirty), 0, largest)),
  });
  const imageRegion = (name: string, section: Range, perms: Permissions): ExpectedRegion[] =>
    rangeSize(section) === 0n ? [] : [fixed(name, 'image', kernelVa(section.start, ramBase), section.start, rangeSize(section), perms)];
  const privateRegion = (name: string, range: Range): ExpectedRegion => ({
    name,
    kind: 'cpu-struct',
    va: range.start,
    size: rangeSize(range),
    pa: 'private-frames',
    perms: RW_,
    global: false,
    pageSizes: [PAGE_SIZE],
  });

  const devices = platform.devices
    .map((device) => {
      const range = deviceRange(device);
      return fixed(deviceRegionName(device.name), 'device', range.start, range.start, rangeSize(range), RW_);
    })
    .sort((a, b) => (a.va < b.va ? -1 : 1));
  const regions: ExpectedRegion[] = [
    ...devices,
    ...imageRegion(REGION_NAMES.text, image.text, R_X),
    ...imageRegion(REGION_NAMES.rodata, image.rodata, R__),
    ...imageRegion(REGION_NAMES.data, { start: image.data.start, end: imageEnd(platform) }, RW_),
    privateRegion(REGION_NAMES.cpuStack, cpuStruct.stack),
    privateRegion(REGION_NAMES.cpuInfo, cpuStruct.info),
    ...(trapStackInInfo(cpuStruct) ? [] : [privateRegion(REGION_NAMES.cpuTrapStack, cpuStruct.trapStack)]),
    fixed(REGION_NAMES.linearMap, 'linear-map', VAS_RAM, ramBase, ramSize, RW_),
  ];
  return { hart, regions: regions.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0)), accessedDirty, largestLeaf: largest };
}

/** The leaves of a fixed-PA region, largest pages (up to `largest`) first where alignment allows. */
export function regionRuns(region: ExpectedRegion, accessedDirty: DesignParameters['accessedDirty'] = 'preset', largest?: bigint): LeafRun[] {
  if (region.pa === 'private-frames') throw new RangeError(`regionRuns: ${region.name} has private frames, not a fixed PA`);
  return largestPageRuns(region.va, region.pa, region.size, leafFlagsOf(region.perms, region.global, accessedDirty), 0, largest);
}

/** Every leaf run the space fixes exactly (all but the cpu struct), merged as flatten merges them. */
export function expectedFixedRuns(space: ExpectedAddressSpace): LeafRun[] {
  return mergeRuns(space.regions.filter((r) => r.pa !== 'private-frames').flatMap((r) => regionRuns(r, space.accessedDirty, space.largestLeaf)));
}

function distinctPageSizes(runs: readonly LeafRun[]): bigint[] {
  return [...new Set(runs.map((r) => r.pageSize))].sort((a, b) => (a > b ? -1 : 1));
}

/** A one-line description of a region, for messages. */
export function describeRegion(region: ExpectedRegion): string {
  const pa = region.pa === 'private-frames' ? 'private frames' : hex(region.pa);
  return `${region.name} VA ${hex(region.va)}+${hex(region.size)} -> ${pa}`;
}
