/**
 * Whatever the allocator holds, the checker gives verdicts and never crashes: the booted hypervisor's
 * allocator is corrupted in RAM (before the after-boot snapshot) in each way the model cannot take it
 * as a state of its own (kmemFromObserved's refusals), and every property is run on it. Each one
 * that reads the allocator fails with KMEM-INTEGRITY naming what contradicts the model, the one that
 * does not (stack-overflow-sp) still gives a verdict, and runSuite returns its result.
 */
import { describe, expect, it } from 'vitest';
import type { VirtMachine } from '../../emulator/board/machine.js';
import { FRAME_STATE_CODE, linearPa } from '../../model/index.js';
import type { PlatformSpec } from '../../properties/arbitraries/platform.js';
import { BootedHypervisor } from '../../properties/harness/hypervisor.js';
import { loadImage, type HypervisorImage } from '../../properties/harness/image.js';
import { symbolPa } from '../../properties/observe/memory.js';
import { BootCache, PROPERTIES, runCase, runProperty, type Case } from '../../properties/suite.js';
import type { PropertyName } from '../../properties/report/token.js';
import { budget, HYPERVISOR } from './support.js';

const image = loadImage(HYPERVISOR);
const platform: PlatformSpec = { harts: 2, bootHart: 0, ramSize: 16n << 20n, firmware: 'builtin', ad: 'hardware' };
const RAM_BASE = 0x8000_0000n;

/** The allocator as RAM holds it, and ways to write it. */
function allocator(machine: VirtMachine) {
  const u64 = (pa: bigint) => machine.readPhysicalU64(Number(pa));
  const setU64 = (pa: bigint, value: bigint) => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, value, true);
    machine.writePhysical(pa, bytes);
  };
  const headAt = symbolPa(image.elf, 'kmem_freelist');
  const list: bigint[] = [];
  for (let va = u64(headAt); va !== 0n; va = u64(linearPa(va, RAM_BASE))) list.push(va);
  const statesPa = linearPa(u64(symbolPa(image.elf, 'kmem_frame_state')), RAM_BASE);
  const stateAt = (va: bigint) => statesPa + (linearPa(va, RAM_BASE) - RAM_BASE) / 0x1000n;
  const setState = (pa: bigint, code: number) => machine.writePhysical(pa, new Uint8Array([code]));
  return { u64, setU64, list, stateAt, statesPa, setState, headAt };
}

/** Each corruption, the message kmemFromObserved refuses it with, and what KMEM-INTEGRITY says of it. */
const CORRUPTIONS: readonly { name: string; refusal: RegExp; verdict: RegExp; corrupt: (machine: VirtMachine) => void }[] = [
  {
    name: 'a free list that never ends (the last page points back at the head)',
    refusal: /the free list did not end/,
    // the page that was the head when corrupted; a property that allocated first sees it further down
    verdict: /repeats entry #\d+: a cycle|did not end/,
    corrupt: (machine) => {
      const a = allocator(machine);
      a.setU64(linearPa(a.list.at(-1)!, RAM_BASE), a.list[0]!);
    },
  },
  {
    name: 'kmem_frame_state pointing outside RAM',
    refusal: /needs the frame-state table/,
    verdict: /kmem_frame_state is 0x10, so its 4096-byte frame-state table is not in the linear map of RAM/,
    corrupt: (machine) => allocator(machine).setU64(symbolPa(image.elf, 'kmem_frame_state'), 0x10n),
  },
  {
    name: 'a reserved frame marked FREE (reserve() rounding a range down)',
    refusal: /frame 0x80000000 has state byte 1, but it is reserved/,
    verdict: /frame 0x80000000 is in the reserved .* but its state is FREE/,
    corrupt: (machine) => allocator(machine).setState(allocator(machine).statesPa, FRAME_STATE_CODE.FREE),
  },
  {
    name: 'an unreserved frame marked RESERVED',
    refusal: /has state byte 0, but it is not reserved/,
    verdict: /is marked RESERVED but no reserved range covers it/,
    corrupt: (machine) => {
      const a = allocator(machine);
      a.setState(a.stateAt(a.list.at(-1)!), FRAME_STATE_CODE.RESERVED);
    },
  },
  {
    name: 'a state byte that is no state',
    refusal: /has state byte 7/,
    verdict: /has state byte 7, not 0, 1 or 2/,
    corrupt: (machine) => {
      const a = allocator(machine);
      a.setState(a.stateAt(a.list.at(-1)!), 7);
    },
  },
  {
    name: 'a listed frame marked ALLOCATED',
    refusal: /list entry #0 .* is not FREE/,
    verdict: /is on the free list but its state is ALLOCATED/,
    corrupt: (machine) => {
      const a = allocator(machine);
      a.setState(a.stateAt(a.list[0]!), FRAME_STATE_CODE.ALLOCATED);
    },
  },
  {
    name: 'a FREE frame never linked (kmem init stopping one frame short), kmem_nfree agreeing with the list',
    refusal: /listed \+ \d+ allocated frames, but \d+ frames are not reserved/,
    verdict: /is FREE but not on the free list/,
    corrupt: (machine) => {
      const a = allocator(machine);
      a.setU64(linearPa(a.list.at(-2)!, RAM_BASE), 0n);
      a.setU64(symbolPa(image.elf, 'kmem_nfree'), BigInt(a.list.length - 1));
    },
  },
];

