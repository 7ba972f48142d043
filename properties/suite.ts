/**
 * The property suite: each property generates inputs (platform, program, schedule), runs them on a
 * booted hypervisor (booted once per platform and restored from a snapshot for every further case),
 * and turns a failure into a Counterexample citing the model's rule. `runSuite` runs them all with
 * one seed and budget; `replayCase` re-runs one case exactly (what `hvspec replay` does).
 */
import fc from 'fast-check';
import { bootCompletes, concurrentHistoryLinearizable, CPU_STACK, CPU_STRUCT_GIGABYTE, formatRange, freeListIntact, hex, linearPa, mergeRuns, noStaleTranslations, pagesOf, RULES, runsWithin, type RuleId, type Violation } from '../model/index.js';
import { formatPlatformSpec, platformSpecArbitrary, type FirmwareKind, type PlatformSpec } from './arbitraries/platform.js';
import { checkProgram, type ConsoleCommand } from './arbitraries/program.js';
import { normalizeSchedule, scheduleArbitrary, type ScheduleSlice } from './arbitraries/schedule.js';
import { bootTrap, bootViolations, mmuDisagreement } from './checks/boot.js';
import { observeOverflow } from './checks/stack.js';
import { BootedHypervisor, BootFailure, COVERAGE_STATES, Unsupported, type CoverageState } from './harness/hypervisor.js';
import type { HypervisorImage } from './harness/image.js';
import { kmemProgramArbitrary, programCommands } from './kmem/commands.js';
import { initialModel, isReplyFailure, StepFailure, type KmemReal, type KmemTestModel } from './kmem/model.js';
import { changedRanges, MissingSymbolError, readAllHartTables, readKmem } from './observe/memory.js';
import { formatCounterexample, type Counterexample, type Failure, type FailureId } from './report/counterexample.js';
import { diffRows, expectedRunsForDiff } from './report/ptdump.js';
import type { PropertyName, ReplayCase } from './report/token.js';

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
}

export interface SuiteOptions {
  readonly image: HypervisorImage;
  readonly seed?: number;
  /** Multiplies every property's default number of runs (HVSPEC_RUNS / 100 in the tests). */
  readonly scale?: number;
  readonly only?: readonly PropertyName[];
  /** Stop after the first failing property. */
  readonly failFast?: boolean;
  /** Largest RAM the boot property generates (default 4 GiB, the issue's range). */
  readonly maxRamSize?: bigint;
  readonly firmware?: readonly FirmwareKind[];
  readonly onProgress?: (property: PropertyName, done: number, total: number) => void;
  /** Called as each property finishes. */
  readonly onResult?: (result: PropertyResult) => void;
}

export interface SuiteResult {
  readonly image: { readonly name: string; readonly digest: string };
  readonly properties: readonly PropertyResult[];
  /** How often generated cases reached each interesting state (machines that reached it; hand-picked examples do not count). */
  readonly coverage: Readonly<Record<CoverageState, number>>;
  /** States a property claims to cover (`covers`) that it ran its whole default budget and never reached. */
  readonly uncovered: readonly { readonly state: CoverageState; readonly property: PropertyName }[];
}

export const DEFAULT_SEED = 0x5eed;
const GiB = 1n << 30n;

/** Booted machines by platform, restored after boot whenever handed out; large RAM is not kept. */
export class BootCache {
  readonly #machines = new Map<string, BootedHypervisor | BootFailure>();
  /** Interesting states reached by generated cases. */
  readonly coverage = new Map<CoverageState, number>();
  /** Set while a hand-picked example runs: reaching a state through one says nothing of the generators. */
  runningExample = false;
  constructor(
    readonly image: HypervisorImage,
    readonly capacity = 3,
  ) {}

