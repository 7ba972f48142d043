/**
 * Edge paths of the hart: instructions fetched from a device (not cached),
 * a 32-bit instruction split across a page boundary, misaligned MMIO,
 * addresses beyond the physical address space, the walker's A/D write refused
 * by PMP, and translateForInspection.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, MmioDevice } from '../../emulator/devices/device.js';
import { Exception, PRV_S } from '../../emulator/hart/causes.js';
import { MSTATUS_MPRV } from '../../emulator/hart/csr.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE } from '../../emulator/hart/pmp.js';
import { PTE, allowAllPmp, asm, li, makeMachine, pte, readDouble, satpSv39, vpnOf, writeDouble, x } from './support.js';

class Rom implements MmioDevice {
  readonly name = 'rom';
  constructor(readonly words: number[], readonly size = 0x1000) {}
  read(offset: number, size: AccessSize): bigint {
    let v = 0n;
    for (let i = 0; i < size; i++) {
      const byte = ((this.words[(offset + i) >> 2] ?? 0) >>> (8 * ((offset + i) & 3))) & 0xff;
      v |= BigInt(byte) << BigInt(8 * i);
    }
    return v;
  }
  write(): void {}
}

describe('fetch', () => {
  it('runs code from a device (a boot ROM), re-reading it every time', () => {
    const rom = new Rom([asm.addi(x.a0, x.a0, 1), 0x0001_0001 /* c.nop; c.nop */, ...li(x.t0, 0x8000_0000n), asm.jalr(0, x.t0, 0)]);
    const m = makeMachine([asm.addi(x.a1, 0, 7)]);
    m.bus.addDevice(0x1000, rom);
    m.hart.pc = 0x1000n;
    m.run(5 + li(x.t0, 0x8000_0000n).length);
    expect([m.hart.getRegister(x.a0), m.hart.getRegister(x.a1)]).toEqual([1n, 7n]);
    rom.words[0] = asm.addi(x.a0, x.a0, 10);
    m.hart.pc = 0x1000n;
    m.run(1);
    expect(m.hart.getRegister(x.a0)).toBe(11n);
  });

  it('executes a 32-bit instruction whose halves are in two pages', () => {
    const m = makeMachine([]);
    const insn = asm.addi(x.a0, 0, 0x123);
    m.bus.write(0x8000_0ffe, 2, insn & 0xffff, 0, -1);
    m.bus.write(0x8000_1000, 2, insn >>> 16, 0, -1);
    m.bus.write(0x8000_1002, 4, asm.addi(x.a1, 0, 5), 0, -1);
    m.hart.pc = 0x8000_0ffen;
    m.run(2);
    expect([m.hart.getRegister(x.a0), m.hart.getRegister(x.a1)]).toEqual([0x123n, 5n]);
  });

  it('faults with tval = the second page when only that half is unmapped', () => {
    const m = makeMachine([]);
    allowAllPmp(m.hart);
    const root = 0x8010_0000n;
    const l1 = 0x8010_1000n;
    const l0 = 0x8010_2000n;
    const va = 0x4000_0ffen;
    writeDouble(m.bus, Number(root + vpnOf(va, 2) * 8n), pte(l1, PTE.V));
    writeDouble(m.bus, Number(l1 + vpnOf(va, 1) * 8n), pte(l0, PTE.V));
    writeDouble(m.bus, Number(l0 + vpnOf(va, 0) * 8n), pte(0x8020_0000n, PTE.V | PTE.R | PTE.X | PTE.A | PTE.D));
    m.bus.write(0x8020_0ffe, 2, asm.addi(x.a0, 0, 1) & 0xffff, 0, -1);
    m.hart.setSatp(satpSv39(root));
    m.hart.priv = PRV_S;
    m.hart.pc = va;
    m.run(1);
    expect(m.traps[0]).toMatchObject({ cause: Exception.InstructionPageFault, tval: 0x4000_1000n, pc: va });
  });
});

