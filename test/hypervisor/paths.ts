/** Where the hypervisor's committed build outputs live, for the tests. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const hypervisorDir = fileURLToPath(new URL('../../hypervisor/', import.meta.url));
export const imagePath = join(hypervisorDir, 'build', 'hypervisor.elf');
export const mutantsDir = join(hypervisorDir, 'mutants');
export const mutantImagePath = (name: string): string => join(hypervisorDir, 'build', 'mutants', `${name}.elf`);

/** The seeded bugs: one patch each, named by its file. */
export function mutantNames(): string[] {
  return readdirSync(mutantsDir)
    .filter((f) => f.endsWith('.patch'))
    .map((f) => f.slice(0, -'.patch'.length))
    .sort();
}
