/** The memory-map table formatter (cli/) and `hvspec spec --map`, printing the model's map with an image's sections; one vocabulary with ptdump. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spec } from '../../cli/commands/spec.js';
import { imagePlatform, memoryMapReport } from '../../cli/commands/start.js';
import { loadUserImage } from '../../cli/commands/image.js';
import { UsageError } from '../../cli/usage.js';
import { expectedRows, formatAddress, formatMapDiff, formatMapTable, observedRows, regionOfVa } from '../../cli/memory-map-table.js';
import { EARLY_REGION_NAMES, expectedAddressSpace, expectedFixedRuns, REGION_NAMES, virtPlatform } from '../../model/index.js';
import { diffRows, expectedRunsForDiff, FLAG_COLUMNS } from '../../properties/index.js';
import { modelMachine } from '../model/machine.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the memory-map table', () => {
  const platform = virtPlatform();
  it('shows region, VA and PA ranges, size, RWXUGAD and page sizes, with the guard page', () => {
    const table = formatMapTable(expectedRows(expectedAddressSpace(platform, 1)));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^region\s+VA range\s+PA range\s+size\s+RWXUGAD\s+page sizes$/);
    expect(table).toContain('text');
    expect(lines.find((l) => l.startsWith('text'))).toMatch(/0xffffffc0_00200000-0xffffffc0_00206000\s+0x00000000_80200000-0x00000000_80206000\s+24 KiB\s+R-X-GA-\s+4 KiB$/);
    expect(lines.find((l) => l.startsWith('linear map'))).toMatch(/0xffffffe0_00000000-0xffffffe0_10000000\s+0x00000000_80000000-0x00000000_90000000\s+256 MiB\s+RW--GAD\s+2 MiB$/);
    expect(lines.find((l) => l.startsWith('cpu guard'))).toMatch(/0xffffffc0_40000000-0xffffffc0_40001000\s+unmapped\s+4 KiB\s+-------$/);
    expect(lines.find((l) => l.startsWith('cpu stack'))).toMatch(/hart 1's own frames\s+16 KiB\s+RW---AD\s+4 KiB$/);
    expect(lines.find((l) => l.startsWith('device plic'))).toMatch(/6 MiB\s+RW--GAD\s+2 MiB$/);
  });

  it('shows observed runs by region', () => {
    const rows = observedRows(modelMachine(platform).harts[0]!.table.runs);
    const named = ['device test-finisher', 'device clint', 'device plic', 'device uart', 'text', 'rodata', 'data+bss', ...Array(4).fill('cpu stack'), 'cpu info', 'cpu trap stack', 'cpu trap stack', 'linear map'];
    expect(rows.map((r) => r.region)).toEqual(named);
    // by address with the platform, the same names
    expect(observedRows(modelMachine(platform).harts[0]!.table.runs, platform).map((r) => r.region)).toEqual(named);
    expect(rows[4]).toMatchObject({ flags: 'R-X-GA-', size: '24 KiB', pageSizes: '4 KiB' });
    expect([regionOfVa(0x1000n), regionOfVa(0x1000_0000n), regionOfVa(0x8000_0000n), formatAddress(0xffff_ffc0_0000_0000n)]).toEqual(['lower half', 'device uart', 'lower half', '0xffffffc0_00000000']);
  });

  it('names every region as ptdump and the expected map do, with the same flag columns', () => {
    const space = expectedAddressSpace(platform, 0);
    const observed = modelMachine(platform).harts[0]!.table.runs;
    const ptdumpNames = new Set(diffRows(expectedRunsForDiff(platform, 0, observed), observed, platform).map((r) => r.region));
    const mapNames = new Set(expectedRows(space).map((r) => r.region).filter((n) => n !== REGION_NAMES.cpuGuard));
    expect([...ptdumpNames]).toEqual([...mapNames]);
    expect(formatMapTable(expectedRows(space)).split('\n')[0]).toContain(FLAG_COLUMNS);
    // a run in the image gigabyte named by address: a writable text is still text
    const text = space.regions.find((r) => r.name === 'text')!;
    expect(regionOfVa(text.va, platform)).toBe('text');
    // where nothing is expected: the gigabyte's own name, never another region's
    expect([regionOfVa(0xffff_ffc0_4010_0000n), regionOfVa(0xffff_ffc0_3000_0000n, platform), regionOfVa(0xffff_ffc0_3000_0000n)]).toEqual(['cpu struct', 'kernel image', 'kernel image']);
    expect(observedRows([{ va: text.va, pa: 0x8020_0000n, size: 0x1000n, pageSize: 0x1000n, flags: { r: true, w: true, x: false, u: false, g: true, a: true, d: true }, rsw: 0 }], platform)[0]!.region).toBe('text');
  });
});

describe('hvspec spec --map', () => {
  it("prints the early table, hart 0's map and a note on the other harts, and returns 0", async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await spec(['--map'])).toBe(0);
    const bundled = loadUserImage('spec', '--image', 'hypervisor/build/hypervisor.elf');
    expect(out).toBe(memoryMapReport(imagePlatform(bundled), 'hypervisor/build/hypervisor.elf'));
    expect(out).toMatch(/^Expected memory map \(SPEC.md\): 4 harts, 256 MiB of RAM at 0x80000000, boot hart 0, the sections of hypervisor\/build\/hypervisor.elf/);
    expect(out).toMatch(/^early devices\s+0x00000000_00000000-0x00000000_40000000\s+0x00000000_00000000-0x00000000_40000000\s+1 GiB\s+RW--GAD/m);
    expect(out).toMatch(/^early identity\s+0x00000000_80000000-/m);
    // the bundled image's own text, from its symbols, not the example layout's 24 KiB
    const text = bundled.elf.symbol('_text_end')!.value - bundled.elf.symbol('_text_start')!.value;
    expect(out).toMatch(new RegExp(`^text\\s+0xffffffc0_00200000-\\S+\\s+\\S+\\s+${text / 1024n} KiB\\s+R-X-GA-`, 'm'));
    expect(out).toContain('Harts 1-3: the same table');
    expect(Object.values(EARLY_REGION_NAMES).every((n) => out.includes(n))).toBe(true);
  });

  it("prints another image's sections with --image, and refuses --image without --map", async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await spec(['--map', '--image', 'hypervisor/build/mutants/text-writable.elf'])).toBe(0);
    expect(out).toContain('the sections of hypervisor/build/mutants/text-writable.elf');
    await expect(spec(['--image', 'hypervisor/build/hypervisor.elf'])).rejects.toThrow(UsageError);
    await expect(spec(['--map', '--image', 'package.json'])).rejects.toThrow(/--image package.json: not an ELF file/);
  });

  it('leaves out the note for one hart', () => {
    expect(memoryMapReport(virtPlatform({ harts: 1 }), 'x.elf')).not.toContain('Harts 1-');
  });
});

describe('the memory-map diff', () => {
  it('marks expected runs that are missing with - and unexpected ones with +, keeping equal ones', () => {
    const platform = virtPlatform();
    const expected = expectedFixedRuns(expectedAddressSpace(platform, 0));
    const linear = expected.at(-1)!;
    const observed = [...expected.slice(0, -1), { ...linear, size: linear.size - 0x1000n, pageSize: 0x1000n }];
    const lines = formatMapDiff(expected, observed).split('\n');
    expect(lines[0]).toMatch(/^  region\s+VA range/);
    expect(lines.filter((l) => l.startsWith('  ')).length).toBe(2 + expected.length - 1);
    expect(lines.at(-2)).toMatch(/^- linear map\s+0xffffffe0_00000000-0xffffffe0_10000000 .*256 MiB\s+RW--GAD\s+2 MiB$/);
    expect(lines.at(-1)).toMatch(/^\+ linear map\s+0xffffffe0_00000000-0xffffffe0_0ffff000 .*RW--GAD\s+4 KiB$/);
    expect(formatMapDiff([], [linear]).split('\n').at(-1)).toMatch(/^\+ linear map/);
  });
});
