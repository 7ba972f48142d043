/**
 * The bundled hypervisor driven both ways: by its debug console and, with a profile that says it
 * has none (its DEFAULT_PROFILE with console null), by injected calls to kalloc/kfree (and, for
 * tlb-discipline's probes, questions to the hart's TLB). The allocator, TLB and stack properties
 * should agree: hold on the hypervisor, and kill each allocator bug by the same
 * rule either way. Agreeing took: letting every hart finish its printf after the ready line (a call
 * runs only its own hart, so a print lock held there deadlocked kfree's message), a case with no
 * quiescent hart skipped rather than failed, a double free taken judged KMEM-NO-DOUBLE-FREE as on
 * the console, and kmem-concurrent's step-by-step examples put on harts 1 and 2 of three (the
 * console hart polls and is never quiescent, so a batch on harts 0 and 1 ran on one hart only).
 */
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../properties/harness/image.js';
import { DEFAULT_PROFILE, type ImageProfile } from '../../properties/profile/profile.js';
import { runSuite, type PropertyResult } from '../../properties/suite.js';
import type { PropertyName } from '../../properties/report/token.js';
import { HYPERVISOR, MUTANTS_DIR } from './support.js';

const CALLS_ONLY: ImageProfile = { ...DEFAULT_PROFILE, name: 'hvspec-hv driven by injected calls', console: null };

const run = (path: string, profile: ImageProfile, property: PropertyName): PropertyResult =>
  runSuite({ image: loadImage(path, path, profile), only: [property], scale: 0.3, maxRamSize: 32n << 20n, seed: 5 }).properties[0]!;

describe('console-driven and call-driven allocator properties on the bundled hypervisor', () => {
  for (const property of ['kmem-commands', 'kmem-concurrent', 'tlb-discipline', 'stack-overflow'] as const) {
    it(`${property} holds both ways`, () => {
      const byConsole = run(HYPERVISOR, DEFAULT_PROFILE, property);
      const byCalls = run(HYPERVISOR, CALLS_ONLY, property);
      expect(byConsole.verdict, byConsole.report ?? byConsole.reason).toBe('passed');
      expect(byCalls.verdict, byCalls.report ?? byCalls.reason).toBe('passed');
    }, 240_000);
  }

  const bugs: [string, PropertyName, string][] = [
    ['double-free-undetected', 'kmem-commands', 'KMEM-NO-DOUBLE-FREE'],
    ['free-verdict-order', 'kmem-commands', 'KMEM-FREE-VERDICT'],
    ['kfree-no-lock', 'kmem-concurrent', 'KMEM-CONCURRENT'],
    // by calls: a probe asks the hart's TLB, which still holds the early table's RWX text entry
    ['no-sfence', 'tlb-discipline', 'TLB-DISCIPLINE'],
    // by calls: alloc called with its stack used up stores into the mapped guard page
    ['no-guard-page', 'stack-overflow', 'STACK-GUARD'],
  ];
  for (const [mutant, property, rule] of bugs) {
    it(`${property} kills ${mutant} by ${rule} both ways`, () => {
      const path = `${MUTANTS_DIR}/${mutant}.elf`;
      const cites = (r: PropertyResult) => (r.counterexample ? [r.counterexample.rule, ...r.counterexample.also.map((a) => a.rule)] : []);
      const byConsole = run(path, DEFAULT_PROFILE, property);
      const byCalls = run(path, CALLS_ONLY, property);
      expect([byConsole.verdict, byCalls.verdict], `${byConsole.reason ?? ''} ${byCalls.reason ?? ''}`).toEqual(['failed', 'failed']);
      expect(cites(byConsole)).toContain(rule);
      expect(cites(byCalls), byCalls.report).toContain(rule);
    }, 240_000);
  }
});
