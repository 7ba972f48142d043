/** Platform defaults and validation: every rejection names the field and its value. */
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  checkedPlatform,
  exampleImageLayout,
  formatSize,
  frameStateTableRange,
  GiB,
  hex,
  imageEnd,
  imageLayoutFromSymbols,
  initialFrameState,
  pageOffset,
  isCanonical,
  levelOfPageSize,
  MiB,
  pageRoundDown,
  pageRoundUp,
  PlatformError,
  pteToPa,
  reservedRanges,
  validatePlatform,
  virtDtbRange,
  virtPlatform,
  vpn,
  type Platform,
  type PlatformOptions,
} from '../../model/index.js';

function rejection(options: PlatformOptions): PlatformError {
  try {
    virtPlatform(options);
  } catch (error) {
    if (error instanceof PlatformError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(options, (_, v) => (typeof v === 'bigint' ? hex(v) : v))} to be rejected`);
}

/** Asserts the platform is rejected with a problem on `field` whose value is `value`. */
function expectRejected(options: PlatformOptions, field: string, value: string): void {
  const error = rejection(options);
  expect(error.problems).toContainEqual(expect.objectContaining({ field, value }));
  expect(error.message).toContain(`${field} = ${value}`);
}

describe('the default platform (QEMU virt)', () => {
  const p = virtPlatform();
  it('has 4 harts, boot hart 0, 256 MiB at 0x80000000, OpenSBI in the first 2 MiB', () => {
    expect(p).toMatchObject({ harts: 4, bootHart: 0, ramBase: 0x8000_0000n, ramSize: 256n * MiB, firmware: { start: 0x8000_0000n, end: 0x8020_0000n } });
    expect(validatePlatform(p)).toEqual([]);
  });

  it('loads the example image at 0x80200000 and puts the frame-state table right after _end', () => {
    expect(p.image.text.start).toBe(0x8020_0000n);
    expect(imageEnd(p)).toBe(0x8021_0000n);
    // 65536 frames, one byte each: 16 pages
    expect(frameStateTableRange(p)).toEqual({ start: 0x8021_0000n, end: 0x8022_0000n });
  });

  it('puts the blob where QEMU does: top of RAM minus its size, aligned down to 2 MiB', () => {
    expect(p.dtb).toEqual({ start: 0x8fe0_0000n, end: 0x8fe0_2000n });
    // below the 3 GiB address when RAM starts below it and reaches past it; else below the end of RAM
    expect(virtDtbRange(0x8000_0000n, 8n * GiB, 0x2000n).start).toBe(0xbfe0_0000n);
    expect(virtDtbRange(0x1_0000_0000n, 8n * GiB, 0x2000n).start).toBe(0x2_ffe0_0000n);
    expect(virtDtbRange(0x8000_0000n, 16n * MiB, 0x2000n).start).toBe(0x80e0_0000n);
  });

  it('lists firmware, image, frame-state table, blob and the blob\'s own ranges as reserved, page-rounded', () => {
    const q = virtPlatform({ dtb: { start: 0x8f00_0100n, end: 0x8f00_1100n }, reserved: [{ name: 'r', range: { start: 0x8800_0010n, end: 0x8800_0020n } }] });
    expect(reservedRanges(q).map((r) => [r.name, hex(r.range.start), hex(r.range.end)])).toEqual([
      ['firmware', '0x80000000', '0x80200000'],
      ['image', '0x80200000', '0x80210000'],
      ['frame-state table', '0x80210000', '0x80220000'],
      ['device tree', '0x8f000000', '0x8f002000'],
      ['reserved r', '0x88000000', '0x88001000'],
    ]);
  });

  it('clips reserved ranges to RAM, as the hypervisor does, and drops those wholly outside', () => {
    const q = virtPlatform({
      reserved: [
        { name: 'outside', range: { start: 0x7000_0000n, end: 0x7000_1000n } },
        { name: 'straddling', range: { start: 0x8fff_f800n, end: 0x9000_2000n } },
      ],
    });
    expect(reservedRanges(q).slice(4)).toEqual([{ name: 'reserved straddling', range: { start: 0x8fff_f000n, end: 0x9000_0000n } }]);
  });

  it('accepts a /reserved-memory range inside the firmware\'s (OpenSBI declares its own)', () => {
    expect(() => virtPlatform({ reserved: [{ name: 'mmode_resv0', range: { start: 0x8000_0000n, end: 0x8004_0000n } }] })).not.toThrow();
  });

  it('accepts every hart count from 1 to 8 and every boot hart, RAM from 16 MiB to 16 GiB', () => {
    for (const harts of [1, 8]) for (const bootHart of [0, harts - 1]) expect(() => virtPlatform({ harts, bootHart })).not.toThrow();
    expect(() => virtPlatform({ ramSize: 16n * MiB })).not.toThrow();
    expect(() => virtPlatform({ ramSize: 16n * GiB })).not.toThrow();
  });
});

describe('invalid platforms are rejected, naming field and value', () => {
  const image = exampleImageLayout();
  it('hart counts and boot harts', () => {
    expectRejected({ harts: 0 }, 'harts', '0');
    expectRejected({ harts: 9 }, 'harts', '9');
    expectRejected({ harts: 2.5 }, 'harts', '2.5');
    expectRejected({ harts: 4, bootHart: 4 }, 'bootHart', '4');
    expectRejected({ bootHart: -1 }, 'bootHart', '-1');
  });

  it('RAM: unaligned, too small, too large, base not 1 GiB aligned, base 0, base too high', () => {
    expectRejected({ ramSize: 256n * MiB + 0x800n }, 'ramSize', '0x10000800');
    expectRejected({ ramSize: 16n * MiB - 0x1000n }, 'ramSize', '0xfff000');
    expectRejected({ ramSize: 16n * GiB + 0x1000n }, 'ramSize', '0x400001000');
    expectRejected({ ramBase: 0x8020_0000n }, 'ramBase', '0x80200000');
    expectRejected({ ramBase: 0n }, 'ramBase', '0x0');
    expectRejected({ ramBase: 1n << 38n }, 'ramBase', '0x4000000000');
  });

  it('image: not at the load address, unaligned sections, out of order, outside RAM or its first GiB', () => {
    expectRejected({ image: { ...image, text: { start: 0x8030_0000n, end: 0x8030_6000n } } }, 'image.text.start', '0x80300000');
    expectRejected({ image: { ...image, rodata: { start: 0x8020_6800n, end: 0x8020_8000n } } }, 'image.rodata.start', '0x80206800');
    expectRejected({ image: { ...image, text: { start: 0x8020_0000n, end: 0x8020_5800n } } }, 'image.text.end', '0x80205800');
    expectRejected({ image: { ...image, text: { start: 0x8020_0000n, end: 0x8020_7000n } } }, 'image.rodata.start', '0x80206000');
    expectRejected({ image: { ...image, text: { start: 0x8020_0000n, end: 0x8020_0000n } } }, 'image.text', '[0x80200000, 0x80200000)');
    expectRejected({ image: { ...image, bss: { start: 0x8020_9000n, end: 0x8020_8000n } } }, 'image.bss', '[0x80209000, 0x80208000)');
    expectRejected({ ramSize: 16n * MiB, image: { ...image, bss: { start: 0x8020_9000n, end: 0x8110_0000n } } }, 'image.bss.end', '0x81100000');
    expectRejected({ ramSize: 16n * MiB, image: { ...image, bss: { start: 0x8020_9000n, end: 0x80ff_f800n } } }, 'image.bss.end', '0x80fff800');
    expectRejected({ ramSize: 2n * GiB, image: { ...image, bss: { start: 0x8020_9000n, end: 0xc000_1000n } } }, 'image.bss.end', '0xc0001000');
  });

  it('the blob and reserved ranges: empty, the blob outside RAM, overlapping each other or the image', () => {
    expectRejected({ dtb: { start: 0x9000_0000n, end: 0x9000_1000n } }, 'dtb', '[0x90000000, 0x90001000)');
    expectRejected({ dtb: { start: 0x8f00_0000n, end: 0x8f00_0000n } }, 'dtb', '[0x8f000000, 0x8f000000)');
    expectRejected({ dtb: { start: 0x8020_8000n, end: 0x8020_9000n } }, 'dtb', '[0x80208000, 0x80209000)');
    expectRejected({ dtb: { start: 0x8021_0000n, end: 0x8021_1000n } }, 'dtb', '[0x80210000, 0x80211000)');
    expectRejected({ reserved: [{ name: 'a', range: { start: 0x8f00_0000n, end: 0x8f10_0000n } }, { name: 'b', range: { start: 0x8f0f_f000n, end: 0x8f20_0000n } }] }, 'reserved[1].range', '[0x8f0ff000, 0x8f200000)');
    expectRejected({ reserved: [{ name: 'a', range: { start: 0x8020_0000n, end: 0x8020_1000n } }] }, 'reserved[0].range', '[0x80200000, 0x80201000)');
    expectRejected({ reserved: [{ name: 'a', range: { start: 0x8800_0000n, end: 0x8800_0000n } }] }, 'reserved[0].range', '[0x88000000, 0x88000000)');
  });

  it('firmware: not at the RAM base, reaching the image, empty', () => {
    expectRejected({ firmware: { start: 0x8010_0000n, end: 0x8020_0000n } }, 'firmware.start', '0x80100000');
    expectRejected({ firmware: { start: 0x8000_0000n, end: 0x8030_0000n } }, 'firmware.end', '0x80300000');
    expectRejected({ firmware: { start: 0x8000_0000n, end: 0x8000_0000n } }, 'firmware', '[0x80000000, 0x80000000)');
  });

  it('devices: duplicate names, empty, overlapping RAM or each other, no serial console, console beyond GiB 0', () => {
    const uart = { name: 'uart', base: 0x1000_0000n, size: 0x100n };
    expectRejected({ devices: [uart, { ...uart, base: 0x2000_0000n }] }, 'devices[1].name', 'uart');
    expectRejected({ devices: [uart, { name: 'x', base: 0x2000_0000n, size: 0n }] }, 'devices[1].size', '0x0');
    expectRejected({ devices: [uart, { name: 'x', base: 0x8fff_f000n, size: 0x1000n }] }, 'devices[1].base', '0x8ffff000');
    expectRejected({ devices: [uart, { name: 'x', base: 0x1000_0080n, size: 0x10n }] }, 'devices[1].base', '0x10000080');
    expectRejected({ devices: [uart, { name: 'x', base: 1n << 38n, size: 0x1000n }] }, 'devices[1].base', '0x4000000000');
    expectRejected({ devices: [{ name: 'clint', base: 0x200_0000n, size: 0x1_0000n }] }, 'devices', 'clint');
    expectRejected({ devices: [{ ...uart, base: 0x4000_0000n }], ramBase: 0x1_0000_0000n }, 'devices[0].base', '0x40000000');
  });

  it('reports every problem at once', () => {
    const bad: Platform = { ...virtPlatform(), harts: 0, bootHart: 3 };
    expect(validatePlatform(bad).map((p) => p.field)).toEqual(['harts', 'bootHart']);
    expect(() => checkedPlatform(bad)).toThrow(/harts = 0: must be an integer from 1 to 8; bootHart = 3/);
  });
});

describe('address vocabulary', () => {
  it('vpn, rounding, canonical form, PTE to PA, page sizes, sizes in words', () => {
    expect([vpn(2, 0xffff_ffc0_4000_0000n), vpn(1, 0x4020_3abcn), vpn(0, 0x4020_3abcn)]).toEqual([257, 1, 3]);
    expect([pageRoundDown(0x1fffn), pageRoundUp(0x1001n), pageRoundUp(0x2000n)]).toEqual([0x1000n, 0x2000n, 0x2000n]);
    expect([isCanonical(0x3f_ffff_ffffn), isCanonical(0x40_0000_0000n), isCanonical(0xffff_ffc0_0000_0000n), isCanonical(-1n), isCanonical(1n << 64n)]).toEqual([true, false, true, false, false]);
    expect(canonicalize(0x40_0000_0000n)).toBe(0xffff_ffc0_0000_0000n);
    expect(canonicalize(0x3f_0000_0000n)).toBe(0x3f_0000_0000n);
    expect(pteToPa((0x80200n << 10n) | 0xcfn | (1n << 63n))).toBe(0x8020_0000n);
    expect(() => levelOfPageSize(0x3000n)).toThrow(/not an Sv39 page size: 0x3000/);
    expect([formatSize(GiB), formatSize(6n * MiB), formatSize(0x3000n), formatSize(100n), formatSize(0n)]).toEqual(['1 GiB', '6 MiB', '12 KiB', '100 B', '0 B']);
    expect(hex(-16n)).toBe('-0x10');
  });
});

describe('image layout from the ELF\'s linker symbols', () => {
  const symbols = {
    _text_start: 0xffff_ffc0_0020_0000n,
    _text_end: 0xffff_ffc0_0020_6000n,
    _rodata_start: 0xffff_ffc0_0020_6000n,
    _rodata_end: 0xffff_ffc0_0020_8000n,
    _data_start: 0xffff_ffc0_0020_8000n,
    _data_end: 0xffff_ffc0_0020_9000n,
    _bss_start: 0xffff_ffc0_0020_9000n,
    _bss_end: 0xffff_ffc0_0020_f800n,
  };
  it('turns link addresses into load addresses', () => {
    const image = imageLayoutFromSymbols(symbols, 0x8000_0000n);
    expect(image).toEqual({ ...exampleImageLayout(), bss: { start: 0x8020_9000n, end: 0x8020_f800n } });
    expect(imageEnd(virtPlatform({ image }))).toBe(0x8021_0000n);
  });

  it('names a missing symbol or one outside the kernel gigabyte', () => {
    const { _bss_end: _, ...missing } = symbols;
    expect(() => imageLayoutFromSymbols(missing, 0x8000_0000n)).toThrow(/image symbol _bss_end = missing/);
    expect(() => imageLayoutFromSymbols({ ...symbols, _text_start: 0x8020_0000n }, 0x8000_0000n)).toThrow(/image symbol _text_start = 0x80200000: must be a link address/);
  });
});

describe('small vocabulary', () => {
  it('pageOffset and initialFrameState', () => {
    expect(pageOffset(0xffff_ffc0_0020_1abcn)).toBe(0xabcn);
    const p = virtPlatform();
    expect([initialFrameState(p, 0), initialFrameState(p, 0x220), initialFrameState(p, 0x21f)]).toEqual(['RESERVED', 'FREE', 'RESERVED']);
  });
});
