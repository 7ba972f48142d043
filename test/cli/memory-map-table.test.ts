/** The memory-map table formatter (cli/) and `hvspec spec --map`, printing the model's default map. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spec } from '../../cli/commands/spec.js';
import { memoryMapReport } from '../../cli/commands/start.js';
import { expectedRows, formatAddress, formatMapDiff, formatMapTable, observedRows, regionOfVa } from '../../cli/memory-map-table.js';
import { expectedAddressSpace, expectedFixedRuns, virtPlatform } from '../../model/index.js';
import { modelMachine } from '../model/machine.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the memory-map table', () => {
  const platform = virtPlatform();
  it('shows region, VA and PA ranges, size, RWXG and page sizes, with the guard page', () => {
    const table = formatMapTable(expectedRows(expectedAddressSpace(platform, 1)));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^region\s+VA range\s+PA range\s+size\s+RWXG\s+page sizes$/);
    expect(table).toContain('text');
    expect(lines.find((l) => l.startsWith('text'))).toMatch(/0xffffffc0_00200000-0xffffffc0_00206000\s+0x00000000_80200000-0x00000000_80206000\s+24 KiB\s+R-XG\s+4 KiB$/);
    expect(lines.find((l) => l.startsWith('linear map'))).toMatch(/0xffffffe0_00000000-0xffffffe0_10000000\s+0x00000000_80000000-0x00000000_90000000\s+256 MiB\s+RW-G\s+2 MiB$/);
    expect(lines.find((l) => l.startsWith('cpu guard'))).toMatch(/0xffffffc0_40000000-0xffffffc0_40001000\s+unmapped\s+4 KiB\s+----$/);
    expect(lines.find((l) => l.startsWith('cpu stack'))).toMatch(/hart 1's own frames\s+16 KiB\s+RW--\s+4 KiB$/);
    expect(lines.find((l) => l.startsWith('device plic'))).toMatch(/6 MiB\s+RW-G\s+2 MiB$/);
  });

  it('shows observed runs by region', () => {
    const rows = observedRows(modelMachine(platform).harts[0]!.table.runs);
    expect(rows.map((r) => r.region)).toEqual([...Array(4).fill('identity'), ...Array(3).fill('kernel image'), ...Array(7).fill('cpu struct'), 'linear map']);
    expect(rows[4]).toMatchObject({ flags: 'R-XG', size: '24 KiB', pageSizes: '4 KiB' });
    expect([regionOfVa(0x1000n), formatAddress(0xffff_ffc0_0000_0000n)]).toEqual(['identity', '0xffffffc0_00000000']);
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
    expect(out).toBe(memoryMapReport(virtPlatform()));
    expect(out).toMatch(/^Expected memory map \(SPEC.md\): 4 harts, 256 MiB of RAM at 0x80000000, boot hart 0/);
    expect(out).toMatch(/serial console\s+0x00000000_00000000-0x00000000_40000000\s+0x00000000_00000000-0x00000000_40000000\s+1 GiB\s+RW-G/);
    expect(out).toContain('Harts 1-3: the same table');
  });

  it('leaves out the note for one hart', () => {
    expect(memoryMapReport(virtPlatform({ harts: 1 }))).not.toContain('Harts 1-');
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
    expect(lines.at(-2)).toMatch(/^- linear map\s+0xffffffe0_00000000-0xffffffe0_10000000 .*256 MiB\s+RW-G\s+2 MiB$/);
    expect(lines.at(-1)).toMatch(/^\+ linear map\s+0xffffffe0_00000000-0xffffffe0_0ffff000 .*RW-G\s+4 KiB$/);
    expect(formatMapDiff([], [linear]).split('\n').at(-1)).toMatch(/^\+ linear map/);
  });
});
