/** Minimisation after fast-check's shrinking: what of a failing case can go while it still fails with the same rule. */
import type { Case, PropertyDefinition } from '../property/definition.js';
import type { BootCache } from './boot-cache.js';
import { runCase } from './case.js';

/**
 * After fast-check's shrinking (which cannot shrink hand-picked examples of chained arbitraries):
 * drop commands and schedule slices one at a time while the case still fails with the same rule,
 * so the counterexample keeps only what matters. Each try restores a snapshot, so this is cheap.
 */
export function minimizeCase(definition: PropertyDefinition, cache: BootCache, c: Case): Case {
  const first = runCase(definition, cache, c);
  if (first.kind !== 'failed') return c;
  const rule = first.counterexample.rule;
  const stillFails = (candidate: Case): boolean => {
    const outcome = runCase(definition, cache, candidate);
    return outcome.kind === 'failed' && outcome.counterexample.rule === rule;
  };
  let best = c;
  // commands (or guest steps) after the failing one never ran
  const cut = first.failedAt;
  if (cut !== undefined && best.program && cut + 1 < best.program.length && stillFails({ ...best, program: best.program.slice(0, cut + 1) })) {
    best = { ...best, program: best.program.slice(0, cut + 1) };
  }
  if (cut !== undefined && best.guest && cut + 1 < best.guest.length && stillFails({ ...best, guest: best.guest.slice(0, cut + 1) })) {
    best = { ...best, guest: best.guest.slice(0, cut + 1) };
  }
  for (const field of ['program', 'schedule', 'guest'] as const) {
    for (let i = (best[field]?.length ?? 0) - 1; i >= 0; i--) {
      const list = best[field]!;
      if (field !== 'schedule' && list.length === 1) break;
      const candidate = { ...best, [field]: [...list.slice(0, i), ...list.slice(i + 1)] };
      if (stillFails(candidate)) best = candidate;
    }
  }
  return best;
}
