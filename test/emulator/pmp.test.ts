/**
 * PMP (privileged spec 1.12, 3.7): address matching (TOR, NA4, NAPOT),
 * priority, partial matches, the lock bit, the no-match rule, and the
 * effect on fetches, loads, stores and page-table walks.
 */
import { describe, expect, it } from 'vitest';
import { Exception, PRV_M, PRV_S, PRV_U } from '../../emulator/hart/causes.js';
import { MSTATUS_MPRV } from '../../emulator/hart/csr.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, PMP_L, PMP_NA4, PMP_NAPOT, PMP_R, PMP_TOR, PMP_W, PMP_X, Pmp } from '../../emulator/hart/pmp.js';
import { asm, li, makeMachine, x } from './support.js';

const A = (mode: number) => mode << 3;
const napot = (base: bigint, size: bigint) => (base >> 2n) | ((size >> 3n) - 1n);

describe('Pmp matching', () => {
  it('with no entry matching, M is allowed and S/U are denied (entries are implemented)', () => {
    const p = new Pmp();
    expect(p.check(0x8000_0000, 4, ACCESS_LOAD, PRV_M)).toBe(true);
    expect(p.check(0x8000_0000, 4, ACCESS_LOAD, PRV_S)).toBe(false);
    expect(p.check(0x8000_0000, 4, ACCESS_FETCH, PRV_U)).toBe(false);
  });

  it('TOR matches [pmpaddr[i-1] << 2, pmpaddr[i] << 2), entry 0 from address 0', () => {
    const p = new Pmp();
    p.writeAddr(0, 0x8000_1000n >> 2n);
    p.writeCfg(0, A(PMP_TOR) | PMP_R);
    p.writeAddr(1, 0x8000_2000n >> 2n);
    p.writeCfg(1, A(PMP_TOR) | PMP_R | PMP_W);
    expect(p.check(0x0, 8, ACCESS_LOAD, PRV_S)).toBe(true);
    expect(p.check(0x8000_0ff8, 8, ACCESS_STORE, PRV_S)).toBe(false);
    expect(p.check(0x8000_1000, 8, ACCESS_STORE, PRV_S)).toBe(true);
    expect(p.check(0x8000_1ff8, 8, ACCESS_STORE, PRV_S)).toBe(true);
    expect(p.check(0x8000_2000, 8, ACCESS_LOAD, PRV_S)).toBe(false);
  });

  it('NA4 matches exactly four bytes; NAPOT a naturally aligned power of two', () => {
    const p = new Pmp();
    p.writeAddr(0, 0x8000_0010n >> 2n);
    p.writeCfg(0, A(PMP_NA4) | PMP_R);
    p.writeAddr(1, napot(0x8000_0000n, 0x1000n));
    p.writeCfg(1, A(PMP_NAPOT) | PMP_X);
    expect(p.check(0x8000_0010, 4, ACCESS_LOAD, PRV_U)).toBe(true);
    expect(p.check(0x8000_0014, 4, ACCESS_LOAD, PRV_U)).toBe(false); // entry 1: X only
    expect(p.check(0x8000_0ffc, 4, ACCESS_FETCH, PRV_U)).toBe(true);
    expect(p.check(0x8000_1000, 4, ACCESS_FETCH, PRV_U)).toBe(false);
    expect([p.start[1], p.end[1]]).toEqual([0x8000_0000, 0x8000_1000]);
  });

  it('the lowest-numbered matching entry decides, and an access it only partly covers fails', () => {
    const p = new Pmp();
    p.writeAddr(0, 0x8000_0010n >> 2n);
    p.writeCfg(0, A(PMP_NA4)); // no permissions
    p.writeAddr(1, napot(0x8000_0000n, 0x1000n));
    p.writeCfg(1, A(PMP_NAPOT) | PMP_R | PMP_W);
    expect(p.check(0x8000_0010, 4, ACCESS_LOAD, PRV_S)).toBe(false);
    expect(p.check(0x8000_000c, 8, ACCESS_LOAD, PRV_S)).toBe(false); // straddles entry 0
    expect(p.check(0x8000_0010, 4, ACCESS_LOAD, PRV_M)).toBe(true); // unlocked: M ignores it
    expect(p.check(0x8000_0ffc, 8, ACCESS_LOAD, PRV_S)).toBe(false); // leaves entry 1
  });

  it('a locked entry binds M-mode and ignores writes, and locks the pmpaddr below a TOR entry', () => {
    const p = new Pmp();
    p.writeAddr(0, 0x8000_0000n >> 2n);
    p.writeAddr(1, 0x8000_1000n >> 2n);
    p.writeCfg(1, A(PMP_TOR) | PMP_R | PMP_L);
    expect(p.check(0x8000_0000, 4, ACCESS_STORE, PRV_M)).toBe(false);
    expect(p.check(0x8000_0000, 4, ACCESS_LOAD, PRV_M)).toBe(true);
    p.writeCfg(1, A(PMP_TOR) | PMP_R | PMP_W);
    p.writeAddr(1, 0n);
    p.writeAddr(0, 0n);
    expect([p.cfg[1], p.addr[1], p.addr[0]]).toEqual([A(PMP_TOR) | PMP_R | PMP_L, 0x8000_1000n >> 2n, 0x8000_0000n >> 2n]);
  });

  it('R = 0 with W = 1 is legalised to W = 0', () => {
    const p = new Pmp();
    p.writeCfg(3, A(PMP_NAPOT) | PMP_W | PMP_X);
    expect(p.cfg[3]).toBe(A(PMP_NAPOT) | PMP_X);
  });
});

