/**
 * Worked examples of two-stage translation (privileged spec 1.12, hypervisor extension, "Two-Stage
 * Address Translation" and "Guest Physical Address Translation"), on hand-written tables: the G-stage
 * Sv39x4 walk alone, then guest accesses through both stages.
 */
import { describe, expect, it } from 'vitest';
import {
  gStageVpn,
  gStageWalk,
  pteFor,
  twoStageWalk,
  type GStageAccess,
  type GStageFault,
  type GStageResult,
  type GStageTranslation,
  type PteFlags,
  type ReadPhys,
  type TwoStageContext,
  type TwoStageFault,
  type TwoStageResult,
  type TwoStageTranslation,
} from '../../model/index.js';

type Words = Map<bigint, bigint>;
const read = (words: Words): ReadPhys => (pa) => words.get(pa) ?? 0n;

const V: Partial<PteFlags> = { v: true };
const G_RWXU: Partial<PteFlags> = { v: true, r: true, w: true, x: true, u: true, a: true, d: true };
const VS_RW: Partial<PteFlags> = { v: true, r: true, w: true, a: true, d: true };

/** The G-stage root (16 KiB aligned) and its lower tables, at SPAs. */
const G_ROOT = 0x8010_0000n;
const G_L1 = 0x8010_4000n;
const G_L0 = 0x8010_5000n;
/** GPA 0x1_4020_3abc: bit 40 set, so the root index is 0x405 (11 bits), vpn[1] = 1, vpn[0] = 3. */
const GPA = 0x101_4020_3abcn;

const LOAD: GStageAccess = { reported: 'load', checked: 'load', executeForRead: false };
const STORE: GStageAccess = { reported: 'store', checked: 'store', executeForRead: false };
const FETCH: GStageAccess = { reported: 'fetch', checked: 'fetch', executeForRead: false };

function gTranslation(result: GStageResult): GStageTranslation {
  if (result.kind !== 'translation') throw new Error(`expected a translation, got ${result.reason} at step ${result.step}`);
  return result;
}
function gFault(result: GStageResult): GStageFault {
  if (result.kind !== 'fault') throw new Error(`expected a fault, got spa ${result.pa.toString(16)}`);
  return result;
}
function translation(result: TwoStageResult): TwoStageTranslation {
  if (result.kind !== 'translation') throw new Error(`expected a translation, got ${result.stage} ${result.reason}`);
  return result;
}
function fault(result: TwoStageResult): TwoStageFault {
  if (result.kind !== 'fault') throw new Error(`expected a fault, got pa ${result.pa.toString(16)}`);
  return result;
}

/** A G-stage path for GPA ending in `leaf` at `level` (2: in the root, 0: three levels). */
function gPath(words: Words, gpa: bigint, leaf: bigint, level: 0 | 1 | 2): Words {
  const root = G_ROOT + gStageVpn(2, gpa) * 8n;
  if (level === 2) return words.set(root, leaf);
  words.set(root, pteFor(G_L1, V));
  if (level === 1) return words.set(G_L1 + gStageVpn(1, gpa) * 8n, leaf);
  words.set(G_L1 + gStageVpn(1, gpa) * 8n, pteFor(G_L0, V));
  return words.set(G_L0 + gStageVpn(0, gpa) * 8n, leaf);
}

