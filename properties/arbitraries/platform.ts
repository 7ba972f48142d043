/**
 * Generated platforms: what the property suite boots the hypervisor on. A PlatformSpec is the small,
 * printable choice (harts, boot hart, RAM size, firmware, A/D scheme); the model's Platform is built
 * after boot from the image's symbols and the device tree the hypervisor really got.
 */
import fc from 'fast-check';
import { formatSize, GiB, hex, MAX_HARTS, MiB, MIN_HARTS, PAGE_SIZE } from '../../model/index.js';

/** Who plays M-mode: the emulator's builtin SBI, or Debian's OpenSBI fw_dynamic. */
export type FirmwareKind = 'builtin' | 'opensbi';
/** How harts treat a leaf with A clear (or D clear on a store): set it (QEMU's way) or fault (Svade). */
export type AdScheme = 'hardware' | 'svade';

export interface PlatformSpec {
  readonly harts: number;
  readonly bootHart: number;
  readonly ramSize: bigint;
  readonly firmware: FirmwareKind;
  readonly ad: AdScheme;
}

export const FIRMWARE_KINDS: readonly FirmwareKind[] = ['builtin', 'opensbi'];
export const AD_SCHEMES: readonly AdScheme[] = ['hardware', 'svade'];
/** Generated RAM sizes lie in [MIN_GENERATED_RAM, MAX_GENERATED_RAM]. */
export const MIN_GENERATED_RAM = 16n * MiB;
export const MAX_GENERATED_RAM = 4n * GiB;

export const DEFAULT_PLATFORM_SPEC: PlatformSpec = { harts: 4, bootHart: 0, ramSize: 256n * MiB, firmware: 'builtin', ad: 'hardware' };

export interface PlatformArbitraryOptions {
  /** Largest RAM generated (default 4 GiB). A boot writes every free frame once, so RAM costs host memory and time. */
  readonly maxRamSize?: bigint;
  readonly minHarts?: number;
  readonly maxHarts?: number;
  readonly firmware?: readonly FirmwareKind[];
  readonly ad?: readonly AdScheme[];
}

const pages = (bytes: bigint): bigint => bytes / PAGE_SIZE;

/**
 * RAM sizes biased to the edges the design cares about: exactly 1 GiB, 1 GiB ± 1 page (the early
 * table's VAS_RAM gigapage count changes there), sizes that are not megapage multiples (the linear
 * map ends in 4 KiB pages), the minimum, and anything page-aligned in range. Shrinks toward 16 MiB.
 */
export function ramSizeArbitrary(maxRamSize: bigint = MAX_GENERATED_RAM): fc.Arbitrary<bigint> {
  const max = maxRamSize < MIN_GENERATED_RAM ? MIN_GENERATED_RAM : maxRamSize;
  const within = (sizes: readonly bigint[]): bigint[] => sizes.filter((s) => s >= MIN_GENERATED_RAM && s <= max);
  const edges = within([16n * MiB, 16n * MiB + PAGE_SIZE, GiB - PAGE_SIZE, GiB, GiB + PAGE_SIZE, 2n * GiB, 4n * GiB]);
  const pageMultiple = fc.bigInt({ min: pages(MIN_GENERATED_RAM), max: pages(max) }).map((n) => n * PAGE_SIZE);
  // a megapage multiple plus 1..511 pages: the linear map's tail needs 4 KiB leaves
  // (below 18 MiB there is no megapage count from 8 up to max: --mem 16M must not make fast-check throw)
  const notMegapage = max < 18n * MiB ? [] : [fc
    .tuple(fc.bigInt({ min: 8n, max: max / (2n * MiB) - 1n }), fc.bigInt({ min: 1n, max: 511n }))
    .map(([mega, extra]) => mega * 2n * MiB + extra * PAGE_SIZE)
    .filter((s) => s <= max)];
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constantFrom(...edges), weight: 4 },
    ...notMegapage.map((arbitrary) => ({ arbitrary, weight: 2 })),
    { arbitrary: pageMultiple, weight: 1 },
  );
}

