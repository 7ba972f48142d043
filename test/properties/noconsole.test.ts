/**
 * An image without our console (hypervisor-noconsole.elf: the same hypervisor, no ready line, the
 * boot hart only polls): it boots and settles, the properties that need no console judge it, the
 * console-driven ones are skipped with a reason, and the emulator-side stack overflow works on it,
 * both through the hart's own idle path and through a call of kalloc, and catches a mapped guard.
 */
import { describe, expect, it } from 'vitest';
import { CPU_GUARD, CPU_STACK } from '../../model/index.js';
import { BootCache, PROPERTIES, runCase, runProperty, runSuite } from '../../properties/suite.js';
import { loadImage } from '../../properties/harness/image.js';
import { satpRoot } from '../../properties/observe/memory.js';
import type { PlatformSpec } from '../../properties/arbitraries/platform.js';
import type { BootedHypervisor } from '../../properties/harness/hypervisor.js';
import { budget, HYPERVISOR } from './support.js';

const NOCONSOLE = 'hypervisor/build/hypervisor-noconsole.elf';
const platform: PlatformSpec = { harts: 2, bootHart: 1, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' };
const overflowSp = PROPERTIES.find((p) => p.name === 'stack-overflow-sp')!;

/** The symbol whose code holds `pc` (the nearest at or below it). */
function functionAt(booted: BootedHypervisor, pc: bigint): string | undefined {
  return booted.image.elf.symbols.filter((s) => s.value <= pc && /^[a-z_]+$/.test(s.name)).sort((a, b) => Number(b.value - a.value))[0]?.name;
}

/** The last non-ecall trap hart `hart` took. */
function lastFault(booted: BootedHypervisor, hart: number) {
  return [...booted.traps].reverse().find((t) => t.hartId === hart && !t.interrupt && t.cause !== 8 && t.cause !== 9);
}

describe('an image without the hvspec console', () => {
  it('boots and settles with every hart on its own table; boot and stack-overflow-sp pass, console properties are skipped', () => {
    const { seed } = budget();
    const result = runSuite({ image: loadImage(NOCONSOLE), seed, scale: 0.5, only: ['boot', 'stack-overflow-sp', 'kmem-commands'], firmware: ['builtin'] });
    const verdicts = Object.fromEntries(result.properties.map((p) => [p.property, p.verdict]));
    expect(verdicts, result.properties.map((p) => p.report ?? p.reason ?? '').join('\n')).toEqual({ boot: 'passed', 'stack-overflow-sp': 'passed', 'kmem-commands': 'skipped' });
    expect(result.properties.find((p) => p.property === 'kmem-commands')!.reason).toMatch(/hypervisor-noconsole\.elf has no hvspec console .* kmem-commands drives the hypervisor through it/);
  }, 120_000);

  it('learns from the first case that a console property cannot run, and boots nothing more for it', () => {
    let boots = 0;
    class CountingCache extends BootCache {
      protected override boot(spec: PlatformSpec, strictTlb: boolean) {
        boots += 1;
        return super.boot(spec, strictTlb);
      }
    }
    const kmem = PROPERTIES.find((p) => p.name === 'kmem-commands')!;
    const result = runProperty(kmem, new CountingCache(loadImage(NOCONSOLE)), { image: loadImage(NOCONSOLE), seed: budget().seed });
    // fast-check handed it all its runs, yet none reached a verdict: 0 runs
    expect([result.verdict, result.runs, boots]).toEqual(['skipped', 0, 1]);
    expect(result.reason).toMatch(/has no hvspec console/);
  }, 60_000);

  it('overflows through the idle path of a polling hart, and through a call of kalloc on a hart asleep in wfi', () => {
    const cache = new BootCache(loadImage(NOCONSOLE));
    const booted = cache.get(platform);
    expect(booted.hasConsole).toBe(false);
    expect(booted.consoleSinceBoot).toBe('');
    // the boot hart polls in idle_poll: moving its sp is enough
    expect(runCase(overflowSp, cache, { platform, hart: 1, sp: 8 })).toEqual({ kind: 'held' });
    const polled = lastFault(booted, 1)!;
    expect(functionAt(booted, polled.pc)).toBe('idle_poll');
    expect(polled.tval >= CPU_GUARD.start && polled.tval < CPU_GUARD.end).toBe(true);
    // hart 0 sleeps in wfi and never touches its stack there: it is made to call kalloc
    expect(runCase(overflowSp, cache, { platform, hart: 0, sp: 8 })).toEqual({ kind: 'held' });
    const called = lastFault(booted, 0)!;
    expect(functionAt(booted, called.pc)).toBe('kalloc');
    expect(called.tval >= CPU_GUARD.start && called.tval < CPU_GUARD.end).toBe(true);
  }, 60_000);

  it('fails STACK-GUARD when the guard page is mapped, with or without a console', () => {
    for (const image of [NOCONSOLE, HYPERVISOR]) {
      const cache = new BootCache(loadImage(image));
      const booted = cache.get(platform);
      // map hart 0's guard page, RW like its stack, onto RAM's last frame (free after boot: the list's head),
      // as a memory manager that forgot the guard would
      const { machine } = booted;
      let table = satpRoot(machine.readCsr(0, 'satp'))!;
      for (const shift of [30n, 21n]) {
        const pte = machine.readPhysicalU64(table + ((CPU_GUARD.start >> shift) & 0x1ffn) * 8n);
        table = (pte >> 10n) << 12n;
      }
      const stackPte = machine.readPhysicalU64(table + ((CPU_STACK.start >> 12n) & 0x1ffn) * 8n);
      const lastFrame = booted.platform.ramBase + booted.platform.ramSize - 0x1000n;
      machine.writePhysicalU64(table + ((CPU_GUARD.start >> 12n) & 0x1ffn) * 8n, ((lastFrame >> 12n) << 10n) | (stackPte & 0x3ffn));
      const outcome = overflowSp.check(booted, { platform, hart: 0, sp: 8 });
      expect(outcome?.rule, image).toBe('STACK-GUARD');
      expect(outcome?.message, image).toMatch(/guard page/);
      // where the hart was stopped, by function (as `where:` lines name them)
      const transcript = outcome !== undefined && 'transcript' in outcome ? (outcome.transcript ?? []) : [];
      expect(transcript[0], image).toMatch(/^\(emulator\) hart 0 (enters [A-Za-z_]\w*\+0x0|asleep in wfi at [A-Za-z_]\w*\+0x[0-9a-f]+) \(0x[0-9a-f]+\): sp := /);
    }
  }, 60_000);

  it('names the function it stopped the hart in, and where the first trap was, in its counterexample (a seeded bug that maps the guard)', () => {
    const cache = new BootCache(loadImage('hypervisor/build/mutants/no-guard-page.elf', 'no-guard-page'));
    // the one hart runs the console and enters a function soon after boot
    const outcome = runCase(overflowSp, cache, { platform: { ...platform, harts: 1, bootHart: 0 }, hart: 0, sp: 0 });
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    const transcript = outcome.counterexample.transcript ?? [];
    expect(transcript, outcome.counterexample.message).toHaveLength(2);
    expect(transcript[0]).toMatch(/^\(emulator\) hart 0 enters [A-Za-z_]\w*\+0x0 \(0x[0-9a-f]+\): sp := 0xffffffc040001000 /);
    // (a pc outside the text has no function: the address alone)
    expect(transcript[1]).toMatch(/^\(emulator\) hart 0's first trap: cause \d+, stval 0x[0-9a-f]+, at ([A-Za-z_]\w*\+0x[0-9a-f]+ \(0x[0-9a-f]+\)|0x[0-9a-f]+)$/);
  }, 60_000);
});
