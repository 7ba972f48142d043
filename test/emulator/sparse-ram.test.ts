/**
 * Word-sparse RAM pages (emulator/memory/ram.ts): a page written in a few
 * aligned doublewords, or only with zeros, costs no host page; it is promoted
 * to a full page when it fills; snapshots share it copy-on-write. A
 * fast-check property runs generated accesses of every width and alignment,
 * snapshots, restores and reservations against a flat byte array.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessSize } from '../../emulator/devices/device.js';
import { Bus, RESERVATION_GRANULE, type ReservationHolder } from '../../emulator/memory/bus.js';
import { HOT_ACCESSES, PAGE_SIZE, SLOW_SHARED, SPARSE_WORDS, type RamSnapshot } from '../../emulator/memory/ram.js';
import { asm, li, makeMachine, readDouble, writeDouble, x } from './support.js';

const BASE = 0x8000_0000;
const page = (i: number): number => BASE + i * PAGE_SIZE;

describe('word-sparse pages', () => {
  it('one doubleword in each of 4096 pages (a free-list link per page) allocates no host page', () => {
    const bus = new Bus(BASE, 4096 * PAGE_SIZE);
    for (let i = 0; i < 4096; i++) writeDouble(bus, page(i), BigInt(page(i + 1)));
    expect(bus.ram.sparsePages()).toBe(4096);
    expect(bus.ram.materialisedPages()).toBe(0);
    expect(bus.ram.blocksAllocated).toBe(0);
    for (let i = 0; i < 4096; i += 97) {
      expect(readDouble(bus, page(i))).toBe(BigInt(page(i + 1)));
      expect(readDouble(bus, page(i) + 8)).toBe(0n);
    }
  });

  it('zeros stored into an untouched page, at every width, leave it untouched', () => {
    const bus = new Bus(BASE, 4 * PAGE_SIZE);
    for (let off = 0; off < PAGE_SIZE; off += 8) writeDouble(bus, page(1) + off, 0n); // a zeroing loop
    for (const size of [1, 2, 4] as const) bus.write(page(2) + 3, size, 0, 0, -1);
    bus.write(page(2) + 5, 8, 0, 0, -1); // crosses a doubleword boundary
    expect([bus.ram.sparsePages(), bus.ram.materialisedPages()]).toEqual([0, 0]);
  });

  it(`the ${SPARSE_WORDS + 1}th distinct doubleword promotes the page to a full one holding every earlier word`, () => {
    const bus = new Bus(BASE, 4 * PAGE_SIZE);
    const offsets = [0, 0xff8, 0x100, 0x808, 0x40].slice(0, SPARSE_WORDS + 1);
    offsets.slice(0, SPARSE_WORDS).forEach((off, k) => writeDouble(bus, page(1) + off, BigInt(k + 1) << 40n));
    bus.write(page(1) + 0x100 + 3, 1, 0xab, 0, -1); // a byte into a held doubleword: still sparse
    expect([bus.ram.sparsePages(), bus.ram.materialisedPages()]).toEqual([1, 0]);
    writeDouble(bus, page(1) + offsets[SPARSE_WORDS]!, 0x77n);
    expect([bus.ram.sparsePages(), bus.ram.materialisedPages()]).toEqual([0, 1]);
    offsets.slice(0, SPARSE_WORDS).forEach((off, k) => expect(readDouble(bus, page(1) + off)).toBe((BigInt(k + 1) << 40n) | (off === 0x100 ? 0xab000000n : 0n)));
    expect(readDouble(bus, page(1) + offsets[SPARSE_WORDS]!)).toBe(0x77n);
  });

  it('a store crossing a doubleword boundary promotes; a doubleword that becomes zero is dropped', () => {
    const bus = new Bus(BASE, 4 * PAGE_SIZE);
    writeDouble(bus, page(0) + 16, 0x1234n);
    writeDouble(bus, page(0) + 16, 0n);
    expect(bus.ram.sparsePages()).toBe(0); // back to untouched
    bus.write(page(0) + 6, 4, 0x4433_2211, 0, -1); // bytes 6..9
    expect(bus.ram.materialisedPages()).toBe(1);
    expect(readDouble(bus, page(0))).toBe(0x2211_0000_0000_0000n);
    expect(readDouble(bus, page(0) + 8)).toBe(0x4433n);
  });

  it('a write to a shared word-sparse page copies its record: the snapshot, restored, still has the old words', () => {
    const bus = new Bus(BASE, 8 * PAGE_SIZE);
    writeDouble(bus, page(3), 0x3333n);
    writeDouble(bus, page(4) + 8, 0x4444n);
    const snap = bus.snapshotRam();
    expect(bus.ram.slow[3]! & SLOW_SHARED).toBe(SLOW_SHARED);
    writeDouble(bus, page(3), 0x3030n);
    writeDouble(bus, page(3) + 24, 0x3131n);
    writeDouble(bus, page(5), 0x5555n);
    expect([readDouble(bus, page(3)), readDouble(bus, page(3) + 24)]).toEqual([0x3030n, 0x3131n]);
    const recordsBefore = bus.ram.recordsInUse;
    bus.restoreRam(snap);
    expect([readDouble(bus, page(3)), readDouble(bus, page(3) + 24), readDouble(bus, page(4) + 8), readDouble(bus, page(5))]).toEqual([0x3333n, 0n, 0x4444n, 0n]);
    expect(bus.ram.recordsInUse).toBe(recordsBefore - 2); // page 3's copy and page 5's record are gone
    expect(bus.ram.sparsePages()).toBe(2);
  });

  it('zeroing a page once keeps it word-sparse; a page accessed HOT_ACCESSES times on the slow path becomes full, its words intact', () => {
    const bus = new Bus(BASE, 8 * PAGE_SIZE);
    writeDouble(bus, page(2), 0x2222n); // a free-list link
    for (let off = 0; off < PAGE_SIZE; off += 8) writeDouble(bus, page(2) + off, 0n); // zeroed when handed out
    expect([bus.ram.sparsePages(), bus.ram.materialisedPages()]).toEqual([0, 0]);
    // a stack page holding two saved registers, pushed and popped over and over, shared with a snapshot
    writeDouble(bus, page(5) + 0xff0, 0x5555n);
    const snap = bus.snapshotRam();
    let accesses = 1;
    while (bus.ram.materialisedPages() === 0) {
      writeDouble(bus, page(5) + 0xff8, BigInt(accesses));
      expect(readDouble(bus, page(5) + 0xff8)).toBe(BigInt(accesses));
      accesses += 2;
    }
    expect(accesses).toBeGreaterThanOrEqual(HOT_ACCESSES);
    expect(accesses).toBeLessThanOrEqual(HOT_ACCESSES + 3);
    expect(bus.ram.writable[5]).toBe(1);
    expect(readDouble(bus, page(5) + 0xff0)).toBe(0x5555n);
    bus.restoreRam(snap);
    expect([readDouble(bus, page(5) + 0xff0), readDouble(bus, page(5) + 0xff8)]).toEqual([0x5555n, 0n]);
  });

  it("the hart's fast load of an untouched page sees the word another writer made word-sparse", () => {
    // a0 = data page; load (fills the fast path while the page is untouched), store from the host, load again
    const program = [...li(x.a0, 0x8000_8000n), asm.ld(x.a1, x.a0, 16), asm.lw(x.a2, x.a0, 16), asm.lbu(x.a3, x.a0, 17), asm.ld(x.a4, x.a0, 16), asm.lw(x.a5, x.a0, 16), asm.lbu(x.a6, x.a0, 17)];
    const m = makeMachine(program);
    const steps = program.length - 3;
    m.run(steps); // li and the first three loads
    expect([m.hart.getRegister(x.a1), m.hart.getRegister(x.a2), m.hart.getRegister(x.a3)]).toEqual([0n, 0n, 0n]);
    writeDouble(m.bus, 0x8000_8010, 0x1122_3344_8899_aabbn);
    expect(m.bus.ram.sparse[8]).not.toBe(0);
    m.run(3);
    expect([m.hart.getRegister(x.a4), m.hart.getRegister(x.a5), m.hart.getRegister(x.a6)]).toEqual([0x1122_3344_8899_aabbn, 0xffff_ffff_8899_aabbn, 0xaan]);
  });
});

// ---- the property: word-sparse RAM against a flat byte array -------------

const PAGES = 3;
const RAM_SIZE = PAGES * PAGE_SIZE;
const HOLDERS = 2;

type Step =
  | { kind: 'write'; at: number; size: AccessSize; lo: number; hi: number }
  | { kind: 'read'; at: number; size: AccessSize }
  | { kind: 'load'; at: number; bytes: number[] }
  | { kind: 'readBytes'; at: number; length: number }
  | { kind: 'snapshot' }
  | { kind: 'restore'; which: number }
  | { kind: 'reserve'; holder: number; at: number };

const sizeArb = fc.constantFrom<AccessSize>(1, 2, 4, 8);
/** Addresses biased toward a few doublewords per page (so pages stay word-sparse, then fill), with any alignment. */
const addressArb = fc
  .tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: SPARSE_WORDS + 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: PAGE_SIZE / 8 - 1 }) }), fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })))
  .map(([p, dw, misalign]) => p * PAGE_SIZE + dw * 8 + misalign);