  get(spec: PlatformSpec, strictTlb = false): BootedHypervisor {
    const key = `${JSON.stringify(spec, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}:${strictTlb}`;
    let entry = this.#machines.get(key);
    if (entry === undefined) {
      try {
        entry = this.boot(spec, strictTlb);
        for (const state of entry.coverage) this.#count(state);
      } catch (e) {
        if (!(e instanceof BootFailure)) throw e;
        entry = e;
      }
      if (spec.ramSize <= GiB / 4n) {
        this.#machines.set(key, entry);
        while (this.#machines.size > this.capacity) this.#machines.delete(this.#machines.keys().next().value!);
      }
    } else {
      this.#machines.delete(key); // most recently used last
      this.#machines.set(key, entry);
    }
    if (entry instanceof BootFailure) throw entry;
    entry.restoreAfterBoot();
    return entry;
  }

  /** Boots one platform; throws BootFailure. Subclasses change how (firmware file, trap log), not the caching. */
  protected boot(spec: PlatformSpec, strictTlb: boolean): BootedHypervisor {
    return new BootedHypervisor(this.image, spec, { strictTlb }).boot();
  }

  /** Counts a state reached after boot (the machine's own set also keeps it). */
  note(booted: BootedHypervisor, before: ReadonlySet<CoverageState>): void {
    for (const state of booted.coverage) if (!before.has(state)) this.#count(state);
  }

  #count(state: CoverageState): void {
    if (!this.runningExample) this.coverage.set(state, (this.coverage.get(state) ?? 0) + 1);
  }

  /** Every state with its count (0 when never reached). */
  coverageCounts(): Record<CoverageState, number> {
    return Object.fromEntries(COVERAGE_STATES.map((s) => [s, this.coverage.get(s) ?? 0])) as Record<CoverageState, number>;
  }
}

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

export interface PropertyDefinition {
  readonly name: PropertyName;
  readonly rules: readonly RuleId[];
  /** Runs at scale 1. */
  readonly runs: number;
  readonly arbitrary: (options: SuiteOptions) => fc.Arbitrary<Case>;
  /** Cases tried first (edges worth a run every time). */
  readonly examples?: (options: SuiteOptions) => Case[];
  readonly strictTlb?: boolean;
  /** It drives the hypervisor through our debug console, so an image without one cannot be judged. */
  readonly needsConsole?: boolean;
  /** Interesting states its generated cases reach at the default budget (checked: SuiteResult.uncovered). */
  readonly covers?: readonly CoverageState[];
  readonly check: (booted: BootedHypervisor, c: Case) => Violation | BootedFailure | undefined;
}

/** A failure that is not (only) a rule: carries the transcript and where it happened. */
interface BootedFailure {
  readonly rule: FailureId;
  readonly message: string;
  readonly also?: readonly Failure[];
  readonly transcript?: readonly string[];
  readonly hart?: number;
  /** Index in the program of the command that failed (later commands never ran). */
  readonly failedAt?: number;
}

/** Any platform the generator makes (RAM up to 4 GiB unless the options lower it). */
const allPlatforms = (options: SuiteOptions, minHarts = 1) =>
  platformSpecArbitrary({ ...(options.maxRamSize === undefined ? {} : { maxRamSize: options.maxRamSize }), minHarts, ...(options.firmware ? { firmware: options.firmware } : {}) });

/** Platforms quick to boot (for properties whose cases are programs, not platforms). */
const quickPlatforms = (options: SuiteOptions, minHarts = 1) =>
  platformSpecArbitrary({ maxRamSize: 64n << 20n, minHarts, firmware: ['builtin'], ...(options.firmware?.includes('builtin') === false ? { firmware: options.firmware } : {}) });

const spec = (harts: number, bootHart: number, ramMiB: bigint, extra: Partial<PlatformSpec> = {}): PlatformSpec => ({
  harts,
  bootHart,
  ramSize: ramMiB << 20n,
  firmware: 'builtin',
  ad: 'hardware',
  ...extra,
});

