/**
 * Worked examples of the Sv39 translation process (privileged spec, "Virtual Address Translation
 * Process"; step numbers as there), on hand-written tables.
 */
import { describe, expect, it } from 'vitest';
import { pteFor, walk, type PteFlags, type ReadPhys, type Translation, type WalkFault, type WalkResult } from '../../model/index.js';

/** Memory holding the given PTEs; every other 8-byte word reads as 0. */
function memory(ptes: readonly [bigint, bigint][]): ReadPhys {
  const words = new Map(ptes);
  return (pa) => words.get(pa) ?? 0n;
}

const ROOT = 0x8000_1000n;
const L1 = 0x8000_2000n;
const L0 = 0x8000_3000n;
/** VPN[2] = 1, VPN[1] = 1, VPN[0] = 3, offset 0xabc. */
const VA = 0x4020_3abcn;
const V: Partial<PteFlags> = { v: true };
const RWAD: Partial<PteFlags> = { v: true, r: true, w: true, a: true, d: true };

const pointer = (table: bigint) => pteFor(table, V);
const threeLevels = (leaf: bigint): ReadPhys =>
  memory([
    [ROOT + 1n * 8n, pointer(L1)],
    [L1 + 1n * 8n, pointer(L0)],
    [L0 + 3n * 8n, leaf],
  ]);

function translation(result: WalkResult): Translation {
  if (result.kind !== 'translation') throw new Error(`expected a translation, got ${result.reason} at step ${result.step}`);
  return result;
}
function fault(result: WalkResult): WalkFault {
  if (result.kind !== 'fault') throw new Error(`expected a fault, got pa ${result.pa.toString(16)}`);
  return result;
}

describe('walk: successful translations (step 8)', () => {
  it('4 KiB page: three PTE reads at a + vpn[i] * 8, pa = leaf.ppn * 4096 + offset', () => {
    const t = translation(walk(threeLevels(pteFor(0x8765_4000n, RWAD)), ROOT, VA, 'load', 'S', false, false));
    expect(t.pa).toBe(0x8765_4abcn);
    expect(t.level).toBe(0);
    expect(t.pageSize).toBe(0x1000n);
    expect(t.path).toEqual([ROOT + 8n, L1 + 8n, L0 + 24n]);
    expect(t.pteAddr).toBe(L0 + 24n);
    expect(t.permissions).toEqual({ r: true, w: true, x: false, u: false });
    expect(t.effective).toEqual({ fetch: false, load: true, store: true });
    expect(t.global).toBe(false);
    expect(t.adUpdate).toBeNull();
  });

  it('2 MiB megapage: pa.ppn[0] comes from va.vpn[0]', () => {
    const read = memory([
      [ROOT + 8n, pointer(L1)],
      [L1 + 8n, pteFor(0x8060_0000n, RWAD)],
    ]);
    const t = translation(walk(read, ROOT, VA, 'store', 'S', false, false));
    expect(t.pa).toBe(0x8060_3abcn);
    expect(t.level).toBe(1);
    expect(t.pageSize).toBe(0x20_0000n);
  });

  it('1 GiB gigapage: pa.ppn[1:0] come from va.vpn[1:0]', () => {
    const read = memory([[ROOT + 8n, pteFor(0xc000_0000n, { v: true, r: true, x: true, a: true })]]);
    const t = translation(walk(read, ROOT, VA, 'fetch', 'S', false, false));
    expect(t.pa).toBe(0xc020_3abcn);
    expect(t.level).toBe(2);
    expect(t.path).toEqual([ROOT + 8n]);
  });

  it('upper-half VA: VPN[2] is bits 38..30, so 0xffffffc0_00000000 uses root entry 256', () => {
    const read = memory([[ROOT + 256n * 8n, pteFor(0x8000_0000n, { v: true, r: true, x: true, a: true, g: true })]]);
    const t = translation(walk(read, ROOT, 0xffff_ffc0_0020_0010n, 'fetch', 'S', false, false));
    expect(t.pa).toBe(0x8020_0010n);
    expect(t.global).toBe(true);
  });

  it('effective global: G on a non-leaf PTE makes the leaf below it global', () => {
    const read = memory([
      [ROOT + 8n, pteFor(L1, { v: true, g: true })],
      [L1 + 8n, pointer(L0)],
      [L0 + 24n, pteFor(0x8765_4000n, RWAD)],
    ]);
    expect(translation(walk(read, ROOT, VA, 'load', 'S', false, false)).global).toBe(true);
  });

  it('RSW bits are ignored by the walk', () => {
    const t = translation(walk(threeLevels(pteFor(0x8765_4000n, RWAD, 3)), ROOT, VA, 'load', 'S', false, false));
    expect(t.leaf.rsw).toBe(3);
    expect(t.pa).toBe(0x8765_4abcn);
  });
});

