/** fast-check arbitraries for model tests: leaf runs, random tables, valid platforms. */
import fc from 'fast-check';
import {
  canonicalize,
  GiB,
  KERNEL_LOAD_OFFSET,
  KiB,
  MiB,
  mergeRuns,
  PAGE_SIZE,
  rangesOverlap,
  virtPlatform,
  type LeafFlags,
  type LeafRun,
  type Platform,
} from '../../model/index.js';

const bool = fc.boolean();

/** Leaf flags a well-formed leaf may carry: R or X, and never W without R. */
export const leafFlags: fc.Arbitrary<LeafFlags> = fc
  .record({ r: bool, w: bool, x: bool, u: bool, g: bool, a: bool, d: bool })
  .filter((f) => (f.r || f.x) && !(f.w && !f.r));

const PAGE_SIZES = [PAGE_SIZE, 2n * MiB, GiB] as const;
/** Root indices that make runs share tables and cover both halves of the VA space. */
const ROOT_INDICES = [0, 1, 2, 255, 256, 257, 384, 511];
const smallIndex = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 511 }));

const candidateRun: fc.Arbitrary<LeafRun> = fc
  .record({
    level: fc.constantFrom(0, 1, 2),
    i2: fc.constantFrom(...ROOT_INDICES),
    i1: smallIndex,
    i0: smallIndex,
    pages: fc.integer({ min: 1, max: 3 }),
    paSeed: fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }),
    flags: leafFlags,
    rsw: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ level, i2, i1, i0, pages, paSeed, flags, rsw }) => {
    const pageSize = PAGE_SIZES[level]!;
    const va39 = (BigInt(i2) << 30n) | (level < 2 ? BigInt(i1) << 21n : 0n) | (level < 1 ? BigInt(i0) << 12n : 0n);
    const va = canonicalize(va39);
    const count = BigInt(pages);
    // keep runs inside their half of the VA space (root index 255 is the last lower-half gigabyte)
    const limit = i2 < 256 ? 1n << 38n : 1n << 39n;
    const size = va39 + count * pageSize <= limit ? count * pageSize : pageSize;
    // PAs are 56 bits; leave room for the run and one follow-on page
    const paPages = (1n << 56n) / pageSize - 8n;
    return { va, pa: (paSeed % paPages) * pageSize, size, pageSize, flags, rsw };
  });

/** Pairwise VA-disjoint runs (overlapping candidates dropped), some continuing each other. */
export const leafRuns: fc.Arbitrary<LeafRun[]> = fc.array(candidateRun, { maxLength: 12 }).map((candidates) => {
  const kept: LeafRun[] = [];
  for (const run of candidates) {
    const range = { start: run.va, end: run.va + run.size };
    if (!kept.some((k) => rangesOverlap(range, { start: k.va, end: k.va + k.size }))) kept.push(run);
    // a follow-on run that continues this one, to exercise merging
    const next = { ...run, va: run.va + run.size, pa: run.pa + run.size, size: run.pageSize };
    if (run.va + 2n * run.size < (1n << 64n) && kept.at(-1) === run && !kept.some((k) => rangesOverlap({ start: next.va, end: next.va + next.size }, { start: k.va, end: k.va + k.size }))) {
      if ((next.va >> 38n) === (run.va >> 38n)) kept.push(next);
    }
  }
  return kept;
});

export const canonicalRuns = leafRuns.map(mergeRuns);

/** A valid platform: any hart count and boot hart, RAM from 16 MiB to 16 GiB, varied image and blob. */
export const platforms: fc.Arbitrary<Platform> = fc
  .record({
    harts: fc.integer({ min: 1, max: 8 }),
    bootHartSeed: fc.nat(),
    ramBase: fc.constantFrom(0x8000_0000n, 0x4000_0000n, 0x1_0000_0000n),
    ramSize: fc.oneof(
      { weight: 4, arbitrary: fc.bigInt({ min: 4096n, max: 65536n }).map((pages) => pages * PAGE_SIZE) },
      { weight: 1, arbitrary: fc.bigInt({ min: 16n, max: 16n * 1024n }).map((mib) => mib * MiB) },
    ),
    textPages: fc.integer({ min: 1, max: 600 }),
    rodataPages: fc.integer({ min: 0, max: 40 }),
    dataPages: fc.integer({ min: 0, max: 8 }),
    bssBytes: fc.bigInt({ min: 4096n, max: 128n * KiB }),
    dtbSize: fc.bigInt({ min: 0x100n, max: 0x4000n }),
    firmwareResv: fc.boolean(),
  })
  .map(({ harts, bootHartSeed, ramBase, ramSize, textPages, rodataPages, dataPages, bssBytes, dtbSize, firmwareResv }) => {
    const start = ramBase + KERNEL_LOAD_OFFSET;
    const rodata = start + BigInt(textPages) * PAGE_SIZE;
    const data = rodata + BigInt(rodataPages) * PAGE_SIZE;
    const bss = data + BigInt(dataPages) * PAGE_SIZE;
    const image = {
      text: { start, end: rodata },
      rodata: { start: rodata, end: data },
      data: { start: data, end: bss },
      bss: { start: bss, end: bss + bssBytes },
    };
    return virtPlatform({
      harts,
      bootHart: bootHartSeed % harts,
      ramBase,
      ramSize,
      image,
      dtb: { start: ramBase + ramSize - 0x10_0000n, end: ramBase + ramSize - 0x10_0000n + dtbSize },
      reserved: firmwareResv ? [{ name: 'mmode_resv0@80000000', range: { start: ramBase, end: ramBase + 0x4_0000n } }] : [],
    });
  });