describe('gStageWalk: Sv39x4', () => {
  it('a 4 KiB page: the root is indexed by GPA bits 40..30 (11 bits), the lower levels by 9 bits', () => {
    expect(gStageVpn(2, GPA)).toBe(0x405n);
    const t = gTranslation(gStageWalk(read(gPath(new Map(), GPA, pteFor(0x9000_0000n, G_RWXU), 0)), G_ROOT, GPA, LOAD, false, 'update'));
    expect(t.pa).toBe(0x9000_0abcn);
    expect(t.level).toBe(0);
    expect(t.path).toEqual([G_ROOT + 0x405n * 8n, G_L1 + 8n, G_L0 + 24n]);
    expect(t.adUpdate).toBeNull();
  });

  it('a 2 MiB and a 1 GiB page take their low PPN fields from the GPA (step 8)', () => {
    const mega = gTranslation(gStageWalk(read(gPath(new Map(), GPA, pteFor(0x9020_0000n, G_RWXU), 1)), G_ROOT, GPA, STORE, false, 'update'));
    expect(mega.pa).toBe(0x9020_3abcn);
    expect(mega.pageSize).toBe(0x20_0000n);
    const giga = gTranslation(gStageWalk(read(gPath(new Map(), GPA, pteFor(0xc000_0000n, G_RWXU), 2)), G_ROOT, GPA, FETCH, false, 'update'));
    expect(giga.pa).toBe(0xc020_3abcn);
    expect(giga.level).toBe(2);
  });

  it('GPA bits 63..41 set: a guest-page fault before any PTE read, for the reported access', () => {
    const f = gFault(gStageWalk(read(new Map()), G_ROOT, 1n << 41n, FETCH, false, 'update'));
    expect(f).toMatchObject({ reason: 'gpa-too-wide', step: 0, cause: 20, exception: 'InstructionGuestPageFault', pteAddr: null });
  });

  it('every leaf needs U: G-stage accesses are checked as U-mode (step 5)', () => {
    const leaf = pteFor(0x9000_0000n, { ...G_RWXU, u: false });
    const f = gFault(gStageWalk(read(gPath(new Map(), GPA, leaf, 0)), G_ROOT, GPA, STORE, false, 'update'));
    expect(f).toMatchObject({ reason: 'no-permission', step: 5, level: 0, cause: 23, exception: 'StoreAMOGuestPageFault' });
  });

  it('the G bit is ignored, and the other step 3/4/6 conditions fault as in Sv39', () => {
    const global = gTranslation(gStageWalk(read(gPath(new Map(), GPA, pteFor(0x9000_0000n, { ...G_RWXU, g: true }), 0)), G_ROOT, GPA, LOAD, false, 'update'));
    expect(global.pa).toBe(0x9000_0abcn);
    const cases: [Words, string, number][] = [
      [new Map(), 'invalid', 3],
      [gPath(new Map(), GPA, pteFor(0x9000_0000n, { v: true, w: true, u: true }), 0), 'write-without-read', 3],
      [new Map([[G_ROOT + 0x405n * 8n, pteFor(G_L1, { v: true, a: true })]]), 'reserved-bits', 3],
      [gPath(new Map(), GPA, pteFor(G_L0, V), 0), 'non-leaf-at-level-0', 4],
      [gPath(new Map(), GPA, pteFor(0x9000_1000n, G_RWXU), 1), 'misaligned-superpage', 6],
    ];
    for (const [words, reason, step] of cases) {
      expect(gFault(gStageWalk(read(words), G_ROOT, GPA, LOAD, false, 'update'))).toMatchObject({ reason, step, cause: 21 });
    }
  });

  it('a PTE read the bus refuses is an access fault of the reported access (step 2)', () => {
    const f = gFault(gStageWalk(() => undefined, G_ROOT, GPA, { reported: 'fetch', checked: 'load', executeForRead: false }, false, 'update'));
    expect(f).toMatchObject({ reason: 'pte-access', step: 2, cause: 1, exception: 'InstructionAccessFault', pteAddr: G_ROOT + 0x405n * 8n, pte: null });
  });

  it('MXR (HS-level) reads execute-only pages; HLVX needs X and not R', () => {
    const words = gPath(new Map(), GPA, pteFor(0x9000_0000n, { v: true, x: true, u: true, a: true }), 0);
    expect(gStageWalk(read(words), G_ROOT, GPA, LOAD, false, 'update').kind).toBe('fault');
    expect(gStageWalk(read(words), G_ROOT, GPA, LOAD, true, 'update').kind).toBe('translation');
    const hlvx: GStageAccess = { reported: 'load', checked: 'load', executeForRead: true };
    expect(gStageWalk(read(words), G_ROOT, GPA, hlvx, false, 'update').kind).toBe('translation');
    const readOnly = gPath(new Map(), GPA, pteFor(0x9000_0000n, { v: true, r: true, u: true, a: true }), 0);
    expect(gFault(gStageWalk(read(readOnly), G_ROOT, GPA, hlvx, true, 'update'))).toMatchObject({ reason: 'no-permission', cause: 21 });
  });

  it('A/D: reported as data for the checked access, or a guest-page fault under Svade (step 7)', () => {
    const leaf = pteFor(0x9000_0000n, { v: true, r: true, w: true, u: true });
    const words = gPath(new Map(), GPA, leaf, 0);
    const t = gTranslation(gStageWalk(read(words), G_ROOT, GPA, { reported: 'load', checked: 'store', executeForRead: false }, false, 'update'));
    expect(t.adUpdate).toEqual({ pteAddr: G_L0 + 24n, oldPte: leaf, newPte: leaf | 0xc0n, setA: true, setD: true });
    const f = gFault(gStageWalk(read(words), G_ROOT, GPA, LOAD, false, 'fault'));
    expect(f).toMatchObject({ reason: 'accessed-dirty-clear', step: 7, cause: 21 });
  });

  it('a root that is not 16 KiB aligned is a caller error', () => {
    expect(() => gStageWalk(read(new Map()), G_ROOT + 0x1000n, GPA, LOAD, false, 'update')).toThrow(/16 KiB/);
  });
});