describe('PMP on the hart', () => {
  function sMode(program: number[], cfg: number, addr: bigint) {
    const m = makeMachine(program);
    m.hart.writeCsr('pmpaddr0', addr);
    m.hart.writeCsr('pmpcfg0', BigInt(cfg));
    return m;
  }

  it('S-mode fetch outside any entry is an InstructionAccessFault', () => {
    const m = sMode([asm.nop()], A(PMP_NAPOT) | PMP_R | PMP_W, napot(0x8000_0000n, 0x1000n)); // no X
    m.hart.priv = PRV_S;
    m.run(1);
    expect(m.traps[0]).toMatchObject({ cause: Exception.InstructionAccessFault, tval: 0x8000_0000n });
  });

  it('loads and stores by MPRV-effective S privilege are checked; tval is the address', () => {
    const program = [...li(x.a0, 0x8000_2000n), asm.ld(x.a1, x.a0, 0), asm.sd(x.a1, x.a0, 0)];
    const m = sMode(program, A(PMP_NAPOT) | PMP_R, napot(0x8000_0000n, 0x10000n));
    m.hart.mstatus = MSTATUS_MPRV | (PRV_S << 11);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.StoreAccessFault, tval: 0x8000_2000n });
  });

  it('a change to PMP takes effect on the next access (fast paths are dropped)', () => {
    const program = [...li(x.a0, 0x8000_2000n), asm.ld(x.a1, x.a0, 0), asm.csrrw(0, 0x3a0, 0), asm.ld(x.a1, x.a0, 0)];
    const m = sMode(program, A(PMP_NAPOT) | PMP_R | PMP_X, napot(0x8000_0000n, 0x10000n));
    m.hart.mstatus = MSTATUS_MPRV | (PRV_S << 11);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: 0x8000_2000n });
  });

  it('a page partly covered by a small entry is checked on every access, not cached whole', () => {
    const program = [...li(x.a0, 0x8000_2000n), asm.ld(x.a1, x.a0, 0), asm.ld(x.a1, x.a0, 8), asm.ld(x.a1, x.a0, 16)];
    const m = makeMachine(program);
    m.hart.writeCsr('pmpaddr0', 0x8000_2010n >> 2n); // NA4: no permissions, at +16
    m.hart.writeCsr('pmpaddr1', napot(0x8000_0000n, 0x10000n));
    m.hart.writeCsr('pmpcfg0', BigInt(A(PMP_NA4) | ((A(PMP_NAPOT) | PMP_R | PMP_X) << 8)));
    m.hart.mstatus = MSTATUS_MPRV | (PRV_S << 11);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: 0x8000_2010n });
  });
});
