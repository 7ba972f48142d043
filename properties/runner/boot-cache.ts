/** The boot cache: each platform booted once, restored from its after-boot snapshot whenever handed out, and the coverage its generated cases reach. */
import type { PlatformSpec } from '../arbitraries/platform.js';
import { BootedHypervisor, BootFailure, COVERAGE_STATES, type CoverageState } from '../harness/hypervisor.js';
import type { HypervisorImage } from '../harness/image.js';
import { GiB } from '../property/definition.js';

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