/** Runs a KMEM program (model-based) on a booted machine; the first broken rule or reply, with the transcript. */
function runProgram(booted: BootedHypervisor, program: readonly ConsoleCommand[]): BootedFailure | Violation | undefined {
  const real: KmemReal = { booted, transcript: [] };
  const model: KmemTestModel = initialModel(booted);
  booted.shadow.startHistory();
  // remember which command was running, so minimization can cut the program after it
  let running = -1;
  const commands = programCommands(program).map((command, index) => ({
    check: (m: Readonly<KmemTestModel>) => command.check(m),
    run: (m: KmemTestModel, r: KmemReal) => {
      running = index;
      command.run(m, r);
    },
    toString: () => command.toString(),
  }));
  try {
    fc.modelRun(() => ({ model, real }), commands);
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    return { rule: e.violation.rule, message: e.violation.message, also: e.also, transcript: real.transcript, failedAt: running, ...(e.hart === undefined ? {} : { hart: e.hart }) };
  }
  return undefined;
}

export const PROPERTIES: readonly PropertyDefinition[] = [
  {
    name: 'boot',
    covers: ['RAM above 1 GiB', 'boot hart not 0'],
    rules: ['MAP-DISJOINT', 'MAP-GLOBAL', 'MAP-WX', 'MAP-USER', 'MAP-AD', 'MAP-SHARED', 'MAP-EXACT', 'STACK-GUARD', 'BOOT-EARLY', 'BOOT-COMPLETES', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-SEQUENTIAL'],
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
  },
  {
    name: 'kmem-concurrent',
    covers: ['two harts inside kalloc at once'],
    needsConsole: true,
    rules: ['KMEM-CONCURRENT', 'KMEM-NO-DOUBLE-FREE', 'KMEM-INTEGRITY'],
    runs: 12,
    arbitrary: (o) =>
      quickPlatforms(o, 2).chain((platform) =>
        fc.record({
          platform: fc.constant(platform),
          program: fc.array(
            fc.record({ kind: fc.constant('batch' as const), harts: fc.uniqueArray(fc.nat({ max: platform.harts - 1 }), { minLength: 2, maxLength: platform.harts }), count: fc.integer({ min: 1, max: 32 }) }),
            { minLength: 1, maxLength: 3 },
          ),
          schedule: scheduleArbitrary(platform.harts, { maxSlices: 8, maxSteps: 200 }),
        }),
      ),
    examples: () => [
      { platform: spec(2, 0, 16n), program: [{ kind: 'batch', harts: [0, 1], count: 16 }], schedule: [{ hart: 0, steps: 7 }, { hart: 1, steps: 5 }] },
      { platform: spec(4, 3, 16n), program: [{ kind: 'batch', harts: [0, 1, 2, 3], count: 32 }], schedule: [{ hart: 0, steps: 3 }, { hart: 1, steps: 11 }, { hart: 2, steps: 2 }, { hart: 3, steps: 17 }] },
    ],
    check: (booted, c) => runConcurrent(booted, c),
  },
  {
    name: 'stack-overflow',
    covers: ['stack within one frame of the guard'],
    needsConsole: true,
    rules: ['STACK-GUARD'],
    runs: 6,
    arbitrary: (o) =>
      quickPlatforms(o).chain((platform) =>
        fc.record({
          platform: fc.constant(platform),
          program: fc.tuple(fc.nat({ max: platform.harts - 1 }), fc.integer({ min: 100, max: 100_000 })).map(([hart, depth]) => [{ kind: 'recurse' as const, hart, depth }]),
        }),
      ),
    check: (booted, c) => overflowLeavesOthersAlone(booted, c, () => runProgram(booted, c.program ?? [])),
  },
  {
    name: 'stack-overflow-sp',
    covers: ['stack within one frame of the guard'],
    rules: ['STACK-GUARD'],
    runs: 6,
    arbitrary: (o) =>
      quickPlatforms(o).chain((platform) =>
        fc.record({
          platform: fc.constant(platform),
          hart: fc.nat({ max: platform.harts - 1 }),
          // at most one doubleword above the bottom: any frame that saves a register reaches the guard
          sp: fc.constantFrom(0, 8),
        }),
      ),
    check: (booted, c) => runStackPointerOverflow(booted, c),
  },
  {
    name: 'tlb-discipline',
    needsConsole: true,
    rules: ['TLB-DISCIPLINE'],
    runs: 4,
    strictTlb: true,
    arbitrary: (o) =>
      fc.record({
        platform: platformSpecArbitrary({ maxRamSize: 32n << 20n, maxHarts: 3, firmware: ['builtin'], ...(o.firmware ? {} : {}) }),
        program: kmemProgramArbitrary({ kinds: ['alloc', 'free', 'probe'], maxLength: 10 }),
      }),
    examples: () => [
      {
        // a write to every fixed probe target (text and rodata pages included) from each hart
        platform: spec(2, 0, 16n),
        program: Array.from({ length: 64 }, (_, i) => ({ kind: 'probe' as const, hart: i % 2, access: 'write' as const, target: i >> 1, value: i })),
      },
    ],
    check: (booted, c) => {
      const failure = runProgram(booted, c.program ?? []);
      const stale = noStaleTranslations(booted.stale);
      if (stale === undefined) return failure;
      return { ...stale, ...(failure && 'transcript' in failure ? { transcript: failure.transcript, ...(failure.failedAt === undefined ? {} : { failedAt: failure.failedAt }) } : {}) };
    },
  },
  {
    name: 'kmem-commands',
    covers: ['allocator empty'],
    needsConsole: true,
    rules: ['KMEM-SEQUENTIAL', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-FREE-VERDICT', 'KMEM-CONCURRENT', 'STACK-GUARD', 'MAP-EXACT'],
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
  },
];

/** Expands slices cyclically so the interleaving they describe lasts the whole batch. */
export function cycleSchedule(slices: readonly ScheduleSlice[], totalSteps: number): ScheduleSlice[] {
  if (slices.length === 0) return [];
  const out: ScheduleSlice[] = [];
  let steps = 0;
  while (steps < totalSteps) {
    for (const s of slices) {
      out.push(s);
      steps += s.steps;
    }
  }
  return out;
}

const CONCURRENT_STEPS = 3_000_000;

function runConcurrent(booted: BootedHypervisor, c: Case): BootedFailure | Violation | undefined {
  const { machine, platform } = booted;
  const transcript: string[] = [];
  const schedule = normalizeSchedule(c.schedule ?? []);
  const freeSet = (): Set<bigint> => new Set(readKmem(machine, booted.image.elf, platform).freeList);
  for (const batch of c.program ?? []) {
    if (batch.kind !== 'batch') continue;
    const harts = [...new Set(batch.harts.map((h) => h % platform.harts))];
    const line = `batch ${harts.join(',')} a${batch.count} f${batch.count}`;
    const inUse = booted.shadow.ownedFrames();
    booted.shadow.startHistory();
    const before = freeSet();
    if (schedule.length > 0) machine.setSchedule({ kind: 'slices', slices: cycleSchedule(schedule, CONCURRENT_STEPS), then: 'round-robin' });
    const reply = booted.command(line, harts.length + 1);
    machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
    transcript.push(`> ${line}`, ...reply.map((l) => `< ${l}`));
    // every kalloc of the batch is matched by a kfree of the same frame, so any linearization ends
    // with exactly the frames that were free before still free: compare the final state too
    const after = freeSet();
    const lost = [...before].find((va) => !after.has(va));
    const gained = [...after].find((va) => !before.has(va));
    const finalState: Violation | undefined =
      lost !== undefined || gained !== undefined
        ? {
            rule: 'KMEM-CONCURRENT',
            message: `after "${line}" (each kalloc matched by a kfree Ok) frame ${hex(linearPa((lost ?? gained)!, platform.ramBase))} is ${lost !== undefined ? 'no longer' : 'now'} on the free list (${after.size} listed, ${before.size} before): no sequential order of the calls ends in this state`,
          }
        : undefined;
    const kmem = readKmem(machine, booted.image.elf, platform);
    const found = [
      booted.shadow.violation,
      concurrentHistoryLinearizable(platform, booted.shadow.calls, inUse),
      finalState,
      freeListIntact(platform, kmem, booted.shadow.ownedFrames()),
    ].filter((v): v is Violation => v !== undefined);
    if (found.length > 0) return { ...found[0]!, also: found.slice(1), transcript };
    const last = reply.at(-1) ?? '';
    if (!last.startsWith('OK batch ') || reply.some((l) => /failed=[1-9]/.test(l))) {
      return { rule: 'KMEM-CONCURRENT', message: `"${line}" answered ${reply.map((l) => JSON.stringify(l)).join(', ')}; a failed kalloc with frames to spare, or a batch that does not end as it began, is no sequential order of the calls`, transcript };
    }
  }
  return undefined;
}

/**
 * Memory before/after an overflow: every page-table frame and the cpu-struct pages of every hart
 * that sleeps meanwhile must be byte for byte unchanged (the overflowing hart's own trap stack and
 * cpu info, and the console hart, which runs meanwhile, legitimately change, so they are not compared).
 */
function overflowLeavesOthersAlone(booted: BootedHypervisor, c: Case, run: () => BootedFailure | Violation | undefined): BootedFailure | Violation | undefined {
  const [command] = c.program ?? [];
  if (command?.kind !== 'recurse') return run();
  const hart = command.hart % booted.platform.harts;
  const harts = readAllHartTables(booted.machine);
  const watched: { pa: bigint; what: string }[] = [];
  for (const { hart: h, table } of harts) {
    for (const pa of table.tableFrames) watched.push({ pa, what: `a page-table frame of hart ${h}` });
    // the overflowing hart's own pages change while the fault is reported; the console hart runs meanwhile
    if (h === hart || h === booted.bootHart) continue;
    for (const { va, pa } of pagesOf(runsWithin(table.runs, CPU_STRUCT_GIGABYTE))) watched.push({ pa, what: `hart ${h}'s cpu-struct page ${hex(va)}` });
  }
  const before = watched.map((w) => booted.machine.readPhysical(w.pa, 0x1000));
  const failure = run();
  if (failure) return failure;
  for (const [i, w] of watched.entries()) {
    const [changed] = changedRanges(before[i]!, booted.machine.readPhysical(w.pa, 0x1000), w.pa);
    if (changed) return { rule: 'STACK-GUARD', message: `hart ${hart}'s stack overflow changed ${formatRange(changed)} in ${w.what}, outside its stack`, hart };
  }
  return undefined;
}

/** Steps (all harts) a hart may take after boot to reach a quiescent point. */
const QUIESCE_STEPS = 1_000_000;
/** Steps (all harts) the overflowing hart may run before its first trap. */
const OVERFLOW_STEPS = 2_000_000;
const STT_FUNC = 2;

/**
 * The emulator-side overflow, which needs no console. Stop the hart at a quiescent point: the next
 * function entry it reaches after boot (nothing of that function's frame is live yet), or, if it
 * sleeps in wfi first, where it sleeps. Put its sp `c.sp` bytes above its stack's bottom and resume;
 * a sleeping hart, whose idle path may never touch its stack, is made to call the image's kalloc
 * from where it stands. The first trap it takes must be a load or store page fault in its guard
 * page, and it must write nothing outside its stack before that.
 */
function runStackPointerOverflow(booted: BootedHypervisor, c: Case): BootedFailure | Violation | undefined {
  const { machine, image } = booted;
  const kalloc = image.elf.symbol('kalloc')?.value;
  if (kalloc === undefined) throw new MissingSymbolError('kalloc', image.name);
  const hart = (c.hart ?? 0) % booted.platform.harts;
  const h = machine.hart(hart);
  const sp = CPU_STACK.start + BigInt(c.sp ?? 0);
  const functionEntries = [...new Set(image.elf.symbols.filter((s) => s.type === STT_FUNC && s.value !== 0n).map((s) => s.value))];
  const transcript: string[] = [];
  const firstFault = { until: { trap: (e: { hartId: number; interrupt: boolean; cause: number }) => e.hartId === hart && !e.interrupt && e.cause !== 8 && e.cause !== 9 }, maxSteps: OVERFLOW_STEPS };
  let started = false;
  const seen = observeOverflow(
    booted,
    hart,
    functionEntries,
    (begin) => {
      let trapped = false;
      for (let steps = 0; !started && steps < QUIESCE_STEPS && !h.waiting; ) {
        const outcome = machine.run({ ...firstFault, maxSteps: 1_000 });
        steps += outcome.steps;
        trapped = outcome.reason === 'trap';
        if (outcome.reason !== 'budget') break;
      }
      if (trapped) return; // the hart entered a function, had its sp moved and faulted, all in that chunk
      if (!started && h.waiting) {
        const at = h.pc;
        begin();
        h.setRegister(1, at);
        h.pc = kalloc;
        h.waiting = false;
        transcript.push(`(emulator) hart ${hart} asleep in wfi at ${hex(at)}: sp := ${hex(sp)} (${c.sp ?? 0} bytes above its stack's bottom), then it calls kalloc (${hex(kalloc)})`);
      }
      if (started) machine.run(firstFault);
    },
    (moved) => {
      started = true;
      moved.setRegister(2, sp);
      if (transcript.length === 0) transcript.push(`(emulator) hart ${hart} enters a function at ${hex(moved.pc)}: sp := ${hex(sp)} (${c.sp ?? 0} bytes above its stack's bottom), resume`);
    },
  );
  if (!seen.started) return { rule: 'STACK-GUARD', message: `hart ${hart} neither entered a function nor slept in wfi within ${QUIESCE_STEPS} steps after boot, so its sp could not be moved`, transcript };
  if (seen.fault === undefined) {
    const below = seen.stores.find((va) => va < CPU_STACK.start && va >= CPU_STACK.start - 0x1000n);
    const wrote = below === undefined ? '' : `, though it wrote ${hex(below)} in its guard page`;
    return { rule: 'STACK-GUARD', message: `hart ${hart} ran ${OVERFLOW_STEPS} steps with sp ${c.sp ?? 0} bytes above its stack's bottom and took no trap${wrote}`, transcript, hart };
  }
  transcript.push(`(emulator) hart ${hart}'s first trap: cause ${seen.fault.cause}, stval ${hex(seen.fault.tval)}`);
  if (seen.verdict) return { ...seen.verdict, transcript, hart };
  return undefined;
}

/** Runs one case of a property: boots (or restores), checks, and builds the counterexample. */
export function runCase(definition: PropertyDefinition, cache: BootCache, c: Case, extra: { seed?: number; path?: string } = {}): CaseOutcome {
  const replay: ReplayCase = {
    v: 1,
    property: definition.name,
    image: { name: cache.image.name, digest: cache.image.digest },
    platform: c.platform,
    ...(c.program ? { program: c.program } : {}),
    ...(c.schedule ? { schedule: c.schedule } : {}),
    ...(c.sp !== undefined ? { sp: c.sp } : {}),
    ...(c.hart !== undefined ? { hart: c.hart } : {}),
    ...extra,
  };
  let booted: BootedHypervisor;
  try {
    booted = cache.get(c.platform, definition.strictTlb ?? false);
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'skipped', reason: e.message };
    if (!(e instanceof BootFailure)) throw e;
    const where = e.trap ? { hart: e.trap.hartId, pc: e.trap.pc, what: `${e.trap.name} stval=0x${e.trap.tval.toString(16)}`, time: e.trap.time } : undefined;
    const traps = e.trap ? [bootTrap(e.trap)] : [];
    const panic = e.consoleTail.split('\n').find((l) => l.startsWith('PANIC '));
    const boot = bootCompletes({ platform: c.platform, ready: false, detail: e.message, ...(panic ? { panic } : {}), traps, satpRoots: e.satpRoots, ...(e.earlyRoot === undefined ? {} : { earlyRoot: e.earlyRoot }) });
    if (boot === undefined) return { kind: 'skipped', reason: `${formatPlatformSpec(c.platform)} is outside what the design supports (${e.message})` };
    return { kind: 'failed', counterexample: { rule: boot.rule, message: `${boot.message}; console ends:\n${e.consoleTail}`, also: [], replay, ...(where ? { where } : {}) } };
  }
  if ((definition.needsConsole ?? false) && !booted.hasConsole) {
    return { kind: 'skipped', wholeImage: true, reason: `${cache.image.name} has no hvspec console (it booted and settled without printing the ready line), and ${definition.name} drives the hypervisor through it` };
  }
  const before = new Set(booted.coverage);
  let failure: ReturnType<PropertyDefinition['check']>;
  try {
    failure = definition.check(booted, c);
  } catch (e) {
    // an image without the symbols an observation needs: the property cannot judge it
    if (e instanceof MissingSymbolError) return { kind: 'skipped', reason: e.message };
    throw e;
  }
  cache.note(booted, before);
  if (failure === undefined) return { kind: 'held' };
  if (isReplyFailure(failure) && !(definition.strictTlb ?? false)) {
    // A reply the model did not expect may be a stale translation: the same case in strict TLB mode
    // runs identically (strict mode only adds checks) and says so by rule.
    const strict = cache.get(c.platform, true);
    const again = definition.check(strict, c);
    if (again !== undefined && again.rule === 'TLB-DISCIPLINE') {
      failure = { ...again, also: [{ rule: failure.rule, message: failure.message }] };
      booted = strict;
    }
  }
  const hart = 'hart' in failure ? failure.hart : undefined;
  const trap = hart === undefined ? undefined : [...booted.traps].reverse().find((t) => t.hartId === hart && !t.interrupt && t.cause !== 8 && t.cause !== 9);
  const mapHart = /^hart (\d+)/.exec(failure.message)?.[1];
  const mapDiff = (() => {
    if (!failure.rule.startsWith('MAP-') && failure.rule !== 'STACK-GUARD') return undefined;
    const harts = readAllHartTables(booted.machine);
    const h = harts[Number(mapHart ?? 0)] ?? harts[0]!;
    const observed = mergeRuns(h.table.runs);
    const expected = expectedRunsForDiff(booted.platform, h.hart, observed);
    return diffRows(expected, observed).some((r) => r.mark !== ' ') ? { hart: h.hart, expected, observed } : undefined;
  })();
  return {
    kind: 'failed',
    ...('failedAt' in failure && failure.failedAt !== undefined ? { failedAt: failure.failedAt } : {}),
    counterexample: {
      rule: failure.rule,
      message: failure.message,
      also: 'also' in failure ? (failure.also ?? []) : [],
      replay: { ...replay, platform: c.platform },
      ...('transcript' in failure && failure.transcript ? { transcript: failure.transcript } : {}),
      ...(mapDiff ? { mapDiff } : {}),
      ...(trap ? { where: { hart: trap.hartId, pc: trap.pc, what: `${trap.name} stval=0x${trap.tval.toString(16)}${instructionAt(booted, trap.hartId, trap.pc)}`, time: trap.time } } : {}),
    },
  };
}

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
  // commands after the failing one never ran
  const cut = first.failedAt;
  if (cut !== undefined && best.program && cut + 1 < best.program.length && stillFails({ ...best, program: best.program.slice(0, cut + 1) })) {
    best = { ...best, program: best.program.slice(0, cut + 1) };
  }
  for (const field of ['program', 'schedule'] as const) {
    for (let i = (best[field]?.length ?? 0) - 1; i >= 0; i--) {
      const list = best[field]!;
      if (field === 'program' && list.length === 1) break;
      const candidate = { ...best, [field]: [...list.slice(0, i), ...list.slice(i + 1)] };
      if (stillFails(candidate)) best = candidate;
    }
  }
  return best;
}

