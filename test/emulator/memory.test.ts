/**
 * Physical memory and the bus: sparse pages, copy-on-write snapshots, MMIO
 * devices, write watches, LR/SC reservations across harts, and the decode
 * cache seeing code that changes.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, MmioDevice } from '../../emulator/devices/device.js';
import { Hart } from '../../emulator/hart/hart.js';
import { Bus } from '../../emulator/memory/bus.js';
import { BLOCK_PAGES, PAGE_SIZE, SLOW_SHARED } from '../../emulator/memory/ram.js';
import { asm, li, makeMachine, readDouble, writeDouble, writeWords, x } from './support.js';

describe('sparse RAM', () => {
  it('a 16 GiB machine costs only the pages touched; untouched RAM reads zero', () => {
    const bus = new Bus(0x8000_0000, 16 * 1024 ** 3);
    expect(readDouble(bus, 0x8000_0000 + 15 * 1024 ** 3)).toBe(0n);
    writeDouble(bus, 0x8000_0000 + 15 * 1024 ** 3, 0x55n);
    writeDouble(bus, 0x8000_0ffc, -1n); // crosses a page boundary
    expect(readDouble(bus, 0x8000_0000 + 15 * 1024 ** 3)).toBe(0x55n);
    expect(readDouble(bus, 0x8000_0ffc)).toBe(0xffff_ffff_ffff_ffffn);
    // three pages written in a doubleword or a few bytes each: word-sparse, no host page
    expect(bus.ram.sparsePages()).toBe(3);
    expect(bus.ram.materialisedPages()).toBe(0);
    expect(bus.ram.blocksAllocated).toBe(0);
  });

  it('reads and writes outside RAM and devices report nothing there', () => {
    const bus = new Bus(0x8000_0000, 4096);
    expect(bus.read(0x8000_1000, 8)).toBe(false);
    expect(bus.write(0x7fff_fffc, 8, 0, 0, -1)).toBe(false);
  });
});

describe('block storage (pages are views into shared host blocks)', () => {
  const BASE = 0x8000_0000;
  const page = (i: number): number => BASE + i * PAGE_SIZE;
  /** A page's worth of bytes that differ from every other page's (and from zero). */
  const pattern = (seed: number): Uint8Array => Uint8Array.from({ length: PAGE_SIZE }, (_, j) => (seed * 31 + j * 7 + 1) & 0xff || 0x5a);
  /** Bytes as hex: compared as strings, which is quick for whole pages and still shows where they differ. */
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  const zeros = (n: number): string => '00'.repeat(n);
  /** Writes a doubleword through the loader, which always makes the page full (a view on a block slot). */
  const writeFull = (bus: Bus, pa: number, v: bigint): void => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    bus.ram.writeBytes(pa, bytes);
  };

  it('pages that share a block stay independent, byte for byte, and never-written pages read zero', () => {
    const bus = new Bus(BASE, 64 * PAGE_SIZE);
    // pages 0, 2, 4, ... materialise in order: two blocks' worth, never-written pages between them
    const written = Array.from({ length: BLOCK_PAGES + 2 }, (_, k) => 2 * k);
    for (const i of written) bus.ram.writeBytes(page(i), pattern(i));
    const [p0, p2, last] = [bus.ram.views[0]!, bus.ram.views[2]!, bus.ram.views[written.at(-1)!]!];
    expect(p0.buffer).toBe(p2.buffer); // the case under test: one block, two pages
    expect(p2.byteOffset).toBe(PAGE_SIZE);
    expect(last.buffer).not.toBe(p0.buffer);
    expect(bus.ram.blocksAllocated).toBe(2);
    for (const i of written) expect(hex(bus.ram.readBytes(page(i), PAGE_SIZE))).toBe(hex(pattern(i)));
    for (const i of written) expect(hex(bus.ram.readBytes(page(i + 1), PAGE_SIZE))).toBe(zeros(PAGE_SIZE));
    // page 1 materialises in the next free slot (block 1); writes at its edges leave pages 0 and 2 (block 0) alone
    bus.ram.writeBytes(page(2) - 1, Uint8Array.of(0xee));
    bus.write(page(2), 1, 0xdd, 0, -1);
    expect(bus.ram.views[1]!.buffer).toBe(last.buffer);
    expect(hex(bus.ram.readBytes(page(0), PAGE_SIZE))).toBe(hex(pattern(0)));
    expect(bus.ram.readU8(page(1))).toBe(0);
    expect(bus.ram.readU8(page(2) - 1)).toBe(0xee);
    expect(bus.ram.readU8(page(2))).toBe(0xdd);
    expect(hex(bus.ram.readBytes(page(4), PAGE_SIZE))).toBe(hex(pattern(4)));
    expect(bus.ram.materialisedPages()).toBe(written.length + 1);
  });

  it('accesses crossing a page boundary use the next page, not the next slot of the block', () => {
    const bus = new Bus(BASE, 64 * PAGE_SIZE);
    // pages 1, 0, 3 materialise in that order (slots 0, 1, 2): running off the end of page 0's slot reaches page 3's, not page 1's
    writeFull(bus, page(1), 0x1111_1111_1111_1111n);
    writeFull(bus, page(0) + PAGE_SIZE - 8, 0x2222_2222_2222_2222n);
    writeFull(bus, page(3), 0x3333_3333_3333_3333n); // slot 2: right after page 0's slot
    expect(bus.ram.views[0]!.byteOffset).toBe(PAGE_SIZE);
    bus.write(page(1) - 4, 8, 0x4444_4444, 0x5555_5555, -1); // inside one block, crossing pages 0 → 1
    expect(readDouble(bus, page(1) - 4)).toBe(0x5555_5555_4444_4444n);
    expect(readDouble(bus, page(1))).toBe(0x1111_1111_5555_5555n);
    expect(readDouble(bus, page(3))).toBe(0x3333_3333_3333_3333n);
    expect(bus.ram.readBytes(page(1) - 8, 16)).toEqual(Uint8Array.from([0x22, 0x22, 0x22, 0x22, 0x44, 0x44, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x11, 0x11, 0x11, 0x11]));
    // across blocks: fill block 0 and open block 1 with pages 4, 5, ...; then page 41 (existing, block 1) follows 39 and 40 (fresh)
    for (let i = 4; bus.ram.blocksAllocated === 1; i++) writeFull(bus, page(i), BigInt(i));
    writeFull(bus, page(41), 0x4141n);
    expect(bus.ram.views[41]!.buffer).not.toBe(bus.ram.views[0]!.buffer);
    const bytes = Uint8Array.from({ length: 3 * PAGE_SIZE }, (_, j) => (j * 13 + 5) & 0xff);
    bus.ram.writeBytes(page(39) + 100, bytes.subarray(0, 2 * PAGE_SIZE)); // pages 39, 40, 41: fresh, fresh, existing
    expect(hex(bus.ram.readBytes(page(39) + 100, 2 * PAGE_SIZE))).toBe(hex(bytes.subarray(0, 2 * PAGE_SIZE)));
    expect(hex(bus.ram.readBytes(page(39), 100))).toBe(zeros(100));
    expect(readDouble(bus, page(41) + 100)).toBe(0n);
    expect(readDouble(bus, page(41) + 92)).toBe(new DataView(bytes.buffer).getBigUint64(2 * PAGE_SIZE - 8, true));
  });

  it('a write to a shared page copies only that page; its block-mates stay shared and unchanged', () => {
    const bus = new Bus(BASE, 64 * PAGE_SIZE);
    for (const i of [0, 1, 2]) bus.ram.writeBytes(page(i), pattern(i));
    const snap = bus.snapshotRam();
    const [v0, v1, v2] = [0, 1, 2].map((i) => bus.ram.views[i]!);
    writeDouble(bus, page(1) + 8, 0xabcdn);
    expect(bus.ram.views[1]).not.toBe(v1);
    expect(bus.ram.views[0]).toBe(v0);
    expect(bus.ram.views[2]).toBe(v2);
    expect(bus.ram.slow[0]! & SLOW_SHARED).toBe(SLOW_SHARED);
    expect(bus.ram.slow[1]! & SLOW_SHARED).toBe(0);
    expect(bus.ram.writable[1]).toBe(1);
    // the copy holds the old page plus the write; the snapshot's page and the neighbours are as they were
    const expected = pattern(1).slice();
    new DataView(expected.buffer).setBigUint64(8, 0xabcdn, true);
    expect(hex(bus.ram.readBytes(page(1), PAGE_SIZE))).toBe(hex(expected));
    expect(hex(new Uint8Array(snap.pages.get(1)!.buffer, snap.pages.get(1)!.byteOffset, PAGE_SIZE))).toBe(hex(pattern(1)));
    for (const i of [0, 2]) expect(hex(bus.ram.readBytes(page(i), PAGE_SIZE))).toBe(hex(pattern(i)));
    // a never-written block-mate materialises as zeros after the snapshot, and vanishes on restore
    writeDouble(bus, page(3) + 16, 7n);
    expect(hex(bus.ram.readBytes(page(3), 16))).toBe(zeros(16));
    bus.restoreRam(snap);
    for (const i of [0, 1, 2]) expect(hex(bus.ram.readBytes(page(i), PAGE_SIZE))).toBe(hex(pattern(i)));
    expect(bus.ram.views[3]).toBe(undefined);
    expect(readDouble(bus, page(3) + 16)).toBe(0n);
  });

  it('slots dropped by a restore are not reused dirty: pages materialised afterwards read zero', () => {
    const bus = new Bus(BASE, 64 * PAGE_SIZE);
    writeDouble(bus, page(0), 1n);
    const snap = bus.snapshotRam();
    for (let i = 1; i < 8; i++) bus.ram.writeBytes(page(i), pattern(i));
    bus.restoreRam(snap);
    for (let i = 8; i < 16; i++) {
      writeDouble(bus, page(i) + 2048, BigInt(i));
      const bytes = bus.ram.readBytes(page(i), PAGE_SIZE);
      bytes.fill(0, 2048, 2056);
      expect(hex(bytes)).toBe(zeros(PAGE_SIZE));
    }
  });

  it('restoring an older snapshot, then a newer one, across blocks', () => {
    const bus = new Bus(BASE, 256 * PAGE_SIZE);
    const pages = Array.from({ length: 2 * BLOCK_PAGES + 3 }, (_, k) => 3 * k);
    for (const i of pages) writeFull(bus, page(i) + 24, BigInt(i) + 1000n);
    const older = bus.snapshotRam();
    for (const i of pages.filter((_, k) => k % 2 === 0)) writeDouble(bus, page(i) + 24, BigInt(i) + 2000n);
    writeDouble(bus, page(1), 1n); // a block-mate that did not exist in the older snapshot
    const newer = bus.snapshotRam();
    for (const i of pages) writeDouble(bus, page(i) + 24, BigInt(i) + 3000n);
    writeDouble(bus, page(2), 2n);
    bus.restoreRam(older);
    for (const i of pages) expect(readDouble(bus, page(i) + 24)).toBe(BigInt(i) + 1000n);
    expect([readDouble(bus, page(1)), readDouble(bus, page(2))]).toEqual([0n, 0n]);
    expect(bus.ram.materialisedPages()).toBe(pages.length);
    bus.restoreRam(newer);
    pages.forEach((i, k) => expect(readDouble(bus, page(i) + 24)).toBe(BigInt(i) + (k % 2 === 0 ? 2000n : 1000n)));
    expect([readDouble(bus, page(1)), readDouble(bus, page(2))]).toEqual([1n, 0n]);
    // and the older one is still intact after all that
    bus.restoreRam(older);
    for (const i of pages) expect(readDouble(bus, page(i) + 24)).toBe(BigInt(i) + 1000n);
  });

  it("the hart's fast loads and stores reach the right slot, and copy-on-write still catches them", () => {
    // stores to two data pages materialised out of address order, then loads back; all on the fast path once cached
    const program = [...li(x.a0, 0x8000_5000n), ...li(x.a1, 0x8000_4000n), asm.sd(x.a0, x.a0, 8), asm.sd(x.a1, x.a1, 8), asm.ld(x.a2, x.a0, 8), asm.ld(x.a3, x.a1, 8), asm.sw(x.a1, x.a0, 0), asm.lw(x.a4, x.a0, 0)];
    const m = makeMachine(program);
    writeDouble(m.bus, 0x8000_5ff8, 0x77n); // page 5 materialises before page 4
    const snap = m.bus.snapshotRam();
    m.run();
    expect([m.hart.getRegister(x.a2), m.hart.getRegister(x.a3), m.hart.getRegister(x.a4)]).toEqual([0x8000_5000n, 0x8000_4000n, 0xffff_ffff_8000_4000n]);
    expect([readDouble(m.bus, 0x8000_4008), readDouble(m.bus, 0x8000_5008), readDouble(m.bus, 0x8000_5ff8)]).toEqual([0x8000_4000n, 0x8000_5000n, 0x77n]);
    m.bus.restoreRam(snap);
    expect([readDouble(m.bus, 0x8000_4008), readDouble(m.bus, 0x8000_5008), readDouble(m.bus, 0x8000_5ff8)]).toEqual([0n, 0n, 0x77n]);
  });

  it('host storage is one block per BLOCK_PAGES materialised pages, and at most the RAM for a tiny one', () => {
    const big = new Bus(BASE, 16 * 1024 ** 3);
    for (let k = 0; k < BLOCK_PAGES + 1; k++) writeFull(big, BASE + k * 1024 ** 3 * 0.75, 1n); // far apart
    expect(big.ram.blocksAllocated).toBe(2);
    const tiny = new Bus(BASE, PAGE_SIZE);
    writeFull(tiny, BASE, 1n);
    expect(tiny.ram.views[0]!.buffer.byteLength).toBe(PAGE_SIZE);
  });
});