/** A boot cache whose every machine is corrupted when its boot ends. */
class CorruptingCache extends BootCache {
  constructor(
    image: HypervisorImage,
    readonly corrupt: (machine: VirtMachine) => void,
  ) {
    super(image);
  }
  protected override boot(spec: PlatformSpec, strictTlb: boolean): BootedHypervisor {
    return new BootedHypervisor(this.image, spec, { strictTlb, atBootEnd: this.corrupt }).boot();
  }
}

/** One small case per property. */
const CASES: Readonly<Record<PropertyName, Case>> = {
  boot: { platform },
  'kmem-concurrent': { platform, program: [{ kind: 'batch', harts: [0, 1], count: 4 }], schedule: [] },
  'stack-overflow': { platform, program: [{ kind: 'recurse', hart: 1, depth: 1000 }] },
  'stack-overflow-sp': { platform, hart: 1, sp: 0 },
  'tlb-discipline': { platform, program: [{ kind: 'alloc', hart: 0 }, { kind: 'free', hart: 1, frame: 0 }] },
  'kmem-commands': { platform, program: [{ kind: 'alloc', hart: 1 }, { kind: 'free', hart: 0, frame: 0 }] },
  guest: { platform, guest: [{ kind: 'create', pages: 8 }, { kind: 'destroy', vm: 0 }] },
};

describe('an allocator state the model has no state for', () => {
  it('is refused by the model in each of these ways (so each corruption tests one refusal)', async () => {
    const { kmemFromObserved } = await import('../../model/index.js');
    const { readKmem } = await import('../../properties/observe/memory.js');
    for (const { name, refusal, corrupt } of CORRUPTIONS) {
      if (name.startsWith('kmem_frame_state')) continue; // readKmem itself refuses it (below)
      const booted = new BootedHypervisor(image, platform, { atBootEnd: corrupt }).boot();
      expect(() => kmemFromObserved(booted.platform, readKmem(booted.machine, image.elf, booted.platform)), name).toThrow(refusal);
    }
  });

  for (const { name, verdict, corrupt } of CORRUPTIONS) {
    it(`gives every property a verdict: ${name}`, () => {
      const cache = new CorruptingCache(image, corrupt);
      for (const definition of PROPERTIES) {
        const outcome = runCase(definition, cache, CASES[definition.name]);
        if (definition.name === 'stack-overflow-sp') {
          // it never reads the allocator: whatever it judges, it judges
          expect(['held', 'failed'], definition.name).toContain(outcome.kind);
          continue;
        }
        expect(outcome.kind, `${definition.name}: ${JSON.stringify(outcome, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`).toBe('failed');
        if (outcome.kind !== 'failed') continue;
        const { rule, message, also } = outcome.counterexample;
        const integrity = [{ rule, message }, ...also].find((f) => f.rule === 'KMEM-INTEGRITY');
        expect(integrity?.message, `${definition.name}: ${rule}: ${message}`).toMatch(verdict);
      }
    }, 120_000);
  }

  it('lets runProperty shrink and report a failure on such a machine', () => {
    const { seed } = budget();
    const cache = new CorruptingCache(image, CORRUPTIONS.at(-1)!.corrupt);
    for (const name of ['stack-overflow', 'kmem-commands'] as const) {
      const result = runProperty(PROPERTIES.find((p) => p.name === name)!, cache, { image, seed, scale: 0.2 });
      expect(result.verdict, result.reason).toBe('failed');
      expect(result.counterexample?.rule).toBe('KMEM-INTEGRITY');
      // what the CLI's --require and verdict column read: the rules judged, and those violated
      expect(result.violated).toEqual(['KMEM-INTEGRITY']);
      expect(result.checked).toEqual(expect.arrayContaining(['STACK-GUARD', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-FREE-VERDICT', 'KMEM-ZEROED']));
      expect(result.report).toMatch(/KMEM-INTEGRITY violated: after boot, before the first command: frame 0x[0-9a-f]+ is FREE but not on the free list/);
    }
  }, 120_000);
});