/** Platforms: 1–8 harts, any boot hart, RAM as ramSizeArbitrary, either firmware, either A/D scheme. */
export function platformSpecArbitrary(options: PlatformArbitraryOptions = {}): fc.Arbitrary<PlatformSpec> {
  const minHarts = options.minHarts ?? MIN_HARTS;
  const maxHarts = options.maxHarts ?? MAX_HARTS;
  return fc
    .record({
      harts: fc.integer({ min: minHarts, max: maxHarts }),
      bootPosition: fc.nat({ max: MAX_HARTS - 1 }),
      ramSize: ramSizeArbitrary(options.maxRamSize),
      firmware: fc.constantFrom(...(options.firmware ?? FIRMWARE_KINDS)),
      ad: fc.constantFrom(...(options.ad ?? AD_SCHEMES)),
    })
    .map(({ harts, bootPosition, ...rest }) => ({ harts, bootHart: bootPosition % harts, ...rest }));
}

/** One line a person reads: "4 harts, boot hart 2, RAM 1 GiB + 4 KiB, builtin firmware, hardware A/D". */
export function formatPlatformSpec(spec: PlatformSpec): string {
  return `${spec.harts} hart${spec.harts === 1 ? '' : 's'}, boot hart ${spec.bootHart}, RAM ${formatRamSize(spec.ramSize)}, ${spec.firmware} firmware, ${spec.ad === 'svade' ? 'Svade (A/D faults)' : 'hardware A/D'}`;
}

/** 1 GiB + 4 KiB reads better than 1073745920 B. */
export function formatRamSize(size: bigint): string {
  const mega = (size / (2n * MiB)) * 2n * MiB;
  if (size === mega || mega === 0n) return formatSize(size);
  const gib = (size / GiB) * GiB;
  const base = size - gib < 2n * MiB && gib > 0n ? gib : mega;
  return `${formatSize(base)} + ${formatSize(size - base)}`;
}

/** Checks a value that claims to be a PlatformSpec (e.g. from a replay token); throws naming the bad field. */
export function checkPlatformSpec(value: unknown): PlatformSpec {
  const bad = (field: string, got: unknown, why: string): never => {
    throw new RangeError(`platform.${field} = ${typeof got === 'bigint' ? hex(got) : JSON.stringify(got)}: ${why}`);
  };
  if (typeof value !== 'object' || value === null) bad('', value, 'must be an object');
  const v = value as Record<string, unknown>;
  const harts = v.harts;
  if (typeof harts !== 'number' || !Number.isInteger(harts) || harts < MIN_HARTS || harts > MAX_HARTS) bad('harts', harts, `must be an integer from ${MIN_HARTS} to ${MAX_HARTS}`);
  const bootHart = v.bootHart;
  if (typeof bootHart !== 'number' || !Number.isInteger(bootHart) || bootHart < 0 || bootHart >= (harts as number)) bad('bootHart', bootHart, `must be a hart below ${harts}`);
  const ramSize = v.ramSize;
  if (typeof ramSize !== 'bigint' || ramSize % PAGE_SIZE !== 0n || ramSize < MIN_GENERATED_RAM || ramSize > 16n * GiB) bad('ramSize', ramSize, 'must be a multiple of 4 KiB from 16 MiB to 16 GiB');
  if (!FIRMWARE_KINDS.includes(v.firmware as FirmwareKind)) bad('firmware', v.firmware, `must be one of ${FIRMWARE_KINDS.join(', ')}`);
  if (!AD_SCHEMES.includes(v.ad as AdScheme)) bad('ad', v.ad, `must be one of ${AD_SCHEMES.join(', ')}`);
  return { harts: harts as number, bootHart: bootHart as number, ramSize: ramSize as bigint, firmware: v.firmware as FirmwareKind, ad: v.ad as AdScheme };
}
