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
/** The design's whole range: the early table maps 16 GiB of RAM. */
export const MAX_GENERATED_RAM = 16n * GiB;

/**
 * The most RAM generated with OpenSBI: its secondary harts spin in its hart-wait loop while the
 * boot hart links every frame, so the boot's steps grow with harts × RAM (104 M steps for 8 harts
 * and 1 GiB, against 6 M with the builtin firmware, whose secondaries sleep in wfi); above 4 GiB
 * that overruns the boot's step budget (BOOT-COMPLETES would fail) and takes minutes per case.
 * Larger RAM is generated with the builtin firmware only (or capped when only OpenSBI is allowed).
 */
export const MAX_OPENSBI_RAM = 4n * GiB;

export const DEFAULT_PLATFORM_SPEC: PlatformSpec = { harts: 4, bootHart: 0, ramSize: 256n * MiB, firmware: 'builtin', ad: 'hardware' };

export interface PlatformArbitraryOptions {
  /** Largest RAM generated (default 16 GiB). A boot links every free frame, so RAM costs boot time. */
  readonly maxRamSize?: bigint;
  readonly minHarts?: number;
  readonly maxHarts?: number;
  readonly firmware?: readonly FirmwareKind[];
  readonly ad?: readonly AdScheme[];
}

const pages = (bytes: bigint): bigint => bytes / PAGE_SIZE;

/** floor(log2(n)) for n >= 1. */
const log2 = (n: bigint): number => n.toString(2).length - 1;

/**
 * A multiple of `unit` in [min, max] (both multiples of `unit`), log-uniform: first a power-of-two
 * size class [2^k, 2^(k+1)), then a multiple within it. Each class is as likely as any other, so a
 * generator up to 16 GiB still draws mostly sizes that boot in a second, and shrinks toward `min`.
 */
function logUniformMultiple(min: bigint, max: bigint, unit: bigint): fc.Arbitrary<bigint> {
  return fc.integer({ min: log2(min), max: log2(max) }).chain((k) => {
    const lo = 1n << BigInt(k) < min ? min : 1n << BigInt(k);
    const hi = 2n << BigInt(k) > max ? max : (2n << BigInt(k)) - unit;
    return fc.bigInt({ min: (lo + unit - 1n) / unit, max: hi / unit }).map((n) => n * unit);
  });
}

/**
 * RAM sizes over the design's whole range, 16 MiB to 16 GiB, biased to the edges it cares about,
 * shrinking toward 16 MiB. The weights trade edges for boot time: at 16 GiB a boot case with the
 * suite's hooks and checks costs about 15 s on the 2-core machine, at 4 GiB about 4 s, below 1 GiB
 * under one. With these weights, of the boot property's 9 generated platforms, 16 GiB is drawn in about
 * half of all seeds (the default seed's included), RAM above 4 GiB (the state it claims) in 97 %,
 * and its boots cost about 28 s in all on the loaded 2-core machine, against 15 s with the former
 * 4 GiB ceiling:
 * - 1 GiB and 1 GiB ± 1 page (weight 5 of 14): the early table's VAS_RAM gigapage count changes there;
 * - 4 GiB (1) and 4 GiB + 1 page (3): a RAM size or byte offset kept in 32 bits wraps to 0 or 4 KiB
 *   there, and 4 GiB + 1 page is the cheapest RAM above 4 GiB;
 * - 16 GiB (1): the largest the design supports, every frame-state byte and the whole early map in use;
 * - 16 MiB, 16 MiB + 1 page, 2 GiB (2): the minimum and the gigapage in between;
 * - a megapage multiple plus 1..511 pages (1): the linear map ends in 4 KiB leaves;
 * - any page multiple (1), log-uniform over size classes like the previous one.
 */
export function ramSizeArbitrary(maxRamSize: bigint = MAX_GENERATED_RAM): fc.Arbitrary<bigint> {
  const max = maxRamSize < MIN_GENERATED_RAM ? MIN_GENERATED_RAM : maxRamSize;
  const within = (sizes: readonly bigint[]): bigint[] => sizes.filter((s) => s >= MIN_GENERATED_RAM && s <= max);
  // the minimum first: withCrossShrink shrinks toward the first arbitrary's first value
  const edges: [readonly bigint[], number][] = [
    [[16n * MiB, 16n * MiB + PAGE_SIZE, 2n * GiB], 2],
    [[GiB - PAGE_SIZE, GiB, GiB + PAGE_SIZE], 5],
    [[4n * GiB], 1],
    [[4n * GiB + PAGE_SIZE], 3],
    [[16n * GiB], 1],
  ];
  const pageMultiple = logUniformMultiple(MIN_GENERATED_RAM, max - (max % PAGE_SIZE), PAGE_SIZE);
  // a megapage multiple plus 1..511 pages: the linear map's tail needs 4 KiB leaves
  // (below 18 MiB there is no megapage count from 8 up to max: --mem 16M must not make fast-check throw)
  const notMegapage = max < 18n * MiB ? [] : [fc
    .tuple(logUniformMultiple(MIN_GENERATED_RAM, ((max - 2n * MiB) / (2n * MiB)) * 2n * MiB, 2n * MiB), fc.bigInt({ min: 1n, max: 511n }))
    .map(([megapages, extra]) => megapages + extra * PAGE_SIZE)
    .filter((s) => s <= max)];
  return fc.oneof(
    { withCrossShrink: true },
    ...edges.map(([sizes, weight]) => ({ sizes: within(sizes), weight })).filter((e) => e.sizes.length > 0).map(({ sizes, weight }) => ({ arbitrary: fc.constantFrom(...sizes), weight })),
    ...notMegapage.map((arbitrary) => ({ arbitrary, weight: 1 })),
    { arbitrary: pageMultiple, weight: 1 },
  );
}

/** Platforms: 1–8 harts, any boot hart, RAM as ramSizeArbitrary (at most MAX_OPENSBI_RAM with OpenSBI), either firmware, either A/D scheme. */
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
    .map(({ harts, bootPosition, ramSize, firmware, ad }) => {
      // above MAX_OPENSBI_RAM the builtin firmware boots it; with OpenSBI alone, the RAM is capped there
      const tooLarge = firmware === 'opensbi' && ramSize > MAX_OPENSBI_RAM;
      const builtinAllowed = (options.firmware ?? FIRMWARE_KINDS).includes('builtin');
      return { harts, bootHart: bootPosition % harts, ramSize: tooLarge && !builtinAllowed ? MAX_OPENSBI_RAM : ramSize, firmware: tooLarge && builtinAllowed ? 'builtin' : firmware, ad };
    });
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
  if (typeof ramSize !== 'bigint' || ramSize % PAGE_SIZE !== 0n || ramSize < MIN_GENERATED_RAM || ramSize > MAX_GENERATED_RAM) bad('ramSize', ramSize, `must be a multiple of 4 KiB from ${formatSize(MIN_GENERATED_RAM)} to ${formatSize(MAX_GENERATED_RAM)}`);
  if (!FIRMWARE_KINDS.includes(v.firmware as FirmwareKind)) bad('firmware', v.firmware, `must be one of ${FIRMWARE_KINDS.join(', ')}`);
  if (!AD_SCHEMES.includes(v.ad as AdScheme)) bad('ad', v.ad, `must be one of ${AD_SCHEMES.join(', ')}`);
  return { harts: harts as number, bootHart: bootHart as number, ramSize: ramSize as bigint, firmware: v.firmware as FirmwareKind, ad: v.ad as AdScheme };
}
