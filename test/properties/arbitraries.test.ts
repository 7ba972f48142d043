import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GiB, MiB, PAGE_SIZE, validatePlatform, virtPlatform } from '../../model/index.js';
import { checkPlatformSpec, formatPlatformSpec, formatRamSize, platformSpecArbitrary, ramSizeArbitrary } from '../../properties/arbitraries/platform.js';
import { checkProgram, COMMAND_KINDS, enabledKindsArbitrary, programArbitrary } from '../../properties/arbitraries/program.js';
import { checkSchedule, formatSchedule, normalizeSchedule, scheduleArbitrary } from '../../properties/arbitraries/schedule.js';

/** Draws `n` values from an arbitrary with a fixed seed. */
const sample = <T>(arb: fc.Arbitrary<T>, n = 400): T[] => fc.sample(arb, { numRuns: n, seed: 42 });

/** Shrinks `arb`'s counterexample of `failsWhen` and returns it. */
function shrunk<T>(arb: fc.Arbitrary<T>, failsWhen: (v: T) => boolean): T {
  const details = fc.check(fc.property(arb, (v) => !failsWhen(v)), { seed: 7, numRuns: 500 });
  if (!details.failed) throw new Error('no counterexample found');
  return details.counterexample![0];
}

describe('platform arbitrary', () => {
  it('generates valid model platforms: 1-8 harts, a boot hart among them, page-multiple RAM in [16 MiB, 16 GiB]', () => {
    fc.assert(
      fc.property(platformSpecArbitrary(), (spec) => {
        expect(spec.bootHart).toBeLessThan(spec.harts);
        expect(spec.ramSize % PAGE_SIZE).toBe(0n);
        expect(spec.ramSize >= 16n * MiB && spec.ramSize <= 16n * GiB).toBe(true);
        expect(validatePlatform(virtPlatform({ harts: spec.harts, bootHart: spec.bootHart, ramSize: spec.ramSize }))).toEqual([]);
        expect(checkPlatformSpec(spec)).toEqual(spec);
      }),
    );
  });

  it('hits the edges: exactly 1 GiB, 1 GiB ± 1 page, non-megapage sizes, every hart count, both firmwares and A/D schemes, boot hart not 0', () => {
    const specs = sample(platformSpecArbitrary(), 2000);
    const sizes = new Set(specs.map((s) => s.ramSize));
    for (const edge of [GiB, GiB - PAGE_SIZE, GiB + PAGE_SIZE, 16n * MiB, 4n * GiB, 4n * GiB + PAGE_SIZE, 16n * GiB]) expect(sizes.has(edge), `RAM ${edge}`).toBe(true);
    expect(specs.some((s) => s.ramSize % (2n * MiB) !== 0n)).toBe(true);
    // sizes off the edges in every power-of-two class, above 4 GiB too
    const offEdge = specs.map((s) => s.ramSize).filter((s) => s % (2n * MiB) !== 0n && s !== 16n * MiB + PAGE_SIZE && s !== GiB - PAGE_SIZE && s !== GiB + PAGE_SIZE && s !== 4n * GiB + PAGE_SIZE);
    for (let k = 24n; k < 34n; k++) expect(offEdge.some((s) => s >= 1n << k && s < 2n << k), `RAM off the edges in [2^${k}, 2^${k + 1n})`).toBe(true);
    expect(new Set(specs.map((s) => s.harts)).size).toBe(8);
    expect(new Set(specs.map((s) => s.firmware))).toEqual(new Set(['builtin', 'opensbi']));
    expect(new Set(specs.map((s) => s.ad))).toEqual(new Set(['hardware', 'svade']));
    expect(specs.some((s) => s.bootHart !== 0)).toBe(true);
  });

  it('draws the edges the design cares about most and keeps 16 GiB rare (it boots in about 15 s)', () => {
    const sizes = sample(ramSizeArbitrary(), 6000);
    const share = (p: (s: bigint) => boolean) => sizes.filter(p).length / sizes.length;
    expect(share((s) => s === GiB || s === GiB - PAGE_SIZE || s === GiB + PAGE_SIZE)).toBeGreaterThan(0.3);
    expect(share((s) => s === 4n * GiB || s === 4n * GiB + PAGE_SIZE)).toBeGreaterThan(0.2);
    expect(share((s) => s > 4n * GiB)).toBeGreaterThan(0.25);
    const at16 = share((s) => s === 16n * GiB);
    expect(at16).toBeGreaterThan(0.03);
    expect(at16).toBeLessThan(0.1);
  });

  it('boots RAM above 4 GiB with the builtin firmware only (OpenSBI\'s spinning secondaries would overrun the boot budget), capping it when only OpenSBI is allowed', () => {
    const specs = sample(platformSpecArbitrary(), 3000);
    expect(specs.some((s) => s.firmware === 'opensbi' && s.ramSize === 4n * GiB)).toBe(true);
    expect(specs.filter((s) => s.ramSize > 4n * GiB).every((s) => s.firmware === 'builtin')).toBe(true);
    expect(specs.some((s) => s.ramSize === 16n * GiB)).toBe(true);
    const onlyOpenSbi = sample(platformSpecArbitrary({ firmware: ['opensbi'] }), 1000);
    expect(onlyOpenSbi.every((s) => s.firmware === 'opensbi' && s.ramSize <= 4n * GiB)).toBe(true);
  });

  it('respects the RAM ceiling and shrinks toward the smallest platform', () => {
    expect(sample(ramSizeArbitrary(64n * MiB)).every((s) => s <= 64n * MiB)).toBe(true);
    const small = shrunk(platformSpecArbitrary(), () => true);
    expect(small).toEqual({ harts: 1, bootHart: 0, ramSize: 16n * MiB, firmware: 'builtin', ad: 'hardware' });
  });

  it('formats RAM sizes so edges read at a glance', () => {
    expect(formatRamSize(GiB + PAGE_SIZE)).toBe('1 GiB + 4 KiB');
    expect(formatRamSize(GiB)).toBe('1 GiB');
    expect(formatRamSize(16n * MiB + 3n * PAGE_SIZE)).toBe('16 MiB + 12 KiB');
    expect(formatPlatformSpec({ harts: 4, bootHart: 2, ramSize: GiB + PAGE_SIZE, firmware: 'builtin', ad: 'svade' })).toBe('4 harts, boot hart 2, RAM 1 GiB + 4 KiB, builtin firmware, Svade (A/D faults)');
  });

  it('rejects bad platform specs naming the field', () => {
    expect(() => checkPlatformSpec({ harts: 9, bootHart: 0, ramSize: GiB, firmware: 'builtin', ad: 'hardware' })).toThrow(/platform\.harts = 9/);
    expect(() => checkPlatformSpec({ harts: 2, bootHart: 2, ramSize: GiB, firmware: 'builtin', ad: 'hardware' })).toThrow(/platform\.bootHart = 2/);
    expect(() => checkPlatformSpec({ harts: 2, bootHart: 0, ramSize: GiB + 1n, firmware: 'builtin', ad: 'hardware' })).toThrow(/platform\.ramSize/);
    expect(() => checkPlatformSpec({ harts: 2, bootHart: 0, ramSize: GiB, firmware: 'uboot', ad: 'hardware' })).toThrow(/platform\.firmware = "uboot"/);
  });
});

