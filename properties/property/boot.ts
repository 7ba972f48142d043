/**
 * boot: every generated platform (up to 16 GiB) boots, and the fresh machine satisfies every rule a
 * boot can be judged by (checks/boot.ts): each hart's final table (MAP-*, STACK-GUARD), the early
 * table (BOOT-EARLY), how the boot ended (BOOT-COMPLETES), the allocator and the boot's
 * kalloc/kfree calls (KMEM-*). First the flattened tables are cross-checked with the emulator's MMU:
 * a disagreement is an error of the suite, not a verdict.
 */
import { bootViolations, mmuDisagreement } from '../checks/boot.js';
import { allPlatforms, GiB, spec, type PropertyDefinition } from './definition.js';
import { allocatorFunctions, allocatorStateSymbols } from '../profile/model.js';

export const bootProperty: PropertyDefinition = {
  name: 'boot',
  covers: ['RAM above 1 GiB', 'RAM above 4 GiB', 'boot hart not 0'],
  // the hooks see the boot's calls (KMEM-NO-DOUBLE-FREE, KMEM-SEQUENTIAL, or KMEM-CONCURRENT when harts call at once); the rest read the allocator
  needsSymbols: (profile) => [...allocatorFunctions(profile), ...allocatorStateSymbols(profile)],
  rules: ['MAP-DISJOINT', 'MAP-GLOBAL', 'MAP-WX', 'MAP-USER', 'MAP-AD', 'MAP-SHARED', 'MAP-EXACT', 'STACK-GUARD', 'BOOT-EARLY', 'BOOT-COMPLETES', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-SEQUENTIAL', 'KMEM-CONCURRENT', 'KMEM-ZEROED'],
  // 3 examples + 9 generated (fast-check counts examples among the runs)
  runs: 12,
  arbitrary: (o) => allPlatforms(o).map((platform) => ({ platform })),
  examples: () => [{ platform: spec(2, 1, 16n) }, { platform: spec(1, 0, 1024n + 0n, { ramSize: GiB + 0x1000n }) }, { platform: spec(3, 2, 32n, { firmware: 'opensbi', ad: 'svade' }) }],
  check: (booted) => {
    const unsound = mmuDisagreement(booted);
    if (unsound !== undefined) throw new Error(`observation disagrees with the emulator (a model or emulator bug, not the hypervisor's): ${unsound}`);
    const [first, ...also] = bootViolations(booted);
    return first && { ...first, also };
  },
};
