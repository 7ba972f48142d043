/**
 * The control API the property suite uses: run until a trap or a pc,
 * physical memory access (seen by reservations and watches), registers and
 * CSRs of any hart, translation through a hart's own MMU, and the strict-TLB
 * stale-translation events.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { symbolPhysicalAddress } from '../../../emulator/elf.js';
import type { StaleTranslationEvent } from '../../../emulator/hart/hart.js';
import { boardMachine, haveHypervisor, HYPERVISOR, readSymbol, symbolAddress } from './support.js';

const BUDGET = 1_000_000;

describe('run until', () => {
  test('a trap of a given kind stops the run with the hart at its handler', () => {
    const m = boardMachine('timer', { firmware: 'none' });
    const out = m.run({ maxSteps: BUDGET, until: { trap: (e) => e.interrupt && e.name === 'MachineTimer' } });
    expect(out.reason).toBe('trap');
    expect(out.hart).toBe(0);
    expect(out.trap?.cause).toBe(7);
    expect(m.hart(0).pc).toBe(m.readCsr(0, 'mtvec'));
    expect(m.readCsr(0, 'mcause')).toBe((1n << 63n) | 7n);
  });

  test('a pc on one hart; console text; a budget', () => {
    const m = boardMachine('hsm', { harts: 3 });
    const secondary = symbolAddress(m, 'secondary');
    const out = m.run({ maxSteps: BUDGET, until: { pc: { pc: secondary, hart: 2 } } });
    expect(out).toMatchObject({ reason: 'pc', hart: 2 });
    expect(m.hart(2).pc).toBe(secondary);
    expect(m.readRegister(2, 11)).toBe(0x102n); // opaque
    expect(m.run({ maxSteps: 7 })).toMatchObject({ reason: 'budget', steps: 7 });
    expect(m.run({ maxSteps: BUDGET, until: { console: 'ok ' } }).reason).toBe('console');
    expect(m.console).toBe('hsm ok ');
  });
});

describe('physical memory', () => {
  test('a host write between LR and SC breaks the reservation; watches see every writer', () => {
    const m = boardMachine('lrsc', { harts: 2, firmware: 'none' }, { nharts: 2n, iterations: 3n });
    const counter = symbolAddress(m, 'counter');
    const writers = new Set<number>();
    m.watchPhysicalWrites(Number(counter), Number(counter) + 8, (_pa, _size, hart) => writers.add(hart));
    m.run({ until: { pc: { pc: symbolAddress(m, 'lrsc_sc'), hart: 0 } } });
    m.writePhysicalU64(counter, 100n);
    m.setSchedule({ kind: 'slices', slices: [{ hart: 0, steps: 1 }], then: 'stop' });
    m.run();
    expect(m.readRegister(0, 30)).toBe(1n);
    m.setSchedule({ kind: 'round-robin', quantum: 10 });
    expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
    expect(m.exit?.code).toBe(1); // 100 + 6 is not 6: the program noticed
    expect(readSymbol(m, 'counter')).toBe(106n);
    expect([...writers].sort()).toEqual([-1, 0, 1]);
  });

  test('reads outside RAM and bad harts are refused by name', () => {
    const m = boardMachine('hello');
    expect(() => m.writePhysical(0x1000, new Uint8Array(4))).toThrow(/outside RAM/);
    expect(() => m.readCsr(1, 'mstatus')).toThrow(/hart 1 does not exist/);
    expect(() => m.readRegister(0, 32)).toThrow(/x32/);
  });
});

describe.skipIf(!haveHypervisor)(`the hypervisor's address spaces${haveHypervisor ? '' : ` (skipped: ${HYPERVISOR} not built)`}`, () => {
  const payload = () => ({ name: HYPERVISOR, bytes: readFileSync(HYPERVISOR) });
  const VAS_CPU_STRUCT = 0xffff_ffc0_4000_0000n;

  test('translate a VA through each hart\'s own MMU', () => {
    const m = new VirtMachine({ harts: 2, payload: payload() });
    expect(m.run({ maxSteps: 50_000_000, until: { console: 'hvspec-hv ready' } }).reason).toBe('console');
    const elf = m.payload!.elf!;
    const freelist = elf.symbol('kmem_freelist')!;
    expect(m.translate(0, freelist.value)).toEqual({ pa: symbolPhysicalAddress(elf, freelist) });
    // The cpu struct has one VA and a different frame on each hart; its guard page is unmapped.
    const info0 = m.translate(0, VAS_CPU_STRUCT + 0x5000n);
    const info1 = m.translate(1, VAS_CPU_STRUCT + 0x5000n);
    expect('pa' in info0 && 'pa' in info1 && info0.pa !== info1.pa).toBe(true);
    expect(m.translate(0, VAS_CPU_STRUCT)).toHaveProperty('error');
    expect(m.readCsr(1, 'satp') >> 60n).toBe(8n);
  });

  test('strict TLB: a PTE changed without sfence.vma is reported when the stale entry is used', () => {
    const m = new VirtMachine({ harts: 1, payload: payload(), strictTlb: true });
    expect(m.run({ maxSteps: 50_000_000, until: { console: 'hvspec-hv ready' } }).reason).toBe('console');
    const events: StaleTranslationEvent[] = [];
    m.onStaleTranslation((e) => events.push(e));
    m.run({ maxSteps: 20_000 });
    expect(events).toEqual([]);
    // Find the leaf mapping the UART page (identity) in hart 0's table and invalidate it behind the TLB's back.
    const uart = 0x1000_0000n;
    let table = (m.readCsr(0, 'satp') & ((1n << 44n) - 1n)) << 12n;
    let pteAddress = 0n;
    for (let level = 2; level >= 0; level--) {
      pteAddress = table + ((uart >> BigInt(12 + 9 * level)) & 0x1ffn) * 8n;
      const pte = m.readPhysicalU64(pteAddress);
      expect(pte & 1n).toBe(1n);
      if ((pte & 0xen) !== 0n) break; // R, W or X: a leaf
      table = (pte >> 10n) << 12n;
    }
    m.writePhysicalU64(pteAddress, m.readPhysicalU64(pteAddress) & ~1n);
    m.run({ maxSteps: 20_000 });
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ hartId: 0, current: 'invalid PTE' });
    expect(events[0]!.va & ~0xfffn).toBe(uart);
  });
});

describe('console', () => {
  test('UTF-8 output is decoded, also after a restore', () => {
    const m = boardMachine('hello');
    const snap = m.snapshot();
    for (const b of new TextEncoder().encode('é✓')) m.uart.write(0, 1, BigInt(b));
    expect(m.console).toBe('é✓');
    m.restore(snap);
    expect(m.console).toBe('');
    m.uart.write(0, 1, 0x41n);
    expect(m.console).toBe('A');
  });
});
