/**
 * Differential test of guest (V = 1) translation: the emulator's `translateTwoStage`
 * (emulator/mmu/two-stage.ts, the function the hart calls on a guest-TLB miss) against the model's
 * `twoStageWalk` (model/sv39/two-stage.ts), on generated VS-stage and G-stage tables and generated
 * guest accesses. Both read the same memory; the emulator's A/D writes are recorded, not applied, so
 * both walks see the memory unchanged, and the writes are compared with the model's A/D updates.
 *
 * Judged: the translation (SPA, GPA, combined level, leaf flags after the access, global) or the
 * fault (stage, cause, htval = GPA >> 2 for a guest-page fault, implicit or not), and the A/D writes.
 * A final supervisor-physical address at or past 2^53 is a translation to the model, whose walk
 * leaves PMA checks to the access; the emulator decides it in the translation as the access fault
 * those checks give (nothing is there on any of its buses), so that pair is expected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { translateTwoStage, type TwoStageContext as EmuContext, type TwoStageMemory } from '../../emulator/mmu/two-stage.js';
import { gStageException, translationException } from '../../emulator/mmu/errors.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, type Access } from '../../emulator/hart/pmp.js';
import { PRV_S, PRV_U } from '../../emulator/hart/causes.js';
import { gStageVpn, twoStageWalk, vpn, type AccessType, type Level, type ReadPhys, type TwoStageContext } from '../../model/index.js';

/** SPAs at or above this read as an access fault (nothing there); below, unwritten words read 0. */
const SPA_LIMIT = 1n << 42n;
/** Supervisor-physical addresses from here on exist on none of the emulator's buses. */
const PA_LIMIT = 1n << 53n;
const G_ROOT = 0x8000_0000n;
const G_TABLES = 0x8001_0000n;
const GUEST_PAGE_FAULT_CAUSES = new Set([20, 21, 23]);

const flagBits = (f: { v: boolean; r: boolean; w: boolean; x: boolean; u: boolean; g: boolean; a: boolean; d: boolean }): bigint =>
  BigInt((f.v ? 1 : 0) | (f.r ? 2 : 0) | (f.w ? 4 : 0) | (f.x ? 8 : 0) | (f.u ? 16 : 0) | (f.g ? 32 : 0) | (f.a ? 64 : 0) | (f.d ? 128 : 0));
// Unbiased: fast-check otherwise favours small integers, which would make every rare case common.
const mostly = (p: number) => fc.noBias(fc.integer({ min: 0, max: 99 })).map((n) => n < p);
/** Leaf flags, mostly valid and permissive so that walks get deep; every combination can occur. */
const vsLeafFlags = fc
  .record({ v: mostly(95), r: mostly(85), w: mostly(70), x: mostly(55), u: mostly(40), g: mostly(20), a: mostly(80), d: mostly(70) })
  .map(flagBits);
/** G-stage leaves need U and R for every walk through them, so those are likelier still. */
const gLeafFlags = fc
  .record({ v: mostly(98), r: mostly(97), w: mostly(85), x: mostly(75), u: mostly(98), g: mostly(10), a: mostly(85), d: mostly(80) })
  .map(flagBits);
/** Pointer flags: V alone, mostly; sometimes reserved D/A/U, a leaf-looking or an invalid one. */
const pointerFlags = fc.oneof({ weight: 30, arbitrary: fc.constant(1n) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map(BigInt) });
/** PTE bits 63..54: almost always 0. */
const reserved = fc.oneof({ weight: 60, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1023 }).map((r) => BigInt(r) << 54n) });
const level = fc.constantFrom<Level>(0, 1, 2);

/** One G-stage mapping of a guest-physical page: leaf level, flags, and whether the SPA is misaligned or unbacked. */
const gMapping = fc.record({ level, flags: gLeafFlags, reserved, misaligned: mostly(2), unbacked: mostly(2), pointer: pointerFlags });
/** One VS-stage PTE on the path: pointer or leaf flags, and a PPN quirk. */
const vsEntry = fc.record({ flags: vsLeafFlags, pointer: pointerFlags, reserved, misaligned: mostly(3), hugeGpa: mostly(3) });
/** How wide a huge GPA is: just past Sv39x4's 41 bits, or past 2^53, where a double no longer holds it exactly. */
const hugeGpaBit = fc.constantFrom(41n, 54n);

