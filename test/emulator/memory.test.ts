/**
 * Physical memory and the bus: sparse pages, copy-on-write snapshots, MMIO
 * devices, write watches, LR/SC reservations across harts, and the decode
 * cache seeing code that changes.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, MmioDevice } from '../../emulator/devices/device.js';
import { Hart } from '../../emulator/hart/hart.js';
import { Bus } from '../../emulator/memory/bus.js';
import { asm, li, makeMachine, readDouble, writeDouble, writeWords, x } from './support.js';

describe('sparse RAM', () => {
  it('a 16 GiB machine costs only the pages touched; untouched RAM reads zero', () => {
    const bus = new Bus(0x8000_0000, 16 * 1024 ** 3);
    expect(readDouble(bus, 0x8000_0000 + 15 * 1024 ** 3)).toBe(0n);
    writeDouble(bus, 0x8000_0000 + 15 * 1024 ** 3, 0x55n);
    writeDouble(bus, 0x8000_0ffc, -1n); // crosses a page boundary
    expect(readDouble(bus, 0x8000_0000 + 15 * 1024 ** 3)).toBe(0x55n);
    expect(readDouble(bus, 0x8000_0ffc)).toBe(0xffff_ffff_ffff_ffffn);
    expect(bus.ram.materialisedPages()).toBe(3);
  });

  it('reads and writes outside RAM and devices report nothing there', () => {
    const bus = new Bus(0x8000_0000, 4096);
    expect(bus.read(0x8000_1000, 8)).toBe(false);
    expect(bus.write(0x7fff_fffc, 8, 0, 0, -1)).toBe(false);
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