const wordArb = fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), at: addressArb, size: sizeArb, lo: wordArb, hi: wordArb }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('read' as const), at: addressArb, size: sizeArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('load' as const), at: addressArb, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('readBytes' as const), at: addressArb, length: fc.integer({ min: 1, max: 2 * PAGE_SIZE }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reserve' as const), holder: fc.integer({ min: 0, max: HOLDERS - 1 }), at: addressArb.map((a) => a - (a % 8)) }) },
);

/** Little-endian (lo, hi) of `size` bytes of the reference at `at`. */
function referenceRead(bytes: Uint8Array, at: number, size: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < size; i++) {
    if (i < 4) lo |= bytes[at + i]! << (8 * i);
    else hi |= bytes[at + i]! << (8 * (i - 4));
  }
  return [lo | 0, hi | 0];
}

/** Bytes a step reaches from its address (it is moved down to fit in RAM). */
function span(step: Step): number {
  if (step.kind === 'write' || step.kind === 'read') return step.size;
  if (step.kind === 'load') return Math.max(step.bytes.length, 1);
  if (step.kind === 'readBytes') return step.length;
  return RESERVATION_GRANULE;
}

describe('word-sparse RAM agrees with a flat byte array', () => {
  it('on generated reads and writes of every width and alignment, loader writes, snapshots, restores and reservations', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 120, size: 'max' }), (steps) => {
        const bus = new Bus(BASE, RAM_SIZE);
        const holders: ReservationHolder[] = Array.from({ length: HOLDERS }, (_, hartId) => ({ hartId, reservation: -1 }));
        for (const h of holders) bus.addReservationHolder(h);
        let ref = new Uint8Array(RAM_SIZE);
        const refReservation: number[] = holders.map(() => -1);
        const snapshots: { ram: RamSnapshot; bytes: Uint8Array }[] = [];
        for (const step of steps) {
          const at = 'at' in step ? Math.min(step.at, RAM_SIZE - span(step)) : 0;
          switch (step.kind) {
            case 'write': {
              expect(bus.write(BASE + at, step.size, step.lo, step.hi, -1)).toBe(true);
              for (let i = 0; i < step.size; i++) ref[at + i] = i < 4 ? (step.lo >>> (8 * i)) & 0xff : (step.hi >>> (8 * (i - 4))) & 0xff;
              const granule = at - (at % RESERVATION_GRANULE);
              refReservation.forEach((r, h) => {
                if (r >= 0 && r < at + step.size && granule <= r) refReservation[h] = -1;
              });
              break;
            }
            case 'read':
              expect(bus.read(BASE + at, step.size)).toBe(true);
              expect([bus.value[0], bus.value[1]]).toEqual(referenceRead(ref, at, step.size));
              break;
            case 'load':
              bus.ram.writeBytes(BASE + at, Uint8Array.from(step.bytes));
              ref.set(step.bytes, at);
              break;
            case 'readBytes':
              expect(Buffer.from(bus.ram.readBytes(BASE + at, step.length)).equals(Buffer.from(ref.subarray(at, at + step.length)))).toBe(true);
              break;
            case 'snapshot':
              snapshots.push({ ram: bus.snapshotRam(), bytes: ref.slice() });
              break;
            case 'restore': {
              if (snapshots.length === 0) break;
              const snap = snapshots[step.which % snapshots.length]!;
              bus.restoreRam(snap.ram);
              ref = snap.bytes.slice();
              refReservation.fill(-1);
              break;
            }
            case 'reserve':
              bus.reserve(holders[step.holder]!, BASE + at);
              refReservation[step.holder] = at;
              break;
          }
          expect(holders.map((h) => (h.reservation < 0 ? -1 : h.reservation - BASE))).toEqual(refReservation);
          expect(bus.ram.materialisedPages() + bus.ram.sparsePages()).toBeLessThanOrEqual(PAGES);
        }
        // every byte, and every snapshot still as it was taken
        expect(Buffer.from(bus.ram.readBytes(BASE, RAM_SIZE)).equals(Buffer.from(ref))).toBe(true);
        for (const snap of snapshots) {
          bus.restoreRam(snap.ram);
          expect(Buffer.from(bus.ram.readBytes(BASE, RAM_SIZE)).equals(Buffer.from(snap.bytes))).toBe(true);
        }
      }),
    );
  });
});