/**
 * A guest: the G-stage maps GPA 0x8000_0000.. (1 GiB) to SPA 0x1_8000_0000.., where the VS-stage
 * tables live (at GPAs), so a VS PTE at GPA g is stored at SPA g + OFFSET.
 */
const OFFSET = 0x1_0000_0000n;
const GUEST_RAM = 0x8000_0000n;
const VS_ROOT = 0x8000_1000n;
const VS_L1 = 0x8000_2000n;
const VS_L0 = 0x8000_3000n;
const GVA = 0x4020_3abcn;
const CTX: TwoStageContext = {
  vsRoot: VS_ROOT,
  gRoot: G_ROOT,
  privilege: 'S',
  vsSum: false,
  vsMxr: false,
  hsMxr: false,
  executeForRead: false,
  adScheme: 'update',
};

/** The G gigapage over guest RAM and a three-level VS path for GVA ending in `leaf`. */
function guest(leaf: bigint, gLeaf = pteFor(GUEST_RAM + OFFSET, G_RWXU)): Words {
  const words: Words = new Map([[G_ROOT + gStageVpn(2, GUEST_RAM) * 8n, gLeaf]]);
  words.set(VS_ROOT + OFFSET + 1n * 8n, pteFor(VS_L1, V));
  words.set(VS_L1 + OFFSET + 1n * 8n, pteFor(VS_L0, V));
  words.set(VS_L0 + OFFSET + 3n * 8n, leaf);
  return words;
}

