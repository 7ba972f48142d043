/**
 * Sv39 translation and the TLB (privileged spec 1.12, 4.3-4.4): page sizes,
 * the walk's faults, U/SUM/MXR, A/D updates (and Svade), TLB caching with
 * ASIDs and global mappings, the four sfence.vma forms, and strict mode's
 * stale-translation events. Data accesses run in M-mode with MPRV = 1 and
 * MPP = S (translated as S-mode); fetch tests run in S-mode.
 */
import { describe, expect, it } from 'vitest';
import { Exception, PRV_S, PRV_U } from '../../emulator/hart/causes.js';
import { MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM } from '../../emulator/hart/csr.js';
import type { StaleTranslationEvent } from '../../emulator/hart/hart.js';
import { PTE, allowAllPmp, asm, li, makeMachine, pte, readDouble, satpSv39, vpnOf, writeDouble, x, type TestMachine } from './support.js';

const ROOT = 0x8010_0000n;
const RWAD = PTE.V | PTE.R | PTE.W | PTE.A | PTE.D;

/** Page tables built directly in the machine's memory. */
class Tables {
  private next = ROOT + 0x1000n;
  constructor(private readonly m: TestMachine) {}

  /** Maps va to pa with a leaf at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB); returns the leaf PTE's address. */
  map(va: bigint, pa: bigint, flags: number, level = 0, extra: bigint = 0n): bigint {
    let table = ROOT;
    for (let l = 2; l > level; l--) {
      const at = table + vpnOf(va, l) * 8n;
      let entry = readDouble(this.m.bus, Number(at));
      if ((entry & 1n) === 0n) {
        entry = pte(this.next, PTE.V);
        this.next += 0x1000n;
        writeDouble(this.m.bus, Number(at), entry);
      }
      table = (entry >> 10n) << 12n;
    }
    const at = table + vpnOf(va, level) * 8n;
    writeDouble(this.m.bus, Number(at), pte(pa, flags) | extra);
    return at;
  }
}

/** A machine in M-mode with MPRV (data translated as S), satp = Sv39 at ROOT with `asid`. */
function translated(program: number[], asid = 0, options: { svade?: boolean; strictTlb?: boolean } = {}) {
  const m = makeMachine(program, options);
  allowAllPmp(m.hart);
  m.hart.mstatus = MSTATUS_MPRV | (PRV_S << 11);
  m.hart.setSatp(satpSv39(ROOT, asid));
  return { m, tables: new Tables(m) };
}

const VA = 0x4000_1000n;

describe('Sv39 walk', () => {
  it('translates loads and stores through 4 KiB pages', () => {
    const { m, tables } = translated([...li(x.a0, VA + 8n), ...li(x.a1, 0x1234_5678_9abc_def0n), asm.sd(x.a1, x.a0, 0), asm.ld(x.a2, x.a0, 0)]);
    tables.map(VA, 0x8020_0000n, RWAD);
    m.run();
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(readDouble(m.bus, 0x8020_0008)).toBe(0x1234_5678_9abc_def0n);
    expect(m.hart.getRegister(x.a2)).toBe(0x1234_5678_9abc_def0n);
  });

  it('translates 2 MiB and 1 GiB superpages, keeping the VA bits below the leaf level', () => {
    const { m, tables } = translated([...li(x.a0, 0x4020_0000n + 0x12345n), asm.ld(x.a1, x.a0, 0), ...li(x.a2, 0xc000_0000n + 0x50_1238n), asm.ld(x.a3, x.a2, 0)]);
    tables.map(0x4020_0000n, 0x8040_0000n, RWAD, 1);
    tables.map(0xc000_0000n, 0x8000_0000n, RWAD, 2);
    writeDouble(m.bus, 0x8040_0000 + 0x12345, 0xaaaan);
    writeDouble(m.bus, 0x8000_0000 + 0x50_1238, 0xbbbbn);
    m.run();
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(m.hart.getRegister(x.a1)).toBe(0xaaaan);
    expect(m.hart.getRegister(x.a3)).toBe(0xbbbbn);
  });

  const faults: [string, (t: Tables) => void, bigint][] = [
    ['a misaligned 2 MiB superpage', (t) => t.map(0x4020_0000n, 0x8040_1000n, RWAD, 1), 0x4020_0010n],
    ['a misaligned 1 GiB superpage', (t) => t.map(0xc000_0000n, 0x8020_0000n, RWAD, 2), 0xc000_0010n],
    ['an invalid leaf', (t) => t.map(VA, 0x8020_0000n, RWAD & ~PTE.V), VA],
    ['W without R', (t) => t.map(VA, 0x8020_0000n, PTE.V | PTE.W | PTE.A | PTE.D), VA],
    ['reserved bits 63:54 set', (t) => t.map(VA, 0x8020_0000n, RWAD, 0, 1n << 54n), VA],
    ['a pointer at level 0 (no leaf)', (t) => t.map(VA, 0x8020_0000n, PTE.V), VA],
    ['an unmapped address', () => {}, VA],
    ['a non-canonical address', (t) => t.map(VA, 0x8020_0000n, RWAD), 0x0000_0080_0000_0000n],
  ];
  for (const [name, build, va] of faults) {
    it(`${name} is a LoadPageFault with tval = the VA`, () => {
      const { m, tables } = translated([...li(x.a0, va), asm.ld(x.a1, x.a0, 0)]);
      build(tables);
      m.run();
      expect(m.traps[0]).toMatchObject({ cause: Exception.LoadPageFault, tval: va });
    });
  }

  it('a store to a read-only page is a StorePageFault; an AMO on it too', () => {
    const { m, tables } = translated([...li(x.a0, VA), asm.sd(x.a1, x.a0, 0)]);
    tables.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.A | PTE.D);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.StorePageFault, tval: VA });
    const a = translated([...li(x.a0, VA), asm.amoaddD(x.a1, x.a0, x.a0)]);
    a.tables.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.A | PTE.D);
    a.m.run();
    expect(a.m.traps[0]).toMatchObject({ cause: Exception.StorePageFault, tval: VA });
  });

  it('a PTE outside memory is an access fault of the original kind', () => {
    const { m } = translated([...li(x.a0, VA), asm.sd(x.a1, x.a0, 0)]);
    writeDouble(m.bus, Number(ROOT + vpnOf(VA, 2) * 8n), pte(0x1000n, PTE.V)); // next level at 0x1000: nothing there
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.StoreAccessFault, tval: VA });
  });
});

