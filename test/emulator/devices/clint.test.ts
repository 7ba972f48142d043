import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Clint, CLINT_MSIP_BASE, CLINT_MTIME, CLINT_MTIMECMP_BASE } from '../../../emulator/devices/clint.js';
import { recordedLine, type RecordedLine } from './lines.js';

function clint(harts: number) {
  const msip: RecordedLine[] = [];
  const mtip: RecordedLine[] = [];
  for (let h = 0; h < harts; h++) {
    msip.push(recordedLine());
    mtip.push(recordedLine());
  }
  const device = new Clint(msip.map((m, h) => ({ msip: m.line, mtip: mtip[h]!.line })));
  return { device, msip, mtip };
}

const MAX = (1n << 64n) - 1n;

describe('clint msip', () => {
  it('drives hart h MSIP from bit 0 of the word at 4*h and reads it back', () => {
    const { device, msip } = clint(3);
    device.write(CLINT_MSIP_BASE + 8, 4, 0xffff_ffffn);
    expect(msip.map((m) => m.level)).toEqual([false, false, true]);
    expect(device.read(8, 4)).toBe(1n);
    expect(device.read(4, 4)).toBe(0n);
    device.write(8, 4, 2n); // bit 0 clear
    expect(msip[2]!.level).toBe(false);
    expect(device.read(8, 4)).toBe(0n);
  });

  it('ignores byte, halfword and doubleword accesses and harts that do not exist', () => {
    const { device, msip } = clint(2);
    device.write(0, 1, 1n);
    device.write(0, 2, 1n);
    device.write(0, 8, 1n);
    device.write(8, 4, 1n); // hart 2 of 2
    expect(msip.map((m) => m.drives)).toEqual([[false], [false]]);
    device.setMsip(0, true);
    expect(device.read(0, 1)).toBe(0n);
    expect(device.read(0, 8)).toBe(0n);
  });
});

