/**
 * The suite against the unmodified hypervisor, at the default budget: every property passes, and
 * every interesting state the suite claims to cover is reached. A failure prints the counterexample
 * with its replay line (seed, path and token).
 */
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../properties/harness/image.js';
import { COVERAGE_STATES } from '../../properties/harness/hypervisor.js';
import { runSuite, type SuiteResult } from '../../properties/suite.js';
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
    expect(result.properties.map((p) => p.property)).toEqual(['boot', 'kmem-concurrent', 'stack-overflow', 'stack-overflow-sp', 'tlb-discipline', 'kmem-commands']);
    // OpenSBI-only cases may be skipped where it is absent; builtin-firmware ones never are
    expect(result.properties.every((p) => p.verdict === 'passed' || p.reason?.includes('OpenSBI'))).toBe(true);
  }, 280_000);

  it('reaches every interesting state it claims to cover', () => {
    console.log(`coverage: ${JSON.stringify(result.coverage)}`);
    for (const state of COVERAGE_STATES) expect(result.coverage[state], `never reached: ${state}`).toBeGreaterThan(0);
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
