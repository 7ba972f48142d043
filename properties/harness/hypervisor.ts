/**
 * A hypervisor booted on the emulator's virt board, with everything the properties observe wired in
 * from the outside: the early table at the first satp write (the emulator's CSR-write hook), every kalloc/kfree entry and return (PC hooks, feeding the shadow allocator), traps,
 * stale-translation reports in strict TLB mode, and the console. Snapshots cover the observers too,
 * so a booted platform is restored, not booted again, for every command program.
 */
import { VirtMachine, type MachineSnapshot, type RunOutcome } from '../../emulator/board/machine.js';
import type { Hart, StaleTranslationEvent, TrapEvent } from '../../emulator/hart/hart.js';
import { ACCESS_FETCH, ACCESS_LOAD } from '../../emulator/hart/pmp.js';
import { readFdt, findNode, findProperty, propertyU64s, type Fdt } from '../../emulator/board/fdt.js';
import {
  allocatedFrameZeroed,
  flatten,
  linearPa,
  linearVa,
  noStaleTranslations,
  VIRT_DEVICES,
  PAGE_SIZE,
  virtPlatform,
  walk,
  type AccessType,
  type CheckedTranslation,
  type FlatTable,
  type Platform,
  type ReservedRange,
} from '../../model/index.js';
import type { PlatformSpec } from '../arbitraries/platform.js';
import { PRV_M } from '../../emulator/hart/causes.js';
import { ShadowAllocator } from '../kmem/shadow.js';
import { machineClock, physicalReader, satpRoot } from '../observe/memory.js';
import { openSbiFirmware, type HypervisorImage } from './image.js';
import { designFromProfile, imageLayoutFromProfile, linkAddress, profileReservedRanges } from '../profile/model.js';
import { UnresolvedAddressError } from '../profile/profile.js';

export const READY_LINE = /^hvspec-hv ready .*$/m;
/** A reply line of the console protocol; OK, ERR and FAULT end a command's reply, KMEM lines come before. */
export const REPLY_LINE = /^(OK|ERR|FAULT|KMEM|PANIC) /;
const FINAL_REPLY = /^(OK|ERR|FAULT|PANIC) /;

/** Steps a boot may take before it counts as hung (a 1 GiB boot takes about 7 M), per hart under OpenSBI (see bootStepBudget). */
export const BOOT_STEP_BUDGET = 400_000_000;

/**
 * The boot's step budget on `spec`. Under OpenSBI a hart not yet started spins in the firmware's HSM
 * wait (its wfi returns at once: the IPI that released it from the cold-boot wait is still pending,
 * as on QEMU), taking its round-robin share of the steps, so the booting hart gets 1/harts of them;
 * the budget grows with the harts so that every hart count gives the image the same time.
 */
export function bootStepBudget(spec: Pick<PlatformSpec, 'harts' | 'firmware'>): number {
  return spec.firmware === 'opensbi' ? BOOT_STEP_BUDGET * spec.harts : BOOT_STEP_BUDGET;
}
/** Steps between two looks at whether a console-free boot has settled. */
export const BOOT_SETTLE_STEPS = 2_000_000;
/** Stale uses kept as they come; past them only ones TLB-DISCIPLINE flags, as many again (memory stays bounded). */
export const STALE_KEPT = 256;
/** Steps one console command may take (a batch of 8 × 256 is well under this). */
export const COMMAND_STEP_BUDGET = 50_000_000;

export interface BootOptions {
  readonly strictTlb?: boolean;
  /** OpenSBI's fw_dynamic path (default Debian's). */
  readonly openSbiPath?: string;
  /**
   * Runs on the machine once the boot has ended, before the model platform is built and the after-boot
   * snapshot taken (tests use it to put RAM in states no image of ours leaves, e.g. a corrupt allocator).
   */
  readonly atBootEnd?: (machine: VirtMachine) => void;
}

/** States the suite claims to reach (properties/README.md, "Coverage"); a run that never reaches one fails. */
export const COVERAGE_STATES = ['allocator empty', 'two harts inside kalloc at once', 'stack within one frame of the guard', 'RAM above 1 GiB', 'RAM above 4 GiB', 'boot hart not 0', 'VMID reused on a hart', 'guest faulted outside its RAM', 'VM with two level-0 tables', 'two guests running at once'] as const;
export type CoverageState = (typeof COVERAGE_STATES)[number];

