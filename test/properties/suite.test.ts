/**
 * The suite against the unmodified hypervisor, at the default budget: every property passes, and
 * every interesting state the suite claims to cover is reached. A failure prints the counterexample
 * with its replay line (seed, path and token).
 */
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../properties/harness/image.js';
import { COVERAGE_STATES, type CoverageState } from '../../properties/harness/hypervisor.js';
import { claimedUncovered, largestGeneratedRam, PROPERTIES, runSuite, uncoveredStates, type PropertyResult, type SuiteResult } from '../../properties/suite.js';
import { MAX_GENERATED_RAM, MAX_OPENSBI_RAM } from '../../properties/arbitraries/platform.js';
import { loadProfile } from '../../properties/profile/profile.js';
import type { PropertyName } from '../../properties/report/token.js';
import { budget, HYPERVISOR } from './support.js';

describe('property suite on the unmodified hypervisor', () => {
  let result: SuiteResult;

  it('passes every property', () => {
    const { seed, scale } = budget();
    const started = performance.now();
    result = runSuite({ image: loadImage(HYPERVISOR), seed, scale });
    const table = result.properties.map((p) => `${p.property.padEnd(18)} ${p.verdict.padEnd(7)} ${String(p.runs).padStart(4)} runs ${(p.ms / 1000).toFixed(1).padStart(6)} s  ${p.rules.join(', ')}${p.reason ? `  (${p.reason})` : ''}`);
    console.log(`suite on ${HYPERVISOR}, seed ${seed}, scale ${scale}: ${((performance.now() - started) / 1000).toFixed(1)} s\n${table.join('\n')}`);
    for (const p of result.properties) {
      // a failure's report names the rule, the shrunk case and the replay line
      expect(p.verdict, `${p.property} failed:\n${p.report ?? p.reason}`).not.toBe('failed');
    }
    expect(result.properties.map((p) => p.property)).toEqual(['boot', 'kmem-concurrent', 'stack-overflow', 'stack-overflow-sp', 'tlb-discipline', 'kmem-commands', 'guest']);
    // OpenSBI-only cases may be skipped where it is absent; builtin-firmware ones never are
    expect(result.properties.every((p) => p.verdict === 'passed' || p.reason?.includes('OpenSBI'))).toBe(true);
  }, 280_000);

  it('reaches every interesting state it claims to cover', () => {
    console.log(`coverage: ${JSON.stringify(result.coverage)}`);
    for (const state of COVERAGE_STATES) expect(result.coverage[state], `never reached by a generated case: ${state}`).toBeGreaterThan(0);
    expect(result.uncovered).toEqual([]);
  });
});

describe('coverage claims', () => {
  const none = Object.fromEntries(COVERAGE_STATES.map((s) => [s, 0])) as Record<CoverageState, number>;
  const result = (property: PropertyName, runs: number, extra: Partial<PropertyResult> = {}): PropertyResult => ({ property, rules: [], verdict: 'passed', runs, seed: 1, ms: 0, ...extra });
  const runsOf = (name: PropertyName) => PROPERTIES.find((p) => p.name === name)!.runs;

  it('names each state a property claims and its whole default budget never reached', () => {
    expect(uncoveredStates([result('kmem-commands', runsOf('kmem-commands'))], none)).toEqual([{ state: 'allocator empty', property: 'kmem-commands' }]);
    expect(uncoveredStates([result('boot', runsOf('boot'))], { ...none, 'RAM above 1 GiB': 1 })).toEqual([
      { state: 'RAM above 4 GiB', property: 'boot' },
      { state: 'boot hart not 0', property: 'boot' },
    ]);
    expect(uncoveredStates([result('stack-overflow', 6), result('stack-overflow-sp', 6)], none)).toEqual([{ state: 'stack within one frame of the guard', property: 'stack-overflow' }]);
  });

  it("makes no claim beyond the RAM an image's generators reach: an OpenSBI-booted image stops at MAX_OPENSBI_RAM", () => {
    const foreign = loadImage('test/fixtures/foreign-hv/build/foreign-hv.elf', 'foreign-hv', loadProfile('test/fixtures/foreign-hv/foreign-hv.json'));
    const ours = loadImage(HYPERVISOR);
    expect([largestGeneratedRam({ image: ours }), largestGeneratedRam({ image: foreign })]).toEqual([MAX_GENERATED_RAM, MAX_OPENSBI_RAM]);
    const boot = [result('boot', runsOf('boot'))];
    expect(claimedUncovered(boot, none, { image: ours }).map((u) => u.state)).toEqual(['RAM above 1 GiB', 'RAM above 4 GiB', 'boot hart not 0']);
    expect(claimedUncovered(boot, none, { image: foreign }).map((u) => u.state)).toEqual(['RAM above 1 GiB', 'boot hart not 0']);
  });

  it('makes no claim for a property that failed, was skipped, was cut short or ran fewer runs', () => {
    const full = runsOf('kmem-commands');
    for (const r of [result('kmem-commands', full, { verdict: 'failed' }), result('kmem-commands', 0, { verdict: 'skipped' }), result('kmem-commands', full, { interrupted: true }), result('kmem-commands', full - 1)]) {
      expect(uncoveredStates([r], none)).toEqual([]);
    }
  });
});

describe('replay', () => {
  it('refuses a token made for another image, naming both digests', async () => {
    const { encodeToken, decodeToken } = await import('../../properties/report/token.js');
    const { replayCase } = await import('../../properties/suite.js');
    const image = loadImage(HYPERVISOR);
    const token = encodeToken({ v: 1, property: 'boot', image: { name: 'other.elf', digest: '0000000000000000' }, platform: { harts: 1, bootHart: 0, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' } });
    expect(() => replayCase(decodeToken(token), image)).toThrow(`replay token is for other.elf (sha256 0000000000000000), but ${HYPERVISOR} has sha256 ${image.digest}`);
  });

  it('re-runs a passing case as held', async () => {
    const { replayCase } = await import('../../properties/suite.js');
    const image = loadImage(HYPERVISOR);
    const outcome = replayCase({ v: 1, property: 'kmem-commands', image: { name: image.name, digest: image.digest }, platform: { harts: 2, bootHart: 1, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' }, program: [{ kind: 'alloc', hart: 0 }, { kind: 'free', hart: 1, frame: 0 }] }, image);
    expect(outcome.kind).toBe('held');
  });
});