describe('snapshots', () => {
  it('restore brings back exactly the snapshot, and only copies pages written since', () => {
    const bus = new Bus(0x8000_0000, 1024 * 1024);
    writeDouble(bus, 0x8000_0000, 1n);
    writeDouble(bus, 0x8000_2000, 2n);
    const snap = bus.snapshotRam();
    writeDouble(bus, 0x8000_0000, 10n);
    writeDouble(bus, 0x8000_5000, 50n);
    const untouched = bus.ram.views[2];
    bus.restoreRam(snap);
    expect(readDouble(bus, 0x8000_0000)).toBe(1n);
    expect(readDouble(bus, 0x8000_2000)).toBe(2n);
    expect(readDouble(bus, 0x8000_5000)).toBe(0n);
    expect(bus.ram.views[2]).toBe(untouched);
    // the snapshot itself is not changed by later writes, and can be restored again
    writeDouble(bus, 0x8000_2000, 20n);
    bus.restoreRam(snap);
    expect(readDouble(bus, 0x8000_2000)).toBe(2n);
  });

  it('restoring an older snapshot works too', () => {
    const bus = new Bus(0x8000_0000, 1024 * 1024);
    writeDouble(bus, 0x8000_0000, 1n);
    const first = bus.snapshotRam();
    writeDouble(bus, 0x8000_0000, 2n);
    writeDouble(bus, 0x8000_1000, 3n);
    bus.snapshotRam();
    writeDouble(bus, 0x8000_3000, 4n);
    bus.restoreRam(first);
    expect([readDouble(bus, 0x8000_0000), readDouble(bus, 0x8000_1000), readDouble(bus, 0x8000_3000)]).toEqual([1n, 0n, 0n]);
  });

  it('a hart state and RAM snapshot replay to the same end state (determinism)', () => {
    // a0 = a0 * 3 + 1 stored to memory each round; the TLB, CSRs and counters travel with the hart state
    const program = [...li(x.a1, 0x8000_6000n), asm.add(x.t0, x.a0, x.a0), asm.add(x.a0, x.a0, x.t0), asm.addi(x.a0, x.a0, 1), asm.sd(x.a0, x.a1, 0), asm.csrrs(x.a2, 0xb02, 0), asm.jal(0, -20)];
    const m = makeMachine(program);
    m.run(50);
    const hartState = m.hart.saveState();
    const ram = m.bus.snapshotRam();
    m.run(500);
    const first = [m.hart.getRegister(x.a0), m.hart.getRegister(x.a2), m.hart.pc, readDouble(m.bus, 0x8000_6000)];
    m.bus.restoreRam(ram);
    m.hart.restoreState(hartState);
    m.run(500);
    expect([m.hart.getRegister(x.a0), m.hart.getRegister(x.a2), m.hart.pc, readDouble(m.bus, 0x8000_6000)]).toEqual(first);
    expect(first[0]).not.toBe(0n);
  });

  it('code restored from a snapshot is re-decoded', () => {
    const m = makeMachine([asm.addi(x.a0, x.a0, 1), asm.jal(0, -4)]);
    const snap = m.bus.snapshotRam();
    m.run(10);
    writeWords(m.bus, 0x8000_0000, [asm.addi(x.a0, x.a0, 100)]);
    m.bus.restoreRam(snap);
    m.run(10);
    expect(m.hart.getRegister(x.a0)).toBe(10n);
  });
});

