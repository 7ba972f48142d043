/**
 * The model side of the KMEM model-based test: the model allocator (model/kmem.ts) continued from
 * the booted machine's observed state, plus what the program itself holds. The real side is the
 * booted hypervisor driven through its console. `step` runs one console line on the real side and
 * checks, in order: the rules the step's observations can break (KMEM-NO-DOUBLE-FREE from the shadow
 * allocator, TLB-DISCIPLINE in strict mode, KMEM-INTEGRITY on the free list), then the reply: an
 * alloc or free reply by KMEM-SEQUENTIAL against the model's allocator, any other by the rule that
 * fixes it.
 */
import {
  formatRange,
  freeListIntact,
  hex,
  imageEnd,
  kernelVa,
  kmemFromObserved,
  linearVa,
  noStaleTranslations,
  ramEnd,
  reservedRanges,
  CPU_GUARD,
  CPU_STRUCT_MAPPED,
  VAS_CPU_STRUCT,
  freeVerdictsFollowOrder,
  type KmemState,
  type ObservedKmem,
  type Platform,
  type RuleId,
} from '../../model/index.js';
import type { Failure } from '../report/counterexample.js';
import type { ElfFile } from '../../emulator/elf.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { ContradictsModel, readFrameStates, readKmem, symbolVa } from '../observe/memory.js';

export interface KmemTestModel {
  readonly platform: Platform;
  kmem: KmemState;
  /** Hart ids, as the console names them. */
  readonly harts: readonly number[];
  /** The hart that runs the console (the boot hart). */
  readonly consoleHart: number;
  /** Frames the program holds (linear-map VAs), oldest first. */
  held: bigint[];
  /** Frames the program freed (most recent last), for double frees when it holds nothing. */
  freed: bigint[];
  /** One VA per reserved range (firmware, image, state table, blob, blob reservations). */
  readonly reserved: readonly bigint[];
  /** Fixed probe targets; held frames are targets too. */
  readonly probeTargets: readonly ProbeTarget[];
  /** 8-byte values the program wrote into held frames, by VA (kalloc zeroes a frame). */
  readonly contents: Map<bigint, bigint>;
}

/** A VA the probe commands touch, and what the model says each access does there. */
export interface ProbeTarget {
  readonly name: string;
  readonly va: bigint;
  /** 'fault' or the value a read returns ('any' when the model does not fix it). */
  readonly read: 'fault' | bigint | 'any';
  readonly write: 'fault' | 'ok' | 'never';
  readonly exec: 'fault' | 'ok' | 'never';
  /** Faults here may be reported as stack overflows (the guard page). */
  readonly guard?: boolean;
}

export interface KmemReal {
  readonly booted: BootedHypervisor;
  /** "> line" and "< reply" lines, in order. */
  readonly transcript: string[];
}

/** A step broke a rule; `also` lists the other rules it broke. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly violation: Failure,
    readonly hart?: number,
    readonly also: readonly Failure[] = [],
  ) {
    super(`${violation.rule}: ${violation.message}`);
  }
}

/** Throws a StepFailure for the first of `verdicts` that is a violation, listing the rest as `also`. */
export function failOnAny(verdicts: readonly (Failure | undefined)[], hart?: number): void {
  const found = verdicts.filter((v): v is Failure => v !== undefined);
  if (found.length > 0) throw new StepFailure(found[0]!, hart, found.slice(1));
}

export const hx = (v: bigint): string => `0x${v.toString(16)}`;

/** The 8 bytes of the image at link VA `va`, little-endian, or undefined outside its file bytes. */
export function imageWord(elf: ElfFile, va: bigint): bigint | undefined {
  for (const s of elf.segments) {
    if (va >= s.vaddr && va + 8n <= s.vaddr + BigInt(s.data.length)) {
      const off = Number(va - s.vaddr);
      return new DataView(s.data.buffer, s.data.byteOffset + off, 8).getBigUint64(0, true);
    }
  }
  return undefined;
}

/**
 * The fixed probe targets of a platform (all harmless: nothing is written outside held frames):
 * unmapped places first, then every page of text and rodata (a stale TLB entry may cover only some
 * of them, so each page is its own target).
 */
