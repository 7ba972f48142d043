/**
 * The guest property: it holds on the bundled hypervisor at the default budget (well under a
 * minute), reaches the states it claims (two guests running at once among them), and replay tokens
 * carry its lifecycles, vm-run-together steps included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkGuestLifecycle, guestLifecycleArbitrary } from '../../properties/arbitraries/guest.js';
import { loadImage } from '../../properties/harness/image.js';
import { guestProperty } from '../../properties/property/guest.js';
import { decodeToken, encodeToken } from '../../properties/report/token.js';
import { BootCache } from '../../properties/runner/boot-cache.js';
import { runProperty } from '../../properties/runner/property.js';
import { spec } from '../../properties/property/definition.js';
import { budget, HYPERVISOR } from './support.js';

const image = loadImage(HYPERVISOR);

describe('the guest property', () => {
  it('holds on the bundled hypervisor at the default budget, reaching every state it claims', () => {
    const { seed, scale } = budget();
    const cache = new BootCache(image);
    const started = performance.now();
    const result = runProperty(guestProperty, cache, { image, seed, scale });
    const ms = performance.now() - started;
    console.log(`guest property: ${result.runs} runs in ${(ms / 1000).toFixed(1)} s`);
    expect(result.verdict, result.report ?? result.reason).toBe('passed');
    expect(result.checked).toEqual(expect.arrayContaining(['GUEST-DISJOINT', 'GUEST-EXACT', 'GUEST-G-STAGE-FLAGS', 'GUEST-RECLAIM', 'HFENCE-DISCIPLINE', 'GUEST-ISOLATION']));
    const coverage = cache.coverageCounts();
    for (const state of guestProperty.covers ?? []) expect(coverage[state], state).toBeGreaterThan(0);
    if (scale === 1) expect(ms).toBeLessThan(60_000);
  }, 240_000);

  it('checks lifecycles in replay tokens, naming the bad step and field', () => {
    fc.assert(
      fc.property(guestLifecycleArbitrary(), (lifecycle) => {
        expect(checkGuestLifecycle(JSON.parse(JSON.stringify(lifecycle)))).toEqual(lifecycle);
      }),
      { numRuns: 200 },
    );
    expect(() => checkGuestLifecycle([{ kind: 'boot' }])).toThrow(/guest\[0\]\.kind = "boot"/);
    expect(() => checkGuestLifecycle([{ kind: 'create', pages: -1 }])).toThrow(/guest\[0\]\.pages = -1/);
    expect(() => checkGuestLifecycle([{ kind: 'run', hart: 0, vm: 0, seed: 0, stores: 1, probe: { at: 'far' } }])).toThrow(/guest\[0\]\.probe/);
    expect(() => checkGuestLifecycle([{ kind: 'destroy', vm: 0, extra: 1 }])).toThrow(/unknown field extra/);
    expect(checkGuestLifecycle([{ kind: 'run', hart: 0, vm: 0, seed: 0, stores: 1, probe: { at: 'fetch-outside', offset: 8 } }])).toHaveLength(1);
    expect(() => checkGuestLifecycle([{ kind: 'run', hart: 0, vm: 0, seed: 0, stores: 1, probe: { at: 'fetch-outside', offset: 6 } }])).toThrow(/guest\[0\]\.probe .*"fetch-outside","offset":a multiple of 4/);
    const run = { hart: 1, vm: 0, seed: 0, stores: 1, probe: { at: 'none' } };
    expect(checkGuestLifecycle([{ kind: 'together', runs: [run, run], schedule: [{ hart: 1, steps: 2 }] }])).toHaveLength(1);
    expect(() => checkGuestLifecycle([{ kind: 'together', runs: [], schedule: [] }])).toThrow(/guest\[0\]\.runs = \[\]: must be a list of 1 to 3 runs/);
    expect(() => checkGuestLifecycle([{ kind: 'together', runs: [run, { ...run, stores: -2 }], schedule: [] }])).toThrow(/guest\[0\]\.runs\[1\]\.stores = -2/);
    expect(() => checkGuestLifecycle([{ kind: 'together', runs: [run], schedule: [{ hart: 9, steps: 1 }] }])).toThrow(/guest\[0\]\.schedule: schedule\[0\]\.hart = 9/);
    expect(() => checkGuestLifecycle([{ kind: 'together', runs: [run] }])).toThrow(/guest\[0\]\.schedule/);
    const replay = { v: 1 as const, property: 'guest' as const, image: { name: image.name, digest: image.digest }, platform: spec(2, 0, 16n), guest: [{ kind: 'create' as const, pages: 9 }] };
    expect(decodeToken(encodeToken(replay))).toEqual(replay);
  });
});