describe('data accesses at the edges', () => {
  it('a misaligned access to a device is an access fault', () => {
    const m = makeMachine([...li(x.a0, 0x1002n), asm.lw(x.a1, x.a0, 0)]);
    m.bus.addDevice(0x1000, new Rom([1, 2, 3]));
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: 0x1002n });
    const s = makeMachine([...li(x.a0, 0x1002n), asm.sw(x.a1, x.a0, 0)]);
    s.bus.addDevice(0x1000, new Rom([1, 2, 3]));
    s.run();
    expect(s.traps[0]).toMatchObject({ cause: Exception.StoreAccessFault, tval: 0x1002n });
  });

  it('an address beyond the physical address space is an access fault in M-mode', () => {
    const m = makeMachine([asm.addi(x.a0, 0, -16), asm.ld(x.a1, x.a0, 0)]);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: 0xffff_ffff_ffff_fff0n });
  });

  it('LR, SC and AMOs to nowhere are access faults (load for LR, store for the others)', () => {
    for (const [insn, cause] of [[asm.lrD(x.a1, x.a0), Exception.LoadAccessFault], [asm.scD(x.a1, x.a0, x.a0), Exception.StoreAccessFault], [asm.amoaddD(x.a1, x.a0, x.a0), Exception.StoreAccessFault]] as const) {
      const m = makeMachine([...li(x.a0, 0x2000n), insn]);
      if (insn === asm.scD(x.a1, x.a0, x.a0)) m.hart.reservation = 0x2000;
      m.run();
      expect(m.traps[0]).toMatchObject({ cause, tval: 0x2000n });
    }
  });

  it("the walker's A/D write is a PMP-checked S-level store: refused, the access faults", () => {
    const root = 0x8010_0000n;
    const va = 0x4000_0000n;
    const m = makeMachine([...li(x.a0, va), asm.ld(x.a1, x.a0, 0)]);
    // entry 0: the page tables, read-only; entry 1: everything else
    m.hart.writeCsr('pmpaddr0', (root >> 2n) | ((0x4000n >> 3n) - 1n));
    m.hart.writeCsr('pmpaddr1', (1n << 54n) - 1n);
    m.hart.writeCsr('pmpcfg0', BigInt((0x18 | 0x1) | ((0x18 | 0x7) << 8)));
    writeDouble(m.bus, Number(root + vpnOf(va, 2) * 8n), pte(0x4000_0000n + 0x4000_0000n, PTE.V | PTE.R | PTE.W)); // 1 GiB leaf at 0x8000_0000, A = 0
    m.hart.setSatp(satpSv39(root));
    m.hart.mstatus = MSTATUS_MPRV | (PRV_S << 11);
    m.run();
    expect(m.traps[0]).toMatchObject({ cause: Exception.LoadAccessFault, tval: va });
    expect(readDouble(m.bus, Number(root + vpnOf(va, 2) * 8n)) & BigInt(PTE.A)).toBe(0n);
  });
});

describe('translateForInspection', () => {
  it('walks without the TLB or side effects and applies the current privilege', () => {
    const root = 0x8010_0000n;
    const m = makeMachine([]);
    allowAllPmp(m.hart);
    writeDouble(m.bus, Number(root + vpnOf(0x4000_0000n, 2) * 8n), pte(0x8000_0000n, PTE.V | PTE.R | PTE.X));
    m.hart.setSatp(satpSv39(root));
    expect(m.hart.translateForInspection(0x4000_1234n, ACCESS_LOAD)).toEqual({ pa: 0x4000_1234n }); // M-mode: bare
    m.hart.priv = PRV_S;
    expect(m.hart.translateForInspection(0x4000_1234n, ACCESS_LOAD)).toEqual({ pa: 0x8000_1234n });
    expect(m.hart.translateForInspection(0x4000_1234n, ACCESS_FETCH)).toEqual({ pa: 0x8000_1234n });
    expect(m.hart.translateForInspection(0x4000_1234n, ACCESS_STORE)).toEqual({ error: 'no permission' });
    expect(m.hart.translateForInspection(0x8000_0000n, ACCESS_LOAD)).toEqual({ error: 'invalid PTE' });
    expect(m.hart.translateForInspection(0x40_0000_0000n, ACCESS_LOAD)).toEqual({ error: 'non-canonical address' });
    expect(readDouble(m.bus, Number(root + vpnOf(0x4000_0000n, 2) * 8n)) & BigInt(PTE.A)).toBe(0n);
    expect(m.hart.tlb.size()).toBe(0);
  });
});
