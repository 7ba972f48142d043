/**
 * Rules about the page allocator (KMEM-*), over what can be observed of it: the free list as read
 * through kmem_freelist, kmem_nfree, the frame-state table, and the history of kalloc/kfree calls.
 */
import { formatRange, hex, isAligned, PAGE_SIZE } from '../address.js';
import { alloc, free, FRAME_STATE_CODE, FRAME_STATE_OF_CODE, kfreeVerdict, type FrameState, type FreeVerdict, type KmemState, type ObservedKmem } from '../kmem.js';
import { linearPa, VAS_RAM } from '../layout.js';
import { ramFrames, reservedRanges, type NamedRange, type Platform } from '../platform.js';
import { violation, type RuleVerdict } from './rule.js';

/** One observed call: kalloc's returned VA (null when out of memory), or kfree's argument and, if observed, its verdict. */
export type KmemEvent =
  | { readonly kind: 'alloc'; readonly va: bigint | null }
  | { readonly kind: 'free'; readonly va: bigint; readonly verdict?: FreeVerdict };

export function formatEvent(event: KmemEvent, index: number): string {
  return event.kind === 'alloc'
    ? `#${index} kalloc() = ${event.va === null ? 'NULL' : hex(event.va)}`
    : `#${index} kfree(${hex(event.va)})${event.verdict ? ` = ${event.verdict}` : ''}`;
}

/**
 * KMEM-INTEGRITY: the free list ended (no cycle), has no repeats, and every entry is a page-aligned
 * linear-map VA of a RAM frame that is not reserved and not in `inUse` (PAs of frames known to be
 * allocated: page tables, cpu structs, outstanding kallocs); kmem_nfree equals its length; and the
 * frame-state table marks exactly the reserved frames RESERVED and exactly the listed frames FREE.
 */
export function freeListIntact(platform: Platform, kmem: ObservedKmem, inUse: readonly bigint[] = []): RuleVerdict {
  const fail = (message: string): RuleVerdict => violation('KMEM-INTEGRITY', message);
  // position + 1 of each frame's first appearance on the list, by frame index (0: not listed)
  const seen = new Float64Array(Number(ramFrames(platform)));
  const used = new Set(inUse);
  const reservedList = reservedRanges(platform);
  for (const [i, va] of kmem.freeList.entries()) {
    if (!isAligned(va, PAGE_SIZE)) return fail(`free list entry #${i} ${hex(va)} is not page aligned`);
    if (va < VAS_RAM || va >= VAS_RAM + platform.ramSize) return fail(`free list entry #${i} ${hex(va)} is outside the linear map of RAM ${formatRange({ start: VAS_RAM, end: VAS_RAM + platform.ramSize })}`);
    const pa = linearPa(va, platform.ramBase);
    const index = Number((va - VAS_RAM) / PAGE_SIZE);
    const first = seen[index]! - 1;
    if (first >= 0) return fail(`free list entry #${i} ${hex(va)} (frame ${hex(pa)}) repeats entry #${first}: a cycle or a frame freed twice`);
    seen[index] = i + 1;
    const reserved = reservedList.find((r) => r.range.start <= pa && pa < r.range.end);
    if (reserved) return fail(`free list entry #${i} frame ${hex(pa)} is in the reserved ${reserved.name} ${formatRange(reserved.range)}`);
    if (used.has(pa)) return fail(`free list entry #${i} frame ${hex(pa)} is in use`);
  }
  if (!kmem.terminated) return fail(`the free list did not end after ${kmem.freeList.length} entries (a cycle, or a next pointer into garbage)`);
  if (kmem.nfree !== undefined && kmem.nfree !== BigInt(kmem.freeList.length)) {
    return fail(`kmem_nfree is ${kmem.nfree} but the free list has ${kmem.freeList.length} entries`);
  }
  if (kmem.frameStates !== undefined) return frameStatesAgree(platform, kmem.frameStates, seen);
  return undefined;
}