describe('schedule arbitrary', () => {
  it('generates slices of existing harts with positive lengths', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }).chain((h) => fc.tuple(fc.constant(h), scheduleArbitrary(h))), ([harts, slices]) => {
      expect(checkSchedule(slices, harts)).toEqual(slices);
    }));
  });

  it('shrinks toward fewer and larger slices', () => {
    // any schedule that gives hart 1 a slice fails; the minimal one is a single slice of maximal length
    const s = shrunk(scheduleArbitrary(2, { maxSteps: 400 }), (slices) => slices.some((x) => x.hart === 1));
    expect(s).toEqual([{ hart: 1, steps: 400 }]);
  });

  it('normalizes neighbouring slices of one hart and formats compactly', () => {
    expect(normalizeSchedule([{ hart: 0, steps: 3 }, { hart: 0, steps: 4 }, { hart: 1, steps: 1 }])).toEqual([{ hart: 0, steps: 7 }, { hart: 1, steps: 1 }]);
    expect(formatSchedule([{ hart: 0, steps: 7 }, { hart: 1, steps: 1 }])).toBe('h0×7 h1×1');
    expect(formatSchedule([])).toBe('round-robin');
    expect(() => checkSchedule([{ hart: 2, steps: 1 }], 2)).toThrow(/schedule\[0\]\.hart = 2/);
    expect(() => checkSchedule([{ hart: 0, steps: 0 }], 2)).toThrow(/schedule\[0\]\.steps = 0/);
  });
});

describe('program arbitrary (swarm)', () => {
  it('uses only the kinds a program enabled, and every kind gets enabled alone sometimes', () => {
    const kindsSeen = new Set<string>();
    fc.assert(fc.property(enabledKindsArbitrary().chain((kinds) => fc.tuple(fc.constant(kinds), programArbitrary({ kinds }))), ([kinds, program]) => {
      for (const c of program) expect(kinds).toContain(c.kind);
      if (kinds.length === 1) kindsSeen.add(kinds[0]!);
    }), { numRuns: 600 });
    expect(kindsSeen.size).toBeGreaterThan(COMMAND_KINDS.length / 2);
  });

  it('round-trips through checkProgram, which names a bad field', () => {
    fc.assert(fc.property(programArbitrary(), (program) => {
      expect(checkProgram(JSON.parse(JSON.stringify(program)))).toEqual(program);
    }));
    expect(() => checkProgram([{ kind: 'alloc', hart: 9 }])).toThrow(/program\[0\]\.hart = 9/);
    expect(() => checkProgram([{ kind: 'reboot' }])).toThrow(/program\[0\]\.kind = "reboot"/);
    expect(() => checkProgram([{ kind: 'alloc', hart: 0, extra: 1 }])).toThrow(/unknown field extra/);
    expect(() => checkProgram([{ kind: 'batch', harts: [], count: 1 }])).toThrow(/program\[0\]\.harts/);
  });

  it('a long run of one kind happens (swarm): some program is 10+ allocs', () => {
    const programs = sample(programArbitrary(), 1500);
    expect(programs.some((p) => p.length >= 10 && p.every((c) => c.kind === 'alloc'))).toBe(true);
  });
});
