/**
 * KMEM-SEQUENTIAL: each kalloc/kfree result, one call at a time, against the model's sequential
 * allocator from the same state. Accepts the model's own answers; rejects each way a reply can
 * differ, naming the frame or count.
 */
import { describe, expect, it } from 'vitest';
import {
  alloc,
  checkRules,
  formatViolation,
  free,
  initKmem,
  sequentialCallAgrees,
  sequentialHistoryAgrees,
  VAS_RAM,
  virtPlatform,
  type KmemState,
  type RuleVerdict,
  type SequentialCall,
} from '../../model/index.js';

const platform = virtPlatform({ ramSize: 16n << 20n, harts: 1 });
const booted = initKmem(platform);
// the highest free frame of 16 MiB at 0x8000_0000 is the last page of RAM (the blob sits 2 MiB lower)
const top = VAS_RAM + 0xff_f000n;
const second = VAS_RAM + 0xff_e000n;

function rejects(verdict: RuleVerdict, pattern: RegExp): void {
  expect(verdict, 'expected KMEM-SEQUENTIAL to be violated').toBeDefined();
  expect(verdict!.rule).toBe('KMEM-SEQUENTIAL');
  expect(formatViolation(verdict!)).toMatch(/^KMEM-SEQUENTIAL: /);
  expect(verdict!.message).toMatch(pattern);
}

/** The state after draining every free frame. */
function drained(state: KmemState): KmemState {
  let s = state;
  while (s.head !== null) s = alloc(s).state;
  return s;
}