describe('U, SUM and MXR', () => {
  function access(flags: number, status: number, mpp: number, insn: (a: number) => number) {
    const { m, tables } = translated([...li(x.a0, VA), insn(x.a0)]);
    m.hart.mstatus = MSTATUS_MPRV | (mpp << 11) | status;
    tables.map(VA, 0x8020_0000n, flags);
    m.run();
    return m.trapsBeforeEnd()[0]?.cause ?? 'ok';
  }
  const load = (a: number) => asm.ld(x.a1, a, 0);
  const store = (a: number) => asm.sd(x.a1, a, 0);

  it('S-mode loads and stores to U pages need SUM', () => {
    expect(access(RWAD | PTE.U, 0, PRV_S, load)).toBe(Exception.LoadPageFault);
    expect(access(RWAD | PTE.U, 0, PRV_S, store)).toBe(Exception.StorePageFault);
    expect(access(RWAD | PTE.U, MSTATUS_SUM, PRV_S, load)).toBe('ok');
    expect(access(RWAD | PTE.U, MSTATUS_SUM, PRV_S, store)).toBe('ok');
  });

  it('U-mode may access only U pages', () => {
    expect(access(RWAD, 0, PRV_U, load)).toBe(Exception.LoadPageFault);
    expect(access(RWAD | PTE.U, 0, PRV_U, load)).toBe('ok');
  });

  it('MXR makes execute-only pages loadable', () => {
    const xOnly = PTE.V | PTE.X | PTE.A | PTE.D;
    expect(access(xOnly, 0, PRV_S, load)).toBe(Exception.LoadPageFault);
    expect(access(xOnly, MSTATUS_MXR, PRV_S, load)).toBe('ok');
  });

  it('S-mode never executes U pages, even with SUM; U-mode executes them', () => {
    for (const [priv, flags, status, expected] of [
      [PRV_S, RWAD | PTE.X | PTE.U, MSTATUS_SUM, Exception.InstructionPageFault],
      [PRV_S, RWAD | PTE.X, 0, 'ok'],
      [PRV_U, RWAD | PTE.X | PTE.U, 0, 'ok'],
      [PRV_S, RWAD, 0, Exception.InstructionPageFault],
    ] as const) {
      const m = makeMachine([asm.addi(x.a0, 0, 5)], { at: 0x8020_0000 });
      allowAllPmp(m.hart);
      new Tables(m).map(VA, 0x8020_0000n, flags);
      m.hart.setSatp(satpSv39(ROOT));
      m.hart.mstatus = status;
      m.hart.priv = priv;
      m.hart.pc = VA;
      m.run(1);
      if (expected === 'ok') expect(m.hart.getRegister(x.a0)).toBe(5n);
      else expect(m.traps[0]).toMatchObject({ cause: expected, tval: VA });
    }
  });
});

