/**
 * The property suite: the list of properties (each in its own file under property/, run in this
 * order), `runSuite`, which runs them all with one seed and budget over one boot cache, and
 * `replayCase`, which re-runs one case exactly (what `hvspec replay` does). How a property and a
 * case run is in runner/.
 */
import { RULES } from '../model/index.js';
import { MAX_GENERATED_RAM, MAX_OPENSBI_RAM } from './arbitraries/platform.js';
import { checkProgram } from './arbitraries/program.js';
import type { CoverageState } from './harness/hypervisor.js';
import type { HypervisorImage } from './harness/image.js';
import { checkGuestLifecycle } from './arbitraries/guest.js';
import { bootProperty } from './property/boot.js';
import { DEFAULT_SEED, GiB, type Case, type CaseOutcome, type PropertyDefinition, type PropertyResult, type SuiteOptions } from './property/definition.js';
import { guestProperty } from './property/guest.js';
import { kmemCommandsProperty } from './property/kmem-commands.js';
import { kmemConcurrentProperty } from './property/kmem-concurrent.js';
import { stackOverflowSpProperty } from './property/stack-overflow-sp.js';
import { stackOverflowProperty } from './property/stack-overflow.js';
import { tlbDisciplineProperty } from './property/tlb-discipline.js';
import type { PropertyName, ReplayCase } from './report/token.js';
import { BootCache } from './runner/boot-cache.js';
import { runCase } from './runner/case.js';
import { runProperty } from './runner/property.js';

export { DEFAULT_SEED, type BootedFailure, type Case, type CaseOutcome, type PropertyDefinition, type PropertyResult, type SuiteOptions } from './property/definition.js';
export { cycleSchedule } from './arbitraries/schedule.js';
export { BootCache } from './runner/boot-cache.js';
export { runCase } from './runner/case.js';
export { minimizeCase } from './runner/minimize.js';
export { runProperty } from './runner/property.js';

export interface SuiteResult {
  readonly image: { readonly name: string; readonly digest: string };
  readonly properties: readonly PropertyResult[];
  /** How often generated cases reached each interesting state (machines that reached it; hand-picked examples do not count). */
  readonly coverage: Readonly<Record<CoverageState, number>>;
  /** States a property claims to cover (`covers`) that it ran its whole default budget and never reached. */
  readonly uncovered: readonly { readonly state: CoverageState; readonly property: PropertyName }[];
}

export const PROPERTIES: readonly PropertyDefinition[] = [bootProperty, kmemConcurrentProperty, stackOverflowProperty, stackOverflowSpProperty, tlbDisciplineProperty, kmemCommandsProperty, guestProperty];

/**
 * The states some property claims (`covers`) but its generated cases never reached, counting only
 * properties that passed after their whole default budget (a property cut short, restricted or run
 * with fewer runs makes no claim).
 */
export function uncoveredStates(results: readonly PropertyResult[], coverage: Readonly<Record<CoverageState, number>>, definitions: readonly PropertyDefinition[] = PROPERTIES): SuiteResult['uncovered'] {
  const out: { state: CoverageState; property: PropertyName }[] = [];
  for (const r of results) {
    const definition = definitions.find((d) => d.name === r.property);
    if (definition === undefined || r.verdict !== 'passed' || r.interrupted === true || r.runs < definition.runs) continue;
    for (const state of definition.covers ?? []) if (coverage[state] === 0 && !out.some((o) => o.state === state)) out.push({ state, property: r.property });
  }
  return out;
}

/** A suite run passes when no property failed and every state a property claims was reached. */
export function suitePassed(result: Pick<SuiteResult, 'properties' | 'uncovered'>): boolean {
  return result.properties.every((p) => p.verdict !== 'failed') && result.uncovered.length === 0;
}

/**
 * runProperty, and should the suite itself throw (an observation it cannot make of this image, a bug
 * of its own), a failed result that says so instead of a crash, so the run still ends with its
 * summary and reports.
 */
