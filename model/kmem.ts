/**
 * The page allocator (design: "Physical memory manager (mem/kmem.c)"; SPEC.md "The page allocator") as
 * a state machine over persistent state: every operation returns a new state and leaves its input as
 * it was. Frames are 4 KiB pages of RAM, frame index = (pa - ramBase) >> 12; kalloc and kfree speak in
 * linear-map VAs (VAS_RAM + (pa - ramBase)), as the hypervisor's do. Page contents (kalloc zeroes the
 * page, the free page's first 8 bytes hold the next pointer) are not modelled here.
 */
import { hex, isAligned, PAGE_SHIFT, PAGE_SIZE } from './address.js';
import { linearPa, linearVa, VAS_RAM } from './layout.js';
import { ramFrames, reservedRanges, type Platform } from './platform.js';

/** A frame's state, as the hypervisor's 1-byte-per-frame table stores it (codes in FRAME_STATE_CODE). */
export type FrameState = 'RESERVED' | 'FREE' | 'ALLOCATED';
export const FRAME_STATE_CODE: Readonly<Record<FrameState, number>> = { RESERVED: 0, FREE: 1, ALLOCATED: 2 };
export const FRAME_STATE_OF_CODE: readonly FrameState[] = ['RESERVED', 'FREE', 'ALLOCATED'];

/** kfree's verdicts, in the order it checks them; the first that applies wins. */
export type FreeVerdict = 'Misaligned' | 'OutOfRange' | 'Reserved' | 'DoubleFree' | 'Ok';
export const FREE_VERDICT_ORDER: readonly FreeVerdict[] = ['Misaligned', 'OutOfRange', 'Reserved', 'DoubleFree', 'Ok'];

/** A run of consecutive free frames linked top-down; the free list is a chain of these, head first. */
interface FreeSegment {
  readonly top: number;
  readonly bottom: number;
  readonly next: FreeSegment | null;
}

/** A persistent radix trie from frame index to a state that differs from the frame's initial state. */
type Trie = readonly (Trie | FrameState | undefined)[];
const TRIE_BITS = 5;
const TRIE_TOP_SHIFT = 20; // five levels of 5 bits: 2^25 frames = 128 GiB, above the 16 GiB limit

function trieGet(trie: Trie | undefined, index: number, shift = TRIE_TOP_SHIFT): FrameState | undefined {
  if (trie === undefined) return undefined;
  const slot = trie[(index >>> shift) & 31];
  return shift === 0 ? (slot as FrameState | undefined) : trieGet(slot as Trie | undefined, index, shift - TRIE_BITS);
}

function trieSet(trie: Trie | undefined, index: number, value: FrameState | undefined, shift = TRIE_TOP_SHIFT): Trie {
  const copy = trie === undefined ? new Array<Trie | FrameState | undefined>(32).fill(undefined) : [...trie];
  const slot = (index >>> shift) & 31;
  copy[slot] = shift === 0 ? value : trieSet(copy[slot] as Trie | undefined, index, value, shift - TRIE_BITS);
  return copy;
}

export interface KmemState {
  readonly platform: Platform;
  /** Frames of RAM. */
  readonly totalFrames: number;
  /** Reserved frame intervals [lo, hi], ascending. */
  readonly reserved: readonly (readonly [number, number])[];
  readonly nfree: number;
  readonly nallocated: number;
  readonly head: FreeSegment | null;
  readonly changed: Trie | undefined;
}

export function frameIndex(platform: Platform, pa: bigint): number {
  return Number((pa - platform.ramBase) >> PAGE_SHIFT);
}

export function framePa(platform: Platform, index: number): bigint {
  return platform.ramBase + (BigInt(index) << PAGE_SHIFT);
}

