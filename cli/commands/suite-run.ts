/**
 * Running the property suite for `start` and `check`: the platform limits of --harts/--mem, the
 * time budget, a live progress line per property, the summary table and the failure reports.
 *
 * properties/ takes no harts or RAM limits (SuiteOptions has maxRamSize and firmware only), so the
 * limits are applied here: each property's cases are filtered to platforms within them, after
 * checking on a sample of its generated cases that some fit (else it is skipped, saying why); a
 * property whose examples do not fit runs without them.
 */
import fc from 'fast-check';
import { formatRamSize, PROPERTIES, runProperty, BootCache, BootedHypervisor, DEFAULT_SEED, claimedUncovered, type Case, type FirmwareKind, type HypervisorImage, type PlatformSpec, type PropertyDefinition, type PropertyName, type PropertyResult, type SuiteOptions, type SuiteResult, type CoverageState } from '../../properties/index.js';
import type { InclusiveRange } from '../options.js';

export interface SuiteSettings {
  readonly image: HypervisorImage;
  readonly seed?: number;
  readonly scale?: number;
  /** Runs per property, overriding each property's default (and scale). */
  readonly runs?: number;
  readonly only?: readonly PropertyName[];
  readonly harts?: InclusiveRange<number>;
  readonly mem?: InclusiveRange<bigint>;
  readonly firmware?: readonly FirmwareKind[];
  /** OpenSBI fw_dynamic to boot instead of Debian's (when firmware includes 'opensbi'). */
  readonly openSbiPath?: string;
  /** Time for the whole run: fast-check stops the running property when it is up; later ones are skipped, saying so. */
  readonly timeBudgetMs?: number;
}

/** How many generated cases are sampled to decide whether a property can meet --harts/--mem. */
const FIT_SAMPLE = 300;

const fits = (settings: SuiteSettings, p: PlatformSpec): boolean =>
  (settings.harts === undefined || (p.harts >= settings.harts.min && p.harts <= settings.harts.max)) &&
  (settings.mem === undefined || (p.ramSize >= settings.mem.min && p.ramSize <= settings.mem.max));

function limitText(settings: SuiteSettings): string {
  const parts: string[] = [];
  if (settings.harts) parts.push(`--harts ${settings.harts.min === settings.harts.max ? settings.harts.min : `${settings.harts.min}-${settings.harts.max}`}`);
  if (settings.mem) parts.push(`--mem ${settings.mem.min === settings.mem.max ? formatRamSize(settings.mem.min) : `${formatRamSize(settings.mem.min)}-${formatRamSize(settings.mem.max)}`}`);
  return parts.join(' ');
}

/** The property restricted to platforms within the limits, or the reason it cannot be. */
function limited(definition: PropertyDefinition, settings: SuiteSettings, options: SuiteOptions): PropertyDefinition | string {
  if (settings.harts === undefined && settings.mem === undefined) return definition;
  const sample = fc.sample(definition.arbitrary(options), { seed: options.seed ?? DEFAULT_SEED, numRuns: FIT_SAMPLE });
  if (!sample.some((c) => fits(settings, c.platform))) {
    const harts = sample.map((c) => c.platform.harts);
    const rams = sample.map((c) => c.platform.ramSize);
    const lo = rams.reduce((a, b) => (a < b ? a : b));
    const hi = rams.reduce((a, b) => (a > b ? a : b));
    return `its platforms (${Math.min(...harts)}-${Math.max(...harts)} harts, RAM ${formatRamSize(lo)}-${formatRamSize(hi)}) never fit ${limitText(settings)}`;
  }
  return {
    ...definition,
    arbitrary: (o) => definition.arbitrary(o).filter((c: Case) => fits(settings, c.platform)),
    examples: (o) => (definition.examples?.(o) ?? []).filter((c) => fits(settings, c.platform)),
  };
}

/** Boot-time traps kept (the last ones): a normal boot takes a few dozen. */
const BOOT_TRAP_LOG = 10_000;

/**
 * A trap list that keeps only the last entries. BootedHypervisor records every trap, so an image
 * that traps on every instruction during boot (a broken stvec) would fill the heap within its
 * 400 M-step boot budget instead of failing BOOT-COMPLETES; the last traps are all a report shows.
 */