const scenario = fc.record({
  vsBare: mostly(8),
  gBare: mostly(8),
  vsLevel: level,
  vsEntries: fc.array(vsEntry, { minLength: 3, maxLength: 3 }),
  /** G mappings for the three VS table pages and the data page. */
  gMappings: fc.array(gMapping, { minLength: 4, maxLength: 4 }),
  /** Distinct 1 GiB guest-physical regions for the four pages, so their G mappings rarely collide. */
  regions: fc.uniqueArray(fc.integer({ min: 1, max: 2047 }), { minLength: 4, maxLength: 4 }),
  hugeGpaBit,
  pages: fc.array(fc.tuple(fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 511 })), { minLength: 4, maxLength: 4 }),
  va: fc.oneof(
    { weight: 10, arbitrary: fc.tuple(fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 4095 })).map(([a, b, c, o]) => (BigInt(a) << 30n) | (BigInt(b) << 21n) | (BigInt(c) << 12n) | BigInt(o)) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
  ).map((va) => (va >> 38n) & 1n ? va | ~((1n << 39n) - 1n) & ((1n << 64n) - 1n) : va),
  nonCanonical: mostly(3),
  access: fc.constantFrom<AccessType>('fetch', 'load', 'store'),
  privilege: fc.constantFrom<'S' | 'U'>('S', 'U'),
  sum: fc.boolean(),
  vsMxr: mostly(25),
  hsMxr: mostly(25),
  hlvx: mostly(15),
  svade: mostly(30),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const pageSize = (l: Level): bigint => 1n << (12n + 9n * BigInt(l));

/** Writes the tables a scenario describes; returns the memory and the walk's inputs. */
function build(s: Scenario) {
  const words = new Map<bigint, bigint>();
  let nextTable = G_TABLES;
  const gpaOf = (i: number): bigint => (BigInt(s.regions[i]!) << 30n) | (BigInt(s.pages[i]![0]) << 21n) | (BigInt(s.pages[i]![1]) << 12n);
  /** The SPA a G mapping puts a guest page at (1 GiB apart per page, so nothing overlaps). */
  const spaOf = (i: number, gpa: bigint): bigint => {
    const m = s.gMappings[i]!;
    if (m.unbacked) return SPA_LIMIT + (BigInt(i) << 30n) + (gpa & (pageSize(m.level) - 1n));
    return (BigInt(i + 4) << 32n) + (gpa & (pageSize(m.level) - 1n));
  };
  const mapG = (i: number, gpa: bigint): void => {
    const m = s.gMappings[i]!;
    let table = G_ROOT;
    for (let l = 2; l > m.level; l--) {
      const slot = table + gStageVpn(l as Level, gpa) * 8n;
      const existing = words.get(slot);
      if (existing !== undefined && (existing & 0xen) === 0n && (existing & 1n) === 1n) {
        table = ((existing >> 10n) & ((1n << 44n) - 1n)) << 12n;
        continue;
      }
      const next = nextTable;
      nextTable += 0x1000n;
      words.set(slot, ((next >> 12n) << 10n) | m.pointer);
      if (m.pointer !== 1n) return; // a broken pointer ends the path
      table = next;
    }
    const base = spaOf(i, gpa) & ~(pageSize(m.level) - 1n);
    const ppn = (base >> 12n) + (m.misaligned && m.level > 0 ? 1n : 0n);
    words.set(table + gStageVpn(m.level, gpa) * 8n, (ppn << 10n) | m.flags | m.reserved);
  };
  const gpas = [0, 1, 2, 3].map(gpaOf);
  if (!s.gBare) gpas.forEach((gpa, i) => mapG(i, gpa));
  /** Where guest page i's bytes live: through the intended G mapping, or at the GPA itself under hgatp Bare. */
  const backing = (i: number, gpa: bigint): bigint => (s.gBare ? gpa : spaOf(i, gpa));

  let va = s.va;
  if (s.nonCanonical) va ^= 1n << 50n;
  // The VS-stage path: tables at gpas[0..2], the leaf at level vsLevel pointing at gpas[3] (or a huge GPA).
  for (let l = 2, t = 0; l >= s.vsLevel; l--, t++) {
    const e = s.vsEntries[t]!;
    const slot = backing(t, gpas[t]!) + BigInt(vpn(l as Level, va)) * 8n;
    if (l > s.vsLevel) {
      words.set(slot, ((gpas[t + 1]! >> 12n) << 10n) | e.pointer | e.reserved);
      continue;
    }
    const target = e.hugeGpa ? (1n << s.hugeGpaBit) + (gpas[3]! & ((1n << 30n) - 1n)) : gpas[3]!;
    const ppn = ((target & ~(pageSize(s.vsLevel) - 1n)) >> 12n) + (e.misaligned && s.vsLevel > 0 ? 1n : 0n);
    words.set(slot, (ppn << 10n) | e.flags | e.reserved);
  }
  // vsatp Bare: the VA is the GPA; sometimes one of 42 or 55 bits (a guest-page fault under Sv39x4, else past 2^53).
  if (s.vsBare) va = gpas[3]! | (s.va & 0xfffn) | (s.nonCanonical ? 1n << s.hugeGpaBit : 0n);
  return { words, va, vsRoot: gpas[0]! };
}

