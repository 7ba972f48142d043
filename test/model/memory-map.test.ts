/** The expected final address space and the early boot table, by hand-worked example and by property. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allViolations,
  checkRules,
  CPU_GUARD,
  CPU_STACK_TOP,
  earlyBootTable,
  earlyTableExact,
  expectedAddressSpace,
  formatViolation,
  GiB,
  hex,
  imageReader,
  MiB,
  regionRuns,
  regionsDisjoint,
  virtPlatform,
  walk,
  type ExpectedRegion,
} from '../../model/index.js';
import { platforms } from './arbitraries.js';
import { modelMachine, observe } from './machine.js';

const row = (r: ExpectedRegion) => [r.name, hex(r.va), hex(r.size), r.pa === 'private-frames' ? r.pa : hex(r.pa), `${r.perms.r ? 'r' : '-'}${r.perms.w ? 'w' : '-'}${r.perms.x ? 'x' : '-'}${r.global ? 'g' : '-'}`, r.pageSizes.map(hex).join(',')];

describe('expectedAddressSpace on the default platform', () => {
  const platform = virtPlatform();

  it('lists devices, image sections, the cpu struct and the linear map, sorted by VA', () => {
    expect(expectedAddressSpace(platform, 2).regions.map(row)).toEqual([
      ['device test-finisher', '0x100000', '0x1000', '0x100000', 'rw-g', '0x1000'],
      ['device clint', '0x2000000', '0x10000', '0x2000000', 'rw-g', '0x1000'],
      ['device plic', '0xc000000', '0x600000', '0xc000000', 'rw-g', '0x200000'],
      ['device uart', '0x10000000', '0x1000', '0x10000000', 'rw-g', '0x1000'],
      ['text', '0xffffffc000200000', '0x6000', '0x80200000', 'r-xg', '0x1000'],
      ['rodata', '0xffffffc000206000', '0x2000', '0x80206000', 'r--g', '0x1000'],
      ['data+bss', '0xffffffc000208000', '0x8000', '0x80208000', 'rw-g', '0x1000'],
      ['cpu stack', '0xffffffc040001000', '0x4000', 'private-frames', 'rw--', '0x1000'],
      ['cpu info', '0xffffffc040005000', '0x1000', 'private-frames', 'rw--', '0x1000'],
      ['cpu trap stack', '0xffffffc040006000', '0x2000', 'private-frames', 'rw--', '0x1000'],
      ['linear map', '0xffffffe000000000', '0x10000000', '0x80000000', 'rw-g', '0x200000'],
    ]);
  });

  it('is the same on every hart but for the hart number', () => {
    const spaces = [0, 1, 2, 3].map((h) => expectedAddressSpace(platform, h));
    for (const s of spaces) expect(s.regions).toEqual(spaces[0]!.regions);
    expect(spaces.map((s) => s.hart)).toEqual([0, 1, 2, 3]);
  });

  it('maps a 1.5 GiB + 12 KiB RAM with one gigapage, 256 megapages and 3 pages', () => {
    const p = virtPlatform({ ramSize: GiB + 512n * MiB + 0x3000n });
    const linear = expectedAddressSpace(p, 0).regions.find((r) => r.kind === 'linear-map')!;
    expect(regionRuns(linear).map((r) => [hex(r.va), hex(r.size), hex(r.pageSize)])).toEqual([
      ['0xffffffe000000000', '0x40000000', '0x40000000'],
      ['0xffffffe040000000', '0x20000000', '0x200000'],
      ['0xffffffe060000000', '0x3000', '0x1000'],
    ]);
    expect(linear.pageSizes).toEqual([GiB, 2n * MiB, 0x1000n]);
  });

  it('refuses a hart the platform does not have, and cpu-struct regions have no fixed runs', () => {
    expect(() => expectedAddressSpace(platform, 4)).toThrow(/hart = 4/);
    const cpu = expectedAddressSpace(platform, 0).regions.find((r) => r.kind === 'cpu-struct')!;
    expect(() => regionRuns(cpu)).toThrow(/private frames/);
  });

  it('omits an empty rodata section', () => {
    const image = { ...platform.image, rodata: { start: 0x8020_6000n, end: 0x8020_6000n } };
    expect(expectedAddressSpace(virtPlatform({ image }), 0).regions.map((r) => r.name)).not.toContain('rodata');
  });
});

describe('earlyBootTable', () => {
  const flags = (e: { flags: { r: boolean; w: boolean; x: boolean; g: boolean } }) => `${e.flags.r ? 'r' : '-'}${e.flags.w ? 'w' : '-'}${e.flags.x ? 'x' : '-'}${e.flags.g ? 'g' : '-'}`;

  it('has the four gigapages of the design for RAM up to 1 GiB', () => {
    expect(earlyBootTable(virtPlatform()).map((e) => [e.index, hex(e.va), hex(e.pa), flags(e), e.purpose])).toEqual([
      [0, '0x0', '0x0', 'rw-g', 'serial console'],
      [2, '0x80000000', '0x80000000', 'rwxg', 'identity'],
      [256, '0xffffffc000000000', '0x80000000', 'rwxg', 'kernel image'],
      [384, '0xffffffe000000000', '0x80000000', 'rw-g', 'kernel physical memory'],
    ]);
  });

  it('adds a VAS_RAM gigapage per started GiB when RAM is larger (kmem walks all RAM through it)', () => {
    const entries = earlyBootTable(virtPlatform({ ramSize: 2n * GiB + 0x1000n })).filter((e) => e.purpose === 'kernel physical memory');
    expect(entries.map((e) => [e.index, hex(e.pa)])).toEqual([
      [384, '0x80000000'],
      [385, '0xc0000000'],
      [386, '0x100000000'],
    ]);
    expect(earlyBootTable(virtPlatform({ ramSize: 16n * GiB })).length).toBe(3 + 16);
  });

  it('sets A and D and never U on every entry', () => {
    for (const e of earlyBootTable(virtPlatform({ ramSize: 3n * GiB }))) expect(e.flags).toMatchObject({ a: true, d: true, u: false });
  });
});

describe('laws over every valid platform', () => {
  it('the expected regions are pairwise disjoint in VA (MAP-DISJOINT)', () => {
    fc.assert(
      fc.property(platforms, fc.nat(), (platform, h) => {
        expect(regionsDisjoint(expectedAddressSpace(platform, h % platform.harts))).toBeUndefined();
      }),
    );
  });

  it('a machine built from the model satisfies every rule, the early table BOOT-EARLY', () => {
    fc.assert(
      fc.property(platforms, (platform) => {
        const machine = modelMachine(platform);
        expect(earlyTableExact(platform, machine.earlyTable)).toBeUndefined();
        // The free list of a large RAM is long; observe kmem only where it is cheap.
        const violations = allViolations(observe(machine, platform.ramSize <= 256n * MiB));
        expect(violations.map(formatViolation)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('walking the model machine: descending stores from the stack top first fault in the guard page (STACK-GUARD)', () => {
    fc.assert(
      fc.property(platforms, (platform) => {
        const machine = modelMachine(platform);
        machine.images.forEach((image) => {
          const read = imageReader(image);
          let va = CPU_STACK_TOP - 8n;
          let result = walk(read, image.root, va, 'store', 'S', false, false);
          // mappings are page-granular, so stepping a page at a time finds the same first fault
          while (result.kind === 'translation') {
            va -= 0x1000n;
            result = walk(read, image.root, va, 'store', 'S', false, false);
          }
          expect(result).toMatchObject({ reason: 'invalid', exception: 'StoreAMOPageFault', cause: 15 });
          expect(va).toBe(CPU_GUARD.end - 8n);
          // and the early table is gone: RAM's identity VA and 0 no longer translate
          expect(walk(read, image.root, platform.ramBase, 'fetch', 'S', false, false).kind).toBe('fault');
          expect(walk(read, image.root, 0n, 'load', 'S', false, false).kind).toBe('fault');
        });
      }),
      { numRuns: 10 },
    );
  });

  it('the default machine passes the combined check', () => {
    expect(checkRules(observe(modelMachine(virtPlatform())))).toBeUndefined();
  });
});