/** ", instruction 0x..." for the instruction word at `pc` as hart `hart` fetches it now (with its symbol), or "". */
function instructionAt(booted: BootedHypervisor, hart: number, pc: bigint): string {
  const at = booted.machine.translate(hart, pc, 'fetch');
  const pa = 'pa' in at ? at.pa : pc;
  if (!booted.machine.bus.ram.contains(Number(pa), 4)) return '';
  const bytes = booted.machine.readPhysical(pa, 4);
  const half = bytes[0]! | (bytes[1]! << 8);
  const word = (half & 3) === 3 ? (half | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0 : half;
  // the nearest named symbol at or below pc in the kernel's text (assembly labels have no size)
  const { text } = booted.platform.image;
  const lo = text.start - booted.platform.ramBase + 0xffff_ffc0_0000_0000n;
  const hi = text.end - booted.platform.ramBase + 0xffff_ffc0_0000_0000n;
  const symbol = pc >= lo && pc < hi ? booted.image.elf.symbols.filter((s) => s.value <= pc && s.value >= lo && /^[A-Za-z_]/.test(s.name)).reduce<(typeof booted.image.elf.symbols)[number] | undefined>((best, s) => (best === undefined || s.value > best.value ? s : best), undefined) : undefined;
  return `, instruction 0x${word.toString(16).padStart((half & 3) === 3 ? 8 : 4, '0')}${symbol ? ` in ${symbol.name}+0x${(pc - symbol.value).toString(16)}` : ''}`;
}

/** Runs one property with fast-check; shrinks a failure and returns its counterexample. */
export function runProperty(definition: PropertyDefinition, cache: BootCache, options: SuiteOptions): PropertyResult {
  const seed = options.seed ?? DEFAULT_SEED;
  const numRuns = Math.max(1, Math.round(definition.runs * (options.scale ?? 1)));
  const started = performance.now();
  let skipped: string | undefined;
  let done = 0;
  const examples = (definition.examples?.(options) ?? []).filter((e) => options.firmware === undefined || options.firmware.includes(e.platform.firmware));
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
    return { property: definition.name, rules: definition.rules, verdict: allSkipped ? 'skipped' : 'passed', runs: details.numRuns, seed, ms, ...(skipped ? { reason: skipped } : {}), ...interrupted };
  }
  if (details.counterexample === null) {
    // fast-check failed without a case: a time limit stopped it before any run finished (it counts
    // that as a failure), or it gave up after too many skipped runs. Neither is evidence against a rule.
    const reason = details.interrupted ? 'a time limit stopped it before its first run' : `fast-check gave up without a case after ${details.numSkips} skipped runs`;
    return { property: definition.name, rules: definition.rules, verdict: 'skipped', runs: details.numRuns, seed, ms, reason, ...interrupted };
  }
  const shrunk = minimizeCase(definition, cache, details.counterexample[0] as Case);
  const outcome = runCase(definition, cache, shrunk, { seed, path: details.counterexamplePath ?? '' });
  if (outcome.kind !== 'failed') {
    return { property: definition.name, rules: definition.rules, verdict: 'failed', runs: details.numRuns, seed, ms, reason: `the shrunk case did not fail again when re-run (non-determinism): ${formatPlatformSpec(shrunk.platform)}` };
  }
  return { property: definition.name, rules: definition.rules, verdict: 'failed', runs: details.numRuns, seed, ms, counterexample: outcome.counterexample, report: formatCounterexample(outcome.counterexample) };
}