/** The walk's inputs besides memory: the CSR state and the access. */
interface Inputs {
  readonly vsBare: boolean;
  readonly gBare: boolean;
  readonly vsRoot: bigint;
  readonly access: AccessType;
  readonly privilege: 'S' | 'U';
  readonly sum: boolean;
  readonly vsMxr: boolean;
  readonly hsMxr: boolean;
  readonly hlvx: boolean;
  readonly svade: boolean;
}

/** Runs both walks on the same memory and expects the same outcome. */
function compareWalks(words: ReadonlyMap<bigint, bigint>, va: bigint, s: Inputs): void {
  const vsRoot = s.vsRoot;
  const readPhys: ReadPhys = (pa) => (pa >= SPA_LIMIT ? undefined : words.get(pa) ?? 0n);
  const hlvx = s.hlvx && s.access === 'load';
  const model = twoStageWalk(
    readPhys,
    {
      vsRoot: s.vsBare ? null : vsRoot,
      gRoot: s.gBare ? null : G_ROOT,
      privilege: s.privilege,
      vsSum: s.sum,
      vsMxr: s.vsMxr,
      hsMxr: s.hsMxr,
      executeForRead: hlvx,
      adScheme: s.svade ? 'fault' : 'update',
    } satisfies TwoStageContext,
    va,
    s.access,
  );

  const writes: [bigint, bigint][] = [];
  const memory: TwoStageMemory = {
    readPte(pa, out) {
      const w = readPhys(BigInt(pa));
      if (w === undefined) return false;
      out[0] = Number(BigInt.asIntN(32, w));
      out[1] = Number(BigInt.asIntN(32, w >> 32n));
      return true;
    },
    writePte(pa, lo, hi) {
      writes.push([BigInt(pa), (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)]);
      return true;
    },
  };
  const access = ({ fetch: ACCESS_FETCH, load: ACCESS_LOAD, store: ACCESS_STORE } as const)[s.access] as Access;
  const ctx: EmuContext = {
    vsMode: s.vsBare ? 0 : 8,
    vsRootPpn: Number(vsRoot >> 12n),
    gMode: s.gBare ? 0 : 8,
    gRootPpn: Number(G_ROOT >> 12n),
    priv: s.privilege === 'S' ? PRV_S : PRV_U,
    sum: s.sum,
    vsMxr: s.vsMxr,
    mxr: s.hsMxr,
    hlvx,
    svade: s.svade,
  };
  const emu = translateTwoStage(memory, ctx, Number(BigInt.asIntN(32, va)), Number(BigInt.asIntN(32, va >> 32n)), access);

  if (model.kind === 'translation' && model.pa >= PA_LIMIT) {
    expect(emu, `model translates to ${model.pa.toString(16)}, past 2^53`).toMatchObject({ ok: false, stage: 'G', error: 'physical address out of range' });
    if (emu.ok) return;
    expect(gStageException(emu.error, access)).toBe({ fetch: 1, load: 5, store: 7 }[s.access]);
    expect(emu.gpa).toBe(model.gpa);
    return;
  }
  if (model.kind === 'translation') {
    expect(emu, `model translates to ${model.pa.toString(16)}`).toMatchObject({ ok: true });
    if (!emu.ok) return;
    const offset = va & 0xfffn;
    expect(BigInt(emu.pagePa) + offset).toBe(model.pa);
    expect(BigInt(emu.gpaPage) + offset).toBe(model.gpa);
    expect(emu.level).toBe(Math.min(model.vs?.level ?? 2, model.g?.level ?? 2));
    const after = (t: { pte: bigint; adUpdate: { newPte: bigint } | null } | null): number =>
      t === null ? -1 : Number((s.svade ? t.pte : (t.adUpdate?.newPte ?? t.pte)) & 0xffn);
    expect(emu.vsFlags).toBe(after(model.vs));
    expect(emu.gFlags).toBe(after(model.g));
    expect(emu.global).toBe(model.vs?.global ?? false);
    expect(writes).toEqual(model.adUpdates.map((u) => [u.pteAddr, u.newPte]));
    return;
  }
  expect(emu, `model faults: ${model.stage} ${model.reason} (cause ${model.cause})`).toMatchObject({ ok: false, stage: model.stage });
  if (emu.ok) return;
  const cause = emu.stage === 'VS' ? translationException(emu.error, access) : gStageException(emu.error, access);
  expect(cause, `${emu.stage} ${emu.error} against ${model.reason}`).toBe(model.cause);
  expect(emu.implicit !== undefined).toBe(model.implicit);
  if (GUEST_PAGE_FAULT_CAUSES.has(model.cause)) {
    // The hart writes htval = the fault's GPA >> 2.
    expect(emu.gpa >> 2n, 'htval').toBe(model.htval);
  }
}