describe('A and D bits', () => {
  it('the walker sets A on access and D on a store (as QEMU 7.2 does)', () => {
    const { m, tables } = translated([...li(x.a0, VA), asm.ld(x.a1, x.a0, 0), asm.sd(x.a1, x.a0, 0)]);
    const at = tables.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.W);
    m.hart.addPcHook(BigInt(0x8000_0000 + 4 * (li(x.a0, VA).length + 1)), () => {
      expect(readDouble(m.bus, Number(at)) & 0xffn).toBe(BigInt(PTE.V | PTE.R | PTE.W | PTE.A));
    });
    m.run();
    expect(m.trapsBeforeEnd()).toEqual([]);
    expect(readDouble(m.bus, Number(at)) & 0xffn).toBe(BigInt(PTE.V | PTE.R | PTE.W | PTE.A | PTE.D));
  });

  it('with Svade, A = 0 or D = 0 on a store is a page fault and the PTE is left alone', () => {
    const { m, tables } = translated([...li(x.a0, VA), asm.ld(x.a1, x.a0, 0)], 0, { svade: true });
    const at = tables.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.W);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadPageFault, tval: VA });
    expect(readDouble(m.bus, Number(at)) & 0xffn).toBe(BigInt(PTE.V | PTE.R | PTE.W));
    const s = translated([...li(x.a0, VA), asm.sd(x.a1, x.a0, 0)], 0, { svade: true });
    s.tables.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.W | PTE.A);
    s.m.run();
    expect(s.m.traps[0]).toMatchObject({ cause: Exception.StorePageFault, tval: VA });
  });
});