/** A trap a hart took, as seen by the emulator. */
export interface ObservedTrap extends TrapEvent {
  readonly time: number;
}

/** The first satp write that turned translation on, and the table as it was then. */
export interface SatpWrite {
  readonly hart: number;
  readonly pc: bigint;
  readonly satp: bigint;
  readonly time: number;
  readonly table: FlatTable;
}

/** The boot neither reached the ready line nor settled. */
export class BootFailure extends Error {
  override readonly name = 'BootFailure';
  constructor(
    message: string,
    readonly consoleTail: string,
    readonly trap: ObservedTrap | undefined,
    /** Each hart's satp root when the boot ended (null: translation off), and the early table's root. */
    readonly satpRoots: readonly (bigint | null)[] = [],
    readonly earlyRoot: bigint | undefined = undefined,
  ) {
    super(message);
  }
}

/** OpenSBI (or the needed symbols) absent: the property is skipped with this reason. */
export class Unsupported extends Error {
  override readonly name = 'Unsupported';
}

interface ObserverState {
  readonly shadow: ShadowAllocator;
  readonly traps: readonly ObservedTrap[];
  readonly stale: readonly CheckedTranslation[];
  readonly consoleLength: number;
}

/**
 * Boots `image` on `spec`. Throws Unsupported when the firmware is missing, BootFailure when the
 * ready line never comes (with the console's tail and the last trap).
 */
export class BootedHypervisor {
  readonly machine: VirtMachine;
  /** The model's platform, as the hypervisor really got it: image layout from its symbols, blob and reserved ranges read from RAM. */
  platform!: Platform;
  /** The early table at the first satp write, when one was seen. */
  earlyTable: SatpWrite | undefined;
  /** The hart that entered the image first. */
  bootHart: number | undefined;
  /** The device tree blob (a1) as it was when the image was entered. */
  blobAtEntry: { address: bigint; bytes: Uint8Array } | undefined;
  /** Shadow allocator (boot, then whatever ran since the last restore). */
  shadow: ShadowAllocator;
  traps: ObservedTrap[] = [];
  stale: CheckedTranslation[] = [];
  readonly strictTlb: boolean;
  /** The image printed our console's ready line (false: it booted without a console and settled). */
  hasConsole = false;
  /** Interesting states this machine reached (never reset: coverage is per suite run). */
  readonly coverage = new Set<CoverageState>();
  #afterBoot: { machine: MachineSnapshot; observers: ObserverState } | undefined;
  /** Per hart: the kalloc/kfree call in progress and how to drop its return hook. */
  #pending: ({ kind: 'alloc' | 'free'; sp: bigint; removeReturnHook: () => void } | undefined)[] = [];
  #consoleStart = 0;
  readonly #atBootEnd: BootOptions['atBootEnd'];
  /** A hart reached the profile's boot.done PC. */
  #reachedDonePc = false;
  /** Per hart: inside the allocator's init function (its calls to free build the list, they are not observed). */
  #inInit: boolean[] = [];

  constructor(
    readonly image: HypervisorImage,
    readonly spec: PlatformSpec,
    options: BootOptions = {},
  ) {
    this.strictTlb = options.strictTlb ?? false;
    this.#atBootEnd = options.atBootEnd;
    // an image with its own M-mode start code runs with no firmware at all (QEMU's -bios none)
    const own = image.profile.boot.firmware === 'own';
    const firmware = own ? ('none' as const) : spec.firmware === 'builtin' ? ('builtin' as const) : openSbiFirmware(options.openSbiPath);
    if (typeof firmware === 'object' && 'missing' in firmware) throw new Unsupported(firmware.missing);
    this.machine = new VirtMachine({
      harts: spec.harts,
      ramSize: Number(spec.ramSize),
      payload: { name: image.name, bytes: image.bytes },
      firmware: typeof firmware === 'string' ? firmware : { name: 'opensbi', bytes: firmware.bytes },
      bootHart: spec.bootHart,
      svade: spec.ad === 'svade',
      strictTlb: this.strictTlb,
      // OpenSBI picks its boot hart by lottery: the first hart to run wins, so the boot hart runs first.
      ...(spec.firmware === 'opensbi' ? { schedule: { kind: 'slices', slices: [{ hart: spec.bootHart, steps: 20_000 }], then: 'round-robin' } as const } : {}),
    });
    // a preliminary platform for the shadow allocator (only RAM base and size matter to it)
    this.shadow = new ShadowAllocator(virtPlatform({ harts: spec.harts, bootHart: spec.bootHart, ramSize: spec.ramSize }));
    this.#installObservers();
  }