function runPropertyOrReport(definition: PropertyDefinition, cache: BootCache, options: SuiteOptions): PropertyResult {
  const started = performance.now();
  try {
    return runProperty(definition, cache, options);
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { property: definition.name, rules: definition.rules, checked: [], violated: [], verdict: 'failed', runs: 0, seed: options.seed ?? DEFAULT_SEED, ms: performance.now() - started, reason: `the suite stopped with an error of its own, not a verdict on the image (please report it): ${error}` };
  }
}

/** The properties that judge `rule`, in PROPERTIES order (a kill matrix runs them first against a bug said to break it). */
export function propertiesChecking(rule: string): PropertyName[] {
  return PROPERTIES.filter((p) => [...p.rules, ...(p.checks ?? [])].some((r) => r === rule)).map((p) => p.name);
}

/** Runs the suite (every property, or `only`): `first` in its order, then the rest in PROPERTIES order. */
export function runSuite(options: SuiteOptions): SuiteResult {
  const cache = new BootCache(options.image);
  const results: PropertyResult[] = [];
  const first = (options.first ?? []).map((name) => PROPERTIES.find((p) => p.name === name)!);
  for (const definition of [...first, ...PROPERTIES.filter((p) => !first.includes(p))]) {
    if (options.only && !options.only.includes(definition.name)) continue;
    const result = runPropertyOrReport(definition, cache, options);
    results.push(result);
    options.onResult?.(result);
    if (options.failFast && result.verdict === 'failed') break;
  }
  const coverage = cache.coverageCounts();
  // a lower RAM ceiling may rule a state out ("RAM above 4 GiB"), so it makes no claim
  const restricted = options.maxRamSize !== undefined && options.maxRamSize < MAX_GENERATED_RAM;
  const uncovered = restricted ? [] : claimedUncovered(results, coverage, options);
  return { image: { name: options.image.name, digest: options.image.digest }, properties: results, coverage, uncovered };
}

/** uncoveredStates, less the states the image's platforms cannot reach (RAM beyond what its generators give it). */
export function claimedUncovered(results: readonly PropertyResult[], coverage: Readonly<Record<CoverageState, number>>, options: Pick<SuiteOptions, 'image'>): SuiteResult['uncovered'] {
  const reach = largestGeneratedRam(options);
  return uncoveredStates(results, coverage).filter((u) => RAM_STATES[u.state] === undefined || RAM_STATES[u.state]! < reach);
}

/** The coverage states that need RAM above a size. */
const RAM_STATES: Partial<Record<CoverageState, bigint>> = { 'RAM above 1 GiB': GiB, 'RAM above 4 GiB': 4n * GiB };

/**
 * The largest RAM the generators can give this image: the profile's claim, and for an image booted
 * by OpenSBI, MAX_OPENSBI_RAM (platformSpecArbitrary caps it there); a state beyond it is no claim.
 */
export function largestGeneratedRam(options: Pick<SuiteOptions, 'image'>): bigint {
  const { platforms, boot } = options.image.profile;
  const caps = [MAX_GENERATED_RAM, platforms.ramSize.max, ...(boot.firmware === 'opensbi' ? [MAX_OPENSBI_RAM] : [])];
  return caps.reduce((a, b) => (b < a ? b : a));
}

/** Re-runs one case exactly (from a decoded replay token); refuses an image with another digest. */
export function replayCase(replay: ReplayCase, image: HypervisorImage): CaseOutcome {
  if (replay.image.digest !== image.digest) {
    throw new RangeError(`replay token is for ${replay.image.name} (sha256 ${replay.image.digest}), but ${image.name} has sha256 ${image.digest}`);
  }
  const definition = PROPERTIES.find((p) => p.name === replay.property)!;
  const c: Case = {
    platform: replay.platform,
    ...(replay.program ? { program: checkProgram(replay.program) } : {}),
    ...(replay.schedule ? { schedule: replay.schedule } : {}),
    ...(replay.sp !== undefined ? { sp: replay.sp } : {}),
    ...(replay.hart !== undefined ? { hart: replay.hart } : {}),
    ...(replay.guest ? { guest: checkGuestLifecycle(replay.guest) } : {}),
  };
  return runCase(definition, new BootCache(image), c, { ...(replay.seed !== undefined ? { seed: replay.seed } : {}), ...(replay.path !== undefined ? { path: replay.path } : {}) });
}

export { RULES };
