/**
 * kmem-commands: the KMEM model-based test. A swarm program of console commands (every kind, drain
 * included) runs against the model allocator continued from the booted machine: every alloc and free
 * reply equals the model's (KMEM-SEQUENTIAL), and after every step KMEM-NO-DOUBLE-FREE,
 * KMEM-FREE-VERDICT and KMEM-INTEGRITY hold; recursion is judged by STACK-GUARD, batches by
 * KMEM-CONCURRENT, probes by MAP-EXACT (kmem/model.ts, kmem/commands/). On an image without our
 * console the program runs as injected calls to the profile's alloc and free (kmem/calls.ts
 * runCallProgram; recurse and probe are passed over there).
 */
import fc from 'fast-check';
import { kmemProgramArbitrary } from '../kmem/commands.js';
import { runProgram } from '../kmem/program.js';
import { quickPlatforms, spec, type PropertyDefinition } from './definition.js';
import { KMEM_SYMBOLS } from '../observe/memory.js';
import { allocatorSymbols, runCallProgram } from '../kmem/calls.js';

export const kmemCommandsProperty: PropertyDefinition = {
  name: 'kmem-commands',
  covers: ['allocator empty'],
  // an image whose profile names our console must answer on it; one with no console protocol is driven by injected calls
  needsConsole: (p) => p.console !== null,
  // the hooks judge every step (KMEM-NO-DOUBLE-FREE, KMEM-FREE-VERDICT); recurse and probe_ret for the console's commands
  needsSymbols: (p) => (p.console === 'hvspec-debug' ? [...KMEM_SYMBOLS, 'recurse', 'probe_ret'] : allocatorSymbols(p)),
  rules: ['KMEM-SEQUENTIAL', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-FREE-VERDICT', 'KMEM-ZEROED', 'KMEM-CONCURRENT', 'STACK-GUARD', 'MAP-EXACT'],
  runs: 25,
  arbitrary: (o) => fc.record({ platform: quickPlatforms(o), program: kmemProgramArbitrary({ maxLength: 16 }) }),
  examples: () => [
    {
      platform: spec(2, 1, 16n),
      program: [{ kind: 'alloc', hart: 0 }, { kind: 'double-free', hart: 1, frame: 0 }, { kind: 'free-out-of-range', hart: 0, pages: 0, offset: 1, below: false }, { kind: 'recurse', hart: 0, depth: 100 }],
    },
    { platform: spec(1, 0, 16n), program: [{ kind: 'drain', hart: 0 }, { kind: 'free', hart: 0, frame: 0 }, { kind: 'alloc', hart: 0 }] },
  ],
  check: (booted, c) => (booted.hasConsole ? runProgram(booted, c.program ?? []) : runCallProgram(booted, c.program ?? [])),
};
