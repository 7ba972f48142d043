import { describe, expect, it } from 'vitest';
import { expectedAddressSpace, expectedFixedRuns, GiB, MiB, PAGE_SIZE, RULES, virtPlatform, type LeafRun } from '../../model/index.js';
import { changedRanges } from '../../properties/observe/memory.js';
import { counterexampleSize, formatCounterexample, ruleStatement } from '../../properties/report/counterexample.js';
import { diffRows, expectedRunsForDiff, formatAddress, formatPtdump, trimDiff } from '../../properties/report/ptdump.js';
import { decodeToken } from '../../properties/report/token.js';
import { bootHypervisor } from '../../properties/harness/hypervisor.js';
import { loadImage } from '../../properties/harness/image.js';
import { replayCase } from '../../properties/suite.js';
import { MUTANTS_DIR } from './support.js';

const platform = virtPlatform({ harts: 2, ramSize: 64n * MiB });
const expected = expectedFixedRuns(expectedAddressSpace(platform, 0));

describe('ptdump tables and diffs', () => {
  it('prints one line per run with region, VA, PA, sizes and RWXUGAD flags', () => {
    const text = formatPtdump(diffRows(expected, expected));
    const lines = text.split('\n');
    expect(lines).toHaveLength(expected.length + 1);
    expect(lines[0]).toMatch(/^region\s+VA range\s+PA range\s+size\s+pages\s+RWXUGAD$/);
    expect(text).toMatch(new RegExp(`^linear map +${formatAddress(0xffff_ffe0_0000_0000n)}-${formatAddress(0xffff_ffe0_0400_0000n)} `, 'm'));
    // the model's region names (REGION_NAMES), devices by name: the vocabulary of hvspec spec --map
    expect(lines.slice(1).map((l) => l.split(/ {2,}/)[0])).toEqual(['device test-finisher', 'device clint', 'device plic', 'device uart', 'text', 'rodata', 'data+bss', 'linear map']);
    expect(text).toMatch(/^text .* R-X-GA- *$/m);
  });

  it('marks expected-only runs with - and observed-only runs with +, keeping the rest in VA order', () => {
    const text = expected.find((r) => r.flags.x)!;
    const writable: LeafRun = { ...text, flags: { ...text.flags, w: true, d: true } };
    const observed = expected.map((r) => (r === text ? writable : r));
    const rows = diffRows(expected, observed);
    expect(rows.filter((r) => r.mark !== ' ').map((r) => [r.mark, r.flags])).toEqual([['-', 'R-X-GA-'], ['+', 'RWX-GAD']]);
    const trimmed = trimDiff(rows, 0);
    expect(trimmed).toHaveLength(2);
    expect(formatPtdump(trimmed).split('\n')[1]).toMatch(/^- text /);
  });

  it('expects the cpu struct at the observed frames but with its contract flags', () => {
    const cpu: LeafRun = { va: 0xffff_ffc0_4000_1000n, pa: 0x8100_0000n, size: 7n * PAGE_SIZE, pageSize: PAGE_SIZE, flags: { r: true, w: true, x: false, u: false, g: true, a: true, d: true }, rsw: 0 };
    const runs = expectedRunsForDiff(platform, 0, [...expected, cpu]);
    const mine = runs.find((r) => r.va === cpu.va)!;
    expect(mine.pa).toBe(cpu.pa);
    expect(mine.flags.g).toBe(false);
  });
});

