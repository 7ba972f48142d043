/**
 * The emulator's translation (TLB, fast paths, walker A/D updates included)
 * against the model's Sv39 walk (model/sv39/walk.ts), the readable
 * reference: generated page tables, generated accesses at S and U with SUM
 * and MXR, on one hart so TLB hits are exercised. Faults must agree on cause
 * and tval; translations on the physical address (every access reads or
 * writes a marker at the model's PA) and on the A/D update written back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRV_S, PRV_U } from '../../emulator/hart/causes.js';
import { MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM } from '../../emulator/hart/csr.js';
import { walk, type AccessType } from '../../model/sv39/walk.js';
import { PTE, allowAllPmp, asm, makeMachine, pte, readDouble, satpSv39, vpnOf, writeDouble, x } from './support.js';

const RAM = 0x8000_0000;
const CODE = 0x80f0_0000;
const ROOT = 0x80e0_0000n;
const TABLES = 0x80e0_1000n;
/** Leaf targets: 1 GiB-, 2 MiB- and 4 KiB-aligned frames, all far from code and tables. */
const TARGETS = [0x8000_0000n, 0x8040_0000n, 0x8060_1000n, 0x8061_3000n];
/** VAs the mappings use: low, high (kernel-style, sign-extended) and neighbours sharing table pages. */
const VAS = [0x4000_0000n, 0x4020_0000n, 0x4020_3000n, 0xffff_ffc0_8000_0000n, 0xffff_ffc0_8020_1000n, 0x0000_0000_0060_0000n];

const mapping = fc.record({
  va: fc.constantFrom(...VAS),
  level: fc.constantFrom(0, 0, 1, 2),
  target: fc.constantFrom(...TARGETS),
  aligned: fc.constantFrom(true, true, true, false),
  flags: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(PTE.V | PTE.R | PTE.W, PTE.V | PTE.R, PTE.V | PTE.X, PTE.V | PTE.R | PTE.W | PTE.X).chain((f) => fc.subarray([PTE.U, PTE.G, PTE.A, PTE.D]).map((extra) => extra.reduce((a, b) => a | b, f))) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  ),
  reserved: fc.constantFrom(0n, 0n, 0n, 0n, 0n, 1n << 54n),
  pointerFlags: fc.constantFrom(PTE.V, PTE.V, PTE.V, PTE.V | PTE.G, PTE.V | PTE.A, 0),
});
const access = fc.record({
  /** Mostly the VA of one of the mappings (index taken modulo their number), sometimes any VA. */
  mapping: fc.option(fc.nat(), { freq: 5 }),
  va: fc.constantFrom(...VAS),
  offset: fc.constantFrom(0n, 8n, 0xff8n, 0x10n, 0x1000n, 0x3_2008n),
  kind: fc.constantFrom<AccessType>('load', 'store'),
  priv: fc.constantFrom<'S' | 'U'>('S', 'U'),
  sum: fc.boolean(),
  mxr: fc.boolean(),
});

describe('translation agrees with the model walk', () => {
  it('for generated page tables and access sequences (one hart, TLB live)', () => {
    const seen = { translations: 0, faults: 0, tlbHits: 0, adUpdates: 0 };
    fc.assert(
      fc.property(fc.array(mapping, { minLength: 1, maxLength: 5 }), fc.array(access, { minLength: 1, maxLength: 12 }), (maps, accesses) => {
        const m = makeMachine([asm.ld(x.a1, x.a0, 0), asm.sd(x.a2, x.a0, 0)], { at: CODE, ramSize: 16 * 1024 * 1024 });
        allowAllPmp(m.hart);
        m.hart.setSatp(satpSv39(ROOT));
        let nextTable = TABLES;
        for (const mp of maps) {
          let table = ROOT;
          for (let l = 2; l > mp.level; l--) {
            const at = Number(table + vpnOf(mp.va, l) * 8n);
            let entry = readDouble(m.bus, at);
            if ((entry & BigInt(PTE.V)) === 0n || (entry & BigInt(PTE.R | PTE.X)) !== 0n) {
              entry = pte(nextTable, mp.pointerFlags);
              nextTable += 0x1000n;
              writeDouble(m.bus, at, entry);
            }
            table = (entry >> 10n) << 12n;
          }
          const target = mp.aligned ? (mp.level === 2 ? 0x8000_0000n : mp.level === 1 ? TARGETS[mp.target === 0x8000_0000n ? 0 : 1]! : mp.target) : mp.target;
          writeDouble(m.bus, Number(table + vpnOf(mp.va, mp.level) * 8n), pte(target, mp.flags) | mp.reserved);
        }
        const readPhys = (pa: bigint) => (pa >= BigInt(RAM) && pa + 8n <= BigInt(RAM + 16 * 1024 * 1024) ? readDouble(m.bus, Number(pa)) : undefined);

        for (const a of accesses) {
          const base = a.mapping === null ? a.va : maps[a.mapping % maps.length]!.va;
          const va = BigInt.asUintN(64, base + a.offset);
          const expected = walk(readPhys, ROOT, va, a.kind, a.priv, a.sum, a.mxr);
          const marker = 0x5a5a_0000_0000_0000n | (expected.kind === 'translation' ? expected.pa : 0n);
          if (expected.kind === 'translation') writeDouble(m.bus, Number(expected.pa), marker);
          m.traps.length = 0;
          m.hart.mstatus = MSTATUS_MPRV | ((a.priv === 'S' ? PRV_S : PRV_U) << 11) | (a.sum ? MSTATUS_SUM : 0) | (a.mxr ? MSTATUS_MXR : 0);
          m.hart.flushFastCaches();
          m.hart.setRegister(x.a0, va);
          m.hart.setRegister(x.a1, 0n);
          m.hart.setRegister(x.a2, ~marker);
          m.hart.pc = BigInt(a.kind === 'load' ? CODE : CODE + 4);
          m.hart.run(1);
          const what = `${a.kind} ${a.priv} sum=${a.sum} mxr=${a.mxr} va=0x${va.toString(16)}`;
          if (expected.kind === 'fault') {
            expect(m.traps[0], `${what}: model says ${expected.reason}`).toMatchObject({ cause: expected.cause, tval: va });
            seen.faults++;
            continue;
          }
          expect(m.traps, `${what}: model translates to 0x${expected.pa.toString(16)}`).toEqual([]);
          if (a.kind === 'load') expect(m.hart.getRegister(x.a1), what).toBe(marker);
          else expect(readDouble(m.bus, Number(expected.pa)), what).toBe(BigInt.asUintN(64, ~marker));
          if (expected.adUpdate !== null) {
            expect(readDouble(m.bus, Number(expected.adUpdate.pteAddr)), `${what}: A/D`).toBe(expected.adUpdate.newPte);
            seen.adUpdates++;
          }
          seen.translations++;
        }
        seen.tlbHits += m.hart.tlb.hits;
      }),
      { numRuns: 300 },
    );
    // The generator must reach every kind of outcome, or this test proves little.
    expect(seen.translations).toBeGreaterThan(200);
    expect(seen.faults).toBeGreaterThan(200);
    expect(seen.tlbHits).toBeGreaterThan(100);
    expect(seen.adUpdates).toBeGreaterThan(50);
  });
});
