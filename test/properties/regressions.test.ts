/**
 * Counterexamples the suite found, kept as named examples ("properties do not replace examples"):
 * each fails on the mutant that produced it, citing the same rule, and holds on the real image.
 */
import { describe, expect, it } from 'vitest';
import type { PlatformSpec } from '../../properties/arbitraries/platform.js';
import { loadImage, type HypervisorImage } from '../../properties/harness/image.js';
import type { ReplayCase } from '../../properties/report/token.js';
import { replayCase, type CaseOutcome } from '../../properties/suite.js';
import { HYPERVISOR, MUTANTS_DIR } from './support.js';

const real = loadImage(HYPERVISOR);
const platform = (harts: number, bootHart: number): PlatformSpec => ({ harts, bootHart, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' });

function check(mutant: string, rule: string, c: Omit<ReplayCase, 'v' | 'image'>): CaseOutcome {
  const on = (image: HypervisorImage) => replayCase({ v: 1, image: { name: image.name, digest: image.digest }, ...c }, image);
  const broken = on(loadImage(`${MUTANTS_DIR}/${mutant}.elf`, mutant));
  expect(broken.kind).toBe('failed');
  if (broken.kind === 'failed') expect([broken.counterexample.rule, ...broken.counterexample.also.map((a) => a.rule)]).toContain(rule);
  expect(on(real).kind).toBe('held');
  return broken;
}

describe('kept counterexamples', () => {
  it('kfree without the lock: a 4-hart batch under h0×3 h1×11 h2×2 h3×17 loses a frame (KMEM-CONCURRENT)', () => {
    check('kfree-no-lock', 'KMEM-CONCURRENT', {
      property: 'kmem-concurrent',
      platform: platform(4, 3),
      program: [{ kind: 'batch', harts: [0, 1, 2, 3], count: 32 }],
      schedule: [{ hart: 0, steps: 3 }, { hart: 1, steps: 11 }, { hart: 2, steps: 2 }, { hart: 3, steps: 17 }],
    });
  });

  it('kfree without the FREE check: free2 of a fresh frame is accepted twice (KMEM-NO-DOUBLE-FREE)', () => {
    check('double-free-undetected', 'KMEM-NO-DOUBLE-FREE', { property: 'kmem-commands', platform: platform(2, 1), program: [{ kind: 'alloc', hart: 0 }, { kind: 'double-free', hart: 1, frame: 0 }] });
  });

  it('range checked before alignment: kfree(VAS_RAM + ramSize + 1) answers OutOfRange (KMEM-FREE-VERDICT)', () => {
    check('free-verdict-order', 'KMEM-FREE-VERDICT', { property: 'kmem-commands', platform: platform(2, 1), program: [{ kind: 'free-out-of-range', hart: 0, pages: 0, offset: 1, below: false }] });
  });

  it('cpu info below the stack: an overflow stores into it before faulting (STACK-GUARD)', () => {
    const broken = check('cpu-info-below-stack', 'STACK-GUARD', { property: 'stack-overflow', platform: platform(1, 0), program: [{ kind: 'recurse', hart: 0, depth: 100 }] });
    // where it went wrong: the faulting store inside recurse, its instruction word from memory
    expect(broken.kind === 'failed' && broken.counterexample.where?.what).toMatch(/^StorePageFault stval=0xffffffc040000ff8, instruction 0x[0-9a-f]{8} in recurse\+0x[0-9a-f]+$/);
  });
});