/** Frame index intervals [lo, hi] (inclusive) of reserved frames, ascending and merged. */
function reservedIntervals(platform: Platform): [number, number][] {
  const intervals = reservedRanges(platform)
    .map((r) => [frameIndex(platform, r.range.start), frameIndex(platform, r.range.end) - 1] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of intervals) {
    const last = merged[merged.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

/** The state kmem init gives a frame: RESERVED if any reserved range covers it, else FREE. */
export function initialFrameState(platform: Platform, index: number): FrameState {
  return initialState(reservedIntervals(platform), index);
}

function initialState(reserved: readonly (readonly [number, number])[], index: number): FrameState {
  return reserved.some(([lo, hi]) => lo <= index && index <= hi) ? 'RESERVED' : 'FREE';
}

/**
 * kmem init: one hart walks the frames in ascending PA order and pushes every free one on a LIFO list,
 * so the highest free frame ends up at the head and is handed out first.
 */
export function initKmem(platform: Platform): KmemState {
  const frames = Number(ramFrames(platform));
  let head: FreeSegment | null = null;
  let nfree = 0;
  let next = 0;
  const reserved = reservedIntervals(platform);
  for (const [lo, hi] of [...reserved, [frames, frames] as [number, number]]) {
    if (next < lo) {
      head = { top: lo - 1, bottom: next, next: head };
      nfree += lo - next;
    }
    next = Math.max(next, hi + 1);
  }
  return { platform, totalFrames: frames, reserved, nfree, nallocated: 0, head, changed: undefined };
}

export function frameState(state: KmemState, pa: bigint): FrameState {
  const index = frameIndex(state.platform, pa);
  if (pa < state.platform.ramBase || index >= state.totalFrames) throw new RangeError(`frameState: ${hex(pa)} is not in RAM`);
  return trieGet(state.changed, index) ?? initialState(state.reserved, index);
}

function withState(state: KmemState, index: number, value: FrameState): Trie {
  return trieSet(state.changed, index, value === initialState(state.reserved, index) ? undefined : value);
}

export type AllocResult = { readonly ok: true; readonly pa: bigint; readonly va: bigint } | { readonly ok: false; readonly error: 'OutOfMemory' };

/** kalloc: pop the head of the free list (FREE -> ALLOCATED); OutOfMemory when the list is empty. */
export function alloc(state: KmemState): { readonly state: KmemState; readonly result: AllocResult } {
  const { head } = state;
  if (head === null) return { state, result: { ok: false, error: 'OutOfMemory' } };
  const index = head.top;
  const pa = framePa(state.platform, index);
  return {
    state: {
      ...state,
      nfree: state.nfree - 1,
      nallocated: state.nallocated + 1,
      head: head.top === head.bottom ? head.next : { top: head.top - 1, bottom: head.bottom, next: head.next },
      changed: withState(state, index, 'ALLOCATED'),
    },
    result: { ok: true, pa, va: linearVa(pa, state.platform.ramBase) },
  };
}

/** What kfree(va) decides, without changing anything: the first of FREE_VERDICT_ORDER that applies. */
export function freeVerdict(state: KmemState, va: bigint): FreeVerdict {
  return kfreeVerdict(state.platform, va, (pa) => frameState(state, pa));
}

/** kfree's decision for `va` given each frame's current state (looked up by PA only once va is in RAM). */
export function kfreeVerdict(platform: Platform, va: bigint, stateOf: (pa: bigint) => FrameState): FreeVerdict {
  if (!isAligned(va, PAGE_SIZE)) return 'Misaligned';
  if (va < VAS_RAM || va >= VAS_RAM + platform.ramSize) return 'OutOfRange';
  const current = stateOf(linearPa(va, platform.ramBase));
  if (current === 'RESERVED') return 'Reserved';
  if (current === 'FREE') return 'DoubleFree';
  return 'Ok';
}

/** kfree: on Ok the frame goes ALLOCATED -> FREE and onto the head of the list; any other verdict changes nothing. */
export function free(state: KmemState, va: bigint): { readonly state: KmemState; readonly verdict: FreeVerdict } {
  const verdict = freeVerdict(state, va);
  if (verdict !== 'Ok') return { state, verdict };
  const index = frameIndex(state.platform, linearPa(va, state.platform.ramBase));
  return {
    state: {
      ...state,
      nfree: state.nfree + 1,
      nallocated: state.nallocated - 1,
      head: { top: index, bottom: index, next: state.head },
      changed: withState(state, index, 'FREE'),
    },
    verdict,
  };
}

/** The free list in list order (head first), as PAs. */
export function freeList(state: KmemState): bigint[] {
  const list: bigint[] = [];
  for (let segment = state.head; segment !== null; segment = segment.next) {
    for (let index = segment.top; index >= segment.bottom; index--) list.push(framePa(state.platform, index));
  }
  return list;
}

/** What the property suite reads out of a machine, made from a model state (for comparing the two). */
export interface ObservedKmem {
  /** kmem_freelist followed through the next pointers: linear-map VAs, head first. */
  readonly freeList: readonly bigint[];
  /** True when the walk reached the terminating 0; false when the reader gave up (a cycle, or garbage). */
  readonly terminated: boolean;
  /** kmem_nfree, when read. */
  readonly nfree?: bigint;
  /** kmem_frame_state's bytes, one per frame, when read. */
  readonly frameStates?: ArrayLike<number>;
}

export function observeKmem(state: KmemState): ObservedKmem {
  const frameStates = new Uint8Array(state.totalFrames);
  for (let index = 0; index < state.totalFrames; index++) {
    frameStates[index] = FRAME_STATE_CODE[trieGet(state.changed, index) ?? initialState(state.reserved, index)];
  }
  return {
    freeList: freeList(state).map((pa) => linearVa(pa, state.platform.ramBase)),
    terminated: true,
    nfree: BigInt(state.nfree),
    frameStates,
  };
}

/**
 * The model state a machine's allocator is in, from what was read out of it (the free list in order
 * and the frame-state table), so a model-based test can continue from a booted machine. Throws
 * RangeError naming the problem when the observation is not a state the model can be in; check
 * KMEM-INTEGRITY first for a rule verdict.
 */
export function kmemFromObserved(platform: Platform, observed: ObservedKmem): KmemState {
  const start = initKmem(platform);
  const states = observed.frameStates;
  if (!observed.terminated) throw new RangeError('kmemFromObserved: the free list did not end');
  if (states === undefined || states.length !== start.totalFrames) {
    throw new RangeError(`kmemFromObserved: needs the frame-state table (${start.totalFrames} entries)`);
  }
  let changed: Trie | undefined;
  let nallocated = 0;
  for (let index = 0; index < start.totalFrames; index++) {
    const state = FRAME_STATE_OF_CODE[states[index]!];
    const initial = initialState(start.reserved, index);
    if (state === undefined || (state === 'RESERVED') !== (initial === 'RESERVED')) {
      throw new RangeError(`kmemFromObserved: frame ${hex(framePa(platform, index))} has state byte ${states[index]}, but it is ${initial === 'RESERVED' ? '' : 'not '}reserved`);
    }
    if (state === 'ALLOCATED') nallocated += 1;
    if (state !== initial) changed = trieSet(changed, index, state);
  }
  // rebuild the list tail first, merging runs of consecutive descending frames into segments
  let head: FreeSegment | null = null;
  for (let i = observed.freeList.length - 1; i >= 0; i--) {
    const index = frameIndex(platform, linearPa(observed.freeList[i]!, platform.ramBase));
    if (FRAME_STATE_OF_CODE[states[index]!] !== 'FREE') throw new RangeError(`kmemFromObserved: list entry #${i} ${hex(observed.freeList[i]!)} is not FREE`);
    head = head !== null && head.top + 1 === index ? { top: index, bottom: head.bottom, next: head.next } : { top: index, bottom: index, next: head };
  }
  const nfree = observed.freeList.length;
  if (nfree + nallocated !== start.nfree) {
    throw new RangeError(`kmemFromObserved: ${nfree} listed + ${nallocated} allocated frames, but ${start.nfree} frames are not reserved`);
  }
  return { ...start, nfree, nallocated, head, changed };
}