describe('twoStageWalk: guest accesses through both stages', () => {
  it('VS-stage PTE reads are GPAs translated by the G-stage; the final GPA is translated too', () => {
    const t = translation(twoStageWalk(read(guest(pteFor(0x8765_4000n, VS_RW))), CTX, GVA, 'load'));
    expect(t.gpa).toBe(0x8765_4abcn);
    expect(t.pa).toBe(0x1_8765_4abcn);
    expect(t.vs?.path).toEqual([VS_ROOT + 8n, VS_L1 + 8n, VS_L0 + 24n]);
    expect(t.vsPtePas).toEqual([VS_ROOT + OFFSET + 8n, VS_L1 + OFFSET + 8n, VS_L0 + OFFSET + 24n]);
    expect(t.implicit.map((g) => g.gpa)).toEqual([VS_ROOT + 8n, VS_L1 + 8n, VS_L0 + 24n]);
    expect(t.g?.level).toBe(2);
    expect(t.adUpdates).toEqual([]);
  });

  it('a G-stage fault on a VS PTE read: a guest-page fault for the original access, htval = PTE GPA >> 2', () => {
    const words = guest(pteFor(0x8765_4000n, VS_RW), pteFor(GUEST_RAM + OFFSET, { ...G_RWXU, r: false, w: false }));
    const f = fault(twoStageWalk(read(words), CTX, GVA, 'store'));
    expect(f).toMatchObject({ stage: 'G', implicit: true, cause: 23, gpa: VS_ROOT + 8n, htval: (VS_ROOT + 8n) >> 2n, va: GVA });
  });

  it('a G-stage fault on the final GPA: htval = GPA >> 2, not implicit', () => {
    const f = fault(twoStageWalk(read(guest(pteFor(0x4000_0000n, { ...VS_RW, x: true }))), CTX, GVA, 'fetch'));
    expect(f).toMatchObject({ stage: 'G', implicit: false, cause: 20, reason: 'invalid', gpa: 0x4000_0abcn, htval: 0x4000_0abcn >> 2n });
  });

  it('a VS-stage failure is an ordinary page fault with htval 0', () => {
    const f = fault(twoStageWalk(read(guest(pteFor(0x8765_4000n, { ...VS_RW, u: true }))), CTX, GVA, 'load'));
    expect(f).toMatchObject({ stage: 'VS', reason: 'no-permission', cause: 13, htval: 0n, implicit: false });
    const withSum = translation(twoStageWalk(read(guest(pteFor(0x8765_4000n, { ...VS_RW, u: true }))), { ...CTX, vsSum: true }, GVA, 'load'));
    expect(withSum.pa).toBe(0x1_8765_4abcn);
    const asUser = translation(twoStageWalk(read(guest(pteFor(0x8765_4000n, { ...VS_RW, u: true }))), { ...CTX, privilege: 'U' }, GVA, 'store'));
    expect(asUser.gpa).toBe(0x8765_4abcn);
  });

  it('a VS PTE whose SPA the bus refuses is an access fault with htval 0', () => {
    const words = guest(pteFor(0x8765_4000n, VS_RW));
    const refuseVsTables: ReadPhys = (pa) => (pa >= OFFSET + GUEST_RAM ? undefined : read(words)(pa));
    expect(fault(twoStageWalk(refuseVsTables, CTX, GVA, 'load'))).toMatchObject({ stage: 'VS', reason: 'pte-access', cause: 5, htval: 0n });
    const refuseAll: ReadPhys = () => undefined;
    expect(fault(twoStageWalk(refuseAll, CTX, GVA, 'load'))).toMatchObject({ stage: 'G', reason: 'pte-access', cause: 5, htval: 0n, implicit: true });
  });

  it('vsstatus.MXR reaches the VS-stage only; sstatus.MXR both stages', () => {
    const execOnlyVs = guest(pteFor(0x8765_4000n, { v: true, x: true, a: true }));
    expect(fault(twoStageWalk(read(execOnlyVs), CTX, GVA, 'load'))).toMatchObject({ stage: 'VS', cause: 13 });
    expect(translation(twoStageWalk(read(execOnlyVs), { ...CTX, vsMxr: true }, GVA, 'load')).gpa).toBe(0x8765_4abcn);
    expect(translation(twoStageWalk(read(execOnlyVs), { ...CTX, hsMxr: true }, GVA, 'load')).gpa).toBe(0x8765_4abcn);
    // Execute-only at the G-stage (the VS tables elsewhere readable): only HS-level MXR helps.
    const words = guest(pteFor(0x4000_0000n, VS_RW));
    words.set(G_ROOT + gStageVpn(2, 0x4000_0000n) * 8n, pteFor(0x2_0000_0000n, { v: true, x: true, u: true, a: true }));
    expect(fault(twoStageWalk(read(words), { ...CTX, vsMxr: true }, GVA, 'load'))).toMatchObject({ stage: 'G', cause: 21, implicit: false });
    expect(translation(twoStageWalk(read(words), { ...CTX, hsMxr: true }, GVA, 'load')).pa).toBe(0x2_0000_0abcn);
  });

  it('HLVX needs X at both stages', () => {
    const words = guest(pteFor(0x4000_0000n, { v: true, x: true, a: true }));
    words.set(G_ROOT + gStageVpn(2, 0x4000_0000n) * 8n, pteFor(0x2_0000_0000n, { v: true, x: true, u: true, a: true }));
    expect(translation(twoStageWalk(read(words), { ...CTX, executeForRead: true }, GVA, 'load')).pa).toBe(0x2_0000_0abcn);
    words.set(G_ROOT + gStageVpn(2, 0x4000_0000n) * 8n, pteFor(0x2_0000_0000n, { v: true, r: true, u: true, a: true }));
    expect(fault(twoStageWalk(read(words), { ...CTX, executeForRead: true }, GVA, 'load'))).toMatchObject({ stage: 'G', cause: 21 });
  });

  it('a VS leaf A/D write is an implicit store: it needs G-stage W, and faults for the original access', () => {
    const leaf = pteFor(0x8765_4000n, { v: true, r: true, w: true });
    const t = translation(twoStageWalk(read(guest(leaf)), CTX, GVA, 'store'));
    expect(t.adUpdates).toEqual([{ pteAddr: VS_L0 + OFFSET + 24n, oldPte: leaf, newPte: leaf | 0xc0n, setA: true, setD: true }]);
    expect(t.implicit).toHaveLength(4);
    const readOnlyTables = guest(leaf, pteFor(GUEST_RAM + OFFSET, { ...G_RWXU, w: false }));
    const f = fault(twoStageWalk(read(readOnlyTables), CTX, GVA, 'load'));
    expect(f).toMatchObject({ stage: 'G', implicit: true, cause: 21, reason: 'no-permission', gpa: VS_L0 + 24n });
  });

  it('G-stage A/D updates of the table pages and the final page are listed, in walk order', () => {
    const gLeaf = pteFor(GUEST_RAM + OFFSET, { v: true, r: true, w: true, x: true, u: true });
    const t = translation(twoStageWalk(read(guest(pteFor(0x8765_4000n, VS_RW), gLeaf)), CTX, GVA, 'store'));
    const gPte = G_ROOT + gStageVpn(2, GUEST_RAM) * 8n;
    expect(t.adUpdates.map((u) => [u.pteAddr, u.setA, u.setD])).toEqual([
      [gPte, true, false],
      [gPte, true, false],
      [gPte, true, false],
      [gPte, true, true],
    ]);
  });

  it('Svade: a VS leaf needing A/D is a page fault; a G leaf needing it a guest-page fault', () => {
    const svade = { ...CTX, adScheme: 'fault' } as const;
    const f = fault(twoStageWalk(read(guest(pteFor(0x8765_4000n, { v: true, r: true, w: true, a: true }))), svade, GVA, 'store'));
    expect(f).toMatchObject({ stage: 'VS', reason: 'accessed-dirty-clear', step: 7, cause: 15, exception: 'StoreAMOPageFault', htval: 0n });
    const gNoA = pteFor(GUEST_RAM + OFFSET, { v: true, r: true, w: true, x: true, u: true });
    expect(fault(twoStageWalk(read(guest(pteFor(0x8765_4000n, VS_RW), gNoA)), svade, GVA, 'load'))).toMatchObject({ stage: 'G', cause: 21, implicit: true });
    expect(translation(twoStageWalk(read(guest(pteFor(0x8765_4000n, VS_RW))), svade, GVA, 'load')).adUpdates).toEqual([]);
  });

  it('vsatp Bare: GPA = VA, still checked as 41 bits; hgatp Bare: SPA = GPA, no G-stage', () => {
    const bareVs = { ...CTX, vsRoot: null };
    const words: Words = new Map([[G_ROOT + gStageVpn(2, GUEST_RAM) * 8n, pteFor(GUEST_RAM + OFFSET, G_RWXU)]]);
    const t = translation(twoStageWalk(read(words), bareVs, 0x8000_0123n, 'fetch'));
    expect([t.gpa, t.pa, t.vs, t.implicit]).toEqual([0x8000_0123n, 0x1_8000_0123n, null, []]);
    const wide = fault(twoStageWalk(read(words), bareVs, 0x200_0000_0000n, 'load'));
    expect(wide).toMatchObject({ stage: 'G', reason: 'gpa-too-wide', htval: 0x200_0000_0000n >> 2n });
    // Both Bare: no stage translates or protects, so even a 64-bit address is the SPA (the access's PMA check decides).
    const bothBare = translation(twoStageWalk(read(new Map()), { ...CTX, vsRoot: null, gRoot: null }, 0xfedc_ba98_7654_3210n, 'store'));
    expect([bothBare.gpa, bothBare.pa, bothBare.vs, bothBare.g]).toEqual([0xfedc_ba98_7654_3210n, 0xfedc_ba98_7654_3210n, null, null]);
    const bareG = translation(twoStageWalk(read(new Map([...guest(pteFor(0x8765_4000n, VS_RW))].map(([a, w]) => [a - OFFSET, w]))), { ...CTX, gRoot: null }, GVA, 'load'));
    expect([bareG.gpa, bareG.pa, bareG.g, bareG.implicit]).toEqual([0x8765_4abcn, 0x8765_4abcn, null, []]);
    expect(bareG.vsPtePas).toEqual([VS_ROOT + 8n, VS_L1 + 8n, VS_L0 + 24n]);
    const noA = pteFor(0x8765_4000n, { v: true, r: true });
    const bareGWithA = translation(twoStageWalk(read(new Map([...guest(noA)].map(([a, w]) => [a - OFFSET, w]))), { ...CTX, gRoot: null }, GVA, 'load'));
    expect(bareGWithA.adUpdates).toEqual([{ pteAddr: VS_L0 + 24n, oldPte: noA, newPte: noA | 0x40n, setA: true, setD: false }]);
    expect(bareGWithA.implicit).toEqual([]);
  });
});
