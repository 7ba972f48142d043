/**
 * The allocator driven by injected calls (emulator/board/call.ts) instead of the console: the
 * profile's alloc and free are called on harts that idle in wfi, one at a time (a KMEM program) or
 * several at once under a schedule (a batch), and judged from the outside: the free list read at the
 * profile's head with its next offset, the shadow allocator fed by the same entry/return hooks as
 * every other call, and each call's own outcome (returned, trapped, panicked, ran out of budget).
 * This is the form the allocator properties take on an image with no console protocol; for ours,
 * test/properties/call-driven.test.ts shows it agrees with the console form.
 */
import { callConcurrently, type CallOptions, type CallOutcome, type CallRequest } from '../../emulator/board/call.js';
import {
  concurrentHistoryLinearizable,
  decodePte,
  freeListIntact,
  hex,
  imageEnd,
  kernelVa,
  kfreeVerdict,
  linearPa,
  linearVa,
  noStaleTranslations,
  PAGE_SIZE,
  permits,
  reservedRanges,
  VAS_RAM,
  type FreeVerdict,
  type ObservedKmem,
  type Platform,
  type Violation,
} from '../../model/index.js';
import type { ConsoleCommand } from '../arbitraries/program.js';
import { cycleSchedule, formatSchedule, type ScheduleSlice } from '../arbitraries/schedule.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { readKmem, symbolVa } from '../observe/memory.js';
import type { BootedFailure } from '../property/definition.js';
import { claimsRule, type ImageProfile } from '../profile/profile.js';
import { KFREE_VERDICT_OF_CODE } from './shadow.js';

/** Steps one injected allocator call may take (a spin on a lock nobody releases ends here). */
export const ALLOCATOR_CALL_BUDGET = 200_000;

/** The symbols the call-driven allocator properties read: alloc and free (called and hooked), the free-list head's symbol, the optional counter and frame-state table. */
export function allocatorSymbols(profile: ImageProfile): string[] {
  const a = profile.allocator;
  const head = /^([A-Za-z_.$][A-Za-z0-9_.$]*)/.exec(a.freeListHead)?.[1];
  return [a.alloc, a.free, ...(head === undefined ? [] : [head]), ...(a.counter === undefined ? [] : [a.counter]), ...(a.frameStates === undefined ? [] : [a.frameStates.symbol])];
}

/** One call as a transcript line: `hart 1 kmalloc() = 0x...` or what stopped it. */
export function describeCall(name: string, hart: number, args: readonly bigint[], outcome: CallOutcome): string {
  const call = `hart ${hart} ${name}(${args.map(hex).join(', ')})`;
  switch (outcome.kind) {
    case 'returned':
      return `${call} = ${hex(outcome.a0)} (${outcome.steps} steps)`;
    case 'trap': {
      const t = outcome.trap;
      return `${call} trapped: ${t.name} (cause ${t.cause}) at pc ${hex(t.pc)}, tval ${hex(t.tval)}${outcome.instruction === undefined ? '' : `, instruction 0x${outcome.instruction.toString(16)}`}`;
    }
    case 'panic':
      return `${call} panicked: reached ${outcome.function} (${hex(outcome.pc)}) after ${outcome.steps} steps`;
    case 'budget':
      return `${call} did not return within ${outcome.steps} steps (pc ${hex(outcome.pc)})`;
    case 'exit':
      return `${call}: the machine exited (code ${outcome.exit.code})`;
  }
}

/** Calls into one booted image's allocator. */
export class AllocatorCalls {
  readonly transcript: string[] = [];
  readonly #alloc: bigint;
  readonly #free: bigint;
  readonly #options: CallOptions;

