/**
 * What every property is made of: the case it generates, how a case ends, the definition the runner
 * drives (generator, examples, check), what a property's run reports, and the platform generators
 * the properties share.
 */
import type fc from 'fast-check';
import type { RuleId, Violation } from '../../model/index.js';
import { platformSpecArbitrary, type FirmwareKind, type PlatformSpec } from '../arbitraries/platform.js';
import type { ConsoleCommand } from '../arbitraries/program.js';
import type { ScheduleSlice } from '../arbitraries/schedule.js';
import type { BootedHypervisor, CoverageState } from '../harness/hypervisor.js';
import type { HypervisorImage } from '../harness/image.js';
import type { Counterexample, Failure, FailureId } from '../report/counterexample.js';
import type { PropertyName } from '../report/token.js';

/** A property's case: what it was run on. */
export interface Case {
  readonly platform: PlatformSpec;
  readonly program?: readonly ConsoleCommand[];
  readonly schedule?: readonly ScheduleSlice[];
  /** stack-overflow-sp: how many bytes above the stack's bottom sp is put. */
  readonly sp?: number;
  /** stack-overflow-sp: the hart whose sp is moved. */
  readonly hart?: number;
}

/** What one case gave: nothing (it held), a counterexample, or a reason it could not run. */
export type CaseOutcome =
  | { readonly kind: 'held' }
  | { readonly kind: 'failed'; readonly counterexample: Counterexample; readonly failedAt?: number }
  /** `wholeImage`: no case of this property can run on this image (it has no console). */
  | { readonly kind: 'skipped'; readonly reason: string; readonly wholeImage?: boolean };

export interface PropertyResult {
  readonly property: PropertyName;
  /** The rules this property checks. */
  readonly rules: readonly RuleId[];
  readonly verdict: 'passed' | 'failed' | 'skipped';
  readonly runs: number;
  readonly seed: number;
  readonly ms: number;
  readonly counterexample?: Counterexample;
  /** The counterexample as text (formatCounterexample). */
  readonly report?: string;
  readonly reason?: string;
  /** fast-check's time limit (interruptAfterTimeLimit) stopped it before all its runs. */
  readonly interrupted?: boolean;
  /**
   * The rules it really judged, on at least one case: none when every case was skipped, else every
   * rule its checks apply (`PropertyDefinition.checks`). runProperty always sets it (for `--require`).
   */
  readonly checked?: readonly RuleId[];
  /** The rules its counterexample violates: its rule first, then each of `also`, once each; [] without one. runProperty always sets it. */
  readonly violated?: readonly FailureId[];
}

export interface SuiteOptions {
  readonly image: HypervisorImage;
  readonly seed?: number;
  /** Multiplies every property's default number of runs (HVSPEC_RUNS / 100 in the tests). */
  readonly scale?: number;
  readonly only?: readonly PropertyName[];
  /** Stop after the first failing property. */
  readonly failFast?: boolean;
  /** Largest RAM the boot property generates (default MAX_GENERATED_RAM, 4 GiB). */
  readonly maxRamSize?: bigint;
  readonly firmware?: readonly FirmwareKind[];
  readonly onProgress?: (property: PropertyName, done: number, total: number) => void;
  /** Called as each property finishes. */
  readonly onResult?: (result: PropertyResult) => void;
}

export const DEFAULT_SEED = 0x5eed;
export const GiB = 1n << 30n;

export interface PropertyDefinition {
  readonly name: PropertyName;
  readonly rules: readonly RuleId[];
  /**
   * Every rule a case of it judges, when more than `rules` (the ones it is about): a property that runs
   * a KMEM program also judges each step by the step rules (kmem/model.ts checkAfterStep).
   */
  readonly checks?: readonly RuleId[];
  /** Runs at scale 1. */
  readonly runs: number;
  readonly arbitrary: (options: SuiteOptions) => fc.Arbitrary<Case>;
  /** Cases tried first (edges worth a run every time). */
  readonly examples?: (options: SuiteOptions) => Case[];
  readonly strictTlb?: boolean;
  /** It drives the hypervisor through our debug console, so an image without one cannot be judged. */
  readonly needsConsole?: boolean;
  /**
   * Symbols its observations read (hooks included): an image without one is skipped naming it, since
   * a property without its hooks would see no calls and pass without evidence.
   */
  readonly needsSymbols: readonly string[];
  /** Interesting states its generated cases reach at the default budget (checked: SuiteResult.uncovered). */
  readonly covers?: readonly CoverageState[];
  readonly check: (booted: BootedHypervisor, c: Case) => Violation | BootedFailure | undefined;
}

/** A failure that is not (only) a rule: carries the transcript and where it happened. */
export interface BootedFailure {
  readonly rule: FailureId;
  readonly message: string;
  readonly also?: readonly Failure[];
  readonly transcript?: readonly string[];
  readonly hart?: number;
  /** Index in the program of the command that failed (later commands never ran). */
  readonly failedAt?: number;
}

/** The rules every step of a KMEM program judges (checkAfterStep), whatever the command. */
export const STEP_RULES: readonly RuleId[] = ['KMEM-NO-DOUBLE-FREE', 'KMEM-ZEROED', 'KMEM-FREE-VERDICT', 'KMEM-INTEGRITY'];

/** Any platform the generator makes (RAM up to 4 GiB unless the options lower it). */
export const allPlatforms = (options: SuiteOptions, minHarts = 1) =>
  platformSpecArbitrary({ ...(options.maxRamSize === undefined ? {} : { maxRamSize: options.maxRamSize }), minHarts, ...(options.firmware ? { firmware: options.firmware } : {}) });

/** Platforms quick to boot (for properties whose cases are programs, not platforms). */
export const quickPlatforms = (options: SuiteOptions, minHarts = 1) =>
  platformSpecArbitrary({ maxRamSize: 64n << 20n, minHarts, firmware: ['builtin'], ...(options.firmware?.includes('builtin') === false ? { firmware: options.firmware } : {}) });

/** A hand-picked example's platform: builtin firmware, hardware A/D unless `extra` says otherwise. */
export const spec = (harts: number, bootHart: number, ramMiB: bigint, extra: Partial<PlatformSpec> = {}): PlatformSpec => ({
  harts,
  bootHart,
  ramSize: ramMiB << 20n,
  firmware: 'builtin',
  ad: 'hardware',
  ...extra,
});