export function probeTargets(platform: Platform, elf: ElfFile): ProbeTarget[] {
  const { image, ramBase } = platform;
  const probeRet = symbolVa(elf, 'probe_ret');
  const word = (va: bigint): bigint | 'any' => imageWord(elf, va) ?? 'any';
  const pages = (name: string, start: bigint, end: bigint, exec: ProbeTarget['exec']): ProbeTarget[] => {
    const targets: ProbeTarget[] = [];
    for (let pa = start; pa < end; pa += 0x1000n) {
      const va = kernelVa(pa, ramBase);
      targets.push({ name: `${name} page ${hx(va)}`, va, read: word(va), write: 'fault', exec });
    }
    return targets;
  };
  return [
    { name: 'null page', va: 0n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'probe_ret', va: probeRet, read: word(probeRet), write: 'fault', exec: 'ok' },
    { name: 'guard page', va: CPU_GUARD.start + 0x800n, read: 'fault', write: 'fault', exec: 'fault', guard: true },
    { name: 'above the cpu struct', va: CPU_STRUCT_MAPPED.end, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'cpu struct gigabyte', va: VAS_CPU_STRUCT + 0x10_0000n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'RAM identity', va: ramBase, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'after the image', va: kernelVa(imageEnd(platform), ramBase) + 0x1000n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'last word of RAM', va: linearVa(ramEnd(platform) - 8n, ramBase), read: 'any', write: 'never', exec: 'fault' },
    ...pages('text', image.text.start, image.text.end, 'never'),
    ...pages('rodata', image.rodata.start, image.rodata.end, 'fault'),
  ];
}

/**
 * The model allocator in the state the machine's allocator was observed in. When no model state
 * gives that observation, throws ContradictsModel with KMEM-INTEGRITY's verdict on it (the rule the
 * observation breaks), or, should the rule hold, with why the model has no such state.
 */
export function modelAllocator(platform: Platform, observed: ObservedKmem, inUse: readonly bigint[], when: string): KmemState {
  try {
    return kmemFromObserved(platform, observed);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const verdict = freeListIntact(platform, observed, inUse);
    const why = verdict?.message ?? `no state of the model's allocator has this free list and these frame states (${e.message.replace(/^kmemFromObserved: /, '')})`;
    throw new ContradictsModel({ rule: 'KMEM-INTEGRITY', message: `${when}: ${why}` });
  }
}

/** The model continued from the machine right after boot. */
export function initialModel(booted: BootedHypervisor): KmemTestModel {
  const { platform, machine, image } = booted;
  const observed = readKmem(machine, image.elf, platform);
  return {
    platform,
    kmem: modelAllocator(platform, observed, booted.shadow.ownedFrames(), 'after boot, before the first command'),
    harts: Array.from({ length: platform.harts }, (_, h) => h),
    consoleHart: booted.bootHart ?? platform.bootHart,
    held: [],
    freed: [],
    reserved: reservedRanges(platform).map((r) => linearVa(r.range.start, ramBase(platform))),
    probeTargets: probeTargets(platform, image.elf),
    contents: new Map(),
  };
}

const ramBase = (platform: Platform): bigint => platform.ramBase;

/** hart position -> hart id. */
export function hartAt(m: Readonly<KmemTestModel>, position: number): number {
  return m.harts[position % m.harts.length]!;
}

/** What a step checks besides the reply. */
export interface StepOptions {
  /** Rules the command itself judges (e.g. KMEM-CONCURRENT on a batch's calls), checked with the others. */
  readonly extra?: () => readonly (Failure | undefined)[];
  /** Judge kfree verdicts by KMEM-FREE-VERDICT from the frame states before the step (sequential steps only). */
  readonly verdicts?: boolean;
}

/** The allocator's frame-state table now (KMEM-FREE-VERDICT replays a step's calls from it). */
export function frameStatesNow(m: KmemTestModel, r: KmemReal): ArrayLike<number> {
  return readFrameStates(r.booted.machine, r.booted.image.elf, m.platform);
}

/**
 * The rules every step's observations must satisfy (KMEM-NO-DOUBLE-FREE from the shadow allocator,
 * TLB-DISCIPLINE in strict mode, the command's own, KMEM-FREE-VERDICT, KMEM-INTEGRITY); throws a
 * StepFailure naming the first broken one and the others.
 */