export class BoundedTrapLog<T> extends Array<T> {
  override push(...items: T[]): number {
    super.push(...items);
    if (this.length > 2 * BOOT_TRAP_LOG) this.splice(0, this.length - BOOT_TRAP_LOG);
    return this.length;
  }
}

/** Boots like bootHypervisor, with the boot-time trap list bounded (and OpenSBI from `openSbiPath` when given). */
export function bootBounded(image: HypervisorImage, spec: PlatformSpec, options: { strictTlb?: boolean; openSbiPath?: string } = {}): BootedHypervisor {
  const booted = new BootedHypervisor(image, spec, { strictTlb: options.strictTlb ?? false, ...(options.openSbiPath ? { openSbiPath: options.openSbiPath } : {}) });
  booted.traps = new BoundedTrapLog<(typeof booted.traps)[number]>();
  const result = booted.boot();
  // after boot the properties get a plain list again (restoreAfterBoot copies the saved one)
  booted.traps = [...booted.traps];
  return result;
}

/**
 * The CLI's BootCache: boots through bootBounded, with OpenSBI from a given path (BootCache itself
 * always uses Debian's); caching and restoring are BootCache's.
 */
export class CliBootCache extends BootCache {
  constructor(image: HypervisorImage, readonly openSbiPath?: string) {
    super(image);
  }

  protected override boot(spec: PlatformSpec, strictTlb: boolean): BootedHypervisor {
    return bootBounded(this.image, spec, { strictTlb, ...(this.openSbiPath ? { openSbiPath: this.openSbiPath } : {}) });
  }
}

export interface SuiteCallbacks {
  readonly onStart?: (property: PropertyName, total: number) => void;
  readonly onProgress?: (property: PropertyName, done: number, total: number) => void;
  /** `result.ms` is the wall time since onStart, the one time the progress line and the table show. */
  readonly onResult?: (result: PropertyResult) => void;
}

/** The default number of runs of a property at this scale (as runProperty computes it). */
export function plannedRuns(definition: PropertyDefinition, scale = 1): number {
  return Math.max(1, Math.round(definition.runs * scale));
}

/**
 * Runs one property, letting fast-check stop it after `remainingMs` (runProperty takes no time
 * limit, so it goes through fast-check's global parameters, restored afterwards). A property
 * stopped before its first run is skipped; one stopped early says how many of its runs it did.
 */
function withinBudget(remainingMs: number, planned: number, run: () => PropertyResult): PropertyResult {
  const before = fc.readConfigureGlobal();
  fc.configureGlobal({ ...before, interruptAfterTimeLimit: Math.max(1, Math.floor(remainingMs)), markInterruptAsFailure: false });
  let result: PropertyResult;
  try {
    result = run();
  } finally {
    fc.configureGlobal(before);
  }
  // a skip keeps its own reason (runProperty's runs are 0 then)
  if (!result.interrupted || result.verdict !== 'passed') return result;
  if (result.runs === 0) return { ...result, verdict: 'skipped', reason: 'the time budget ran out before its first run' };
  return { ...result, reason: `the time budget stopped it after ${result.runs} of ${planned} runs` };
}

