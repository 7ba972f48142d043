/** Shared by the suite's tests: the images, the budget knobs, and the mutant catalogue's rule table. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { catalogueRules } from '../../cli/commands/mutants.js';

export const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
export const MUTANTS_DIR = 'hypervisor/build/mutants';

/** The seed and run scale every suite test uses (test/setup/fast-check.ts; HVSPEC_RUNS=100 is scale 1). */
export function budget(): { seed: number; scale: number } {
  const seed = fc.readConfigureGlobal().seed ?? 0x5eed;
  const runs = process.env.HVSPEC_RUNS === undefined ? 100 : Number(process.env.HVSPEC_RUNS);
  return { seed, scale: runs / 100 };
}

/** mutant name -> the rule hypervisor/mutants/README.md says it breaks (parsed from its table, the catalogue's source of truth). */
export function mutantRules(): Map<string, string> {
  return catalogueRules(readFileSync('hypervisor/mutants/README.md', 'utf8'));
}

/** Every built mutant image, by name. */
export function mutantImages(): { name: string; path: string }[] {
  return readdirSync(MUTANTS_DIR)
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.elf'.length), path: join(MUTANTS_DIR, f) }));
}