describe('walk: faults, each at the step the spec names', () => {
  it('non-canonical VA (bits 63..39 differ from bit 38) page-faults before any PTE is read', () => {
    let reads = 0;
    const f = fault(walk(() => (reads++, 0n), ROOT, 0x0000_0040_0000_0000n, 'load', 'S', false, false));
    expect(f).toMatchObject({ reason: 'non-canonical', step: 0, exception: 'LoadPageFault', cause: 13, level: null });
    expect(reads).toBe(0);
    expect(fault(walk(memory([]), ROOT, 0xffff_ff7f_ffff_f000n, 'store', 'S', false, false)).reason).toBe('non-canonical');
  });

  it('step 2: a PTE read that fails a PMA/PMP check is an access fault', () => {
    const f = fault(walk(() => undefined, ROOT, VA, 'store', 'S', false, false));
    expect(f).toMatchObject({ reason: 'pte-access', step: 2, exception: 'StoreAMOAccessFault', cause: 7, level: 2, pteAddr: ROOT + 8n });
    expect(fault(walk(() => undefined, ROOT, VA, 'fetch', 'S', false, false)).cause).toBe(1);
    expect(fault(walk(() => undefined, ROOT, VA, 'load', 'S', false, false)).cause).toBe(5);
  });

  it('step 3: V = 0 is invalid, at the level where it is met', () => {
    const read = memory([[ROOT + 8n, pointer(L1)]]);
    const f = fault(walk(read, ROOT, VA, 'fetch', 'S', false, false));
    expect(f).toMatchObject({ reason: 'invalid', step: 3, level: 1, exception: 'InstructionPageFault', cause: 12, pteAddr: L1 + 8n });
  });

  it('step 3: W without R is a reserved encoding, leaf or not', () => {
    expect(fault(walk(threeLevels(pteFor(0x8765_4000n, { v: true, w: true, a: true, d: true })), ROOT, VA, 'store', 'S', false, false))).toMatchObject({ reason: 'write-without-read', step: 3, level: 0 });
    expect(fault(walk(threeLevels(pteFor(0x8765_4000n, { v: true, w: true, x: true })), ROOT, VA, 'fetch', 'S', false, false)).reason).toBe('write-without-read');
  });

  it('step 3: reserved bits 63..54 set (N, PBMT, or future use) fault', () => {
    for (const bit of [54n, 60n, 61n, 62n, 63n]) {
      const leaf = pteFor(0x8765_4000n, RWAD) | (1n << bit);
      expect(fault(walk(threeLevels(leaf), ROOT, VA, 'load', 'S', false, false))).toMatchObject({ reason: 'reserved-bits', step: 3 });
    }
  });

  it('step 3: D, A or U on a non-leaf PTE are reserved and fault', () => {
    for (const bit of ['d', 'a', 'u'] as const) {
      const read = memory([[ROOT + 8n, pteFor(L1, { v: true, [bit]: true })]]);
      expect(fault(walk(read, ROOT, VA, 'load', 'S', false, false))).toMatchObject({ reason: 'reserved-bits', level: 2 });
    }
  });

  it('step 4: a pointer PTE at level 0 faults (i < 0)', () => {
    expect(fault(walk(threeLevels(pointer(0x8000_4000n)), ROOT, VA, 'load', 'S', false, false))).toMatchObject({ reason: 'non-leaf-at-level-0', step: 4, level: 0 });
  });

  it('step 6: a megapage whose PPN is not 2 MiB aligned is a misaligned superpage', () => {
    const read = memory([
      [ROOT + 8n, pointer(L1)],
      [L1 + 8n, pteFor(0x8060_1000n, RWAD)],
    ]);
    expect(fault(walk(read, ROOT, VA, 'load', 'S', false, false))).toMatchObject({ reason: 'misaligned-superpage', step: 6, level: 1, exception: 'LoadPageFault' });
  });

  it('step 6: a gigapage whose PPN is 2 MiB but not 1 GiB aligned is misaligned', () => {
    const read = memory([[ROOT + 8n, pteFor(0xc020_0000n, RWAD)]]);
    expect(fault(walk(read, ROOT, VA, 'store', 'S', false, false))).toMatchObject({ reason: 'misaligned-superpage', step: 6, cause: 15 });
  });

  it('step 5 comes before step 6: no permission on a misaligned superpage reports the permission', () => {
    const read = memory([[ROOT + 8n, pteFor(0xc020_0000n, { v: true, r: true, a: true })]]);
    expect(fault(walk(read, ROOT, VA, 'store', 'S', false, false))).toMatchObject({ reason: 'no-permission', step: 5 });
  });
});

