/** The page allocator: init order, verdict order, persistence, and its laws over random histories. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocatedFrameZeroed,
  allViolations,
  alloc,
  FREE_VERDICT_ORDER,
  free,
  freeList,
  freeListIntact,
  freeVerdictsFollowOrder,
  frameState,
  hex,
  initKmem,
  kmemFromObserved,
  MiB,
  neverHandedOutTwice,
  observeKmem,
  PAGE_SIZE,
  VAS_RAM,
  virtPlatform,
  type FrameState,
  type KmemEvent,
  type KmemState,
} from '../../model/index.js';

const platform = virtPlatform();
const small = virtPlatform({ ramSize: 16n * MiB, harts: 1 });
const va = (pa: bigint) => VAS_RAM + (pa - 0x8000_0000n);

describe('initKmem on the default platform', () => {
  const state = initKmem(platform);
  const list = freeList(state);

  it('links every frame but firmware (512), image (16), frame-state table (16) and blob (2)', () => {
    expect(state.nfree).toBe(65536 - 512 - 16 - 16 - 2);
    expect(list.length).toBe(state.nfree);
  });

  it('puts the highest free frame at the head and the lowest at the tail (ascending walk, LIFO pushes)', () => {
    expect(list.slice(0, 3).map(hex)).toEqual(['0x8ffff000', '0x8fffe000', '0x8fffd000']);
    expect(hex(list.at(-1)!)).toBe('0x80220000');
    // around the blob at [0x8fe00000, 0x8fe02000)
    const i = list.indexOf(0x8fe0_2000n);
    expect(list.slice(i, i + 2).map(hex)).toEqual(['0x8fe02000', '0x8fdff000']);
  });

  it('gives each frame its initial state', () => {
    const states: [bigint, FrameState][] = [
      [0x8000_0000n, 'RESERVED'],
      [0x801f_f000n, 'RESERVED'],
      [0x8020_0000n, 'RESERVED'],
      [0x8021_f000n, 'RESERVED'],
      [0x8022_0000n, 'FREE'],
      [0x8fe0_1000n, 'RESERVED'],
      [0x8fff_f000n, 'FREE'],
    ];
    for (const [pa, s] of states) expect(frameState(state, pa), hex(pa)).toBe(s);
    expect(() => frameState(state, 0x9000_0000n)).toThrow(/not in RAM/);
    expect(() => frameState(state, 0x7fff_f000n)).toThrow(/not in RAM/);
  });
});

describe('alloc and free', () => {
  it('alloc pops the head and returns its linear-map VA; the old state is untouched', () => {
    const s0 = initKmem(platform);
    const { state: s1, result } = alloc(s0);
    expect(result).toEqual({ ok: true, pa: 0x8fff_f000n, va: 0xffff_ffe0_0fff_f000n });
    expect(frameState(s1, 0x8fff_f000n)).toBe('ALLOCATED');
    expect(frameState(s0, 0x8fff_f000n)).toBe('FREE');
    expect([s0.nfree - s1.nfree, s1.nallocated]).toEqual([1, 1]);
  });

  it('free pushes on the head, so the next alloc returns the frame just freed', () => {
    let s = initKmem(platform);
    const a = alloc(s);
    const b = alloc(a.state);
    if (!a.result.ok || !b.result.ok) throw new Error('unexpected OOM');
    const freed = free(b.state, a.result.va);
    expect(freed.verdict).toBe('Ok');
    s = freed.state;
    expect(frameState(s, a.result.pa)).toBe('FREE');
    expect(alloc(s).result).toMatchObject({ ok: true, pa: a.result.pa });
  });

  it('checks Misaligned, OutOfRange, Reserved, DoubleFree, Ok in that order, and a rejection changes nothing', () => {
    const s0 = initKmem(platform);
    const { state } = alloc(s0);
    const cases: [bigint, string][] = [
      [VAS_RAM - 0x800n, 'Misaligned'], // misaligned and out of range: misaligned wins
      [va(0x8fff_f008n), 'Misaligned'],
      [VAS_RAM - PAGE_SIZE, 'OutOfRange'],
      [va(0x9000_0000n), 'OutOfRange'],
      [0x8fff_f000n, 'OutOfRange'], // a PA, not a linear-map VA
      [va(0x8000_0000n), 'Reserved'],
      [va(0x8021_0000n), 'Reserved'], // the frame-state table
      [va(0x8fff_e000n), 'DoubleFree'], // never allocated
      [va(0x8fff_f000n), 'Ok'],
    ];
    for (const [address, verdict] of cases) {
      const r = free(state, address);
      expect(r.verdict, hex(address)).toBe(verdict);
      if (verdict !== 'Ok') expect(r.state).toBe(state);
    }
    expect(FREE_VERDICT_ORDER).toEqual(['Misaligned', 'OutOfRange', 'Reserved', 'DoubleFree', 'Ok']);
  });

  it('runs out of memory after handing out every free frame once, and stays out', () => {
    let s = initKmem(small);
    const seen = new Set<bigint>();
    for (;;) {
      const r = alloc(s);
      if (!r.result.ok) {
        expect(r.result.error).toBe('OutOfMemory');
        expect(r.state).toBe(s);
        break;
      }
      expect(seen.has(r.result.pa)).toBe(false);
      seen.add(r.result.pa);
      s = r.state;
    }
    expect(seen.size).toBe(initKmem(small).nfree);
    expect(s.nfree).toBe(0);
    expect(freeList(s)).toEqual([]);
  });
});

type Op = { kind: 'alloc' } | { kind: 'free-live'; pick: number } | { kind: 'free-dead'; pick: number } | { kind: 'free-any'; va: bigint };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'alloc' as const }) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'free-live' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'free-dead' as const, pick })) },
  { weight: 1, arbitrary: fc.bigInt({ min: VAS_RAM - 0x2000n, max: VAS_RAM + 16n * MiB + 0x2000n }).map((v) => ({ kind: 'free-any' as const, va: v })) },
);

describe('laws over random alloc/free sequences (16 MiB RAM)', () => {
  it('never hands out a frame twice; free + allocated + reserved = total; double frees change nothing; observations satisfy the KMEM rules', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const start = initKmem(small);
        let s: KmemState = start;
        const live: bigint[] = [];
        const dead: bigint[] = [];
        const history: KmemEvent[] = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const r = alloc(s);
            s = r.state;
            history.push({ kind: 'alloc', va: r.result.ok ? r.result.va : null });
            if (r.result.ok) {
              expect(live).not.toContain(r.result.va);
              live.push(r.result.va);
            }
            continue;
          }
          const target = o.kind === 'free-any' ? o.va : o.kind === 'free-live' ? live[o.pick % Math.max(live.length, 1)] : dead[o.pick % Math.max(dead.length, 1)];
          if (target === undefined) continue;
          const before = s;
          const r = free(s, target);
          history.push({ kind: 'free', va: target, verdict: r.verdict });
          if (r.verdict === 'Ok') {
            expect(live).toContain(target);
            live.splice(live.indexOf(target), 1);
            dead.push(target);
          } else {
            expect(r.state).toBe(before);
            if (o.kind === 'free-dead') expect(r.verdict).toBe('DoubleFree');
          }
          s = r.state;
        }
        const observed = observeKmem(s);
        const counts = { RESERVED: 0, FREE: 0, ALLOCATED: 0 };
        for (const code of Array.from(observed.frameStates!)) counts[(['RESERVED', 'FREE', 'ALLOCATED'] as const)[code]!]++;
        expect(counts.FREE).toBe(s.nfree);
        expect(counts.ALLOCATED).toBe(live.length);
        expect(counts.RESERVED + counts.FREE + counts.ALLOCATED).toBe(4096);
        expect(s.nfree + s.nallocated).toBe(start.nfree);
        const pas = live.map((v) => v - VAS_RAM + small.ramBase);
        expect(freeListIntact(small, observed, pas)).toBeUndefined();
        expect(neverHandedOutTwice(small, history)).toBeUndefined();
        expect(freeVerdictsFollowOrder(small, observeKmem(start).frameStates!, history)).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });
});

describe('kmemFromObserved', () => {
  it('recovers a state that observes the same and allocates in the same order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 80 }), (ops) => {
        let s = initKmem(small);
        const live: bigint[] = [];
        for (const [isAlloc, pick] of ops) {
          if (isAlloc || live.length === 0) {
            const r = alloc(s);
            s = r.state;
            if (r.result.ok) live.push(r.result.va);
          } else {
            s = free(s, live.splice(pick % live.length, 1)[0]!).state;
          }
        }
        const recovered = kmemFromObserved(small, observeKmem(s));
        expect(observeKmem(recovered)).toEqual(observeKmem(s));
        expect([recovered.nfree, recovered.nallocated]).toEqual([s.nfree, s.nallocated]);
        let a = s;
        let b = recovered;
        for (let i = 0; i < 5; i++) {
          const ra = alloc(a);
          const rb = alloc(b);
          expect(rb.result).toEqual(ra.result);
          a = ra.state;
          b = rb.state;
        }
      }),
      { numRuns: 30 },
    );
  });

  it('refuses observations no model state matches', () => {
    const good = observeKmem(initKmem(small));
    const states = Uint8Array.from(good.frameStates!);
    expect(() => kmemFromObserved(small, { ...good, terminated: false })).toThrow(/did not end/);
    expect(() => kmemFromObserved(small, { freeList: good.freeList, terminated: true })).toThrow(/needs the frame-state table/);
    const reservedFree = Uint8Array.from(states);
    reservedFree[0] = 1;
    expect(() => kmemFromObserved(small, { ...good, frameStates: reservedFree })).toThrow(/frame 0x80000000 has state byte 1, but it is reserved/);
    const allocatedListed = Uint8Array.from(states);
    allocatedListed[4095] = 2;
    expect(() => kmemFromObserved(small, { ...good, frameStates: allocatedListed })).toThrow(/list entry #0 .* is not FREE/);
    expect(() => kmemFromObserved(small, { ...good, freeList: good.freeList.slice(1) })).toThrow(/listed \+ 0 allocated frames/);
  });
});

describe('allocatedFrameZeroed (KMEM-ZEROED)', () => {
  const at = va(0x8080_0000n);
  const page = () => new Uint8Array(Number(PAGE_SIZE));

  it('holds for a page of zeros', () => {
    expect(allocatedFrameZeroed(at, page())).toBeUndefined();
  });

  it('names the first nonzero byte, its doubleword and how many there are, wherever they are', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 4095 }), { minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 255 }), (offsets, value) => {
        const bytes = page();
        for (const o of offsets) bytes[o] = value;
        const first = Math.min(...offsets);
        const word = first & ~7;
        let doubleword = 0n;
        for (let i = 7; i >= 0; i--) doubleword = (doubleword << 8n) | BigInt(bytes[word + i]!);
        expect(allocatedFrameZeroed(at, bytes)).toEqual({
          rule: 'KMEM-ZEROED',
          message: `kalloc() returned ${hex(at)} with ${offsets.length} nonzero byte${offsets.length === 1 ? '' : 's'}, the first at +0x${first.toString(16)} (doubleword +0x${word.toString(16)} is ${hex(doubleword)})`,
        });
      }),
    );
  });

  it('reports a poisoned last doubleword as the valid-looking PTE 511 it would be', () => {
    const bytes = page().fill(0x01, 4088);
    expect(allocatedFrameZeroed(at, bytes)?.message).toBe(`kalloc() returned ${hex(at)} with 8 nonzero bytes, the first at +0xff8 (doubleword +0xff8 is 0x101010101010101)`);
  });

  it('refuses anything but a page', () => {
    expect(() => allocatedFrameZeroed(at, new Uint8Array(8))).toThrow('allocatedFrameZeroed: 8 bytes, not a page (4096)');
  });

  it('is the combined check for the frames an observation carries', () => {
    const dirty = page();
    dirty[17] = 3;
    expect(allViolations({ platform: small, allocatedFrames: [{ va: at, bytes: page() }] })).toEqual([]);
    expect(allViolations({ platform: small, allocatedFrames: [{ va: at, bytes: page() }, { va: at + PAGE_SIZE, bytes: dirty }] })).toEqual([allocatedFrameZeroed(at + PAGE_SIZE, dirty)]);
  });
});
