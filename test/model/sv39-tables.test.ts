/** The builder, flatten and walk against each other, and flatten's handling of malformed PTEs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPageTable,
  BuildError,
  canonicalize,
  decodePte,
  encodePte,
  flatten,
  imageReader,
  largestPageRuns,
  mergeRuns,
  MiB,
  PAGE_SIZE,
  pteFor,
  runAt,
  walk,
  withFrame,
  withPte,
  type LeafRun,
  type ReadPhys,
} from '../../model/index.js';
import { canonicalRuns, leafFlags, leafRuns } from './arbitraries.js';

const RW = { r: true, w: true, x: false, u: false, g: true, a: true, d: true };
const run = (va: bigint, pa: bigint, size: bigint, pageSize: bigint, flags = RW): LeafRun => ({ va, pa, size, pageSize, flags, rsw: 0 });

describe('PTE encoding', () => {
  it('decode inverts encode for every field', () => {
    fc.assert(
      fc.property(
        fc.record({ v: fc.boolean(), r: fc.boolean(), w: fc.boolean(), x: fc.boolean(), u: fc.boolean(), g: fc.boolean(), a: fc.boolean(), d: fc.boolean() }),
        fc.bigInt({ min: 0n, max: (1n << 44n) - 1n }),
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: 1023n }),
        (flags, ppn, rsw, reserved) => {
          expect(decodePte(encodePte({ flags, ppn, rsw, reserved }))).toEqual({ flags, ppn, rsw, reserved });
        },
      ),
    );
  });

  it('puts the bits where the spec says: V bit 0 ... D bit 7, RSW 9..8, PPN from bit 10', () => {
    expect(encodePte({ flags: { v: true, d: true }, ppn: 0x80200n, rsw: 2 })).toBe(0x1n | 0x80n | (2n << 8n) | (0x80200n << 10n));
  });
});

describe('build -> flatten round trip', () => {
  it('a table built from runs flattens back to the same runs, merged', () => {
    fc.assert(
      fc.property(leafRuns, (runs) => {
        const image = buildPageTable(runs);
        const flat = flatten(imageReader(image), image.root);
        expect(flat.runs).toEqual(mergeRuns(runs));
        expect(flat.anomalies).toEqual([]);
        expect(new Set(flat.tableFrames)).toEqual(new Set(image.frames.keys()));
      }),
    );
  });

  it('merging is idempotent and building canonical runs needs no more frames than the raw ones', () => {
    fc.assert(
      fc.property(leafRuns, (runs) => {
        expect(mergeRuns(mergeRuns(runs))).toEqual(mergeRuns(runs));
        expect(buildPageTable(mergeRuns(runs)).frames.size).toBe(buildPageTable(runs).frames.size);
      }),
    );
  });
});

describe('walk agrees with flatten', () => {
  const sample = (runs: readonly LeafRun[], picks: readonly { i: number; offset: bigint }[], extra: readonly bigint[]): bigint[] => [
    ...picks.flatMap(({ i, offset }) => {
      const r = runs[i % Math.max(runs.length, 1)];
      return r ? [r.va + (offset % r.size), r.va + r.size - 1n, r.va + r.size] : [];
    }),
    ...extra,
  ];

  const agree = (read: ReadPhys, root: bigint, vas: readonly bigint[]) => {
    const flat = flatten(read, root);
    for (const va of vas) {
      // S-mode load with SUM and MXR: every well-formed leaf permits it, so only structure decides.
      const result = walk(read, root, va, 'load', 'S', true, true);
      const covering = runAt(flat.runs, va);
      if (covering === undefined) {
        expect(result.kind, `VA ${va.toString(16)}`).toBe('fault');
      } else {
        expect(result).toMatchObject({ kind: 'translation', pa: covering.pa + (va - covering.va), pageSize: covering.pageSize, global: covering.flags.g });
      }
    }
  };

  it('on built tables, at sampled addresses inside, at the edges of and outside every run', () => {
    fc.assert(
      fc.property(
        canonicalRuns,
        fc.array(fc.record({ i: fc.nat(), offset: fc.bigInt({ min: 0n, max: 1n << 40n }) }), { maxLength: 20 }),
        fc.array(fc.bigInt({ min: 0n, max: (1n << 39n) - 1n }).map(canonicalize), { maxLength: 10 }),
        (runs, picks, extra) => {
          const image = buildPageTable(runs);
          agree(imageReader(image), image.root, sample(runs, picks, extra));
        },
      ),
    );
  });

  it('on random PTE soup: malformed entries fault in walk and are absent from flatten', () => {
    const FRAMES = [0x1000n, 0x2000n, 0x3000n];
    const pte = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.record({ frame: fc.constantFrom(...FRAMES), flags: fc.record({ v: fc.boolean(), r: fc.boolean(), w: fc.boolean(), x: fc.boolean(), u: fc.boolean(), g: fc.boolean(), a: fc.boolean(), d: fc.boolean() }) }).map(({ frame, flags }) => pteFor(frame, flags)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...FRAMES), fc.integer({ min: 0, max: 7 }), pte), { maxLength: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.bigInt({ min: 0n, max: 4095n })), { maxLength: 30 }),
        (entries, vaParts) => {
          const words = new Map(entries.map(([frame, index, value]) => [frame + BigInt(index) * 8n, value]));
          const read: ReadPhys = (pa) => (FRAMES.includes(pa & ~0xfffn) ? (words.get(pa) ?? 0n) : undefined);
          const vas = vaParts.map(([a, b, c, off]) => (BigInt(a) << 30n) | (BigInt(b) << 21n) | (BigInt(c) << 12n) | off);
          agree(read, 0x1000n, vas);
        },
      ),
    );
  });
});

describe('flatten', () => {
  const base = buildPageTable([run(0x4000_0000n, 0x8000_0000n, PAGE_SIZE, PAGE_SIZE, { ...RW, g: false })], { tableFrameBase: 0x1_0000n });
  // tables: root 0x10000, L1 0x11000, L0 0x12000; the leaf is L0[0], reached through root[1] and L1[0]
  const L0 = 0x1_2000n;

  it('sorts by VA, lower half before upper half, and merges contiguous runs', () => {
    const runs = [
      run(0xffff_ffe0_0000_0000n, 0x8000_0000n, 2n * MiB, 2n * MiB),
      run(0xffff_ffe0_0020_0000n, 0x8020_0000n, 2n * MiB, 2n * MiB),
      run(0x1000n, 0x1000n, PAGE_SIZE, PAGE_SIZE),
    ];
    const image = buildPageTable(runs);
    expect(flatten(imageReader(image), image.root).runs).toEqual([runs[2], { ...runs[0], size: 4n * MiB }]);
  });

  it('does not merge across a change of page size, flags or PA contiguity', () => {
    const runs = [
      run(0x20_0000n, 0x20_0000n, 2n * MiB, 2n * MiB),
      run(0x40_0000n, 0x40_0000n, PAGE_SIZE, PAGE_SIZE),
      run(0x40_1000n, 0x40_1000n, PAGE_SIZE, PAGE_SIZE, { ...RW, w: false, d: false }),
      run(0x40_2000n, 0x90_0000n, PAGE_SIZE, PAGE_SIZE),
    ];
    const image = buildPageTable(runs);
    expect(flatten(imageReader(image), image.root).runs).toEqual(runs);
  });

  it('reports each malformed PTE as an anomaly, not a mapping', () => {
    const cases: [bigint, string][] = [
      [pteFor(0x8000_0000n, { v: true, w: true }), 'write-without-read'],
      [pteFor(0x8000_0000n, { v: true, r: true }) | (1n << 62n), 'reserved-bits'],
      [pteFor(0x1_3000n, { v: true }), 'non-leaf-at-level-0'],
    ];
    for (const [pte, reason] of cases) {
      const flat = flatten(imageReader(withPte(base, L0, pte)), base.root);
      expect(flat.runs).toEqual([]);
      expect(flat.anomalies).toEqual([{ va: 0x4000_0000n, level: 0, pteAddr: L0, pte, reason }]);
    }
  });

  it('reports misaligned superpages, reserved bits on pointers and unreadable tables', () => {
    const misaligned = withPte(base, 0x1_0000n + 8n, pteFor(0x8000_1000n, { v: true, r: true }) & ~0n);
    expect(flatten(imageReader(withPte(misaligned, 0x1_0000n + 8n, pteFor(0x8020_0000n, { v: true, r: true }))), base.root).anomalies).toMatchObject([{ reason: 'misaligned-superpage', level: 2 }]);
    expect(flatten(imageReader(withPte(base, 0x1_0000n + 8n, pteFor(0x1_1000n, { v: true, a: true }))), base.root).anomalies).toMatchObject([{ reason: 'reserved-bits', level: 2 }]);
    const dangling = withPte(base, 0x1_0000n + 16n, pteFor(0x7_0000n, { v: true }));
    const flat = flatten(imageReader(dangling), base.root);
    expect(flat.anomalies.length).toBe(512);
    expect(flat.anomalies[0]).toMatchObject({ reason: 'pte-access', level: 1, va: 0x8000_0000n, pte: null });
  });

  it('refuses an unaligned root, which satp cannot hold', () => {
    expect(() => flatten(imageReader(base), base.root + 8n)).toThrow(/not page aligned/);
  });

  it('computes effective G from pointer PTEs', () => {
    const image = withPte(base, 0x1_0000n + 8n, pteFor(0x1_1000n, { v: true, g: true }));
    expect(flatten(imageReader(image), base.root).runs[0]!.flags.g).toBe(true);
    expect(flatten(imageReader(base), base.root).runs[0]!.flags.g).toBe(false);
  });

  it('lists each table frame once, root first', () => {
    const shared = withPte(base, 0x1_0000n + 16n, pteFor(0x1_1000n, { v: true }));
    const flat = flatten(imageReader(shared), base.root);
    expect(flat.tableFrames).toEqual([0x1_0000n, 0x1_1000n, 0x1_2000n]);
    expect(flat.runs.map((r) => r.va)).toEqual([0x4000_0000n, 0x8000_0000n]);
  });
});

describe('buildPageTable', () => {
  it('refuses overlaps, misalignment, odd page sizes, non-canonical VAs and too few frames', () => {
    const ok = run(0x4000_0000n, 0x8000_0000n, PAGE_SIZE, PAGE_SIZE);
    expect(() => buildPageTable([ok, ok])).toThrow(BuildError);
    expect(() => buildPageTable([run(0x4000_0000n, 0x8000_0000n, 2n * MiB, 2n * MiB), ok])).toThrow(/overlaps/);
    expect(() => buildPageTable([ok, run(0x4000_0000n, 0x8000_0000n, 2n * MiB, 2n * MiB)])).toThrow(/overlaps/);
    expect(() => buildPageTable([run(0x4000_1000n, 0x8000_0000n, 2n * MiB, 2n * MiB)])).toThrow(/aligned/);
    expect(() => buildPageTable([run(0x4000_0000n, 0x8000_0000n, 0x3000n, 0x3000n)])).toThrow(/page size/);
    expect(() => buildPageTable([run(0x40_0000_0000n, 0x8000_0000n, PAGE_SIZE, PAGE_SIZE)])).toThrow(/canonical/);
    expect(() => buildPageTable([ok], { tableFrames: [0x1000n, 0x2000n] })).toThrow(/more than the 2/);
    expect(() => buildPageTable([ok], { tableFrames: [0x1000n, 0x1000n, 0x3000n] })).toThrow(/twice/);
    expect(() => buildPageTable([ok], { tableFrames: [0x1001n] })).toThrow(/not page aligned/);
  });

  it('withPte and withFrame refuse addresses outside the image, and leave the original unchanged', () => {
    const image = buildPageTable([]);
    expect(() => withPte(image, 0x42n, 0n)).toThrow(BuildError);
    expect(() => withFrame(image, image.root)).toThrow(BuildError);
    const grown = withFrame(image, 0x5000n);
    expect(grown.frames.size).toBe(2);
    expect(image.frames.size).toBe(1);
    const changed = withPte(image, image.root, 1n);
    expect(imageReader(image)(image.root)).toBe(0n);
    expect(imageReader(changed)(image.root)).toBe(1n);
    expect(imageReader(changed)(image.root + 4n)).toBeUndefined();
  });
});

describe('largestPageRuns', () => {
  it('uses gigapages, then megapages, then pages as alignment and length allow', () => {
    const runs = largestPageRuns(0xffff_ffe0_0000_0000n, 0x8000_0000n, 0x4060_3000n, RW);
    expect(runs.map((r) => [r.pageSize, r.size])).toEqual([
      [1n << 30n, 1n << 30n],
      [2n * MiB, 6n * MiB],
      [PAGE_SIZE, 0x3000n],
    ]);
  });

  it('falls back to pages when VA and PA disagree in alignment', () => {
    expect(largestPageRuns(0x20_0000n, 0x20_1000n, 4n * MiB, RW).every((r) => r.pageSize === PAGE_SIZE)).toBe(true);
    expect(() => largestPageRuns(0x1000n, 0x1000n, 0x800n, RW)).toThrow(RangeError);
  });

  it('always covers exactly the range with leaves no larger than alignment allows', () => {
    const nearAligned = fc.tuple(fc.bigInt({ min: 0n, max: 1n << 20n }), fc.bigInt({ min: 0n, max: 3n })).map(([mega, page]) => mega * 512n + page);
    fc.assert(
      fc.property(nearAligned, nearAligned, fc.bigInt({ min: 1n, max: 2048n }), leafFlags, (vaPage, paPage, pages, flags) => {
        const runs = largestPageRuns(vaPage * PAGE_SIZE, paPage * PAGE_SIZE, pages * PAGE_SIZE, flags);
        expect(runs.reduce((sum, r) => sum + r.size, 0n)).toBe(pages * PAGE_SIZE);
        const end = (vaPage + pages) * PAGE_SIZE;
        for (const r of runs) {
          expect(r.pa - paPage * PAGE_SIZE).toBe(r.va - vaPage * PAGE_SIZE);
          for (let va = r.va; va < r.va + r.size; va += r.pageSize) {
            const pa = r.pa + (va - r.va);
            expect(va % r.pageSize === 0n && pa % r.pageSize === 0n).toBe(true);
            // the next larger size would not have fitted here
            const larger = r.pageSize === PAGE_SIZE ? 2n * MiB : 1n << 30n;
            if (r.pageSize !== 1n << 30n) expect(va % larger === 0n && pa % larger === 0n && end - va >= larger).toBe(false);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});