describe('clint timer', () => {
  it('resets mtime and mtimecmp to 0, so MTIP starts high as in QEMU', () => {
    const { device, mtip } = clint(2);
    expect(device.mtime).toBe(0n);
    expect(device.read(CLINT_MTIMECMP_BASE, 8)).toBe(0n);
    expect(mtip.map((m) => m.level)).toEqual([true, true]);
  });

  it('raises MTIP exactly when mtime reaches mtimecmp, per hart', () => {
    const { device, mtip } = clint(2);
    device.write(CLINT_MTIMECMP_BASE, 8, 100n);
    device.write(CLINT_MTIMECMP_BASE + 8, 8, 50n);
    expect(mtip.map((m) => m.level)).toEqual([false, false]);
    device.advance(49n);
    expect(mtip.map((m) => m.level)).toEqual([false, false]);
    device.advance(1n);
    expect(mtip.map((m) => m.level)).toEqual([false, true]);
    device.advance(49n);
    expect(mtip[0]!.level).toBe(false);
    device.advance(1n);
    expect(mtip[0]!.level).toBe(true);
    expect(device.read(CLINT_MTIME, 8)).toBe(100n);
    device.write(CLINT_MTIMECMP_BASE, 8, 101n); // moving the deadline ahead lowers MTIP
    expect(mtip[0]!.level).toBe(false);
    expect(mtip[0]!.drives).toEqual([true, false, true, false]);
  });

  it('reaches 64-bit registers through 4-byte halves', () => {
    const { device, mtip } = clint(1);
    device.write(CLINT_MTIMECMP_BASE + 4, 4, 0x1n);
    device.write(CLINT_MTIMECMP_BASE, 4, 0x2n);
    expect(device.mtimecmp(0)).toBe(0x1_0000_0002n);
    expect(device.read(CLINT_MTIMECMP_BASE, 4)).toBe(2n);
    expect(device.read(CLINT_MTIMECMP_BASE + 4, 4)).toBe(1n);
    device.write(CLINT_MTIME + 4, 4, 0x1n);
    expect(mtip[0]!.level).toBe(false);
    device.write(CLINT_MTIME, 4, 0x2n);
    expect(device.mtime).toBe(0x1_0000_0002n);
    expect(mtip[0]!.level).toBe(true);
    expect(device.read(CLINT_MTIME + 4, 4)).toBe(1n);
    expect(device.read(CLINT_MTIME, 4)).toBe(2n);
  });

  it('treats 8-byte accesses at a high half as QEMU does: reads the half, ignores writes', () => {
    const { device } = clint(1);
    device.write(CLINT_MTIMECMP_BASE, 8, 0xaaaa_bbbb_cccc_ddddn);
    device.write(CLINT_MTIMECMP_BASE + 4, 8, 0n);
    expect(device.read(CLINT_MTIMECMP_BASE + 4, 8)).toBe(0xaaaa_bbbbn);
    device.write(CLINT_MTIME + 4, 8, 5n);
    expect(device.mtime).toBe(0n);
    expect(device.read(CLINT_MTIMECMP_BASE + 2, 4)).toBe(0n);
  });

  it('lets a write to mtime move time backwards and re-evaluates every hart', () => {
    const { device, mtip } = clint(2);
    device.setMtimecmp(0, 10n);
    device.setMtimecmp(1, 20n);
    device.advance(30n);
    expect(mtip.map((m) => m.level)).toEqual([true, true]);
    device.write(CLINT_MTIME, 8, 15n);
    expect(mtip.map((m) => m.level)).toEqual([true, false]);
  });

  it('wraps mtime at 2^64, lowering MTIP', () => {
    const { device, mtip } = clint(1);
    device.setMtimecmp(0, MAX - 1n);
    device.write(CLINT_MTIME, 8, MAX - 2n);
    expect(mtip[0]!.level).toBe(false);
    device.advance(1n);
    expect(mtip[0]!.level).toBe(true);
    device.advance(2n);
    expect(device.mtime).toBe(0n);
    expect(mtip[0]!.level).toBe(false);
  });

  it('tells the board how far the next deadline is', () => {
    const { device } = clint(3);
    expect(device.ticksUntilNextTimer()).toBeNull(); // all MTIP high at reset
    device.setMtimecmp(0, 500n);
    device.setMtimecmp(1, 300n);
    device.setMtimecmp(2, 0n);
    device.advance(100n);
    expect(device.ticksUntilNextTimer()).toBe(200n);
    device.advance(200n);
    expect(device.ticksUntilNextTimer()).toBe(200n);
  });

  it('rejects negative advances and unknown harts with the value in the message', () => {
    const { device } = clint(2);
    expect(() => device.advance(-1n)).toThrow(/-1/);
    expect(() => device.setMtimecmp(2, 0n)).toThrow(/hart 2/);
  });

  it('MTIP always equals mtime >= mtimecmp after any sequence of accesses', () => {
    const access = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ticks: fc.bigInt({ min: 0n, max: 1000n }) }),
      fc.record({
        kind: fc.constant('write' as const),
        offset: fc.constantFrom(0x4000, 0x4004, 0x4008, 0x400c, 0xbff8, 0xbffc),
        size: fc.constantFrom(4 as const, 8 as const),
        value: fc.bigInt({ min: 0n, max: MAX }),
      }),
    );
    fc.assert(
      fc.property(fc.array(access, { maxLength: 30, size: 'max' }), (accesses) => {
        const { device, mtip } = clint(2);
        for (const a of accesses) {
          if (a.kind === 'advance') device.advance(a.ticks);
          else device.write(a.offset, a.size, a.value);
          for (let h = 0; h < 2; h++) expect(mtip[h]!.level).toBe(device.mtime >= device.mtimecmp(h));
        }
      }),
    );
  });
});

describe('clint save/restore', () => {
  it('restores time, deadlines and msip, and re-drives the lines of a fresh CLINT', () => {
    const a = clint(2);
    a.device.setMtimecmp(0, 1000n);
    a.device.setMtimecmp(1, 5n);
    a.device.setMsip(1, true);
    a.device.advance(10n);
    const saved = structuredClone(a.device.save());
    a.device.advance(5000n);
    a.device.setMsip(1, false);
    const b = clint(2);
    b.device.restore(saved);
    expect(b.device.save()).toEqual(saved);
    expect(b.mtip.map((m) => m.level)).toEqual([false, true]);
    expect(b.msip.map((m) => m.level)).toEqual([false, true]);
    b.device.advance(989n);
    expect(b.mtip[0]!.level).toBe(false);
    b.device.advance(1n);
    expect(b.mtip[0]!.level).toBe(true);
    expect(() => clint(3).device.restore(saved)).toThrow(/2 harts/);
  });
});
