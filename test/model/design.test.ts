/**
 * The design parameters (SPEC.md "Design parameters"): a platform built the way the foreign-hv fixture
 * is (1 MiB load offset, info page / guard / 4-page stack, hardware A/D, early table without G and 16
 * linear gigapages, no frame-state table) is judged by its own layout, and each parameter changes
 * exactly what its rule claims.
 */
import { describe, expect, it } from 'vitest';
import {
  accessedDirtyPreset,
  allViolations,
  cpuStructPart,
  cpuStructPages,
  DESIGN_PARAMETERS,
  earlyBootTable,
  expectedAddressSpace,
  GiB,
  matchesExpected,
  MiB,
  PlatformError,
  REGION_NAMES,
  regionNameAt,
  reservedRanges,
  stackGuarded,
  VAS_CPU_STRUCT,
  VIRT_RAM_BASE,
  virtPlatform,
  exampleImageLayout,
  type DesignParameters,
  type LeafRun,
} from '../../model/index.js';
import { modelMachine, observe } from './machine.js';

const FIXTURE_DESIGN: DesignParameters = {
  loadOffset: 1n * MiB,
  cpuStruct: { info: cpuStructPart(0n, 0x1000n), guard: cpuStructPart(0x1000n, 0x1000n), stack: cpuStructPart(0x2000n, 0x4000n), trapStack: cpuStructPart(0n, 0x1000n) },
  accessedDirty: 'hardware',
  earlyTable: { global: false, linearGigapages: 16 },
  frameStateTable: false,
  allocationOrder: 'descending',
  badFree: 'panic',
};
const fixture = (ramSize = 256n * MiB) => virtPlatform({ ramSize, design: FIXTURE_DESIGN, image: exampleImageLayout(VIRT_RAM_BASE, FIXTURE_DESIGN.loadOffset) });

