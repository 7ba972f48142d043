/**
 * Property suite speed: boots per second (the hypervisor on a fresh 4-hart, 64 MiB virt machine
 * with builtin firmware, to its ready line, observers installed) and KMEM command programs checked
 * per second (restore a booted machine, run a generated program of up to 16 commands with every
 * step's checks). Medians of several samples; fixed seed, so the same programs every time.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { kmemProgramArbitrary } from '../properties/kmem/commands.js';
import { loadImage } from '../properties/harness/image.js';
import { BootedHypervisor } from '../properties/harness/hypervisor.js';
import { BootCache, PROPERTIES, runCase } from '../properties/suite.js';
import type { PlatformSpec } from '../properties/arbitraries/platform.js';
import { repositoryRoot } from './mips.js';
import { median, type BenchRow } from './table.js';

const BOOT_SAMPLES = 5;
const PROGRAM_SAMPLES = 5;
const PROGRAMS_PER_SAMPLE = 20;
const PLATFORM: PlatformSpec = { harts: 4, bootHart: 0, ramSize: 64n << 20n, firmware: 'builtin', ad: 'hardware' };

export function benchProperties(): BenchRow[] {
  const image = loadImage(join(repositoryRoot(), 'hypervisor/build/hypervisor.elf'));
  const boots: number[] = [];
  for (let i = 0; i < BOOT_SAMPLES; i++) {
    const start = performance.now();
    new BootedHypervisor(image, PLATFORM).boot();
    boots.push(1000 / (performance.now() - start));
  }
  const kmem = PROPERTIES.find((p) => p.name === 'kmem-commands')!;
  const cache = new BootCache(image);
  cache.get(PLATFORM); // boot once, outside the timing
  const programs = fc.sample(kmemProgramArbitrary({ maxLength: 16 }), { numRuns: PROGRAMS_PER_SAMPLE * PROGRAM_SAMPLES, seed: 1 });
  const rates: number[] = [];
  for (let s = 0; s < PROGRAM_SAMPLES; s++) {
    const start = performance.now();
    for (const program of programs.slice(s * PROGRAMS_PER_SAMPLE, (s + 1) * PROGRAMS_PER_SAMPLE)) {
      const outcome = runCase(kmem, cache, { platform: PLATFORM, program });
      if (outcome.kind !== 'held') throw new Error(`bench: a KMEM program failed on the unmodified hypervisor: ${outcome.kind === 'failed' ? outcome.counterexample.message : outcome.reason}`);
    }
    rates.push((PROGRAMS_PER_SAMPLE * 1000) / (performance.now() - start));
  }
  return [
    { name: 'hypervisor boots (4 harts, 64 MiB, builtin SBI)', median: median(boots), unit: 'boots/s', runs: BOOT_SAMPLES, target: '' },
    { name: 'KMEM command programs checked (restore + up to 16 commands)', median: median(rates), unit: 'programs/s', runs: PROGRAM_SAMPLES, target: '' },
  ];
}
