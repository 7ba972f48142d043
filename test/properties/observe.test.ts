/**
 * The observations are faithful: each hart's table as the suite flattens it from physical memory
 * (model's flatten) agrees with the emulator's own MMU at sampled addresses; the early table seen at
 * the first satp write is the one in .bss; the free list read through the symbols agrees with the
 * console; the kalloc/kfree hooks see exactly the console's calls.
 */
import { describe, expect, it } from 'vitest';
import { CPU_GUARD, hex, imageRange, linearVa, MiB, rangeContainsAddress, type LeafRun } from '../../model/index.js';
import { bootHypervisor } from '../../properties/harness/hypervisor.js';
import { loadImage } from '../../properties/harness/image.js';
import { readAllHartTables, readKmem, symbolPa } from '../../properties/observe/memory.js';
import { HYPERVISOR } from './support.js';

describe('observing a booted hypervisor from outside', () => {
  const image = loadImage(HYPERVISOR);
  const booted = bootHypervisor(image, { harts: 3, bootHart: 2, ramSize: 64n * MiB + 0x3000n, firmware: 'builtin', ad: 'hardware' });

  it('flattened tables agree with the emulator MMU at the first, last and middle byte of every run, and elsewhere fault', () => {
    const samples = (r: LeafRun): bigint[] => [r.va, r.va + r.size / 2n, r.va + r.size - 8n];
    for (const { hart, table } of readAllHartTables(booted.machine)) {
      for (const run of table.runs) {
        for (const va of samples(run)) {
          const mmu = booted.machine.translate(hart, va, 'load');
          expect(mmu, `hart ${hart} VA ${hex(va)}`).toEqual({ pa: run.pa + (va - run.va) });
        }
      }
      expect('error' in booted.machine.translate(hart, CPU_GUARD.start, 'load')).toBe(true);
      expect(booted.machine.translate(hart, 0x8000_0000n, 'load')).toHaveProperty('error');
    }
  });

  it('saw the early table at the first satp write: a root in .bss, on the boot hart', () => {
    expect(booted.earlyTable).toBeDefined();
    expect(booted.earlyTable!.hart).toBe(2);
    expect(booted.earlyTable!.table.root).toBe(symbolPa(image.elf, 'early_pagetable'));
    expect(rangeContainsAddress(imageRange(booted.platform), booted.earlyTable!.table.root)).toBe(true);
    expect(booted.bootHart).toBe(2);
  });

  it('reads the free list the console reports, and the hooks see exactly the console calls', () => {
    booted.restoreAfterBoot();
    const kmem = readKmem(booted.machine, image.elf, booted.platform);
    const [stat] = booted.command('stat');
    expect(stat).toBe(`OK stat hart=2 nfree=${kmem.freeList.length} head=${hex(kmem.freeList[0]!)} frames=${Number(booted.platform.ramSize / 0x1000n)}`);
    expect(kmem.terminated).toBe(true);
    booted.shadow.startHistory();
    const [reply] = booted.command('alloc 1');
    expect(reply).toBe(`OK alloc hart=1 va=${hex(kmem.freeList[0]!)} pa=${hex(kmem.freeList[0]! - linearVa(booted.platform.ramBase, booted.platform.ramBase) + booted.platform.ramBase)} nfree=${kmem.freeList.length - 1}`);
    booted.command(`free 0 ${hex(kmem.freeList[0]!)}`);
    expect(booted.shadow.calls.map((c) => [c.hart, c.kind, c.va, c.verdict])).toEqual([
      [1, 'alloc', kmem.freeList[0], undefined],
      [0, 'free', kmem.freeList[0], 'Ok'],
    ]);
    expect(booted.shadow.calls.every((c) => c.call < c.ret)).toBe(true);
  });

  it('restores exactly: the same command after a restore gets the same reply', () => {
    booted.restoreAfterBoot();
    const first = booted.command('alloc 0');
    booted.restoreAfterBoot();
    expect(booted.command('alloc 0')).toEqual(first);
  });
});
