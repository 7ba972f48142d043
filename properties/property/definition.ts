/**
 * What every property is made of: the case it generates, how a case ends, the definition the runner
 * drives (generator, examples, check), what a property's run reports, and the platform generators
 * the properties share.
 */
import type fc from 'fast-check';
import type { RuleId, Violation } from '../../model/index.js';
import { platformSpecArbitrary, type FirmwareKind, type PlatformSpec } from '../arbitraries/platform.js';
import type { GuestStep } from '../arbitraries/guest.js';
import type { ConsoleCommand } from '../arbitraries/program.js';
import type { ScheduleSlice } from '../arbitraries/schedule.js';
import type { BootedHypervisor, CoverageState } from '../harness/hypervisor.js';
import type { HypervisorImage } from '../harness/image.js';
import { claimsRule, type ImageProfile } from '../profile/profile.js';
import type { Counterexample, Failure, FailureId, GStageDiff } from '../report/counterexample.js';
import type { PropertyName } from '../report/token.js';

/** A property's case: what it was run on. */
export interface Case {
  readonly platform: PlatformSpec;
  readonly program?: readonly ConsoleCommand[];
  readonly schedule?: readonly ScheduleSlice[];
  /** stack-overflow-sp and call-driven stack-overflow: how many bytes above the stack's bottom sp is put. */
  readonly sp?: number;
  /** stack-overflow-sp and call-driven stack-overflow: the hart whose sp is moved. */
  readonly hart?: number;
  /** guest: the VM lifecycle (arbitraries/guest.ts). */
  readonly guest?: readonly GuestStep[];
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
  /** The rules it checks that the image's profile waives, each with the reason: never judged, never shown as passed. */
  readonly waived?: readonly { readonly rule: RuleId; readonly reason: string; readonly part?: boolean }[];
  /** The rules its counterexample violates: its rule first, then each of `also`, once each; [] without one. runProperty always sets it. */
  readonly violated?: readonly FailureId[];
}

export interface SuiteOptions {
  readonly image: HypervisorImage;
  readonly seed?: number;
  /** Multiplies every property's default number of runs (HVSPEC_RUNS / 100 in the tests). */
  readonly scale?: number;
  readonly only?: readonly PropertyName[];
  /** Properties run before the others, in this order (a seeded bug's kill matrix runs those checking the rule it breaks first). */
  readonly first?: readonly PropertyName[];
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
  /**
   * It drives the hypervisor through our debug console, so an image without one cannot be judged; a
   * function of the profile for a property with a call-driven form (used when the profile names no console).
   */
  readonly needsConsole?: boolean | ((profile: ImageProfile) => boolean);
  /**
   * Symbols its observations read (hooks included): an image without one is skipped naming it, since
   * a property without its hooks would see no calls and pass without evidence.
   */
  readonly needsSymbols: readonly string[] | ((profile: ImageProfile) => readonly string[]);
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
  /** A VM's G-stage table against the model's, when the failure is about one. */
  readonly gStageDiff?: GStageDiff;
}

/** The rules every step of a KMEM program judges (checkAfterStep), whatever the command. */
export const STEP_RULES: readonly RuleId[] = ['KMEM-NO-DOUBLE-FREE', 'KMEM-ZEROED', 'KMEM-FREE-VERDICT', 'KMEM-INTEGRITY'];

/** The symbols `definition` needs on an image described by `profile`. */
export function neededSymbols(definition: Pick<PropertyDefinition, 'needsSymbols'>, profile: ImageProfile): readonly string[] {
  return typeof definition.needsSymbols === 'function' ? definition.needsSymbols(profile) : definition.needsSymbols;
}

/**
 * What the image's profile lets the generator make: its harts and RAM range (within the design's),
 * hart 0 as the boot hart when it claims no other, OpenSBI for an image booted by it, and hardware A/D
 * only for an image that relies on the hart setting A/D (Svade would fault on its leaves by design).
 */
function profileLimits(profile: ImageProfile, options: SuiteOptions): { minHarts: number; maxHarts: number; minRamSize: bigint; maxRamSize: bigint; bootHartZero: boolean; firmware?: readonly FirmwareKind[]; ad?: readonly ('hardware' | 'svade')[] } {
  const { platforms, boot, layout } = profile;
  const maxRam = options.maxRamSize === undefined || options.maxRamSize > platforms.ramSize.max ? platforms.ramSize.max : options.maxRamSize;
  const firmware = boot.firmware === 'opensbi' ? (['opensbi'] as const) : options.firmware;
  return {
    minHarts: platforms.harts.min,
    maxHarts: platforms.harts.max,
    minRamSize: platforms.ramSize.min,
    maxRamSize: maxRam,
    bootHartZero: platforms.bootHart === 'zero',
    ...(firmware ? { firmware } : {}),
    ...(layout.accessedDirty === 'hardware' ? { ad: ['hardware'] as const } : {}),
  };
}

/** Any platform the generator makes that the image's profile claims (RAM up to the generator's ceiling unless the options lower it). */
export const allPlatforms = (options: SuiteOptions, minHarts = 1) => {
  const limits = profileLimits(options.image.profile, options);
  return platformSpecArbitrary({ maxRamSize: limits.maxRamSize, minHarts: Math.max(minHarts, limits.minHarts), maxHarts: limits.maxHarts, ...(limits.firmware ? { firmware: limits.firmware } : {}), ...(limits.ad ? { ad: limits.ad } : {}) })
    .filter((p) => p.ramSize >= limits.minRamSize)
    .map((p) => (limits.bootHartZero ? { ...p, bootHart: 0 } : p));
};

/** Whether the image's profile claims `rule` (a waived rule is never judged). */
export const profileClaims = (options: Pick<SuiteOptions, 'image'>, rule: RuleId): boolean => claimsRule(options.image.profile, rule);

/** What the image's profile fixes of a generated platform: an image booted by OpenSBI is booted by it, and one relying on hardware A/D never meets Svade. */
export const profileBootLimits = (options: Pick<SuiteOptions, 'image'>): { firmware?: readonly ['opensbi']; ad?: readonly ['hardware'] } => ({
  ...(options.image.profile.boot.firmware === 'opensbi' ? { firmware: ['opensbi'] as const } : {}),
  ...(options.image.profile.layout.accessedDirty === 'hardware' ? { ad: ['hardware'] as const } : {}),
});

/** Platforms quick to boot (for properties whose cases are programs, not platforms). */
export const quickPlatforms = (options: SuiteOptions, minHarts = 1) =>
  platformSpecArbitrary({
    maxRamSize: 64n << 20n,
    minHarts,
    firmware: ['builtin'],
    ...(options.firmware?.includes('builtin') === false ? { firmware: options.firmware } : {}),
    ...profileBootLimits(options),
  });

/** A hand-picked example's platform: builtin firmware, hardware A/D unless `extra` says otherwise. */
export const spec = (harts: number, bootHart: number, ramMiB: bigint, extra: Partial<PlatformSpec> = {}): PlatformSpec => ({
  harts,
  bootHart,
  ramSize: ramMiB << 20n,
  firmware: 'builtin',
  ad: 'hardware',
  ...extra,
});
