/**
 * A missing symbol is a skip that names it, never a pass without evidence: the hypervisor with kalloc
 * and kfree renamed (so no hook can be set) gets every property that needs them skipped with the
 * symbol and what it is read for, and claims no coverage; through a symbol map the same image is
 * judged as usual.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renameSymbols } from '../../cli/commands/image.js';
import { imageFromBytes } from '../../properties/harness/image.js';
import { PROPERTIES, runSuite } from '../../properties/suite.js';
import { budget, HYPERVISOR } from './support.js';

/** The hypervisor with each `from` symbol renamed to `to` (same length: nothing else in the file moves). */
function renamedImage(renames: Record<string, string>) {
  const bytes = Buffer.from(readFileSync(HYPERVISOR));
  for (const [from, to] of Object.entries(renames)) {
    expect(to.length).toBe(from.length);
    // the last copy: the symbol string table follows .rodata (where "recurse" is also a command name)
    const at = bytes.lastIndexOf(Buffer.from(`\0${from}\0`));
    expect(at, `${from} in the string table`).toBeGreaterThan(0);
    bytes.write(to, at + 1, 'latin1');
  }
  const image = imageFromBytes('renamed.elf', bytes);
  for (const [from, to] of Object.entries(renames)) expect([image.elf.symbol(from), image.elf.symbol(to)?.name]).toEqual([undefined, to]);
  return image;
}

describe('an image whose kalloc and kfree have other names', () => {
  const image = renamedImage({ kalloc: 'kallok', kfree: 'kfrei' });

  it('skips every property that needs the hooks, naming the symbols, and claims nothing', () => {
    const { seed } = budget();
    const result = runSuite({ image, seed, scale: 0.2 });
    expect(result.properties.map((p) => p.property)).toEqual(PROPERTIES.map((p) => p.name));
    for (const p of result.properties) {
      expect(p.verdict, `${p.property}: ${p.reason ?? p.report}`).toBe('skipped');
      expect([p.checked, p.violated], p.property).toEqual([[], []]);
      expect(p.reason).toContain('renamed.elf: no symbol kalloc (hooked at its entry and return to see every kalloc)');
      if (p.property !== 'stack-overflow-sp') expect(p.reason).toContain('and no symbol kfree (hooked at its entry and return to see every kfree)');
      expect(p.reason).toContain(`so ${p.property} cannot check its rules`);
    }
    expect(result.uncovered).toEqual([]);
  }, 120_000);

  it('is judged as usual when a symbol map names them', () => {
    const { seed } = budget();
    const mapped = { ...image, elf: renameSymbols(image.elf, new Map([['kalloc', 'kallok'], ['kfree', 'kfrei']])) };
    const result = runSuite({ image: mapped, seed, scale: 0.5, only: ['kmem-concurrent', 'stack-overflow-sp'] });
    for (const p of result.properties) {
      expect(p.verdict, `${p.property}: ${p.reason ?? p.report}`).toBe('passed');
      expect([p.checked, p.violated], p.property).toEqual([p.rules, []]);
    }
    expect(result.coverage['two harts inside kalloc at once']).toBeGreaterThan(0);
  }, 120_000);
});

describe('an image with our console but without recurse or probe_ret', () => {
  it('skips the console properties that read them, naming each', () => {
    const { seed } = budget();
    const result = runSuite({ image: renamedImage({ recurse: 'recurze', probe_ret: 'probe_rez' }), seed, scale: 0.2, only: ['stack-overflow', 'tlb-discipline', 'kmem-commands', 'kmem-concurrent'] });
    const byName = new Map(result.properties.map((p) => [p.property, p]));
    expect(byName.get('stack-overflow')).toMatchObject({ verdict: 'skipped', reason: expect.stringMatching(/no symbol recurse \(where the console's stack overflow begins.*and no symbol probe_ret/) });
    expect(byName.get('kmem-commands')).toMatchObject({ verdict: 'skipped', reason: expect.stringContaining('no symbol recurse') });
    expect(byName.get('tlb-discipline')).toMatchObject({ verdict: 'skipped', reason: expect.stringContaining('no symbol probe_ret') });
    // batches need neither
    expect(byName.get('kmem-concurrent')?.verdict).toBe('passed');
  }, 120_000);
});