describe('KMEM-SEQUENTIAL', () => {
  it('accepts kalloc of the highest free frame after boot, with its PA and the new free count', () => {
    expect(alloc(booted).result).toEqual({ ok: true, pa: 0x80ff_f000n, va: top });
    expect(sequentialCallAgrees(booted, { kind: 'alloc', va: top, pa: 0x80ff_f000n, nfree: booted.nfree - 1 })).toBeUndefined();
    expect(sequentialCallAgrees(booted, { kind: 'alloc', va: top })).toBeUndefined();
    expect(sequentialCallAgrees(booted, { kind: 'alloc', va: top, nfree: BigInt(booted.nfree - 1) })).toBeUndefined();
  });

  it('rejects kalloc of any other frame, naming both frames', () => {
    rejects(
      sequentialCallAgrees(booted, { kind: 'alloc', va: second }),
      /^kalloc\(\) returned 0xffffffe000ffe000 \(frame 0x80ffe000\); the model's kalloc returns the head of the free list, 0xffffffe000fff000 \(frame 0x80fff000\)$/,
    );
  });

  it('rejects a wrong PA for the right VA and a wrong free count', () => {
    rejects(sequentialCallAgrees(booted, { kind: 'alloc', va: top, pa: 0x80ff_e000n }), /reported its frame as 0x80ffe000; the linear map puts it at 0x80fff000$/);
    rejects(sequentialCallAgrees(booted, { kind: 'alloc', va: top, nfree: booted.nfree }), new RegExp(`^after kalloc\\(\\) = 0xffffffe000fff000 the free count is ${booted.nfree}; the model's is ${booted.nfree - 1}$`));
  });

  it('after a free, kalloc returns the most recently freed frame (LIFO)', () => {
    const a = alloc(booted);
    const b = alloc(a.state);
    const freedFirst = free(b.state, top).state; // top back on the head, above `second` still held
    expect(sequentialCallAgrees(freedFirst, { kind: 'alloc', va: top })).toBeUndefined();
    rejects(sequentialCallAgrees(freedFirst, { kind: 'alloc', va: VAS_RAM + 0xff_d000n }), /the head of the free list, 0xffffffe000fff000/);
    const freedBoth = free(freedFirst, second).state;
    expect(sequentialCallAgrees(freedBoth, { kind: 'alloc', va: second })).toBeUndefined();
    rejects(sequentialCallAgrees(freedBoth, { kind: 'alloc', va: top }), /returned 0xffffffe000fff000 .*; the model's kalloc returns the head of the free list, 0xffffffe000ffe000/);
  });

  it('requires NULL exactly when the list is empty', () => {
    const empty = drained(booted);
    expect(empty.nfree).toBe(0);
    expect(sequentialCallAgrees(empty, { kind: 'alloc', va: null, nfree: 0 })).toBeUndefined();
    rejects(sequentialCallAgrees(empty, { kind: 'alloc', va: top }), /^kalloc\(\) returned 0xffffffe000fff000 \(frame 0x80fff000\), but the free list is empty: the model's kalloc returns NULL$/);
    rejects(sequentialCallAgrees(booted, { kind: 'alloc', va: null }), new RegExp(`^kalloc\\(\\) returned NULL with ${booted.nfree} frames free; the model's kalloc returns the head of the free list, 0xffffffe000fff000`));
    rejects(sequentialCallAgrees(empty, { kind: 'alloc', va: null, nfree: 1 }), /^after kalloc\(\) = NULL the free count is 1; the model's is 0$/);
  });

  it('accepts kfree with the model\'s verdict and count, rejects another verdict naming the frame\'s state', () => {
    const held = alloc(booted).state;
    expect(sequentialCallAgrees(held, { kind: 'free', va: top, verdict: 'Ok', nfree: booted.nfree })).toBeUndefined();
    expect(sequentialCallAgrees(held, { kind: 'free', va: top })).toBeUndefined();
    rejects(sequentialCallAgrees(held, { kind: 'free', va: top, verdict: 'DoubleFree' }), /^kfree\(0xffffffe000fff000\) = DoubleFree; the model's kfree gives Ok, frame 0x80fff000 being ALLOCATED$/);
    rejects(sequentialCallAgrees(booted, { kind: 'free', va: top, verdict: 'Ok' }), /= Ok; the model's kfree gives DoubleFree, frame 0x80fff000 being FREE$/);
    rejects(sequentialCallAgrees(booted, { kind: 'free', va: VAS_RAM, verdict: 'Ok' }), /^kfree\(0xffffffe000000000\) = Ok; the model's kfree gives Reserved, frame 0x80000000 being RESERVED$/);
    rejects(sequentialCallAgrees(booted, { kind: 'free', va: top + 8n, verdict: 'Ok' }), /^kfree\(0xffffffe000fff008\) = Ok; the model's kfree gives Misaligned$/);
    // a rejected kfree changes nothing, so the count stays
    rejects(sequentialCallAgrees(held, { kind: 'free', va: top + 8n, verdict: 'Misaligned', nfree: booted.nfree }), new RegExp(`^after kfree\\(0xffffffe000fff008\\) = Misaligned the free count is ${booted.nfree}; the model's is ${booted.nfree - 1}$`));
    rejects(sequentialCallAgrees(held, { kind: 'free', va: top, verdict: 'Ok', nfree: booted.nfree - 1 }), /^after kfree\(0xffffffe000fff000\) = Ok the free count is \d+; the model's is \d+$/);
  });

  it('rejects a call that gave no result, with what the model would have answered', () => {
    rejects(sequentialCallAgrees(booted, { kind: 'alloc', noResult: 'PANIC hart=0 kalloc: list corrupt' }), /^kalloc\(\) gave no result \(PANIC hart=0 kalloc: list corrupt\); the model's kalloc returns the head of the free list, 0xffffffe000fff000/);
    rejects(sequentialCallAgrees(drained(booted), { kind: 'alloc', noResult: 'TIMEOUT' }), /^kalloc\(\) gave no result \(TIMEOUT\); the model's kalloc returns NULL: the free list is empty$/);
    rejects(sequentialCallAgrees(booted, { kind: 'free', va: top, noResult: 'TIMEOUT' }), /^kfree\(0xffffffe000fff000\) gave no result \(TIMEOUT\); the model's kfree gives DoubleFree$/);
    rejects(sequentialCallAgrees(booted, { kind: 'free', noResult: 'an unreadable reply' }), /^kfree gave no result \(an unreadable reply\)$/);
  });

  it('judges a sequence call by call, continuing the model, and names the first call that differs', () => {
    const calls: SequentialCall[] = [
      { kind: 'alloc', va: top },
      { kind: 'alloc', va: second },
      { kind: 'free', va: top, verdict: 'Ok' },
      { kind: 'free', va: top, verdict: 'DoubleFree' },
      { kind: 'alloc', va: top, nfree: booted.nfree - 2 },
    ];
    expect(sequentialHistoryAgrees(booted, calls)).toBeUndefined();
    rejects(sequentialHistoryAgrees(booted, [...calls, { kind: 'alloc', va: top }]), /^call #5: kalloc\(\) returned 0xffffffe000fff000 .* the head of the free list, 0xffffffe000ffd000/);
    // through the combined check, from a given model state
    rejects(checkRules({ platform, kmemAtStart: booted, sequentialCalls: [{ kind: 'alloc', va: second }] }), /^call #0: kalloc\(\) returned 0xffffffe000ffe000/);
    expect(checkRules({ platform, kmemAtStart: booted, sequentialCalls: calls })).toBeUndefined();
    expect(checkRules({ platform, sequentialCalls: [{ kind: 'alloc', va: second }] })).toBeUndefined();
  });
});