describe('counterexamples', () => {
  const replay = { v: 1, property: 'boot', image: { name: 'mutant.elf', digest: '0011223344556677' }, platform: { harts: 2, bootHart: 1, ramSize: GiB + PAGE_SIZE, firmware: 'builtin', ad: 'hardware' }, seed: 24301, path: '0:1' } as const;

  it('prints rule, statement, platform, diff, where, and a replay line whose token decodes to the case', () => {
    const text = expected.find((r) => r.flags.x)!;
    const observed = expected.map((r) => (r === text ? { ...text, flags: { ...text.flags, w: true } } : r));
    const c = { rule: 'MAP-WX' as const, message: 'hart 0: text is writable and executable', also: [{ rule: 'MAP-EXACT' as const, message: 'hart 0: ...' }], replay, mapDiff: { hart: 0, expected, observed }, where: { hart: 1, pc: 0xffff_ffc0_0020_0000n, what: 'StoreAMOPageFault stval=0x0', time: 12 } };
    const out = formatCounterexample(c);
    expect(out.split('\n')[0]).toBe('MAP-WX violated: hart 0: text is writable and executable');
    expect(out).toContain(`rule: ${ruleStatement('MAP-WX')}`);
    expect(out).toContain('also MAP-EXACT: hart 0: ...');
    expect(out).toContain('platform: 2 harts, boot hart 1, RAM 1 GiB + 4 KiB, builtin firmware, hardware A/D');
    expect(out).toContain('where: hart 1 at pc 0xffffffc000200000: StoreAMOPageFault stval=0x0 (step 12)');
    expect(out).toMatch(/^  - text /m);
    expect(out).toMatch(/^  \+ text /m);
    const line = out.split('\n').find((l) => l.startsWith('replay: hvspec replay '))!;
    expect(line).toContain('(fast-check seed 24301 path "0:1")');
    expect(decodeToken(line.split(' ')[3]!)).toEqual(replay);
    expect(counterexampleSize(c)).toBe(2);
  });

  it('names the diff rows by the booted platform\'s layout when it has one, not by their flags', () => {
    // text mapped RW- instead of R-X: by flags it would read as data+bss; the layout says it is text
    const text = expected.find((r) => r.flags.x)!;
    const rw: LeafRun = { ...text, flags: { ...text.flags, w: true, x: false, d: true } };
    const observed = expected.map((r) => (r === text ? rw : r));
    const c = { rule: 'MAP-EXACT' as const, message: 'hart 0: text is not executable', also: [], replay, mapDiff: { hart: 0, expected, observed } };
    expect(formatCounterexample(c)).toMatch(/^  \+ data\+bss /m);
    const named = formatCounterexample({ ...c, mapDiff: { ...c.mapDiff, layout: platform } });
    expect(named).toMatch(/^  - text .* R-X-GA-$/m);
    expect(named).toMatch(/^  \+ text .* RW--GAD$/m);
    expect(named).not.toMatch(/data\+bss .* RW--GAD$/m);
  });

  it('cites a model rule for a failed boot and a wrong allocator reply, with its statement', () => {
    expect(ruleStatement('BOOT-COMPLETES')).toBe(RULES.find((r) => r.id === 'BOOT-COMPLETES')!.statement);
    const boot = formatCounterexample({ rule: 'BOOT-COMPLETES', message: 'the image neither reported ready nor settled (2 harts, boot hart 1, 16 MiB RAM)', also: [], replay });
    expect(boot).toMatch(/^BOOT-COMPLETES violated: the image neither reported ready nor settled/);
    expect(boot).toContain('  rule: On every platform the design supports');
    const reply = formatCounterexample({ rule: 'KMEM-SEQUENTIAL', message: '"alloc 0" answered "OK alloc hart=0 va=0xffffffe000ffe000 pa=0x80ffe000 nfree=3"; kalloc() returned ...', also: [], replay });
    expect(reply).toMatch(/^KMEM-SEQUENTIAL violated: "alloc 0" answered/);
    expect(reply).toContain('  rule: One call at a time, kalloc and kfree behave exactly as the model\'s sequential allocator');
    // every ID a failure can carry is a model rule's
    for (const r of RULES) expect(ruleStatement(r.id)).toBe(r.statement);
  });
});

describe('memory diff', () => {
  it('reports changed bytes as half-open ranges', () => {
    const before = new Uint8Array([0, 0, 0, 0, 0, 0]);
    const after = new Uint8Array([0, 1, 1, 0, 0, 7]);
    expect(changedRanges(before, after, 0x1000n)).toEqual([{ start: 0x1001n, end: 0x1003n }, { start: 0x1005n, end: 0x1006n }]);
    expect(changedRanges(before, before, 0n)).toEqual([]);
    expect(() => changedRanges(before, after.subarray(1), 0n)).toThrow(/6 bytes before, 5 after/);
  });
});

describe('a booted case\'s counterexample', () => {
  it('carries the booted platform\'s layout with its map diff, so its rows are named as ptdump names them', () => {
    const image = loadImage(`${MUTANTS_DIR}/text-writable.elf`, 'text-writable');
    const spec = { harts: 1, bootHart: 0, ramSize: 16n * MiB, firmware: 'builtin', ad: 'hardware' } as const;
    const outcome = replayCase({ v: 1, property: 'boot', image: { name: image.name, digest: image.digest }, platform: spec }, image);
    expect(outcome.kind).toBe('failed');
    const diff = outcome.kind === 'failed' ? outcome.counterexample.mapDiff : undefined;
    const booted = bootHypervisor(image, spec).platform;
    expect(diff?.layout).toEqual({ ramBase: booted.ramBase, image: booted.image, devices: booted.devices, design: { cpuStruct: booted.design.cpuStruct } });
    const rows = diffRows(diff!.expected, diff!.observed, diff!.layout).filter((r) => r.mark !== ' ');
    expect(rows.map((r) => r.region)).toContain('text');
  });
});