function frameStatesAgree(platform: Platform, states: ArrayLike<number>, listed: Float64Array): RuleVerdict {
  const fail = (message: string): RuleVerdict => violation('KMEM-INTEGRITY', message);
  const frames = Number(ramFrames(platform));
  if (states.length !== frames) return fail(`the frame-state table has ${states.length} entries for ${frames} frames`);
  // Which range reserves each frame, and which frames are listed, by index: RAM may have 4 Mi frames.
  const reservedBy = new Array<NamedRange | undefined>(frames);
  for (const r of reservedRanges(platform)) {
    const first = Number((r.range.start - platform.ramBase) / PAGE_SIZE);
    const last = Math.min(frames, Number((r.range.end - platform.ramBase) / PAGE_SIZE));
    for (let index = first; index < last; index++) reservedBy[index] ??= r;
  }
  const onList = (index: number): boolean => listed[index] !== 0;
  for (let index = 0; index < frames; index++) {
    const code = states[index]!;
    const state: FrameState | undefined = FRAME_STATE_OF_CODE[code];
    const reserved = reservedBy[index];
    if (state !== undefined && (reserved !== undefined) === (state === 'RESERVED') && onList(index) === (state === 'FREE')) continue;
    const pa = platform.ramBase + BigInt(index) * PAGE_SIZE;
    if (state === undefined) return fail(`frame ${hex(pa)} has state byte ${code}, not 0, 1 or 2`);
    if (reserved && state !== 'RESERVED') return fail(`frame ${hex(pa)} is in the reserved ${reserved.name} but its state is ${state}`);
    if (!reserved && state === 'RESERVED') return fail(`frame ${hex(pa)} is marked RESERVED but no reserved range covers it`);
    if (onList(index)) return fail(`frame ${hex(pa)} is on the free list but its state is ${state}`);
    return fail(`frame ${hex(pa)} is FREE but not on the free list`);
  }
  return undefined;
}

/**
 * KMEM-NO-DOUBLE-FREE over a history: replaying it from `inUseAtStart` (PAs allocated before the
 * history began), no kalloc returns a frame still allocated, and no kfree of a frame not allocated is
 * accepted (verdict Ok). A rejected kfree leaves the frame as it was.
 */
export function neverHandedOutTwice(platform: Platform, history: readonly KmemEvent[], inUseAtStart: readonly bigint[] = []): RuleVerdict {
  const allocatedBy = new Map<bigint, string>(inUseAtStart.map((pa) => [pa, 'in use when the history began']));
  for (const [i, event] of history.entries()) {
    if (event.va === null) continue;
    const pa = linearPa(event.va, platform.ramBase);
    const by = allocatedBy.get(pa);
    if (event.kind === 'alloc') {
      if (by !== undefined) return violation('KMEM-NO-DOUBLE-FREE', `${formatEvent(event, i)} handed out frame ${hex(pa)} again; it was ${by} and not freed since`);
      allocatedBy.set(pa, `handed out by ${formatEvent(event, i)}`);
    } else if (by === undefined) {
      if (event.verdict === 'Ok') return violation('KMEM-NO-DOUBLE-FREE', `${formatEvent(event, i)} accepted frame ${hex(pa)}, which was not allocated`);
    } else if (event.verdict === undefined || event.verdict === 'Ok') {
      allocatedBy.delete(pa);
    }
  }
  return undefined;
}

/**
 * KMEM-FREE-VERDICT over a history with verdicts: replaying it from the frame states observed when it
 * began, every kfree's verdict is kfreeVerdict's (the first of Misaligned, OutOfRange, Reserved,
 * DoubleFree, else Ok).
 */
export function freeVerdictsFollowOrder(platform: Platform, statesAtStart: ArrayLike<number>, history: readonly KmemEvent[]): RuleVerdict {
  const states = Array.from(statesAtStart);
  const indexOf = (pa: bigint): number => Number((pa - platform.ramBase) / PAGE_SIZE);
  const stateOf = (pa: bigint): FrameState => FRAME_STATE_OF_CODE[states[indexOf(pa)]!] ?? 'RESERVED';
  for (const [i, event] of history.entries()) {
    if (event.kind === 'alloc') {
      if (event.va !== null && event.va >= VAS_RAM && event.va < VAS_RAM + platform.ramSize) {
        states[indexOf(linearPa(event.va, platform.ramBase))] = FRAME_STATE_CODE.ALLOCATED;
      }
      continue;
    }
    const expected = kfreeVerdict(platform, event.va, stateOf);
    if (event.verdict !== undefined && event.verdict !== expected) {
      return violation('KMEM-FREE-VERDICT', `${formatEvent(event, i)}, expected ${expected}`);
    }
    if (expected === 'Ok') states[indexOf(linearPa(event.va, platform.ramBase))] = FRAME_STATE_CODE.FREE;
  }
  return undefined;
}

/**
 * One kalloc or kfree as its caller saw it return, one call at a time: kalloc's VA (null: out of
 * memory) and, when reported, the PA it names; kfree's argument and, when reported, its verdict;
 * and the free count after the call, when reported (a KmemEvent is one without the optional parts). `noResult` says why a call gave nothing to compare (a panic, a
 * timeout, a reply outside the protocol).
 */
export type SequentialCall =
  | { readonly kind: 'alloc'; readonly va: bigint | null; readonly pa?: bigint; readonly nfree?: number | bigint }
  | { readonly kind: 'free'; readonly va: bigint; readonly verdict?: FreeVerdict; readonly nfree?: number | bigint }
  | { readonly kind: 'alloc' | 'free'; readonly va?: bigint; readonly noResult: string };