describe('two-stage translation: emulator against the model', () => {
  it('agrees on every generated guest access: translation or fault, cause, htval, A/D writes', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { words, va, vsRoot } = build(s);
        compareWalks(words, va, { ...s, vsRoot });
      }),
      { numRuns: 5000 },
    );
  });

  /**
   * A VS-stage leaf naming a GPA at or past 2^53 (PPN of 41 bits or more), where a double no longer
   * holds the GPA exactly: its permission is checked first (step 5), and the guest-page fault of the
   * G-stage reports that exact GPA in htval.
   */
  const HUGE_GPA_ROOT = 0x4000_0000n;
  const hugeGpaLeaf = (flags: bigint): Map<bigint, bigint> =>
    new Map([
      [G_ROOT + gStageVpn(2, HUGE_GPA_ROOT) * 8n, ((0x1_0000_0000n >> 12n) << 10n) | 0xdfn], // GPA 1 GiB at 0x4000_0000 -> SPA 0x1_0000_0000, U R W X A D
      [0x1_0000_0000n, ((1n << 42n) << 10n) | flags], // VS root entry 0: a 1 GiB leaf at GPA 2^54
    ]);
  const hugeInputs = { vsBare: false, gBare: false, vsRoot: HUGE_GPA_ROOT, sum: false, vsMxr: false, hsMxr: false, hlvx: false, svade: false } as const;

  it('a VS leaf without permission is a VS page fault even when its GPA is past 2^53', () => {
    compareWalks(hugeGpaLeaf(0xdfn), 0x123n, { ...hugeInputs, access: 'fetch', privilege: 'S' }); // U page, fetched in VS-mode
  });

  it('the guest-page fault for a GPA past 2^53 reports that exact GPA in htval, not the VA', () => {
    // GPA 2^54 + 0x3fff_fffd, which a double would round to a multiple of 4.
    compareWalks(hugeGpaLeaf(0xcfn), 0x3fff_fffdn, { ...hugeInputs, access: 'load', privilege: 'S' });
  });

  it('vsatp and hgatp Bare: an address past 2^53 is an access fault of the access, not a guest-page fault', () => {
    for (const access of ['fetch', 'load', 'store'] as const) {
      compareWalks(new Map(), 0xfedc_ba98_7654_3210n, { ...hugeInputs, vsBare: true, gBare: true, access, privilege: 'S' });
    }
  });
});