describe('TLB', () => {
  /** Program: load VA into a1, then (at the hook) the test edits PTEs, then run `middle`, then load VA into a2. */
  function twoLoads(middle: number[], asid = 0, strict = false) {
    const prefix = [...li(x.a0, VA), asm.ld(x.a1, x.a0, 0)];
    const { m, tables } = translated([...prefix, ...middle, asm.ld(x.a2, x.a0, 0)], asid, { strictTlb: strict });
    writeDouble(m.bus, 0x8020_0000, 0x1111n);
    writeDouble(m.bus, 0x8030_0000, 0x2222n);
    const at = tables.map(VA, 0x8020_0000n, RWAD);
    const remap = (flags = RWAD) => writeDouble(m.bus, Number(at), pte(0x8030_0000n, flags));
    return { m, tables, at, remap, hookPc: BigInt(0x8000_0000 + 4 * prefix.length) };
  }

  it('keeps using a cached translation after its PTE changes, until sfence.vma', () => {
    const stale = twoLoads([]);
    stale.m.hart.addPcHook(stale.hookPc, () => stale.remap());
    stale.m.run();
    expect([stale.m.hart.getRegister(x.a1), stale.m.hart.getRegister(x.a2)]).toEqual([0x1111n, 0x1111n]);

    const fenced = twoLoads([asm.sfenceVma(0, 0)]);
    fenced.m.hart.addPcHook(fenced.hookPc, () => fenced.remap());
    fenced.m.run();
    expect([fenced.m.hart.getRegister(x.a1), fenced.m.hart.getRegister(x.a2)]).toEqual([0x1111n, 0x2222n]);
  });

  it('cachedTranslation shows the entry the next access would use, stale or not, and disturbs nothing', () => {
    const t = twoLoads([asm.sfenceVma(0, 0)]);
    const seen: unknown[] = [];
    const counts: number[][] = [];
    const look = () => {
      const { tlb } = t.m.hart;
      const before = [tlb.hits, tlb.misses];
      seen.push(t.m.hart.cachedTranslation(VA + 8n));
      counts.push([tlb.hits - before[0]!, tlb.misses - before[1]!]);
    };
    t.m.hart.addPcHook(t.hookPc, () => {
      look();
      t.remap(PTE.V | PTE.R | PTE.A);
      look(); // the PTE changed, the cached entry did not
    });
    t.m.hart.addPcHook(t.hookPc + 4n, look); // after the sfence.vma
    t.m.run();
    const first = { pa: 0x8020_0008n, flags: RWAD, level: 0, global: false };
    expect(seen).toEqual([first, first, undefined]);
    expect(counts).toEqual([[0, 0], [0, 0], [0, 0]]);
    expect(t.m.hart.cachedTranslation(VA)).toEqual({ pa: 0x8030_0000n, flags: PTE.V | PTE.R | PTE.A, level: 0, global: false });
    expect(t.m.hart.getRegister(x.a2)).toBe(0x2222n);
    // translation off: nothing is cached to use
    t.m.hart.setSatp(0n);
    expect(t.m.hart.cachedTranslation(VA)).toBeUndefined();
  });

  it('a satp write alone does not flush the TLB', () => {
    const t = twoLoads([asm.csrrs(x.t0, 0x180, 0), asm.csrrw(0, 0x180, x.t0)]);
    t.m.hart.addPcHook(t.hookPc, () => t.remap());
    t.m.run();
    expect(t.m.hart.getRegister(x.a2)).toBe(0x1111n);
  });

  const forms: [string, number[], boolean][] = [
    ['sfence.vma va, x0 for the page', [...li(x.t1, VA + 0x10n), asm.sfenceVma(x.t1, 0)], true],
    ['sfence.vma va, x0 for another page', [...li(x.t1, VA + 0x1000n), asm.sfenceVma(x.t1, 0)], false],
    ['sfence.vma x0, asid for the current ASID', [...li(x.t1, 3n), asm.sfenceVma(0, x.t1)], true],
    ['sfence.vma x0, asid for another ASID', [...li(x.t1, 4n), asm.sfenceVma(0, x.t1)], false],
    ['sfence.vma va, asid for both', [...li(x.t1, 3n), ...li(x.t2, VA), asm.sfenceVma(x.t2, x.t1)], true],
    ['sfence.vma va, asid with another ASID', [...li(x.t1, 4n), ...li(x.t2, VA), asm.sfenceVma(x.t2, x.t1)], false],
  ];
  for (const [name, middle, flushes] of forms) {
    it(`${name} ${flushes ? 'flushes' : 'keeps'} the entry`, () => {
      const t = twoLoads(middle, 3);
      t.m.hart.addPcHook(t.hookPc, () => t.remap());
      t.m.run();
      expect(t.m.trapsBeforeEnd()).toEqual([]);
      expect(t.m.hart.getRegister(x.a2)).toBe(flushes ? 0x2222n : 0x1111n);
    });
  }

  it('global entries survive an ASID flush but not an address flush', () => {
    const t = twoLoads([...li(x.t1, 3n), asm.sfenceVma(0, x.t1)], 3);
    writeDouble(t.m.bus, Number(t.at), pte(0x8020_0000n, RWAD | PTE.G));
    t.m.hart.addPcHook(t.hookPc, () => t.remap(RWAD | PTE.G));
    t.m.run();
    expect(t.m.hart.getRegister(x.a2)).toBe(0x1111n);
    const u = twoLoads([...li(x.t1, VA), asm.sfenceVma(x.t1, 0)], 3);
    writeDouble(u.m.bus, Number(u.at), pte(0x8020_0000n, RWAD | PTE.G));
    u.m.hart.addPcHook(u.hookPc, () => u.remap(RWAD | PTE.G));
    u.m.run();
    expect(u.m.hart.getRegister(x.a2)).toBe(0x2222n);
  });

  it('entries are per ASID: another ASID walks again, and switching back finds the old entry', () => {
    // load under ASID 1 (cached), remap, switch to ASID 2 (walks: new), back to ASID 1 (cached: old)
    const satp1 = satpSv39(ROOT, 1);
    const satp2 = satpSv39(ROOT, 2);
    const prefix = [...li(x.a0, VA), asm.ld(x.a1, x.a0, 0)];
    const program = [...prefix, ...li(x.t0, satp2), asm.csrrw(0, 0x180, x.t0), asm.ld(x.a2, x.a0, 0), ...li(x.t0, satp1), asm.csrrw(0, 0x180, x.t0), asm.ld(x.a3, x.a0, 0)];
    const { m, tables } = translated(program, 1);
    writeDouble(m.bus, 0x8020_0000, 0x1111n);
    writeDouble(m.bus, 0x8030_0000, 0x2222n);
    const at = tables.map(VA, 0x8020_0000n, RWAD);
    m.hart.addPcHook(BigInt(0x8000_0000 + 4 * prefix.length), () => writeDouble(m.bus, Number(at), pte(0x8030_0000n, RWAD)));
    m.run();
    expect([m.hart.getRegister(x.a1), m.hart.getRegister(x.a2), m.hart.getRegister(x.a3)]).toEqual([0x1111n, 0x2222n, 0x1111n]);
  });

  it('strict mode reports the stale translation (and still uses it, as hardware would)', () => {
    const t = twoLoads([], 0, true);
    const events: StaleTranslationEvent[] = [];
    t.m.hart.hooks.onStaleTranslation = (e) => events.push(e);
    t.m.hart.addPcHook(t.hookPc, () => t.remap());
    t.m.run();
    expect(t.m.hart.getRegister(x.a2)).toBe(0x1111n);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ va: VA, cachedPagePa: 0x8020_0000, current: 0x8030_0000, pc: t.hookPc });

    const unmapped = twoLoads([], 0, true);
    const seen: StaleTranslationEvent[] = [];
    unmapped.m.hart.hooks.onStaleTranslation = (e) => seen.push(e);
    unmapped.m.hart.addPcHook(unmapped.hookPc, () => writeDouble(unmapped.m.bus, Number(unmapped.at), 0n));
    unmapped.m.run();
    expect(seen[0]?.current).toBe('invalid PTE');
  });

  // Leaf at each level: the entry's flags (as the walk that filled it left them: A set by the load), level and size.
  const leaves: [string, number, bigint, number, number, number][] = [
    // name, level, leaf PA, flags written, flags cached (after the walker's A update), page PA used for VA
    ['4 KiB page', 0, 0x8020_0000n, PTE.V | PTE.R | PTE.W, PTE.V | PTE.R | PTE.W | PTE.A, 0x8020_0000],
    ['2 MiB megapage (global)', 1, 0x8040_0000n, RWAD | PTE.G, RWAD | PTE.G, 0x8040_1000],
    ['1 GiB gigapage', 2, 0x8000_0000n, PTE.V | PTE.R | PTE.X | PTE.A, PTE.V | PTE.R | PTE.X | PTE.A, 0x8000_1000],
  ];
  for (const [name, level, pa, flags, cachedFlags, pagePa] of leaves) {
    it(`strict mode: the stale event carries the cached entry's flags, level and size (${name})`, () => {
      const prefix = [...li(x.a0, VA), asm.ld(x.a1, x.a0, 0)];
      const { m, tables } = translated([...prefix, asm.ld(x.a2, x.a0, 0)], 0, { strictTlb: true });
      const at = tables.map(VA, pa, flags, level);
      const events: StaleTranslationEvent[] = [];
      m.hart.hooks.onStaleTranslation = (e) => events.push(e);
      // Behind the TLB's back: the same leaf loses W or gains it (a change of permission, not of address).
      const changed = (cachedFlags ^ PTE.W) | PTE.A;
      m.hart.addPcHook(BigInt(0x8000_0000 + 4 * prefix.length), () => writeDouble(m.bus, Number(at), pte(pa, changed)));
      m.run();
      expect(m.trapsBeforeEnd()).toEqual([]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        va: VA, cachedPagePa: pagePa, cachedFlags, cachedLevel: level, cachedPageSize: 4096 * 512 ** level,
        cachedGlobal: (flags & PTE.G) !== 0, current: pagePa, currentFlags: changed, currentLevel: level,
      });
    });
  }

  it('strict mode reports nothing when software fences correctly', () => {
    const t = twoLoads([asm.sfenceVma(0, 0)], 0, true);
    const events: StaleTranslationEvent[] = [];
    t.m.hart.hooks.onStaleTranslation = (e) => events.push(e);
    t.m.hart.addPcHook(t.hookPc, () => t.remap());
    t.m.run();
    expect(t.m.hart.getRegister(x.a2)).toBe(0x2222n);
    expect(events).toEqual([]);
  });

  it('instruction fetch uses the TLB too: S-mode code keeps running from a stale mapping', () => {
    // S-mode code page at VA -> PA 0x8020_0000; a second physical copy at 0x8030_0000 differs.
    const m = makeMachine([asm.addi(x.a0, x.a0, 1), asm.jal(0, -4)], { at: 0x8020_0000 });
    allowAllPmp(m.hart);
    const t = new Tables(m);
    const at = t.map(VA, 0x8020_0000n, PTE.V | PTE.R | PTE.X | PTE.A | PTE.D);
    m.bus.write(0x8030_0000, 4, asm.addi(x.a0, x.a0, 100), 0, -1);
    m.bus.write(0x8030_0004, 4, asm.jal(0, -4), 0, -1);
    m.hart.setSatp(satpSv39(ROOT));
    m.hart.priv = PRV_S;
    m.hart.pc = VA;
    m.run(10);
    writeDouble(m.bus, Number(at), pte(0x8030_0000n, PTE.V | PTE.R | PTE.X | PTE.A | PTE.D));
    m.run(10);
    expect(m.hart.getRegister(x.a0)).toBe(10n);
    m.hart.tlb.flush(undefined, undefined);
    m.hart.flushFastCaches();
    m.run(10);
    expect(m.hart.getRegister(x.a0)).toBe(10n + 5n * 100n);
  });
});