describe('MMIO devices', () => {
  class Recorder implements MmioDevice {
    readonly name = 'recorder';
    readonly size = 0x100;
    readonly log: string[] = [];
    read(offset: number, size: AccessSize): bigint {
      this.log.push(`r${size}@${offset}`);
      return 0xfedc_ba98_7654_3210n;
    }
    write(offset: number, size: AccessSize, value: bigint): void {
      this.log.push(`w${size}@${offset}=${value.toString(16)}`);
    }
  }

  it('sees exactly the size and offset the hart used; values are zero-extended by the bus', () => {
    const dev = new Recorder();
    const m = makeMachine([...li(x.a0, 0x1000_0000n), asm.lw(x.a1, x.a0, 4), asm.ld(x.a2, x.a0, 8), asm.sb(x.a0, x.a0, 3), asm.sd(x.a2, x.a0, 16)]);
    m.bus.addDevice(0x1000_0000, dev);
    m.run();
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(dev.log).toEqual(['r4@4', 'r8@8', 'w1@3=0', 'w8@16=fedcba9876543210']);
    expect(m.hart.getRegister(x.a1)).toBe(0x7654_3210n);
  });

  it('refuses overlapping devices', () => {
    const bus = new Bus(0x8000_0000, 4096);
    bus.addDevice(0x1000, new Recorder());
    expect(() => bus.addDevice(0x10f8, new Recorder())).toThrow(/overlaps recorder at 0x1000/);
    expect(() => bus.addDevice(0x7fff_ff80, new Recorder())).toThrow(/overlaps RAM/);
  });
});