  constructor(readonly booted: BootedHypervisor) {
    const { elf, profile } = booted.image;
    this.#alloc = symbolVa(elf, profile.allocator.alloc);
    this.#free = symbolVa(elf, profile.allocator.free);
    const panics = profile.panic.functions.flatMap((name) => {
      const s = elf.symbol(name);
      return s === undefined ? [] : [{ name, pc: s.value }];
    });
    const pattern = profile.panic.consolePattern;
    this.#options = {
      panics,
      ...(pattern === undefined ? {} : { consolePattern: new RegExp(pattern, 'm') }),
      // SBI calls into real firmware are the image's business, not a failure of the call
      allowTrap: (e) => !e.interrupt && (e.cause === 8 || e.cause === 9),
      // the shadow allocator times calls by instret: it must keep growing across calls
      keepInstret: true,
    };
  }

  get profile(): ImageProfile {
    return this.booted.image.profile;
  }

  /** Harts that can take a call now: started and waiting in wfi. */
  quiescentHarts(): number[] {
    const { machine } = this.booted;
    return machine.harts.flatMap((h, i) => (h.waiting && machine.hsmState(i) === 0 ? [i] : []));
  }

  /** The hart to run a command named for `wanted` on: it, or the next quiescent hart after it. */
  hartFor(wanted: number): number | undefined {
    const ready = this.quiescentHarts();
    const n = this.booted.machine.harts.length;
    for (let k = 0; k < n; k++) if (ready.includes((wanted + k) % n)) return (wanted + k) % n;
    return undefined;
  }

  /** hartFor, or a NoQuiescentHart (the case is skipped with its reason) when no hart can take a call. */
  requireHart(wanted: number): number {
    const hart = this.hartFor(wanted);
    if (hart !== undefined) return hart;
    const { platform, image } = this.booted;
    throw new NoQuiescentHart(`on ${platform.harts} hart${platform.harts === 1 ? '' : 's'} no hart of ${image.name} idles in wfi after boot, so no call can be injected (a hart that polls is never quiescent)`);
  }

  /** Frame address as the image's free takes it (a linear-map VA, or a PA for a PA-speaking allocator). */
  #asArgument(va: bigint): bigint {
    return this.profile.allocator.returns === 'pa' ? linearPa(va, this.booted.platform.ramBase) : va;
  }

  /** An alloc result as a linear-map VA (0 stays 0). */
  asVa(result: bigint): bigint {
    return this.profile.allocator.returns === 'pa' && result !== 0n ? linearVa(result, this.booted.platform.ramBase) : result;
  }

  /** Runs calls at once (one per hart) under `schedule`, each on the hart's own stack unless `sp` says where; records each in the transcript. */
  run(calls: readonly { hart: number; op: 'alloc' | 'free'; va?: bigint; sp?: bigint }[], schedule: readonly ScheduleSlice[] = []): CallOutcome[] {
    const requests: CallRequest[] = calls.map((c) => ({
      hart: c.hart,
      fn: c.op === 'alloc' ? this.#alloc : this.#free,
      args: c.op === 'alloc' ? [] : [this.#asArgument(c.va!)],
      budget: ALLOCATOR_CALL_BUDGET,
      ...(c.sp === undefined ? {} : { sp: c.sp }),
    }));
    const slices = schedule.length === 0 ? { kind: 'round-robin' as const, quantum: 1000 } : { kind: 'slices' as const, slices: schedule, then: 'round-robin' as const };
    const outcomes = callConcurrently(this.booted.machine, requests, slices, this.#options);
    outcomes.forEach((o, i) => {
      const c = calls[i]!;
      if (o.kind !== 'returned') this.booted.shadow.abandon(c.hart);
      this.transcript.push(describeCall(c.op === 'alloc' ? this.profile.allocator.alloc : this.profile.allocator.free, c.hart, requests[i]!.args!, o));
    });
    return outcomes;
  }

  kmem(): ObservedKmem {
    return readKmem(this.booted.machine, this.booted.image.elf, this.booted.platform, this.profile.allocator);
  }
}

/** A free's verdict code as the image returns it (a0), or Ok for an image whose free returns nothing. */
function verdictOf(profile: ImageProfile, outcome: CallOutcome & { kind: 'returned' }): FreeVerdict | undefined {
  return profile.allocator.badFree === 'verdict' ? KFREE_VERDICT_OF_CODE[Number(outcome.a0)] : 'Ok';
}

/**
 * A KMEM program (the console commands as data) run by injected calls, one call at a time: alloc must
 * pop the free list's head (a 'descending' allocator: LIFO) or at least a listed frame ('any'); free
 * of a held frame must push it; a bad free (misaligned, out of range, reserved, double) must be refused
 * as the profile says (a verdict, a panic, or, for 'accept', nothing is checked but the list) and
 * change nothing; drain allocates to empty. After every call the shadow allocator's KMEM-NO-DOUBLE-FREE
 * and the free list's KMEM-INTEGRITY are judged. A probe asks the hart's TLB what the access would
 * use (probeTlb, TLB-DISCIPLINE); recurse needs the image's own code and is passed over (the
 * transcript says so; stack-overflow has its own call-driven form).
 */
export function runCallProgram(booted: BootedHypervisor, program: readonly ConsoleCommand[]): BootedFailure | Violation | undefined {
  const calls = new AllocatorCalls(booted);
  const { platform } = booted;
  const profile = calls.profile;
  const held: bigint[] = [];
  const freed: bigint[] = [];
  const fail = (rule: BootedFailure['rule'], message: string, hart?: number, failedAt?: number): BootedFailure => ({
    rule, message, transcript: calls.transcript, ...(hart === undefined ? {} : { hart }), ...(failedAt === undefined ? {} : { failedAt }),
  });
  const judgeState = (at: number): BootedFailure | undefined => {
    const found = [booted.shadow.violation, freeListIntact(platform, calls.kmem(), booted.shadow.ownedFrames())].filter((v): v is Violation => v !== undefined);
    return found.length === 0 ? undefined : { ...fail(found[0]!.rule, found[0]!.message, undefined, at), also: found.slice(1) };
  };
  const before = judgeState(0);
  if (before !== undefined) return { ...before, message: `right after boot: ${before.message}` };

  /** One alloc, `list` the free list before the allocs of this command and `i` how many of them ran before (a drain reads the list once). */
  const allocOnce = (hart: number, at: number, full: readonly bigint[] = calls.kmem().freeList, i = 0): BootedFailure | 'empty' | bigint => {
    const list = full.slice(i);
    const [o] = calls.run([{ hart, op: 'alloc' }]);
    if (o!.kind !== 'returned') return fail('KMEM-SEQUENTIAL', `${calls.transcript.at(-1)}: an alloc must return (${list.length} frames were free)`, hart, at);
    const va = calls.asVa(o!.a0);
    if (va === 0n) {
      if (list.length > 0) return fail('KMEM-SEQUENTIAL', `hart ${hart} ${profile.allocator.alloc}() returned NULL with ${list.length} frames on the free list (head ${hex(list[0]!)})`, hart, at);
      booted.coverage.add('allocator empty');
      return 'empty';
    }
    if (profile.allocator.order === 'descending' ? va !== list[0] : !list.includes(va)) {
      return fail('KMEM-SEQUENTIAL', `hart ${hart} ${profile.allocator.alloc}() returned ${hex(va)}, but ${profile.allocator.order === 'descending' ? `the free list's head was ${list[0] === undefined ? 'NULL' : hex(list[0])} (a LIFO allocator pops its head)` : 'that frame was not on the free list'}`, hart, at);
    }
    held.push(va);
    const k = freed.indexOf(va);
    if (k >= 0) freed.splice(k, 1);
    return va;
  };

  /** A free the allocator must refuse: the expected refusal by the profile, and nothing changes. */
  const refused = (hart: number, va: bigint, expected: FreeVerdict, at: number): BootedFailure | undefined => {
    const listBefore = calls.kmem().freeList;
    const [o] = calls.run([{ hart, op: 'free', va }]);
    const what = `${calls.transcript.at(-1)}: ${hex(va)} is ${expected}`;
    const listAfter = calls.kmem().freeList;
    if (profile.allocator.badFree !== 'accept' && (listAfter.length !== listBefore.length || listAfter.some((x, i) => x !== listBefore[i]))) {
      const changed: Violation = { rule: 'KMEM-INTEGRITY', message: `${what}, so the free list must not change, but it went from ${listBefore.length} to ${listAfter.length} entries (head ${listAfter[0] === undefined ? 'NULL' : hex(listAfter[0])})` };
      // a double free taken (the frame linked again) is first of all KMEM-NO-DOUBLE-FREE's, as on the console
      if (expected === 'DoubleFree') return { ...fail('KMEM-NO-DOUBLE-FREE', `${calls.transcript.at(-1)}: ${hex(va)} was already free, and ${profile.allocator.free} took it again: the free list went from ${listBefore.length} to ${listAfter.length} entries`, hart, at), also: [changed] };
      return fail(changed.rule, changed.message, hart, at);
    }
    switch (profile.allocator.badFree) {
      case 'panic':
        if (o!.kind !== 'panic') return fail('KMEM-SEQUENTIAL', `${what}, and the profile says ${profile.allocator.free} panics on such an address`, hart, at);
        return undefined;
      case 'verdict':
        if (o!.kind !== 'returned' || verdictOf(profile, o!) !== expected) return fail(claimsRule(profile, 'KMEM-FREE-VERDICT') ? 'KMEM-FREE-VERDICT' : 'KMEM-SEQUENTIAL', `${what}; the model's verdict is ${expected}`, hart, at);
        return undefined;
      case 'accept':
        return undefined;
    }
  };

  const verdictFor = (va: bigint): FreeVerdict => {
    const listed = new Set(calls.kmem().freeList.map((x) => linearPa(x, platform.ramBase)));
    const reserved = reservedRanges(platform);
    return kfreeVerdict(platform, va, (pa) => (listed.has(pa) ? 'FREE' : reserved.some((r) => r.range.start <= pa && pa < r.range.end) ? 'RESERVED' : 'ALLOCATED'));
  };

  for (const [at, c] of program.entries()) {
    const want = 'hart' in c ? c.hart : 0;
    const hart = calls.requireHart(want % platform.harts);
    let failure: BootedFailure | undefined;
    switch (c.kind) {
      case 'alloc': {
        const r = allocOnce(hart, at);
        if (typeof r === 'object') failure = r;
        break;
      }
      case 'drain': {
        const list = calls.kmem().freeList;
        for (let n = 0; n <= list.length; n++) {
          const r = allocOnce(hart, at, list, n);
          if (typeof r === 'object') { failure = r; break; }
          if (r === 'empty') break;
        }
        break;
      }
      case 'free': {
        if (held.length === 0) { calls.transcript.push(`(free on hart ${hart}: nothing held, passed over)`); break; }
        const va = held.splice(c.frame % held.length, 1)[0]!;
        const [o] = calls.run([{ hart, op: 'free', va }]);
        if (o!.kind !== 'returned' || verdictOf(profile, o!) !== 'Ok') failure = fail('KMEM-SEQUENTIAL', `${calls.transcript.at(-1)}: ${hex(va)} was handed out by ${profile.allocator.alloc} and not freed since, so the free must succeed`, hart, at);
        else if (profile.allocator.order === 'descending' && calls.kmem().freeList[0] !== va) failure = fail('KMEM-SEQUENTIAL', `${calls.transcript.at(-1)}: the freed frame must be the free list's new head (LIFO), but the head is ${hex(calls.kmem().freeList[0] ?? 0n)}`, hart, at);
        freed.push(va);
        break;
      }
      case 'double-free': {
        if (!claimsRule(profile, 'KMEM-NO-DOUBLE-FREE')) { calls.transcript.push(`(double free on hart ${hart}: KMEM-NO-DOUBLE-FREE is waived by the profile, passed over)`); break; }
        const va = freed.length > 0 ? freed[c.frame % freed.length]! : calls.kmem().freeList[0];
        if (va === undefined) break;
        failure = refused(hart, va, 'DoubleFree', at);
        break;
      }
      case 'free-misaligned': {
        const base = held[c.frame % Math.max(1, held.length)] ?? calls.kmem().freeList[0] ?? VAS_RAM;
        const va = base + BigInt(c.offset % Number(PAGE_SIZE) || 1);
        failure = refused(hart, va, verdictFor(va), at);
        break;
      }
      case 'free-out-of-range': {
        const span = BigInt(c.pages) * PAGE_SIZE + BigInt(c.offset);
        const va = c.below ? VAS_RAM - PAGE_SIZE - span : VAS_RAM + platform.ramSize + span;
        failure = refused(hart, va, verdictFor(va), at);
        break;
      }
      case 'free-reserved': {
        // with verdicts: the first page of a reserved range (firmware, image, blob, the blob's
        // reservations); otherwise the pages a free without verdicts still refuses: firmware and image
        const ranges = reservedRanges(platform).filter((r) => r.range.start >= platform.ramBase && r.range.start < platform.ramBase + platform.ramSize);
        const below = (imageEnd(platform) - platform.ramBase) / PAGE_SIZE;
        const start = profile.allocator.badFree === 'verdict' ? ranges[c.frame % Math.max(1, ranges.length)]?.range.start : platform.ramBase + (BigInt(c.frame) % below) * PAGE_SIZE;
        if (start === undefined) break;
        const va = linearVa(start - (start % PAGE_SIZE), platform.ramBase);
        failure = refused(hart, va, verdictFor(va), at);
        break;
      }
      case 'batch': {
        failure = runCallBatch(calls, c.harts, c.count, []);
        break;
      }
      case 'probe':
        failure = probeTlb(booted, calls.transcript, hart, c.access, c.target, at);
        break;
      case 'recurse':
        calls.transcript.push(`(${c.kind} on hart ${hart}: needs the image's console, passed over)`);
        break;
    }
    if (failure !== undefined) return { ...failure, failedAt: at };
    const after = judgeState(at);
    if (after !== undefined) return after;
  }
  return undefined;
}

/**
 * The places a probe asks a hart's TLB about on an image driven by calls (the console's probe targets
 * by the profile's layout, where an access must fault or not write): the null page, RAM by identity,
 * the guard page, every page of text and rodata.
 */
export function tlbProbeTargets(platform: Platform): { name: string; va: bigint }[] {
  const { image, ramBase, design } = platform;
  const pages = (name: string, start: bigint, end: bigint) => {
    const targets: { name: string; va: bigint }[] = [];
    for (let pa = start; pa < end; pa += PAGE_SIZE) targets.push({ name: `${name} page ${hex(kernelVa(pa, ramBase))}`, va: kernelVa(pa, ramBase) });
    return targets;
  };
  return [
    { name: 'null page', va: 0n },
    { name: 'RAM identity', va: ramBase },
    ...(design.cpuStruct.guard === null ? [] : [{ name: 'guard page', va: design.cpuStruct.guard.start + 0x800n }]),
    ...pages('text', image.text.start, image.text.end),
    ...pages('rodata', image.rodata.start, image.rodata.end),
  ];
}

const PROBE_ACCESS = { read: 'load', write: 'store', exec: 'fetch' } as const;

/**
 * A probe without the image's help: what the hart's TLB holds for the target now, which is what an
 * access would use before any walk. The cached entry is judged as a use (TLB-DISCIPLINE) by every
 * access its leaf permits (each must reach the current table's PA with the current table's consent),
 * and by the probe's own access when its leaf refuses it but the current table permits it (a right
 * the entry still withholds); an access both refuse faults either way, so it shows nothing stale. An
 * uncached target has nothing stale to show (the table itself is MAP-EXACT's, judged at boot).
 */
function probeTlb(booted: BootedHypervisor, transcript: string[], hart: number, access: keyof typeof PROBE_ACCESS, target: number, at: number): BootedFailure | undefined {
  const targets = tlbProbeTargets(booted.platform);
  const t = targets[target % targets.length]!;
  const cached = booted.machine.hart(hart).cachedTranslation(t.va);
  const asked = PROBE_ACCESS[access];
  const what = `(emulator) hart ${hart}'s TLB for a ${asked} of ${t.name} (${hex(t.va)})`;
  if (cached === undefined) {
    transcript.push(`${what}: nothing cached`);
    return undefined;
  }
  transcript.push(`${what}: PA ${hex(cached.pa)}, leaf flags 0x${cached.flags.toString(16)}${cached.global ? ', global' : ''}`);
  const leaf = decodePte(BigInt(cached.flags)).flags;
  for (const a of ['load', 'store', 'fetch'] as const) {
    const use = booted.checkCachedUse(hart, t.va, a, cached.pa, cached.flags);
    if (!permits(leaf, a, 'S', use.use.sum ?? false, use.use.mxr ?? false) && (a !== asked || use.fresh.kind === 'fault')) continue;
    const verdict = noStaleTranslations([use]);
    if (verdict !== undefined) return { rule: verdict.rule, message: verdict.message, transcript, hart, failedAt: at };
  }
  return undefined;
}

/** Schedule steps a batch's cycle of slices is expanded to: longer than any one alloc or free call. */
const CALL_SCHEDULE_STEPS = 20_000;

/** No hart is quiescent (idle in wfi), so no call can be injected: the case is skipped with this reason. */
export class NoQuiescentHart extends Error {
  override readonly name = 'NoQuiescentHart';
}

/**
 * One batch by injected calls: each hart of `harts` runs `count` allocs and as many frees, two
 * allocs then two frees (its own frames, oldest first), hart j starting j rounds late, so rounds
 * race alloc with alloc, alloc with free and free with free; each round's calls run at once under
 * `cycle`, the slices repeated for CALL_SCHEDULE_STEPS. Judged like the console's batch: every call returns, no NULL with frames to spare,
 * the timed history is linearizable per frame and the free set ends as it began (KMEM-CONCURRENT),
 * no frame is handed out twice (KMEM-NO-DOUBLE-FREE), the free list stays intact (KMEM-INTEGRITY).
 */
export function runCallBatch(calls: AllocatorCalls, batchHarts: readonly number[], count: number, cycle: readonly ScheduleSlice[]): BootedFailure | undefined {
  const schedule = cycleSchedule(cycle, CALL_SCHEDULE_STEPS);
  const { booted } = calls;
  const { platform } = booted;
  const n = platform.harts;
  const harts = [...new Set(batchHarts.map((h) => h % n))].filter((h) => calls.quiescentHarts().includes(h));
  const line = `batch on harts ${harts.join(',')}: ${count} allocs and frees each`;
  calls.transcript.push(`(${line}${schedule.length > 0 ? `, schedule ${formatSchedule(cycle)} (repeated, ${schedule.length} slices)` : ''})`);
  if (harts.length < 2) return undefined;
  const inUse = booted.shadow.ownedFrames();
  booted.shadow.startHistory();
  const freeSet = (): Set<bigint> => new Set(calls.kmem().freeList);
  const before = freeSet();
  // per hart: 2 allocs, 2 frees, repeated; an odd count ends with one alloc and one free
  const plan = (): ('alloc' | 'free')[] => {
    const p: ('alloc' | 'free')[] = [];
    for (let k = 0; k + 1 < count; k += 2) p.push('alloc', 'alloc', 'free', 'free');
    if (count % 2 === 1) p.push('alloc', 'free');
    return p;
  };
  const plans = harts.map(() => plan());
  const held = harts.map(() => [] as bigint[]);
  const rounds = plans[0]!.length + harts.length;
  const fail = (rule: BootedFailure['rule'], message: string, also: Violation[] = []): BootedFailure => ({ rule, message, also, transcript: calls.transcript });
  for (let r = 0; r < rounds; r++) {
    const round = harts.flatMap((hart, j): { hart: number; op: 'alloc' | 'free'; j: number; va?: bigint }[] => {
      const op = plans[j]![r - j];
      if (op === undefined) return [];
      const va = op === 'free' ? held[j]!.shift() : undefined;
      return [{ hart, op, j, ...(va === undefined ? {} : { va }) }];
    });
    const ready = round.filter((c) => c.op === 'alloc' || c.va !== undefined);
    if (ready.length === 0) continue;
    const listed = calls.kmem().freeList.length;
    const outcomes = calls.run(ready, schedule);
    for (const [i, o] of outcomes.entries()) {
      const c = ready[i]!;
      if (o.kind !== 'returned') return fail('KMEM-CONCURRENT', `${describeCall(c.op === 'alloc' ? calls.profile.allocator.alloc : calls.profile.allocator.free, c.hart, c.va === undefined ? [] : [c.va], o)}, in ${line}: every call of a batch must return`);
      if (c.op === 'alloc') {
        const va = calls.asVa(o.a0);
        if (va === 0n && listed >= ready.length) return fail('KMEM-CONCURRENT', `hart ${c.hart} ${calls.profile.allocator.alloc}() returned NULL with ${listed} frames on the free list, in ${line}: no sequential order of the calls does that`);
        if (va !== 0n) held[c.j]!.push(va);
      } else if (calls.profile.allocator.badFree === 'verdict' && o.a0 !== 0n) {
        return fail('KMEM-CONCURRENT', `hart ${c.hart} ${calls.profile.allocator.free}(${hex(c.va!)}) answered ${KFREE_VERDICT_OF_CODE[Number(o.a0)] ?? o.a0} for a frame it handed out in ${line}: no sequential order of the calls does that`);
      }
    }
    // a frame handed out twice is caught now, before the two holders free it and hide it; in a batch
    // it is also KMEM-CONCURRENT's (the sequential allocator never does it), which leads when the
    // profile waives KMEM-NO-DOUBLE-FREE
    if (booted.shadow.violation !== undefined) {
      const v = booted.shadow.violation;
      const concurrent: Violation = { rule: 'KMEM-CONCURRENT', message: `${v.message}, in ${line}: no sequential order of the calls gives one frame two holders` };
      return fail(v.rule, `${v.message}, in ${line}`, [concurrent, freeListIntact(platform, calls.kmem(), booted.shadow.ownedFrames())].filter((x): x is Violation => x !== undefined));
    }
  }
  // frames an alloc got that a later free never returned (a NULL with the list short) are freed now, one at a time
  for (const [j, hart] of harts.entries()) {
    for (const va of held[j]!) calls.run([{ hart, op: 'free', va }]);
  }
  const after = freeSet();
  const lost = [...before].find((va) => !after.has(va));
  const gained = [...after].find((va) => !before.has(va));
  const found = [
    booted.shadow.violation,
    booted.shadow.unzeroed,
    concurrentHistoryLinearizable(platform, booted.shadow.calls, inUse),
    lost !== undefined || gained !== undefined
      ? { rule: 'KMEM-CONCURRENT' as const, message: `after ${line} (each alloc matched by a free) frame ${hex(linearPa((lost ?? gained)!, platform.ramBase))} is ${lost !== undefined ? 'no longer' : 'now'} on the free list (${after.size} listed, ${before.size} before): no sequential order of the calls ends in this state` }
      : undefined,
    freeListIntact(platform, calls.kmem(), booted.shadow.ownedFrames()),
  ].filter((v): v is Violation => v !== undefined);
  if (found.length > 0) return fail(found[0]!.rule, found[0]!.message, found.slice(1));
  return undefined;
}