describe('design parameters', () => {
  it("a model machine built to the fixture's parameters satisfies every rule", () => {
    for (const ramSize of [16n * MiB, 256n * MiB, GiB + 0x1000n]) expect(allViolations(observe(modelMachine(fixture(ramSize))))).toEqual([]);
  });

  it("the same machine judged by SPEC.md's parameters breaks MAP-EXACT, MAP-AD and BOOT-EARLY", () => {
    const m = modelMachine(fixture());
    const asDesign = { ...m, platform: { ...m.platform, design: { ...DESIGN_PARAMETERS, loadOffset: FIXTURE_DESIGN.loadOffset } } };
    const rules = allViolations(observe(asDesign)).map((v) => v.rule);
    expect(rules).toEqual(expect.arrayContaining(['MAP-EXACT', 'MAP-AD', 'BOOT-EARLY']));
  });

  it('loadOffset moves the load address the image must start at, and the firmware may own what is below', () => {
    expect(fixture().firmware).toEqual({ start: VIRT_RAM_BASE, end: VIRT_RAM_BASE + MiB });
    const atTwoMiB = () => virtPlatform({ design: FIXTURE_DESIGN, image: exampleImageLayout(VIRT_RAM_BASE, 2n * MiB) });
    expect(atTwoMiB).toThrow(PlatformError);
    expect(atTwoMiB).toThrow(/image\.text\.start = 0x80200000: must be the load address ramBase \+ 0x100000 = 0x80100000/);
  });

  it('the cpu struct: info, guard and stack as given, the trap stack inside the info page, 5 pages', () => {
    const p = fixture();
    expect(cpuStructPages(p.design.cpuStruct)).toBe(5);
    const cpu = expectedAddressSpace(p, 0).regions.filter((r) => r.kind === 'cpu-struct').map((r) => [r.name, r.va - VAS_CPU_STRUCT, r.size]);
    expect(cpu).toEqual([[REGION_NAMES.cpuInfo, 0n, 0x1000n], [REGION_NAMES.cpuStack, 0x2000n, 0x4000n]]);
    expect(regionNameAt(VAS_CPU_STRUCT + 0x1800n, p)).toBe(REGION_NAMES.cpuGuard);
    expect(regionNameAt(VAS_CPU_STRUCT + 0x800n, p)).toBe(REGION_NAMES.cpuInfo);
    expect(regionNameAt(VAS_CPU_STRUCT + 0x5800n, p)).toBe(REGION_NAMES.cpuStack);
  });

  it('MAP-EXACT under the fixture layout: a mapped guard, a missing info page or a 6th page is wrong', () => {
    const m = modelMachine(fixture());
    const runs = m.harts[0]!.table.runs;
    expect(matchesExpected(m.platform, 0, runs)).toBeUndefined();
    const info = runs.find((r) => r.va === VAS_CPU_STRUCT)!;
    const guardMapped = [...runs, { ...info, va: VAS_CPU_STRUCT + 0x1000n, pa: 0x8f00_0000n }].sort((a, b) => (a.va < b.va ? -1 : 1));
    expect(matchesExpected(m.platform, 0, guardMapped)?.message).toMatch(/cpu struct VA \[0xffffffc040001000.*where 0xffffffc040002000 should be mapped next/);
    expect(stackGuarded(guardMapped, m.platform.design.cpuStruct)?.message).toMatch(/guard page \[0xffffffc040001000, 0xffffffc040002000\) is mapped/);
    expect(matchesExpected(m.platform, 0, runs.filter((r) => r !== info))?.message).toMatch(/0xffffffc040000000 should be mapped next/);
    // the bundled layout's guard page (+0) is the fixture's info page: mapped there, STACK-GUARD by SPEC.md's layout fails
    expect(stackGuarded(runs)?.rule).toBe('STACK-GUARD');
  });

  it("MAP-AD with hardware A/D: A and D may be clear or set, but D never without W", () => {
    const run = (w: boolean, a: boolean, d: boolean): LeafRun => ({ va: 0xffff_ffe0_0000_0000n, pa: VIRT_RAM_BASE, size: 0x1000n, pageSize: 0x1000n, flags: { r: true, w, x: false, u: false, g: true, a, d }, rsw: 0 });
    expect(accessedDirtyPreset([run(true, false, false), run(false, true, false), run(true, true, true)], 'hardware')).toBeUndefined();
    expect(accessedDirtyPreset([run(false, true, true)], 'hardware')?.message).toMatch(/D set but W clear/);
    expect(accessedDirtyPreset([run(true, false, false)], 'preset')?.message).toMatch(/A clear/);
  });

  it('the early table: no G, 16 linear gigapages whatever the RAM, none of them covering less than RAM', () => {
    const entries = earlyBootTable(fixture(16n * MiB));
    expect(entries.filter((e) => e.purpose === 'kernel physical memory')).toHaveLength(16);
    expect(entries.every((e) => !e.flags.g && !e.flags.a && !e.flags.d)).toBe(true);
    expect(() => virtPlatform({ ramSize: 2n * GiB, design: { ...FIXTURE_DESIGN, earlyTable: { global: false, linearGigapages: 1 } }, image: exampleImageLayout(VIRT_RAM_BASE, MiB) })).toThrow(/design\.earlyTable\.linearGigapages = 1: the early linear map must cover RAM/);
  });

  it('without a frame-state table nothing after the image is reserved', () => {
    expect(reservedRanges(fixture()).map((r) => r.name)).not.toContain('frame-state table');
    expect(reservedRanges(virtPlatform()).map((r) => r.name)).toContain('frame-state table');
  });

  it('a bad cpu-struct layout is refused naming the field: a guard not right below the stack, overlapping parts', () => {
    const bad = (cpuStruct: Partial<DesignParameters['cpuStruct']>) => () => virtPlatform({ design: { ...DESIGN_PARAMETERS, cpuStruct: { ...DESIGN_PARAMETERS.cpuStruct, ...cpuStruct } } });
    expect(bad({ guard: cpuStructPart(0x8000n, 0x1000n) })).toThrow(/design\.cpuStruct\.guard = 0xffffffc040009000: must end where the stack starts/);
    expect(bad({ info: cpuStructPart(0x4000n, 0x1000n) })).toThrow(/design\.cpuStruct\.info .*overlaps stack/);
  });
});
