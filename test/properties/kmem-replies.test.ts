/** Console replies of alloc, free and free2 read back into calls and judged by KMEM-SEQUENTIAL; other replies by their rule. */
import { describe, expect, it } from 'vitest';
import { alloc, initKmem, VAS_RAM, virtPlatform } from '../../model/index.js';
import { allocCall, allocJudge, free2Judge, freeCall, freeJudge } from '../../properties/kmem/commands/replies.js';
import { expectReply, isReplyFailure, replyMessage } from '../../properties/kmem/model.js';

const platform = virtPlatform({ ramSize: 16n << 20n, harts: 2 });
const booted = initKmem(platform);
const top = VAS_RAM + 0xff_f000n;
const held = alloc(booted).state;
const n = booted.nfree;

describe('alloc and free replies (KMEM-SEQUENTIAL)', () => {
  it('reads the protocol\'s alloc replies, and anything else as no result', () => {
    expect(allocCall([`OK alloc hart=1 va=${'0xffffffe000fff000'} pa=0x80fff000 nfree=${n - 1}`], 1)).toEqual({ kind: 'alloc', va: top, pa: 0x80ff_f000n, nfree: BigInt(n - 1) });
    expect(allocCall(['KMEM hart=0 kalloc out-of-memory', 'ERR alloc hart=0 reason=out-of-memory nfree=0'], 0)).toEqual({ kind: 'alloc', va: null, nfree: 0n });
    expect(allocCall(['OK alloc hart=0 va=0xffffffe000fff000 pa=0x80fff000 nfree=1'], 1)).toEqual({ kind: 'alloc', noResult: 'not a reply the console protocol defines' });
    expect(allocCall(['PANIC hart=0 kalloc: corrupt list'], 0)).toEqual({ kind: 'alloc', noResult: 'PANIC hart=0 kalloc: corrupt list' });
  });

  it('judges an alloc reply by the model allocator', () => {
    expect(allocJudge(booted, 0)([`OK alloc hart=0 va=0xffffffe000fff000 pa=0x80fff000 nfree=${n - 1}`])).toBeUndefined();
    const wrong = allocJudge(booted, 0)([`OK alloc hart=0 va=0xffffffe000ffe000 pa=0x80ffe000 nfree=${n - 1}`]);
    expect(wrong?.rule).toBe('KMEM-SEQUENTIAL');
    expect(wrong?.message).toMatch(/^kalloc\(\) returned 0xffffffe000ffe000 \(frame 0x80ffe000\); the model's kalloc returns the head of the free list, 0xffffffe000fff000/);
    expect(allocJudge(booted, 0)(['TIMEOUT after 50000000 steps'])?.message).toMatch(/^kalloc\(\) gave no result \(TIMEOUT after 50000000 steps\)/);
  });

  it('reads free replies: OK exactly for Ok, a KMEM line before ERR otherwise', () => {
    expect(freeCall([`OK free hart=0 va=0xffffffe000fff000 verdict=Ok nfree=${n}`], 0, top)).toEqual({ kind: 'free', va: top, verdict: 'Ok', nfree: BigInt(n) });
    expect(freeCall(['KMEM hart=0 kfree va=0xffffffe000fff000 verdict=DoubleFree', `ERR free hart=0 va=0xffffffe000fff000 verdict=DoubleFree nfree=${n}`], 0, top)).toEqual({ kind: 'free', va: top, verdict: 'DoubleFree', nfree: BigInt(n) });
    for (const outside of [
      [`ERR free hart=0 va=0xffffffe000fff000 verdict=DoubleFree nfree=${n}`], // no KMEM line
      [`OK free hart=0 va=0xffffffe000fff000 verdict=DoubleFree nfree=${n}`], // OK for a failed kfree
      [`OK free hart=0 va=0xffffffe000fff000 verdict=Maybe nfree=${n}`], // no such verdict
      [`OK free hart=0 va=0xffffffe000ffe000 verdict=Ok nfree=${n}`], // another VA
    ]) {
      expect(freeCall(outside, 0, top), outside[0]).toEqual({ kind: 'free', va: top, noResult: 'not a reply the console protocol defines' });
    }
  });

  it('judges free and free2 replies by the model allocator, naming the call that differs', () => {
    expect(freeJudge(held, 0, top)([`OK free hart=0 va=0xffffffe000fff000 verdict=Ok nfree=${n}`])).toBeUndefined();
    expect(freeJudge(held, 0, top)([`OK free hart=0 va=0xffffffe000fff000 verdict=Ok nfree=${n + 1}`])?.message).toMatch(new RegExp(`^after kfree\\(0xffffffe000fff000\\) = Ok the free count is ${n + 1}; the model's is ${n}$`));
    const right = ['KMEM hart=1 kfree va=0xffffffe000fff000 verdict=DoubleFree', `ERR free2 hart=1 va=0xffffffe000fff000 first=Ok second=DoubleFree nfree=${n}`];
    expect(free2Judge(held, 1, top)(right)).toBeUndefined();
    const accepted = free2Judge(held, 1, top)([`OK free2 hart=1 va=0xffffffe000fff000 first=Ok second=Ok nfree=${n + 1}`]);
    expect(accepted?.rule).toBe('KMEM-SEQUENTIAL');
    expect(accepted?.message).toMatch(/^call #1: kfree\(0xffffffe000fff000\) = Ok; the model's kfree gives DoubleFree, frame 0x80fff000 being FREE$/);
    expect(free2Judge(held, 1, top)(['PANIC hart=1 double free'])?.message).toMatch(/^kfree\(0xffffffe000fff000\) gave no result \(PANIC hart=1 double free\); the model's kfree gives Ok$/);
  });
});

describe('other replies and reply failures', () => {
  it('judges by the given rule, and never accepts a panic or timeout', () => {
    expect(expectReply('KMEM-CONCURRENT', ['OK batch'])(['OK batch'])).toBeUndefined();
    expect(expectReply('KMEM-CONCURRENT', ['OK batch'])(['OK batch', 'x'])).toEqual({ rule: 'KMEM-CONCURRENT', message: 'expected "OK batch"' });
    expect(expectReply('MAP-EXACT', () => undefined)(['PANIC hart=0 oops'])).toEqual({ rule: 'MAP-EXACT', message: '"PANIC hart=0 oops" is never a right answer' });
    expect(expectReply('STACK-GUARD', (r) => (r.length === 1 ? undefined : 'expected one reply line'))([])).toEqual({ rule: 'STACK-GUARD', message: 'expected one reply line' });
  });

  it('tells a wrong reply from other failures by its message', () => {
    const message = replyMessage('alloc 0', ['OK alloc'], 'why', ' (alloc #3 of a drain)');
    expect(message).toBe('"alloc 0" (alloc #3 of a drain) answered "OK alloc"; why');
    expect(isReplyFailure({ rule: 'KMEM-SEQUENTIAL', message })).toBe(true);
    expect(isReplyFailure({ rule: 'KMEM-SEQUENTIAL', message: replyMessage('free 0 0x1', [], 'why') })).toBe(true);
    expect(isReplyFailure({ rule: 'STACK-GUARD', message: 'hart 0: stack overflow faulted at 0x0' })).toBe(false);
  });
});
