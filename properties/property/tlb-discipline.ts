/**
 * tlb-discipline: a small alloc/free/probe program in strict TLB mode from boot on, so every use of
 * a stale translation is reported and judged against the model's fresh walk (TLB-DISCIPLINE), on top
 * of the KMEM model-based checks of each step. On an image with no console protocol the program runs
 * as injected calls to the profile's alloc and free (kmem/calls.ts runCallProgram), and a probe asks
 * the hart's TLB what the access would use: the boot and every call are still under strict mode.
 */
import fc from 'fast-check';
import { noStaleTranslations, type Violation } from '../../model/index.js';
import { platformSpecArbitrary } from '../arbitraries/platform.js';
import { kmemProgramArbitrary } from '../kmem/commands.js';
import { runProgram } from '../kmem/program.js';
import { allocatorSymbols, runCallProgram } from '../kmem/calls.js';
import { profileBootLimits, spec, STEP_RULES, type BootedFailure, type PropertyDefinition } from './definition.js';
import { KMEM_SYMBOLS } from '../observe/memory.js';

export const tlbDisciplineProperty: PropertyDefinition = {
  name: 'tlb-discipline',
  // an image whose profile names our console must answer on it; one with no console protocol is driven by injected calls
  needsConsole: (p) => p.console !== null,
  // the program's model reads the allocator and the hooks; probe_ret is a probe target of the console's
  needsSymbols: (p) => (p.console === 'hvspec-debug' ? [...KMEM_SYMBOLS, 'probe_ret'] : allocatorSymbols(p)),
  rules: ['TLB-DISCIPLINE'],
  // alloc and free replies, probes (STACK-GUARD at the guard page), and every step
  checks: ['TLB-DISCIPLINE', 'KMEM-SEQUENTIAL', 'MAP-EXACT', 'STACK-GUARD', ...STEP_RULES],
  runs: 4,
  strictTlb: true,
  arbitrary: (o) =>
    fc.record({
      platform: platformSpecArbitrary({ maxRamSize: 32n << 20n, maxHarts: 3, firmware: ['builtin'], ...profileBootLimits(o) }),
      program: kmemProgramArbitrary({ kinds: ['alloc', 'free', 'probe'], maxLength: 10 }),
    }),
  examples: (o) =>
    o.image.profile.console === null
      ? [
          // allocs and frees, then each hart's TLB asked about a write to every probe target (text
          // and rodata pages included), on a hart other than the boot hart (ours polls its console)
          {
            platform: spec(2, 0, 16n),
            program: [
              { kind: 'alloc', hart: 1 }, { kind: 'alloc', hart: 1 }, { kind: 'free', hart: 1, frame: 0 },
              ...Array.from({ length: 64 }, (_, i) => ({ kind: 'probe' as const, hart: i % 2, access: 'write' as const, target: i >> 1, value: i })),
            ],
          },
        ]
      : [
          {
            // a write to every fixed probe target (text and rodata pages included) from each hart
            platform: spec(2, 0, 16n),
            program: Array.from({ length: 64 }, (_, i) => ({ kind: 'probe' as const, hart: i % 2, access: 'write' as const, target: i >> 1, value: i })),
          },
        ],
  check: (booted, c) => {
    const failure: BootedFailure | Violation | undefined = booted.hasConsole ? runProgram(booted, c.program ?? []) : runCallProgram(booted, c.program ?? []);
    const stale = noStaleTranslations(booted.stale);
    if (stale === undefined) return failure;
    return { ...stale, ...(failure && 'transcript' in failure ? { transcript: failure.transcript, ...(failure.failedAt === undefined ? {} : { failedAt: failure.failedAt }) } : {}) };
  },
};
