/**
 * The final per-hart address space (design: "Virtual memory map" and "Virtual memory manager";
 * CONTRACT.md "Final per-hart page table"): what each hart's own page table maps once vmem is done.
 */
import { hex, PAGE_SIZE, rangeSize, type Range } from './address.js';
import {
  CPU_INFO,
  CPU_STACK,
  CPU_TRAP_STACK,
  kernelVa,
  VAS_RAM,
} from './layout.js';
import { deviceRange, imageEnd, type Platform } from './platform.js';
import { largestPageRuns, mergeRuns, type LeafFlags, type LeafRun } from './sv39/mapping.js';

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
}

const R__: Permissions = { r: true, w: false, x: false };
const RW_: Permissions = { r: true, w: true, x: false };
const R_X: Permissions = { r: true, w: false, x: true };

/** Leaf flags for a region: A always set, D exactly when W, U never (CONTRACT.md). */
export function leafFlagsOf(perms: Permissions, global: boolean): LeafFlags {
  return { ...perms, u: false, g: global, a: true, d: perms.w };
}

/** The expected address space of `hart`'s final page table. */
export function expectedAddressSpace(platform: Platform, hart: number): ExpectedAddressSpace {
  if (!Number.isInteger(hart) || hart < 0 || hart >= platform.harts) {
    throw new RangeError(`expectedAddressSpace: hart = ${hart}: must be from 0 to ${platform.harts - 1}`);
  }
  const { ramBase, ramSize, image } = platform;
  const fixed = (name: string, kind: RegionKind, va: bigint, pa: bigint, size: bigint, perms: Permissions): ExpectedRegion => ({
    name,
    kind,
    va,
    size,
    pa,
    perms,
    global: true,
    pageSizes: distinctPageSizes(largestPageRuns(va, pa, size, leafFlagsOf(perms, true))),
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
      return fixed(`device ${device.name}`, 'device', range.start, range.start, rangeSize(range), RW_);
    })
    .sort((a, b) => (a.va < b.va ? -1 : 1));
  const regions: ExpectedRegion[] = [
    ...devices,
    ...imageRegion('text', image.text, R_X),
    ...imageRegion('rodata', image.rodata, R__),
    ...imageRegion('data+bss', { start: image.data.start, end: imageEnd(platform) }, RW_),
    privateRegion('cpu stack', CPU_STACK),
    privateRegion('cpu info', CPU_INFO),
    privateRegion('cpu trap stack', CPU_TRAP_STACK),
    fixed('linear map', 'linear-map', VAS_RAM, ramBase, ramSize, RW_),
  ];
  return { hart, regions };
}

/** The leaves of a fixed-PA region, largest pages first where alignment allows. */
export function regionRuns(region: ExpectedRegion): LeafRun[] {
  if (region.pa === 'private-frames') throw new RangeError(`regionRuns: ${region.name} has private frames, not a fixed PA`);
  return largestPageRuns(region.va, region.pa, region.size, leafFlagsOf(region.perms, region.global));
}

/** Every leaf run the space fixes exactly (all but the cpu struct), merged as flatten merges them. */
export function expectedFixedRuns(space: ExpectedAddressSpace): LeafRun[] {
  return mergeRuns(space.regions.filter((r) => r.pa !== 'private-frames').flatMap(regionRuns));
}

function distinctPageSizes(runs: readonly LeafRun[]): bigint[] {
  return [...new Set(runs.map((r) => r.pageSize))].sort((a, b) => (a > b ? -1 : 1));
}

/** A one-line description of a region, for messages. */
export function describeRegion(region: ExpectedRegion): string {
  const pa = region.pa === 'private-frames' ? 'private frames' : hex(region.pa);
  return `${region.name} VA ${hex(region.va)}+${hex(region.size)} -> ${pa}`;
}