export function checkAfterStep(m: KmemTestModel, r: KmemReal, options: StepOptions = {}, statesBefore?: ArrayLike<number>, eventsBefore = 0): void {
  const { booted } = r;
  const verdicts: (Failure | undefined)[] = [booted.shadow.violation, booted.shadow.unzeroed];
  if (booted.strictTlb) verdicts.push(noStaleTranslations(booted.stale));
  verdicts.push(...(options.extra?.() ?? []));
  if (options.verdicts !== false && statesBefore !== undefined) {
    verdicts.push(freeVerdictsFollowOrder(m.platform, statesBefore, booted.shadow.events.slice(eventsBefore)));
  }
  const observed = readKmem(booted.machine, booted.image.elf, m.platform);
  verdicts.push(freeListIntact(m.platform, observed, booted.shadow.ownedFrames()));
  failOnAny(verdicts, booted.strictTlb ? booted.stale[0]?.use.hart : undefined);
}

/** Whether a reply is right: undefined, or the rule it breaks and why (step quotes the line and reply). */
export type ReplyJudge = (reply: readonly string[]) => Failure | undefined;


/** A reply line that ends a command without an answer: a panic, or the harness giving up. */
export function noAnswer(reply: readonly string[]): string | undefined {
  return reply.find((l) => l.startsWith('PANIC ') || l.startsWith('TIMEOUT'));
}

/**
 * A judge for a reply that `rule` fixes: exactly the `expected` lines, or whatever the checker
 * accepts (it returns the problem otherwise). A panic or timeout is never a right answer.
 */
export function expectReply(rule: RuleId, expected: readonly string[] | ((reply: readonly string[]) => string | undefined)): ReplyJudge {
  return (reply) => {
    const problem =
      typeof expected === 'function'
        ? expected(reply)
        : reply.length === expected.length && reply.every((l, i) => l === expected[i])
          ? undefined
          : `expected ${expected.map((l) => JSON.stringify(l)).join(', ')}`;
    const stopped = noAnswer(reply);
    if (problem === undefined && stopped === undefined) return undefined;
    return { rule, message: problem ?? `${JSON.stringify(stopped)} is never a right answer` };
  };
}

/** The message of a wrong reply: `"line"<where> answered "a", "b"; why`. */
export function replyMessage(line: string, reply: readonly string[], why: string, where = ''): string {
  return `"${line}"${where} answered ${reply.map((l) => JSON.stringify(l)).join(', ') || 'nothing'}; ${why}`;
}

/**
 * Whether a failure is a wrong console reply (its message is a replyMessage). The reply may be the
 * symptom of a stale translation, which the same case in strict TLB mode names by rule.
 */
export function isReplyFailure(failure: Failure): boolean {
  return /^"[^"]*"( \([^)]*\))? answered /.test(failure.message);
}

/**
 * Sends `line`, records it and the reply, checks the step's rules, then judges the reply (the
 * commands' judges: KMEM-SEQUENTIAL for alloc and free, expectReply for the rest).
 */
export function step(m: KmemTestModel, r: KmemReal, line: string, judge: ReplyJudge, finalLines = 1, options: StepOptions = {}): string[] {
  const statesBefore = options.verdicts === false ? undefined : frameStatesNow(m, r);
  const eventsBefore = r.booted.shadow.events.length;
  const reply = r.booted.command(line, finalLines);
  r.transcript.push(`> ${line}`, ...reply.map((l) => `< ${l}`));
  checkAfterStep(m, r, options, statesBefore, eventsBefore);
  const wrong = judge(reply);
  if (wrong !== undefined) throw new StepFailure({ rule: wrong.rule, message: replyMessage(line, reply, wrong.message) });
  return reply;
}

/** Re-reads the allocator into the model after a step whose free-list order the model does not fix (batches). */
export function resyncModel(m: KmemTestModel, r: KmemReal): void {
  m.kmem = modelAllocator(m.platform, readKmem(r.booted.machine, r.booted.image.elf, m.platform), r.booted.shadow.ownedFrames(), `after "${r.transcript.filter((l) => l.startsWith('> ')).at(-1)?.slice(2) ?? '?'}"`);
}

export { formatRange, hex };
