/**
 * kmem-commands: the KMEM model-based test. A swarm program of console commands (every kind, drain
 * included) runs against the model allocator continued from the booted machine: every alloc and free
 * reply equals the model's (KMEM-SEQUENTIAL), and after every step KMEM-NO-DOUBLE-FREE,
 * KMEM-FREE-VERDICT and KMEM-INTEGRITY hold; recursion is judged by STACK-GUARD, batches by
 * KMEM-CONCURRENT, probes by MAP-EXACT (kmem/model.ts, kmem/commands/).
 */
import fc from 'fast-check';
import { kmemProgramArbitrary } from '../kmem/commands.js';
import { runProgram } from '../kmem/program.js';
import { quickPlatforms, spec, type PropertyDefinition } from './definition.js';
import { KMEM_SYMBOLS } from '../observe/memory.js';

export const kmemCommandsProperty: PropertyDefinition = {
  name: 'kmem-commands',
  covers: ['allocator empty'],
  needsConsole: true,
  // the hooks judge every step (KMEM-NO-DOUBLE-FREE, KMEM-FREE-VERDICT); recurse and probe_ret for those commands
  needsSymbols: [...KMEM_SYMBOLS, 'recurse', 'probe_ret'],
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
  check: (booted, c) => runProgram(booted, c.program ?? []),
};
