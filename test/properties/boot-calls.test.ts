/**
 * The boot's kalloc/kfree calls are judged as the harts made them: one at a time (the bundled
 * hypervisor's harts build their tables in turn) by KMEM-SEQUENTIAL, several in flight at once
 * (foreign-hv starts its harts together) by KMEM-CONCURRENT, which is how an allocator without its
 * lock is caught at boot.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KmemCall } from '../../model/index.js';
import { callsOverlap, observeBoot } from '../../properties/checks/boot.js';
import { loadImage } from '../../properties/harness/image.js';
import { OPENSBI_FW_DYNAMIC } from '../../properties/harness/image.js';
import { spec } from '../../properties/property/definition.js';
import { loadProfile } from '../../properties/profile/profile.js';
import { BootCache } from '../../properties/runner/boot-cache.js';
import { runCase } from '../../properties/runner/case.js';
import { bootProperty } from '../../properties/property/boot.js';
import { HYPERVISOR } from './support.js';

const call = (hart: number, at: number, ret: number): KmemCall => ({ hart, kind: 'alloc', call: at, ret, va: 0xffffffe000000000n + BigInt(at) * 0x1000n });

describe('callsOverlap', () => {
  it('is true exactly when calls of two harts are in flight at once', () => {
    expect(callsOverlap([])).toBe(false);
    expect(callsOverlap([call(0, 1, 5), call(0, 3, 4)])).toBe(false); // one hart (a nested hook) is not concurrency
    expect(callsOverlap([call(0, 1, 5), call(1, 5, 9), call(0, 9, 12)])).toBe(false); // back to back
    expect(callsOverlap([call(0, 1, 5), call(1, 4, 9)])).toBe(true);
    expect(callsOverlap([call(1, 4, 9), call(0, 1, 5)])).toBe(true); // in any order
    // hart 1's long call covers hart 0's later one, past a short call of hart 2
    expect(callsOverlap([call(1, 0, 100), call(2, 1, 2), call(0, 50, 60)])).toBe(true);
    expect(callsOverlap([call(1, 0, 10), call(1, 20, 100), call(2, 10, 20), call(0, 100, 110)])).toBe(false);
  });
});

describe('the boot property on how harts call the allocator', () => {
  it("judges the bundled hypervisor's boot calls as sequential", () => {
    const booted = new BootCache(loadImage(HYPERVISOR)).get(spec(4, 1, 64n));
    expect(booted.shadow.calls.length).toBeGreaterThan(8);
    expect(callsOverlap(booted.shadow.calls)).toBe(false);
    expect(observeBoot(booted).sequentialCalls).toBeDefined();
  });

  it.skipIf(!existsSync(OPENSBI_FW_DYNAMIC))('kills foreign-hv\'s kmalloc-no-lock at boot by KMEM-CONCURRENT, its harts\' calls in flight at once', () => {
    const profile = loadProfile('test/fixtures/foreign-hv/foreign-hv.json');
    // a platform where two harts' kmalloc calls overlap and pop the same page (the race's timing
    // moves with the image's code: found for the image with its guest by booting the mutant over a
    // grid of hart counts and RAM sizes, the first that failed with KMEM-CONCURRENT)
    const platform = spec(5, 0, 16n, { firmware: 'opensbi', ramSize: 16n << 20n });
    const mutant = new BootCache(loadImage('test/fixtures/foreign-hv/build/mutants/kmalloc-no-lock.elf', 'kmalloc-no-lock', profile));
    const booted = mutant.get(platform);
    expect(callsOverlap(booted.shadow.calls)).toBe(true);
    expect(observeBoot(booted).concurrentCalls).toHaveLength(booted.shadow.calls.length);
    const outcome = runCase(bootProperty, mutant, { platform });
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    const c = outcome.counterexample;
    expect([c.rule, ...c.also.map((a) => a.rule)]).toContain('KMEM-CONCURRENT');
    // the fixture itself holds there
    const fixture = new BootCache(loadImage('test/fixtures/foreign-hv/build/foreign-hv.elf', 'foreign-hv', profile));
    expect(runCase(bootProperty, fixture, { platform }).kind).toBe('held');
  }, 120_000);
});