/** The options every property of a run gets (runProperty's), with the run's seed, scale, firmware and RAM limit. */
export function suiteOptions(settings: SuiteSettings, onProgress?: SuiteCallbacks['onProgress']): SuiteOptions {
  return {
    image: settings.image,
    seed: settings.seed ?? DEFAULT_SEED,
    scale: settings.scale ?? 1,
    ...(settings.firmware ? { firmware: settings.firmware } : {}),
    ...(settings.mem ? { maxRamSize: settings.mem.max } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

const skipResult = (definition: PropertyDefinition, seed: number, reason: string): PropertyResult => ({ property: definition.name, rules: definition.rules, verdict: 'skipped', runs: 0, seed, ms: 0, reason });

/** A property not started because the run's --time-budget was used up. */
export function budgetSkip(definition: PropertyDefinition, settings: SuiteSettings): PropertyResult {
  const budget = settings.timeBudgetMs!;
  return skipResult(definition, settings.seed ?? DEFAULT_SEED, `time budget of ${budget < 1000 ? `${budget} ms` : `${(budget / 1000).toFixed(0)} s`} used up before it started`);
}

/**
 * One property as a run does it, on a boot cache of its own: within --harts/--mem (or skipped
 * saying why), stopped by fast-check after `remainingMs` when the run has a time budget. Returns its
 * result (`ms` still runProperty's) and the coverage its generated cases reached. A cache per
 * property makes both a function of the property and the settings alone, not of the properties
 * before it (a shared cache would hand it their machines, whose coverage was already counted), so
 * the properties can run in any order or in parallel (suite-parallel.ts) with the same numbers.
 */
export function runSettingsProperty(definition: PropertyDefinition, settings: SuiteSettings, options: SuiteOptions, remainingMs?: number): { result: PropertyResult; coverage: Record<CoverageState, number> } {
  const cache = new CliBootCache(settings.image, settings.openSbiPath);
  const restricted = limited(definition, settings, options);
  const scale = settings.runs === undefined ? options.scale : settings.runs / definition.runs;
  let result: PropertyResult;
  if (typeof restricted === 'string') result = skipResult(definition, options.seed!, restricted);
  else if (remainingMs === undefined) result = runProperty(restricted, cache, { ...options, scale });
  else result = withinBudget(remainingMs, settings.runs ?? plannedRuns(definition, scale), () => runProperty(restricted, cache, { ...options, scale }));
  return { result, coverage: cache.coverageCounts() };
}

/** Coverage counts summed over properties (every state present, 0 when never reached). */
export function addCoverage(total: Record<CoverageState, number>, counts: Readonly<Record<CoverageState, number>>): void {
  for (const state of Object.keys(total) as CoverageState[]) total[state] += counts[state] ?? 0;
}

/** Every coverage state at 0. */
export const noCoverage = (image: HypervisorImage): Record<CoverageState, number> => new BootCache(image).coverageCounts();

/** Whether a run's coverage makes claims: a restricted platform range (--harts, --mem, --firmware) may rule a state out. */
export const coverageClaims = (settings: SuiteSettings): boolean => settings.harts === undefined && settings.mem === undefined && settings.firmware === undefined;

/** Runs the selected properties in PROPERTIES order within the settings' limits and budget, one after another in this thread. */
export function runLimitedSuite(settings: SuiteSettings, callbacks: SuiteCallbacks = {}): SuiteResult {
  const started = performance.now();
  const options = suiteOptions(settings, callbacks.onProgress);
  const results: PropertyResult[] = [];
  const coverage = noCoverage(settings.image);
  // fast-check reads a coarser clock than ours: once it has stopped a property for the budget, the budget is spent
  let budgetSpent = false;
  for (const definition of PROPERTIES) {
    if (settings.only && !settings.only.includes(definition.name)) continue;
    // one clock for the progress line and the table: wall time from here to onResult, sampling
    // for --harts/--mem and shrinking included (runProperty's own ms leaves shrinking out)
    const wallStart = performance.now();
    callbacks.onStart?.(definition.name, settings.runs ?? plannedRuns(definition, options.scale));
    let result: PropertyResult;
    const elapsed = performance.now() - started;
    if (settings.timeBudgetMs !== undefined && (budgetSpent || elapsed >= settings.timeBudgetMs)) result = budgetSkip(definition, settings);
    else {
      const ran = runSettingsProperty(definition, settings, options, settings.timeBudgetMs === undefined ? undefined : settings.timeBudgetMs - elapsed);
      result = ran.result;
      addCoverage(coverage, ran.coverage);
    }
    if (result.interrupted === true) budgetSpent = true;
    result = { ...result, ms: performance.now() - wallStart };
    results.push(result);
    callbacks.onResult?.(result);
  }
  return { image: { name: settings.image.name, digest: settings.image.digest }, properties: results, coverage, uncovered: coverageClaims(settings) ? claimedUncovered(results, coverage, { image: settings.image }) : [] };
}
