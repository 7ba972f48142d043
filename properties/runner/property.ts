/** One property run with fast-check: its cases through runCase, a failure shrunk and minimised into its counterexample. */
import fc from 'fast-check';
import { formatPlatformSpec } from '../arbitraries/platform.js';
import { DEFAULT_SEED, type Case, type PropertyDefinition, type PropertyResult, type SuiteOptions } from '../property/definition.js';
import { formatCounterexample } from '../report/counterexample.js';
import type { BootCache } from './boot-cache.js';
import { runCase } from './case.js';
import { minimizeCase } from './minimize.js';
import { claimsRule, narrowerPlatformClaim, waiverReason, type ImageProfile } from '../profile/profile.js';
import type { PlatformSpec } from '../arbitraries/platform.js';

/**
 * Runs one property with fast-check; shrinks a failure and returns its counterexample. The rules the
 * image's profile waives are reported as waived with their reasons and never as checked; a property
 * whose every rule is waived is skipped saying so.
 */
export function runProperty(definition: PropertyDefinition, cache: BootCache, options: SuiteOptions): PropertyResult {
  const { profile } = options.image;
  const whole = definition.rules.filter((rule) => !claimsRule(profile, rule)).map((rule) => ({ rule, reason: waiverReason(profile, rule) ?? 'not among the rules the profile claims' }));
  // a narrower platform claim than the design's is a waived part of BOOT-COMPLETES, so it shows
  const narrower = narrowerPlatformClaim(profile.platforms);
  const part = narrower !== undefined && definition.rules.includes('BOOT-COMPLETES') && claimsRule(profile, 'BOOT-COMPLETES') ? [{ rule: 'BOOT-COMPLETES' as const, reason: `claimed only for ${narrower}: ${profile.platforms.reason ?? 'no reason given'}`, part: true }] : [];
  const waived = [...whole, ...part];
  if (waived.length === 0) return runClaimedProperty(definition, cache, options);
  const seed = options.seed ?? DEFAULT_SEED;
  if (whole.length === definition.rules.length) {
    return { property: definition.name, rules: definition.rules, checked: [], violated: [], waived, verdict: 'skipped', runs: 0, seed, ms: 0, reason: `the profile of ${options.image.name} waives every rule it checks (${waived.map((w) => w.rule).join(', ')})` };
  }
  const result = runClaimedProperty(definition, cache, options);
  const isWaived = (rule: string): boolean => whole.some((w) => w.rule === rule);
  return { ...result, waived, ...(result.checked ? { checked: result.checked.filter((r) => !isWaived(r)) } : {}) };
}

/** A hand-picked example platform as the image's profile claims platforms: its firmware, hardware A/D if it relies on it, hart 0 booting if only that; else unchanged. */
function asProfileClaims(platform: PlatformSpec, profile: ImageProfile): PlatformSpec {
  return {
    ...platform,
    ...(profile.boot.firmware === 'opensbi' ? { firmware: 'opensbi' as const } : {}),
    ...(profile.layout.accessedDirty === 'hardware' ? { ad: 'hardware' as const } : {}),
    ...(profile.platforms.bootHart === 'zero' ? { bootHart: 0 } : {}),
  };
}

function runClaimedProperty(definition: PropertyDefinition, cache: BootCache, options: SuiteOptions): PropertyResult {
  const seed = options.seed ?? DEFAULT_SEED;
  const numRuns = Math.max(1, Math.round(definition.runs * (options.scale ?? 1)));
  const started = performance.now();
  let skipped: string | undefined;
  let done = 0;
  const examples = (definition.examples?.(options) ?? []).map((e) => ({ ...e, platform: asProfileClaims(e.platform, options.image.profile) })).filter((e) => options.firmware === undefined || options.firmware.includes(e.platform.firmware));
  let ran = 0;
  let wholeImageSkip: string | undefined;
  const details = fc.check(
    fc.property(definition.arbitrary(options), (c) => {
      // once one case showed the image cannot run this property at all, the others need not boot
      if (wholeImageSkip !== undefined) {
        done += 1;
        options.onProgress?.(definition.name, Math.min(done, numRuns), numRuns);
        return true;
      }
      // fast-check runs the examples first, in order
      cache.runningExample = done < examples.length;
      const outcome = runCase(definition, cache, c);
      cache.runningExample = false;
      done += 1;
      options.onProgress?.(definition.name, Math.min(done, numRuns), numRuns);
      if (outcome.kind === 'skipped') {
        skipped ??= outcome.reason;
        if (outcome.wholeImage === true) wholeImageSkip = outcome.reason;
        return true;
      }
      ran += 1;
      return outcome.kind === 'held';
    }),
    { seed, numRuns, examples: examples.map((e) => [e]), endOnFailure: false },
  );
  const ms = performance.now() - started;
  const interrupted = details.interrupted ? { interrupted: true } : {};
  if (!details.failed) {
    const allSkipped = skipped !== undefined && ran === 0;
    // a skipped property ran no case to a verdict, however many fast-check handed it (runs 0, as the table's "-")
    return { property: definition.name, rules: definition.rules, checked: allSkipped ? [] : (definition.checks ?? definition.rules), violated: [], verdict: allSkipped ? 'skipped' : 'passed', runs: allSkipped ? 0 : details.numRuns, seed, ms, ...(skipped ? { reason: skipped } : {}), ...interrupted };
  }
  if (details.counterexample === null) {
    // fast-check failed without a case: a time limit stopped it before any run finished (it counts
    // that as a failure), or it gave up after too many skipped runs. Neither is evidence against a rule.
    const reason = details.interrupted ? 'a time limit stopped it before its first run' : `fast-check gave up without a case after ${details.numSkips} skipped runs`;
    return { property: definition.name, rules: definition.rules, checked: [], violated: [], verdict: 'skipped', runs: 0, seed, ms, reason, ...interrupted };
  }
  const shrunk = minimizeCase(definition, cache, details.counterexample[0] as Case);
  const outcome = runCase(definition, cache, shrunk, { seed, path: details.counterexamplePath ?? '' });
  if (outcome.kind !== 'failed') {
    return { property: definition.name, rules: definition.rules, checked: definition.checks ?? definition.rules, violated: [], verdict: 'failed', runs: details.numRuns, seed, ms, reason: `the shrunk case did not fail again when re-run (non-determinism): ${formatPlatformSpec(shrunk.platform)}` };
  }
  const { counterexample } = outcome;
  const violated = [...new Set([counterexample.rule, ...counterexample.also.map((a) => a.rule)])];
  return { property: definition.name, rules: definition.rules, checked: definition.checks ?? definition.rules, violated, verdict: 'failed', runs: details.numRuns, seed, ms, counterexample: outcome.counterexample, report: formatCounterexample(outcome.counterexample) };
}
