/**
 * The shadow allocator: who owns which frame, worked out only from kalloc and kfree entry and return
 * events (PC hooks), never from the hypervisor's own bookkeeping. It reports KMEM-NO-DOUBLE-FREE the
 * moment it sees one and keeps the timed call history that KMEM-CONCURRENT is judged on.
 *
 * Ownership is conservative under concurrency: a frame stops being owned when a kfree of it is
 * *entered* (its push may become visible to another hart's kalloc before the kfree returns), and
 * becomes owned when a kalloc *returns* it.
 */
import { hex, linearPa, violation, type FreeVerdict, type KmemCall, type KmemEvent, type Platform, type Violation } from '../../model/index.js';

/** kfree's return value as the hypervisor encodes it (enum kfree_verdict, hypervisor/README.md). */
export const KFREE_VERDICT_OF_CODE: readonly FreeVerdict[] = ['Ok', 'Misaligned', 'OutOfRange', 'Reserved', 'DoubleFree'];

interface PendingCall {
  readonly kind: 'alloc' | 'free';
  readonly call: number;
  /** kfree's argument. */
  readonly va: bigint | null;
  /** For kfree: whether the frame was owned when the call began. */
  readonly ownedAtEntry: boolean;
}

export class ShadowAllocator {
  /** PA -> who holds it ("hart 2 (kalloc #7)", "in use at start"). */
  private readonly owner = new Map<bigint, string>();
  private readonly pending = new Map<number, PendingCall>();
  private readonly completed: KmemCall[] = [];
  private readonly sequence: KmemEvent[] = [];
  private firstViolation: Violation | undefined;
  private firstUnzeroed: Violation | undefined;

  constructor(
    readonly platform: Platform,
    inUseAtStart: readonly bigint[] = [],
  ) {
    for (const pa of inUseAtStart) this.owner.set(pa, 'in use when observation began');
  }

  /** An independent copy (snapshots of a booted machine keep one). */
  clone(): ShadowAllocator {
    const copy = new ShadowAllocator(this.platform);
    for (const [pa, who] of this.owner) copy.owner.set(pa, who);
    for (const [hart, call] of this.pending) copy.pending.set(hart, call);
    copy.completed.push(...this.completed);
    copy.sequence.push(...this.sequence);
    copy.firstViolation = this.firstViolation;
    copy.firstUnzeroed = this.firstUnzeroed;
    return copy;
  }

  /** Forgets the history (keeps ownership): observation of a new phase starts here. */
  startHistory(): void {
    this.completed.length = 0;
    this.sequence.length = 0;
  }

  /** A hart entered kalloc at `time`. */
  allocEntered(hart: number, time: number): void {
    this.pending.set(hart, { kind: 'alloc', call: time, va: null, ownedAtEntry: false });
  }

  /** A hart entered kfree(va) at `time`. */
  freeEntered(hart: number, va: bigint, time: number): void {
    const pa = this.paOf(va);
    const ownedAtEntry = pa !== undefined && this.owner.has(pa);
    if (pa !== undefined) this.owner.delete(pa);
    this.pending.set(hart, { kind: 'free', call: time, va, ownedAtEntry });
  }

  /** kalloc returned `va` (0 = out of memory) on `hart` at `time`. */
  allocReturned(hart: number, va: bigint, time: number): void {
    const call = this.take(hart, 'alloc');
    const result = va === 0n ? null : va;
    this.completed.push({ hart, kind: 'alloc', call: call?.call ?? time, ret: time, va: result });
    this.sequence.push({ kind: 'alloc', va: result });
    if (result === null) return;
    const pa = this.paOf(result);
    if (pa === undefined) return; // not a linear-map address of RAM: KMEM-INTEGRITY's and the model test's to judge
    const holder = this.owner.get(pa);
    if (holder !== undefined) {
      this.report(violation('KMEM-NO-DOUBLE-FREE', `hart ${hart} kalloc() at step ${time} handed out frame ${hex(pa)} (${hex(result)}), which ${holder} still holds`));
    }
    this.owner.set(pa, `hart ${hart} (kalloc returning at step ${time})`);
  }

  /** kfree returned verdict code `code` on `hart` at `time`. */
  freeReturned(hart: number, code: number, time: number): void {
    const call = this.take(hart, 'free');
    if (call === undefined || call.va === null) return; // entered before observation began
    const verdict = KFREE_VERDICT_OF_CODE[code];
    this.completed.push({ hart, kind: 'free', call: call.call, ret: time, va: call.va, ...(verdict ? { verdict } : {}) });
    this.sequence.push({ kind: 'free', va: call.va, ...(verdict ? { verdict } : {}) });
    const pa = this.paOf(call.va);
    if (verdict === 'Ok' && !call.ownedAtEntry) {
      this.report(violation('KMEM-NO-DOUBLE-FREE', `hart ${hart} kfree(${hex(call.va)}) at step ${call.call} returned Ok, but nobody held frame ${pa === undefined ? '?' : hex(pa)}`));
    }
    // a rejected kfree changes nothing: whoever held the frame still does
    if (verdict !== 'Ok' && call.ownedAtEntry && pa !== undefined && !this.owner.has(pa)) this.owner.set(pa, `the holder before a rejected kfree at step ${call.call}`);
  }

  /** The first KMEM-NO-DOUBLE-FREE violation seen, if any. */
  get violation(): Violation | undefined {
    return this.firstViolation;
  }

  /** Records KMEM-ZEROED's verdict on a frame kalloc returned (read from memory at its return); the first violation is kept. */
  frameReturned(verdict: Violation | undefined): void {
    this.firstUnzeroed ??= verdict;
  }

  /** The first KMEM-ZEROED violation seen, if any. */
  get unzeroed(): Violation | undefined {
    return this.firstUnzeroed;
  }

  /** Completed calls with their timing, in return order (for KMEM-CONCURRENT). */
  get calls(): readonly KmemCall[] {
    return this.completed;
  }

  /** Completed calls in return order, untimed (for KMEM-NO-DOUBLE-FREE / KMEM-FREE-VERDICT replays). */
  get events(): readonly KmemEvent[] {
    return this.sequence;
  }

  /** Frames currently owned, as PAs. */
  ownedFrames(): bigint[] {
    return [...this.owner.keys()];
  }

  /** Harts inside kalloc or kfree right now. */
  get inside(): readonly number[] {
    return [...this.pending.keys()];
  }

  /** Number of harts currently inside kalloc. */
  insideAlloc(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.kind === 'alloc') n++;
    return n;
  }

  /** Forgets a hart's call in progress (the hart trapped out of it and will not return). */
  abandon(hart: number): void {
    this.pending.delete(hart);
  }

  private take(hart: number, kind: 'alloc' | 'free'): PendingCall | undefined {
    const call = this.pending.get(hart);
    this.pending.delete(hart);
    return call?.kind === kind ? call : undefined;
  }

  private paOf(va: bigint): bigint | undefined {
    const { platform } = this;
    const pa = linearPa(va, platform.ramBase);
    return va % 0x1000n === 0n && pa >= platform.ramBase && pa < platform.ramBase + platform.ramSize ? pa : undefined;
  }

  private report(v: Violation): void {
    this.firstViolation ??= v;
  }
}
