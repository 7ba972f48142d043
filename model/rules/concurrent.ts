/**
 * KMEM-CONCURRENT: kalloc and kfree calls from several harts, each with its invocation and response
 * time, checked for linearizability against the sequential allocator. The search is split per frame
 * (a frame's calls only ever interact through that frame's state), which keeps it small.
 */
import { hex, isAligned, PAGE_SIZE } from '../address.js';
import type { FreeVerdict } from '../kmem.js';
import { linearPa, VAS_RAM } from '../layout.js';
import { reservedRanges, type Platform } from '../platform.js';
import { violation, type RuleVerdict } from './rule.js';

/** One observed call. `call` and `ret` are times on one clock (e.g. the machine's instruction count). */
export interface KmemCall {
  readonly hart: number;
  readonly kind: 'alloc' | 'free';
  readonly call: number;
  readonly ret: number;
  /** kalloc's result (null when out of memory) or kfree's argument, a linear-map VA. */
  readonly va: bigint | null;
  /** kfree's verdict, when observed. */
  readonly verdict?: FreeVerdict;
}

export function formatCall(c: KmemCall): string {
  const what = c.kind === 'alloc' ? `kalloc() = ${c.va === null ? 'NULL' : hex(c.va)}` : `kfree(${hex(c.va!)})${c.verdict ? ` = ${c.verdict}` : ''}`;
  return `hart ${c.hart} ${what} [${c.call}, ${c.ret}]`;
}

type FrameOwner = 'FREE' | 'ALLOCATED';

/** The verdict kfree(va) has whatever the frame states: Misaligned, OutOfRange, Reserved; undefined when it depends on them. */
function stateIndependentVerdict(platform: Platform, va: bigint): FreeVerdict | undefined {
  if (!isAligned(va, PAGE_SIZE)) return 'Misaligned';
  if (va < VAS_RAM || va >= VAS_RAM + platform.ramSize) return 'OutOfRange';
  const pa = linearPa(va, platform.ramBase);
  return reservedRanges(platform).some((r) => r.range.start <= pa && pa < r.range.end) ? 'Reserved' : undefined;
}

/** The frame state after `c` from `state`, or undefined when `c` cannot happen in `state`. */
function step(state: FrameOwner, c: KmemCall): FrameOwner | undefined {
  if (c.kind === 'alloc') return state === 'FREE' ? 'ALLOCATED' : undefined;
  if (c.verdict === 'Ok') return state === 'ALLOCATED' ? 'FREE' : undefined;
  if (c.verdict === 'DoubleFree') return state === 'FREE' ? 'FREE' : undefined;
  return 'FREE'; // no verdict observed: Ok from ALLOCATED, DoubleFree from FREE
}

/** Whether the calls on one frame have a legal order that respects real time (Wing and Gong's search, memoised). */
function frameLinearizable(calls: readonly KmemCall[], initial: FrameOwner): boolean {
  const n = calls.length;
  const seen = new Set<string>();
  const search = (done: bigint, state: FrameOwner): boolean => {
    if (done === (1n << BigInt(n)) - 1n) return true;
    const key = `${done}:${state}`;
    if (seen.has(key)) return false;
    seen.add(key);
    // the earliest response among pending calls: a call may go next only if it was invoked before it
    let earliestRet = Infinity;
    for (let i = 0; i < n; i++) if (!(done & (1n << BigInt(i)))) earliestRet = Math.min(earliestRet, calls[i]!.ret);
    for (let i = 0; i < n; i++) {
      if (done & (1n << BigInt(i)) || calls[i]!.call > earliestRet) continue;
      const next = step(state, calls[i]!);
      if (next !== undefined && search(done | (1n << BigInt(i)), next)) return true;
    }
    return false;
  };
  return search(0n, initial);
}

/**
 * KMEM-CONCURRENT: every kfree verdict that does not depend on frame states is right, a verdict that
 * does is Ok or DoubleFree, and each frame's calls are linearizable from its state when the history
 * began (ALLOCATED for `inUseAtStart` PAs, FREE otherwise). Out-of-memory kallocs are not judged.
 */
export function concurrentHistoryLinearizable(platform: Platform, calls: readonly KmemCall[], inUseAtStart: readonly bigint[] = []): RuleVerdict {
  const byFrame = new Map<bigint, KmemCall[]>();
  for (const c of calls) {
    if (c.ret < c.call) return violation('KMEM-CONCURRENT', `${formatCall(c)} returns before it is called`);
    if (c.va === null) continue;
    const fixed = c.kind === 'free' ? stateIndependentVerdict(platform, c.va) : undefined;
    if (fixed !== undefined) {
      if (c.verdict !== undefined && c.verdict !== fixed) return violation('KMEM-CONCURRENT', `${formatCall(c)}, expected ${fixed}`);
      continue;
    }
    if (c.kind === 'free' && c.verdict !== undefined && c.verdict !== 'Ok' && c.verdict !== 'DoubleFree') {
      return violation('KMEM-CONCURRENT', `${formatCall(c)}, but only Ok or DoubleFree fit a frame of RAM that is not reserved`);
    }
    const pa = linearPa(c.va, platform.ramBase);
    byFrame.set(pa, [...(byFrame.get(pa) ?? []), c]);
  }
  const used = new Set(inUseAtStart);
  for (const [pa, frameCalls] of byFrame) {
    const sorted = [...frameCalls].sort((a, b) => a.call - b.call);
    if (!frameLinearizable(sorted, used.has(pa) ? 'ALLOCATED' : 'FREE')) {
      return violation('KMEM-CONCURRENT', `frame ${hex(pa)}: no order of its calls that respects their timing is a legal allocator history: ${sorted.map(formatCall).join('; ')}`);
    }
  }
  return undefined;
}
