/**
 * tlb-discipline: a small alloc/free/probe program in strict TLB mode from boot on, so every use of
 * a stale translation is reported and judged against the model's fresh walk (TLB-DISCIPLINE), on top
 * of the KMEM model-based checks of each step.
 */
import fc from 'fast-check';
import { noStaleTranslations } from '../../model/index.js';
import { platformSpecArbitrary } from '../arbitraries/platform.js';
import { kmemProgramArbitrary } from '../kmem/commands.js';
import { runProgram } from '../kmem/program.js';
import { spec, STEP_RULES, type PropertyDefinition } from './definition.js';
import { KMEM_SYMBOLS } from '../observe/memory.js';

export const tlbDisciplineProperty: PropertyDefinition = {
  name: 'tlb-discipline',
  needsConsole: true,
  // the program's model reads the allocator and the hooks; probe_ret is a probe target
  needsSymbols: [...KMEM_SYMBOLS, 'probe_ret'],
  rules: ['TLB-DISCIPLINE'],
  // alloc and free replies, probes (STACK-GUARD at the guard page), and every step
  checks: ['TLB-DISCIPLINE', 'KMEM-SEQUENTIAL', 'MAP-EXACT', 'STACK-GUARD', ...STEP_RULES],
  runs: 4,
  strictTlb: true,
  arbitrary: (o) =>
    fc.record({
      platform: platformSpecArbitrary({ maxRamSize: 32n << 20n, maxHarts: 3, firmware: ['builtin'], ...(o.firmware ? {} : {}) }),
      program: kmemProgramArbitrary({ kinds: ['alloc', 'free', 'probe'], maxLength: 10 }),
    }),
  examples: () => [
    {
      // a write to every fixed probe target (text and rodata pages included) from each hart
      platform: spec(2, 0, 16n),
      program: Array.from({ length: 64 }, (_, i) => ({ kind: 'probe' as const, hart: i % 2, access: 'write' as const, target: i >> 1, value: i })),
    },
  ],
  check: (booted, c) => {
    const failure = runProgram(booted, c.program ?? []);
    const stale = noStaleTranslations(booted.stale);
    if (stale === undefined) return failure;
    return { ...stale, ...(failure && 'transcript' in failure ? { transcript: failure.transcript, ...(failure.failedAt === undefined ? {} : { failedAt: failure.failedAt }) } : {}) };
  },
};