/** The VA and its frame, e.g. "0xffffffe00fff0000 (frame 0x8fff0000)". */
function withFrame(platform: Platform, va: bigint): string {
  return `${hex(va)} (frame ${hex(linearPa(va, platform.ramBase))})`;
}

/**
 * KMEM-SEQUENTIAL: `call`, made on an allocator in model state `state`, returned what the model's
 * sequential allocator returns from that state (alloc: the head of the free list, NULL exactly when
 * it is empty; free: kfree's verdict), and the free count after it is the model's.
 */
export function sequentialCallAgrees(state: KmemState, call: SequentialCall): RuleVerdict {
  const { platform } = state;
  const fail = (message: string): RuleVerdict => violation('KMEM-SEQUENTIAL', message);
  if (call.kind === 'alloc') {
    const model = alloc(state);
    const expected = model.result.ok ? `returns the head of the free list, ${withFrame(platform, model.result.va)}` : 'returns NULL: the free list is empty';
    if ('noResult' in call) return fail(`kalloc() gave no result (${call.noResult}); the model's kalloc ${expected}`);
    if (call.va === null) {
      if (model.result.ok) return fail(`kalloc() returned NULL with ${state.nfree} frames free; the model's kalloc ${expected}`);
    } else {
      if (!model.result.ok) return fail(`kalloc() returned ${withFrame(platform, call.va)}, but the free list is empty: the model's kalloc returns NULL`);
      if (call.va !== model.result.va) return fail(`kalloc() returned ${withFrame(platform, call.va)}; the model's kalloc ${expected}`);
      if (call.pa !== undefined && call.pa !== model.result.pa) return fail(`kalloc() returned ${hex(call.va)} but reported its frame as ${hex(call.pa)}; the linear map puts it at ${hex(model.result.pa)}`);
    }
    return freeCountAgrees(fail, `kalloc() = ${call.va === null ? 'NULL' : hex(call.va)}`, call.nfree, model.state.nfree);
  }
  if ('noResult' in call) {
    if (call.va === undefined) return fail(`kfree gave no result (${call.noResult})`);
    return fail(`kfree(${hex(call.va)}) gave no result (${call.noResult}); the model's kfree gives ${free(state, call.va).verdict}`);
  }
  const model = free(state, call.va);
  if (call.verdict !== undefined && call.verdict !== model.verdict) {
    const stateNow = model.verdict === 'Misaligned' || model.verdict === 'OutOfRange' ? '' : `, frame ${hex(linearPa(call.va, platform.ramBase))} being ${model.verdict === 'Reserved' ? 'RESERVED' : model.verdict === 'DoubleFree' ? 'FREE' : 'ALLOCATED'}`;
    return fail(`kfree(${hex(call.va)}) = ${call.verdict}; the model's kfree gives ${model.verdict}${stateNow}`);
  }
  return freeCountAgrees(fail, `kfree(${hex(call.va)}) = ${model.verdict}`, call.nfree, model.state.nfree);
}

/**
 * KMEM-SEQUENTIAL over calls made one after another from model state `start`: each agrees with the
 * model (sequentialCallAgrees), which then takes the same call. The violation names the call by index.
 */
export function sequentialHistoryAgrees(start: KmemState, calls: readonly SequentialCall[]): RuleVerdict {
  let state = start;
  for (const [i, call] of calls.entries()) {
    const v = sequentialCallAgrees(state, call);
    if (v) return violation(v.rule, `call #${i}: ${v.message}`);
    // a call that agrees has a result: kalloc's, or kfree's of call.va
    state = call.kind === 'alloc' ? alloc(state).state : free(state, call.va!).state;
  }
  return undefined;
}

function freeCountAgrees(fail: (message: string) => RuleVerdict, after: string, observed: number | bigint | undefined, model: number): RuleVerdict {
  if (observed === undefined || BigInt(observed) === BigInt(model)) return undefined;
  return fail(`after ${after} the free count is ${observed}; the model's is ${model}`);
}

/** KMEM-ZEROED: every byte of the frame kalloc returned (`va`; `bytes`, its page as kalloc returned it) is zero. */
export function allocatedFrameZeroed(va: bigint, bytes: ArrayLike<number>): RuleVerdict {
  if (bytes.length !== Number(PAGE_SIZE)) throw new RangeError(`allocatedFrameZeroed: ${bytes.length} bytes, not a page (${PAGE_SIZE})`);
  let first = -1;
  let nonzero = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) continue;
    if (first < 0) first = i;
    nonzero += 1;
  }
  if (first < 0) return undefined;
  const word = first & ~7;
  let value = 0n;
  for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(bytes[word + i]!);
  return violation('KMEM-ZEROED', `kalloc() returned ${hex(va)} with ${nonzero} nonzero byte${nonzero === 1 ? '' : 's'}, the first at +0x${first.toString(16)} (doubleword +0x${word.toString(16)} is ${hex(value)})`);
}