describe('write watches', () => {
  it('fire on every write overlapping the range, from harts and devices alike, and stop when removed', () => {
    const m = makeMachine([...li(x.a0, 0x8000_3000n), asm.sd(x.a0, x.a0, 0), asm.sd(x.a0, x.a0, 8), asm.sb(x.a0, x.a0, 7)]);
    const seen: string[] = [];
    const stop = m.bus.watchWrites(0x8000_3004, 0x8000_3008, (pa, size, hart) => seen.push(`${pa.toString(16)}/${size}/${hart}`));
    m.run();
    m.bus.write(0x8000_3004, 4, 1, 0, -1);
    stop();
    m.bus.write(0x8000_3004, 4, 1, 0, -1);
    expect(seen).toEqual(['80003000/8/0', '80003007/1/0', '80003004/4/-1']);
  });
});

describe('LR/SC', () => {
  const ADDR = 0x8000_4000n;

  it('succeeds on an undisturbed reservation and fails on a second SC', () => {
    const m = makeMachine([...li(x.a0, ADDR), asm.lrD(x.a1, x.a0), asm.scD(x.a2, x.a0, x.a0), asm.scD(x.a3, x.a0, x.a0)]);
    m.run();
    expect([m.hart.getRegister(x.a2), m.hart.getRegister(x.a3)]).toEqual([0n, 1n]);
    expect(readDouble(m.bus, Number(ADDR))).toBe(ADDR);
  });

  it("another hart's store to the reserved granule breaks the reservation", () => {
    const m = makeMachine([...li(x.a0, ADDR), asm.lrD(x.a1, x.a0), asm.scD(x.a2, x.a0, x.a0)]);
    const other = new Hart(m.bus, { hartId: 1 });
    writeWords(m.bus, 0x8000_8000, [...li(x.a0, ADDR + 4n), asm.sw(x.a0, x.a0, 0)]);
    other.pc = 0x8000_8000n;
    m.hart.run(li(x.a0, ADDR).length + 1); // through the LR
    other.run(li(x.a0, ADDR + 4n).length + 1);
    m.hart.run(1);
    expect(m.hart.getRegister(x.a2)).toBe(1n);
    expect(readDouble(m.bus, Number(ADDR))).toBe(ADDR + 4n << 32n);
  });

  it('a store elsewhere in the page leaves the reservation alone', () => {
    const m = makeMachine([...li(x.a0, ADDR), asm.lrD(x.a1, x.a0), asm.sd(x.a0, x.a0, 64), asm.scD(x.a2, x.a0, x.a0)]);
    m.run();
    expect(m.hart.getRegister(x.a2)).toBe(0n);
  });

  it('a trap clears the reservation', () => {
    const m = makeMachine([...li(x.a0, ADDR), asm.lrD(x.a1, x.a0), asm.ecall(), asm.scD(x.a2, x.a0, x.a0)], { stopOnTrap: false });
    m.hart.mtvec = BigInt(0x8000_0000 + 4 * (li(x.a0, ADDR).length + 2));
    m.run(li(x.a0, ADDR).length + 3);
    expect(m.hart.getRegister(x.a2)).toBe(1n);
  });
});

describe('decode cache', () => {
  it('a store over an instruction is seen the next time it runs (fence.i is then a no-op)', () => {
    // loop: a0 += 1; patch the add to a0 += 100 via a store; run it again
    const patched = asm.addi(x.a0, x.a0, 100);
    const m = makeMachine([asm.addi(x.a0, x.a0, 1), ...li(x.t0, 0x8000_0000n), ...li(x.t1, BigInt(patched)), asm.sw(x.t1, x.t0, 0), asm.fenceI(), asm.jal(0, -4 * (3 + li(x.t0, 0x8000_0000n).length + li(x.t1, BigInt(patched)).length))]);
    m.run(2 * (4 + li(x.t0, 0x8000_0000n).length + li(x.t1, BigInt(patched)).length) + 1);
    expect(m.hart.getRegister(x.a0)).toBe(1n + 100n + 100n);
  });
});