  /**
   * Boots to the ready line or, for an image without our console, until the boot settles: every
   * hart runs on a table other than the early one (satp set, another root) and stays so for a whole
   * BOOT_SETTLE_STEPS chunk, or every hart idles in wfi. Then builds the model platform and snapshots.
   */
  boot(): this {
    const { machine } = this;
    const { done } = this.image.profile.boot;
    // the profile says when the boot is done: a console text (the bundled hypervisor's ready line), a PC, or every hart idle
    const readyText = 'console' in done ? done.console : undefined;
    let steps = 0;
    let settledChunks = 0;
    let outcome: RunOutcome = { reason: 'budget', steps: 0 };
    const budget = bootStepBudget(this.spec);
    while (steps < budget) {
      const maxSteps = Math.min(BOOT_SETTLE_STEPS, budget - steps);
      outcome = machine.run(readyText === undefined ? { maxSteps } : { until: { console: readyText }, maxSteps });
      steps += outcome.steps;
      // (the ready text may straddle two chunks, which `until` does not see: look at the whole console)
      if (outcome.reason !== 'budget' || machine.exit !== null || this.#reachedDonePc || (readyText !== undefined && machine.console.includes(readyText))) break;
      settledChunks = this.#everyHartPastTheEarlyTable() ? settledChunks + 1 : 0;
      if (settledChunks >= 2) break;
    }
    const ready = readyText === undefined ? -1 : machine.console.lastIndexOf(readyText);
    if (ready >= 0 && !machine.console.includes('\n', ready)) machine.run({ until: { console: '\n' }, maxSteps: 1_000_000 });
    // An image driven by injected calls: a call runs only its own hart, so a lock the hart that
    // printed the text still holds (inside printf) would never be released; let every hart finish
    // what it was doing when the text appeared.
    if (ready >= 0 && this.image.profile.console === null) machine.run({ maxSteps: BOOT_SETTLE_STEPS });
    this.hasConsole = this.image.profile.console === 'hvspec-debug' && READY_LINE.test(machine.console);
    const readyByProfile = machine.exit === null && (readyText !== undefined ? ready >= 0 : 'pc' in done ? this.#reachedDonePc : outcome.reason === 'idle');
    const settled = !this.hasConsole && machine.exit === null && (readyByProfile || settledChunks >= 2 || outcome.reason === 'idle') && this.#everyHartPastTheEarlyTable();
    if (!this.hasConsole && !settled) {
      // the image's last exception; a trap taken in M-mode is the firmware's own (OpenSBI probes CSRs and expects traps),
      // and a guest's SBI call (ecall from VS-mode) is the image serving its guest, not what went wrong
      const trap = [...this.traps].reverse().find((t) => !t.interrupt && t.cause !== 8 && t.cause !== 9 && !(t.cause === 10 && t.fromVirtual) && t.from !== PRV_M);
      throw new BootFailure(
        `boot neither reached the ready line nor settled with every hart past the early table (run ended: ${outcome.reason}${machine.exit ? ` code ${machine.exit.code}` : ''} after ${steps} steps)`,
        machine.console.split('\n').slice(-6).join('\n'),
        trap,
        this.satpRoots(),
        this.earlyRoot,
      );
    }
    machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
    this.#atBootEnd?.(machine);
    this.platform = this.#observedPlatform();
    if (this.platform.ramSize > 1n << 30n) this.coverage.add('RAM above 1 GiB');
    if (this.platform.ramSize > 4n << 30n) this.coverage.add('RAM above 4 GiB');
    if (this.bootHart !== undefined && this.bootHart !== 0) this.coverage.add('boot hart not 0');
    this.#consoleStart = machine.console.length;
    this.#afterBoot = { machine: machine.snapshot(), observers: this.#saveObservers() };
    return this;
  }

  /** The early table's root, once a satp write turned translation on. */
  get earlyRoot(): bigint | undefined {
    return this.earlyTable === undefined ? undefined : satpRoot(this.earlyTable.satp);
  }

  /** Each hart's current satp root (null: translation off). */
  satpRoots(): (bigint | null)[] {
    return this.machine.harts.map((_, h) => satpRoot(this.machine.readCsr(h, 'satp')) ?? null);
  }

  /** Every hart translates, and not through the early table: satp in Sv39 mode with another root (BOOT-COMPLETES judges whether the roots are distinct). */
  #everyHartPastTheEarlyTable(): boolean {
    const roots = this.satpRoots();
    return roots.every((root) => root !== null && root !== this.earlyRoot);
  }

  /** Back to the state right after boot (machine and observers). */
  restoreAfterBoot(): void {
    if (this.#afterBoot === undefined) throw new Error('restoreAfterBoot: the hypervisor has not booted');
    this.machine.restore(this.#afterBoot.machine);
    this.#restoreObservers(this.#afterBoot.observers);
    this.machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
  }

  /** The console output since boot (or the last restore). */
  get consoleSinceBoot(): string {
    return this.machine.console.slice(this.#consoleStart);
  }

  /**
   * Sends one command line and runs until its reply is complete: `finalLines` lines starting OK, ERR or
   * FAULT (KMEM lines before them are part of it). Returns every reply line. A PANIC line ends it early.
   */
  command(line: string, finalLines = 1, maxSteps = COMMAND_STEP_BUDGET): string[] {
    const { machine } = this;
    const start = machine.console.length;
    machine.feedInput(`${line}\n`);
    let steps = 0;
    for (;;) {
      const text = machine.console.slice(start);
      const lines = text.split('\n');
      const complete = lines.slice(0, -1).filter((l) => REPLY_LINE.test(l));
      if (complete.filter((l) => FINAL_REPLY.test(l)).length >= finalLines || complete.some((l) => l.startsWith('PANIC '))) return complete;
      if (machine.exit !== null || steps >= maxSteps) {
        return [...complete, `TIMEOUT after ${steps} steps${machine.exit ? ` (machine exited, code ${machine.exit.code})` : ''}: no complete reply to "${line}"`];
      }
      const outcome = machine.run({ until: { console: '\n' }, maxSteps: maxSteps - steps });
      steps += outcome.steps;
      if (outcome.reason === 'idle') return [...complete, `TIMEOUT: every hart idles with no reply to "${line}"`];
    }
  }

  #saveObservers(): ObserverState {
    return { shadow: this.shadow.clone(), traps: [...this.traps], stale: [...this.stale], consoleLength: this.machine.console.length };
  }

  #restoreObservers(state: ObserverState): void {
    this.shadow = state.shadow.clone();
    this.traps = [...state.traps];
    this.stale = [...state.stale];
    for (const p of this.#pending) p?.removeReturnHook();
    this.#pending = [];
    this.#consoleStart = state.consoleLength;
  }

  #installObservers(): void {
    const { machine, image } = this;
    // the boot hart: whoever reaches the image's entry (MMU off: e_entry is physical) first
    const entry = image.elf.entry;
    machine.harts.forEach((_, h) => {
      const remove = machine.addPcHook(h, entry, (hart) => {
        remove();
        if (this.bootHart !== undefined) return;
        this.bootHart = h;
        // the blob as the image got it (a1), before anything could overwrite it
        const at = Number(hart.getRegister(11));
        if (!machine.bus.ram.contains(at, 8)) return;
        const totalSize = new DataView(machine.readPhysical(at, 8).buffer).getUint32(4, false);
        if (machine.bus.ram.contains(at, totalSize)) this.blobAtEntry = { address: BigInt(at), bytes: machine.readPhysical(at, totalSize) };
      });
    });
    // the early table: the first satp write that turns translation on, read right after it retires
    const read = physicalReader(machine);
    const removeSatpHook = machine.onCsrWrite('satp', (event) => {
      const root = satpRoot(event.newValue);
      if (root === undefined || this.earlyTable !== undefined) return;
      this.earlyTable = { hart: event.hartId, pc: event.pc, satp: event.newValue, time: machineClock(machine), table: flatten(read, root) };
      removeSatpHook();
    });
    // the profile's alloc / free, entry and return (an image without them is booted for the properties
    // that need no hooks; the others declare them in needsSymbols and are skipped naming them)
    const { allocator, boot } = image.profile;
    const kalloc = image.elf.symbol(allocator.alloc)?.value;
    const kfree = image.elf.symbol(allocator.free)?.value;
    const init = allocator.init === undefined ? undefined : image.elf.symbol(allocator.init)?.value;
    let donePc: bigint | undefined;
    if ('pc' in boot.done) {
      try {
        donePc = linkAddress(image.elf, boot.done.pc);
      } catch (e) {
        if (!(e instanceof UnresolvedAddressError)) throw e;
        throw new Unsupported(`${e.message}: the profile's boot.done.pc names it, so the suite cannot tell when the boot is done`);
      }
    }
    machine.harts.forEach((_, h) => {
      if (kalloc !== undefined) machine.addPcHook(h, kalloc, (hart) => this.#entered(h, hart, 'alloc'));
      if (kfree !== undefined) machine.addPcHook(h, kfree, (hart) => this.#entered(h, hart, 'free'));
      if (init !== undefined) machine.addPcHook(h, init, (hart) => this.#enteredInit(h, hart));
      if (donePc !== undefined) machine.addPcHook(h, donePc, () => void (this.#reachedDonePc = true));
    });
    machine.onTrap((event) => {
      const time = machineClock(machine);
      this.traps.push({ ...event, time });
      // a trap out of kalloc/kfree (not an SBI call) means that call will not return
      if (!event.interrupt && event.cause !== 8 && event.cause !== 9 && this.#pending[event.hartId] !== undefined) {
        this.#pending[event.hartId]!.removeReturnHook();
        this.#pending[event.hartId] = undefined;
        this.shadow.abandon(event.hartId);
      }
    });
    if (this.strictTlb) {
      machine.onStaleTranslation((event) => {
        const checked = this.#checkStale(event);
        // bounded: an image that never fences reports a stale use on nearly every access
        if (this.stale.length < STALE_KEPT || (this.stale.length < 2 * STALE_KEPT && noStaleTranslations([checked]) !== undefined)) this.stale.push(checked);
      });
    }
  }

  /** The allocator's init function: until it returns, this hart's alloc/free calls build the fresh allocator. */
  #enteredInit(h: number, hart: Hart): void {
    const sp = hart.getRegister(2);
    this.#inInit[h] = true;
    const remove = this.machine.addPcHook(h, hart.getRegister(1), (back) => {
      if (back.getRegister(2) !== sp) return;
      remove();
      this.#inInit[h] = false;
    });
  }

  #entered(h: number, hart: Hart, kind: 'alloc' | 'free'): void {
    if (this.#inInit[h] === true) return;
    const { machine } = this;
    const { allocator } = this.image.profile;
    const ramBase = BigInt(machine.bus.ram.base);
    // the shadow allocator and the model speak in linear-map VAs
    const asVa = (address: bigint): bigint => (allocator.returns === 'pa' && address !== 0n ? linearVa(address, ramBase) : address);
    const time = machineClock(machine);
    const sp = hart.getRegister(2);
    const ra = hart.getRegister(1);
    if (kind === 'alloc') {
      this.shadow.allocEntered(h, time);
      if (this.shadow.insideAlloc() >= 2) this.coverage.add('two harts inside kalloc at once');
    }
    else this.shadow.freeEntered(h, asVa(hart.getRegister(10)), time);
    this.#pending[h]?.removeReturnHook();
    const removeReturnHook = machine.addPcHook(h, ra, (back) => {
      if (back.getRegister(2) !== sp) return; // the same pc reached by another path
      removeReturnHook();
      this.#pending[h] = undefined;
      const result = kind === 'alloc' ? asVa(back.getRegister(10)) : back.getRegister(10);
      if (kind === 'alloc') {
        this.shadow.allocReturned(h, result, machineClock(machine));
        // KMEM-ZEROED: the frame as kalloc returned it, before the caller runs another instruction
        const pa = linearPa(result, BigInt(machine.bus.ram.base));
        if (result !== 0n && result % PAGE_SIZE === 0n && machine.bus.ram.contains(Number(pa), Number(PAGE_SIZE))) {
          this.shadow.frameReturned(allocatedFrameZeroed(result, machine.readPhysical(pa, Number(PAGE_SIZE))));
        }
      }
      // a free without verdicts that returned accepted the frame (verdict code 0, Ok)
      else this.shadow.freeReturned(h, allocator.badFree === 'verdict' ? Number(result) : 0, machineClock(machine));
    });
    this.#pending[h] = { kind, sp, removeReturnHook };
  }

  /** A strict-TLB report paired with the model's walk of the same access through the same root, now. */
  #checkStale(event: StaleTranslationEvent): CheckedTranslation {
    const access: AccessType = event.access === ACCESS_FETCH ? 'fetch' : event.access === ACCESS_LOAD ? 'load' : 'store';
    return this.checkCachedUse(event.hartId, event.va, access, BigInt(event.cachedPagePa) + (event.va & 0xfffn), event.cachedFlags);
  }

  /** A use of a cached translation (PA and leaf flags) by hart `hartId` now, with a fresh S-mode walk of its current table to judge it by. */
  checkCachedUse(hartId: number, va: bigint, access: AccessType, pa: bigint, flags: number): CheckedTranslation {
    const hart = this.machine.hart(hartId);
    const root = satpRoot(hart.readCsr('satp')) ?? 0n;
    const mstatus = hart.readCsr('mstatus');
    const sum = (mstatus & (1n << 18n)) !== 0n;
    const mxr = (mstatus & (1n << 19n)) !== 0n;
    const fresh = walk(physicalReader(this.machine), root, va, access, 'S', sum, mxr);
    return { use: { hart: hartId, va, access, privilege: 'S', pa, root, flags, sum, mxr }, fresh };
  }

  /** The platform as the hypervisor saw it: RAM and harts from the spec, image layout from the symbols, the blob from RAM. */
  #observedPlatform(): Platform {
    const { machine, image, spec } = this;
    const ramBase = BigInt(machine.bus.ram.base);
    const blob = this.blobAtEntry ?? { address: BigInt(machine.dtbAddress), bytes: machine.dtb };
    return virtPlatform({
      harts: spec.harts,
      bootHart: this.bootHart ?? spec.bootHart,
      ramBase,
      ramSize: spec.ramSize,
      image: imageLayoutFromProfile(image.profile, image.elf, ramBase),
      dtb: { start: blob.address, end: blob.address + BigInt(blob.bytes.length) },
      reserved: [...blobReservedRanges(readFdt(blob.bytes)), ...profileReservedRanges(image.profile)],
      design: designFromProfile(image.profile),
      devices: VIRT_DEVICES.filter((d) => image.profile.layout.devices.includes(d.name)),
    });
  }
}

/** Every /reserved-memory child's reg ranges and every /memreserve/ entry (root cells 2/2, as on virt). */
export function blobReservedRanges(fdt: Fdt): ReservedRange[] {
  const ranges: ReservedRange[] = fdt.reservations.map((r, i) => ({ name: `memreserve[${i}]`, range: { start: r.address, end: r.address + r.size } }));
  const node = findNode(fdt.root, '/reserved-memory');
  for (const child of node?.children ?? []) {
    const reg = findProperty(child, 'reg');
    if (reg === undefined) continue;
    const cells = propertyU64s(reg);
    for (let i = 0; i + 1 < cells.length; i += 2) ranges.push({ name: child.name, range: { start: cells[i]!, end: cells[i]! + cells[i + 1]! } });
  }
  return ranges;
}

/** Boots, or throws BootFailure / Unsupported. */
export function bootHypervisor(image: HypervisorImage, spec: PlatformSpec, options: BootOptions = {}): BootedHypervisor {
  return new BootedHypervisor(image, spec, options).boot();
}