/** A suite run passes when no property failed and every state a property claims was reached. */
export function suitePassed(result: Pick<SuiteResult, 'properties' | 'uncovered'>): boolean {
  return result.properties.every((p) => p.verdict !== 'failed') && result.uncovered.length === 0;
}

/** Runs the suite (every property, or `only`), in PROPERTIES order. */
export function runSuite(options: SuiteOptions): SuiteResult {
  const cache = new BootCache(options.image);
  const results: PropertyResult[] = [];
  for (const definition of PROPERTIES) {
    if (options.only && !options.only.includes(definition.name)) continue;
    const result = runProperty(definition, cache, options);
    results.push(result);
    options.onResult?.(result);
    if (options.failFast && result.verdict === 'failed') break;
  }
  const coverage = cache.coverageCounts();
  // a lower RAM ceiling may rule a state out ("RAM above 1 GiB"), so it makes no claim
  const restricted = options.maxRamSize !== undefined && options.maxRamSize <= GiB;
  return { image: { name: options.image.name, digest: options.image.digest }, properties: results, coverage, uncovered: restricted ? [] : uncoveredStates(results, coverage) };
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
  };
  return runCase(definition, new BootCache(image), c, { ...(replay.seed !== undefined ? { seed: replay.seed } : {}), ...(replay.path !== undefined ? { path: replay.path } : {}) });
}

export { RULES };
