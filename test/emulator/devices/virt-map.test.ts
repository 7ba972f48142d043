import { describe, expect, it } from 'vitest';
import {
  ramRegion,
  regionContains,
  regionSize,
  regionsOverlap,
  VIRT_MAP,
  VIRT_RAM_BASE,
} from '../../../emulator/board/virt-map.js';
import { Clint } from '../../../emulator/devices/clint.js';
import { Ns16550 } from '../../../emulator/devices/ns16550.js';
import { Plic } from '../../../emulator/devices/plic.js';
import { SifiveTest } from '../../../emulator/devices/sifive-test.js';

describe('virt memory map', () => {
  it('has pairwise disjoint regions, all below RAM', () => {
    const regions = Object.entries(VIRT_MAP);
    for (const [i, [nameA, a]] of regions.entries()) {
      expect(a.base, nameA).toBeLessThan(a.end);
      expect(a.end, nameA).toBeLessThanOrEqual(VIRT_RAM_BASE);
      for (const [nameB, b] of regions.slice(i + 1)) expect(regionsOverlap(a, b), `${nameA} / ${nameB}`).toBe(false);
    }
  });

  it('treats ranges as half-open', () => {
    const { uart0 } = VIRT_MAP;
    expect(regionContains(uart0, 0x1000_0000)).toBe(true);
    expect(regionContains(uart0, 0x1000_00ff)).toBe(true);
    expect(regionContains(uart0, 0x1000_0100)).toBe(false);
    expect(regionsOverlap({ base: 0, end: 0x10 }, { base: 0x10, end: 0x20 })).toBe(false);
    expect(regionsOverlap({ base: 0, end: 0x11 }, { base: 0x10, end: 0x20 })).toBe(true);
  });

  it('gives each device a window exactly as large as its region', () => {
    const none = (): void => {};
    expect(new SifiveTest(none).size).toBe(regionSize(VIRT_MAP.test));
    expect(new Clint([{ msip: none, mtip: none }]).size).toBe(regionSize(VIRT_MAP.clint));
    expect(new Plic([none, none], 96).size).toBe(regionSize(VIRT_MAP.plic));
    expect(new Ns16550({ irq: none, output: none }).size).toBe(regionSize(VIRT_MAP.uart0));
  });

  it('accepts RAM of 16 MiB..16 GiB in 4 KiB steps and names a bad size', () => {
    expect(ramRegion(16 * 2 ** 20)).toEqual({ base: 0x8000_0000, end: 0x8100_0000 });
    expect(ramRegion(16 * 2 ** 30).end).toBe(0x4_8000_0000);
    expect(() => ramRegion(16 * 2 ** 20 - 4096)).toThrow(/16773120/);
    expect(() => ramRegion(16 * 2 ** 30 + 4096)).toThrow(/outside/);
    expect(() => ramRegion(32 * 2 ** 20 + 1)).toThrow(/0x2000001 is not a multiple of 4 KiB/);
  });
});
