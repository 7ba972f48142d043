import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alloc, free, initKmem, linearVa, MiB, virtPlatform, type FreeVerdict } from '../../model/index.js';
import { KFREE_VERDICT_OF_CODE, ShadowAllocator } from '../../properties/kmem/shadow.js';

const platform = virtPlatform({ harts: 2, ramSize: 16n * MiB });
const frame = (i: number): bigint => linearVa(platform.ramBase + 0x80_0000n + BigInt(i) * 0x1000n, platform.ramBase);
const code = (v: FreeVerdict): number => KFREE_VERDICT_OF_CODE.indexOf(v);

describe('shadow allocator', () => {
  it('sees a frame handed out while still held (KMEM-NO-DOUBLE-FREE), naming both holders', () => {
    const s = new ShadowAllocator(platform);
    s.allocEntered(0, 1);
    s.allocReturned(0, frame(1), 2);
    s.allocEntered(1, 3);
    s.allocReturned(1, frame(1), 4);
    expect(s.violation?.rule).toBe('KMEM-NO-DOUBLE-FREE');
    expect(s.violation?.message).toMatch(/hart 1 kalloc\(\) at step 4 handed out frame 0x80801000 .* which hart 0 \(kalloc returning at step 2\) still holds/);
  });

  it('sees a kfree accepted for a frame nobody held', () => {
    const s = new ShadowAllocator(platform);
    s.freeEntered(0, frame(2), 1);
    s.freeReturned(0, code('Ok'), 2);
    expect(s.violation?.message).toMatch(/kfree\(0xffffffe000802000\) at step 1 returned Ok, but nobody held frame 0x80802000/);
  });

  it('accepts a kalloc that returns a frame whose kfree is still running on another hart', () => {
    const s = new ShadowAllocator(platform, [platform.ramBase + 0x80_3000n]);
    s.freeEntered(0, frame(3), 10);
    s.allocEntered(1, 11);
    s.allocReturned(1, frame(3), 12);
    s.freeReturned(0, code('Ok'), 13);
    expect(s.violation).toBeUndefined();
    expect(s.calls.map((c) => [c.hart, c.kind, c.call, c.ret])).toEqual([[1, 'alloc', 11, 12], [0, 'free', 10, 13]]);
  });

  it('a rejected kfree leaves the frame with its holder', () => {
    const s = new ShadowAllocator(platform);
    s.allocEntered(0, 1);
    s.allocReturned(0, frame(4), 2);
    s.freeEntered(1, frame(4), 3);
    s.freeReturned(1, code('Reserved'), 4);
    s.allocEntered(1, 5);
    s.allocReturned(1, frame(4), 6);
    expect(s.violation?.rule).toBe('KMEM-NO-DOUBLE-FREE');
    expect(s.ownedFrames()).toContain(platform.ramBase + 0x80_4000n);
  });

  it('never complains about a history the model itself produces, and records it in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 1 }), fc.nat()), { maxLength: 60 }), (ops) => {
        const s = new ShadowAllocator(platform);
        let state = initKmem(platform);
        const held: bigint[] = [];
        let t = 0;
        for (const [isAlloc, hart, pick] of ops) {
          if (isAlloc || held.length === 0) {
            const r = alloc(state);
            state = r.state;
            s.allocEntered(hart, t++);
            s.allocReturned(hart, r.result.ok ? r.result.va : 0n, t++);
            if (r.result.ok) held.push(r.result.va);
          } else {
            const va = held.splice(pick % held.length, 1)[0]!;
            const r = free(state, va);
            state = r.state;
            s.freeEntered(hart, va, t++);
            s.freeReturned(hart, code(r.verdict), t++);
          }
        }
        expect(s.violation).toBeUndefined();
        expect(s.events.length).toBe(ops.length);
        expect(new Set(s.ownedFrames())).toEqual(new Set(held.map((va) => va - linearVa(platform.ramBase, platform.ramBase) + platform.ramBase)));
      }),
    );
  });

  it('clones independently (snapshots keep one)', () => {
    const s = new ShadowAllocator(platform);
    s.allocEntered(0, 1);
    s.allocReturned(0, frame(5), 2);
    const copy = s.clone();
    s.freeEntered(0, frame(5), 3);
    s.freeReturned(0, code('Ok'), 4);
    expect(copy.ownedFrames()).toEqual([platform.ramBase + 0x80_5000n]);
    expect(s.ownedFrames()).toEqual([]);
  });
});