describe('walk: step 5 permissions with privilege, SUM and MXR', () => {
  const leaf = (flags: Partial<PteFlags>) => threeLevels(pteFor(0x8765_4000n, { v: true, a: true, d: true, ...flags }));
  const ok = (r: WalkResult) => r.kind === 'translation';

  it('loads need R, stores need W, fetches need X', () => {
    expect(ok(walk(leaf({ r: true }), ROOT, VA, 'load', 'S', false, false))).toBe(true);
    expect(ok(walk(leaf({ r: true }), ROOT, VA, 'store', 'S', false, false))).toBe(false);
    expect(ok(walk(leaf({ r: true }), ROOT, VA, 'fetch', 'S', false, false))).toBe(false);
    expect(ok(walk(leaf({ r: true, x: true }), ROOT, VA, 'fetch', 'S', false, false))).toBe(true);
    expect(ok(walk(leaf({ r: true, w: true }), ROOT, VA, 'store', 'S', false, false))).toBe(true);
  });

  it('MXR makes execute-only pages readable, never writable', () => {
    expect(fault(walk(leaf({ x: true }), ROOT, VA, 'load', 'S', false, false))).toMatchObject({ reason: 'no-permission', step: 5, cause: 13 });
    expect(ok(walk(leaf({ x: true }), ROOT, VA, 'load', 'S', false, true))).toBe(true);
    expect(translation(walk(leaf({ x: true }), ROOT, VA, 'fetch', 'S', false, true)).effective).toEqual({ fetch: true, load: true, store: false });
    expect(ok(walk(leaf({ x: true }), ROOT, VA, 'store', 'S', false, true))).toBe(false);
  });

  it('U-mode may access only U pages', () => {
    expect(ok(walk(leaf({ r: true }), ROOT, VA, 'load', 'U', true, false))).toBe(false);
    expect(ok(walk(leaf({ r: true, u: true }), ROOT, VA, 'load', 'U', false, false))).toBe(true);
    expect(ok(walk(leaf({ x: true, u: true }), ROOT, VA, 'fetch', 'U', false, false))).toBe(true);
  });

  it('S-mode loads and stores to U pages need SUM; S-mode never fetches from U pages', () => {
    expect(ok(walk(leaf({ r: true, w: true, u: true }), ROOT, VA, 'load', 'S', false, false))).toBe(false);
    expect(ok(walk(leaf({ r: true, w: true, u: true }), ROOT, VA, 'load', 'S', true, false))).toBe(true);
    expect(ok(walk(leaf({ r: true, w: true, u: true }), ROOT, VA, 'store', 'S', true, false))).toBe(true);
    expect(ok(walk(leaf({ r: true, x: true, u: true }), ROOT, VA, 'fetch', 'S', true, false))).toBe(false);
  });
});

describe('walk: step 7, A and D reported as data, never written', () => {
  it('A clear on a load: the update sets A only', () => {
    const pte = pteFor(0x8765_4000n, { v: true, r: true, w: true });
    const t = translation(walk(threeLevels(pte), ROOT, VA, 'load', 'S', false, false));
    expect(t.adUpdate).toEqual({ pteAddr: L0 + 24n, oldPte: pte, newPte: pte | 0x40n, setA: true, setD: false });
    expect(t.pa).toBe(0x8765_4abcn);
  });

  it('D clear on a store: the update sets A and D', () => {
    const pte = pteFor(0x8765_4000n, { v: true, r: true, w: true, a: true });
    const t = translation(walk(threeLevels(pte), ROOT, VA, 'store', 'S', false, false));
    expect(t.adUpdate).toMatchObject({ setA: false, setD: true, newPte: pte | 0xc0n });
  });

  it('D clear does not matter to a load', () => {
    const pte = pteFor(0x8765_4000n, { v: true, r: true, w: true, a: true });
    expect(translation(walk(threeLevels(pte), ROOT, VA, 'load', 'S', false, false)).adUpdate).toBeNull();
  });

  it('an unaligned root cannot come from satp and is refused', () => {
    expect(() => walk(memory([]), ROOT + 8n, VA, 'load', 'S', false, false)).toThrow(/not page aligned/);
  });
});
