/**
 * How harts start: builtin SBI firmware (payload in S-mode on the boot hart,
 * HSM, IPI, TIME, SRST), firmware none (every hart through the reset
 * vector), and real firmware (Debian's OpenSBI) on 1, 2, 4 and 8 harts.
 */
import { describe, expect, test } from 'vitest';
import { bootRomImage, FW_DYNAMIC_INFO_MAGIC } from '../../../emulator/board/boot-rom.js';
import { dtbAddress } from '../../../emulator/board/images.js';
import { VirtMachine } from '../../../emulator/board/machine.js';
import { HSM_STARTED, HSM_STOPPED } from '../../../emulator/board/sbi.js';
import { readFdt } from '../../../emulator/board/fdt.js';
import { PRV_M, PRV_S } from '../../../emulator/hart/causes.js';
import { boardMachine, boardProgram, haveHypervisor, haveOpenSbi, HYPERVISOR, openSbi, symbolAddress } from './support.js';
import { readFileSync } from 'node:fs';

const BUDGET = 5_000_000;

describe('builtin firmware', () => {
  test('enters the payload in S-mode on the boot hart with a0 = hartid, a1 = device tree; the others are stopped', () => {
    for (const bootHart of [0, 2]) {
      const m = boardMachine('hello', { harts: 3, bootHart });
      const entry = m.payload!.entry;
      m.harts.forEach((hart, h) => expect(m.hsmState(h)).toBe(h === bootHart ? HSM_STARTED : HSM_STOPPED));
      const boot = m.hart(bootHart);
      expect(boot.pc).toBe(entry);
      expect(boot.priv).toBe(PRV_S);
      expect(boot.getRegister(10)).toBe(BigInt(bootHart));
      expect(boot.getRegister(11)).toBe(BigInt(m.dtbAddress));
      expect(readFdt(m.readPhysical(m.dtbAddress, m.dtb.length)).bootCpuidPhys).toBe(bootHart);
      expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
      expect(m.console).toBe(`hello from hart ${bootHart}\n`);
      expect(m.exit).toEqual({ source: 'sbi', code: 0, kind: 'shutdown' });
    }
  });

  test('the SRST reason becomes the exit code', () => {
    for (const reason of [0, 1, 7]) {
      const m = boardMachine('hello', {}, { exit_reason: BigInt(reason) });
      m.run({ maxSteps: BUDGET });
      expect(m.exit).toEqual({ source: 'sbi', code: reason, kind: 'shutdown' });
    }
  });

  test('every ecall from S-mode is a trap to M-mode that returns to the next instruction', () => {
    const m = boardMachine('hello');
    const ecalls: bigint[] = [];
    m.onTrap((e) => { if (e.cause === 9) { expect(e.to).toBe(PRV_M); ecalls.push(e.pc); } });
    m.run({ maxSteps: BUDGET });
    expect(ecalls.length).toBe('hello from hart 0\n'.length + 1); // one putchar per byte, then SRST
  });

  test.each([1, 2, 4, 8])('hart_start of every hart, hart_stop and hart_get_status on %i harts', (harts) => {
    for (const bootHart of [0, harts - 1]) {
      const m = boardMachine('hsm', { harts, bootHart, schedule: { kind: 'round-robin', quantum: 37 } });
      expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
      expect(m.console).toBe(`hsm ok ${harts}\n`);
      expect(m.exit?.code).toBe(0);
      m.harts.forEach((_, h) => expect(m.hsmState(h)).toBe(h === bootHart ? HSM_STARTED : HSM_STOPPED));
    }
  });

  test('run until a hart stops', () => {
    const m = boardMachine('hsm', { harts: 4 });
    const out = m.run({ maxSteps: BUDGET, until: { hartStopped: 'any' } });
    expect(out.reason).toBe('hart-stopped');
    expect(m.hsmState(out.hart!)).toBe(HSM_STOPPED);
    expect(m.run({ maxSteps: BUDGET, until: { hartStopped: 3 } })).toMatchObject({ reason: 'hart-stopped', hart: 3 });
  });

  test('SBI send_ipi wakes another hart with a supervisor software interrupt; SBI set_timer raises a supervisor timer interrupt', () => {
    for (const quantum of [1, 50, 1000]) {
      const m = boardMachine('sbi-ipi', { harts: 2, schedule: { kind: 'round-robin', quantum } });
      const interrupts: string[] = [];
      m.onTrap((e) => { if (e.interrupt) interrupts.push(`${e.hartId}:${e.name}`); });
      expect(m.run({ maxSteps: BUDGET }).reason).toBe('exit');
      expect(m.console).toBe('ipi ok\ntimer ok\n');
      expect(m.exit?.code).toBe(0);
      expect(interrupts).toEqual(['1:SupervisorSoftware', '0:SupervisorTimer']);
    }
  });
});

describe('firmware none', () => {
  test('every hart runs the reset vector in M-mode: a0 = mhartid, a1 = device tree, a2 = fw_dynamic_info, then the entry', () => {
    const m = boardMachine('finisher', { harts: 2, firmware: 'none' });
    const entry = m.payload!.entry;
    for (let h = 0; h < 2; h++) {
      expect(m.hart(h).pc).toBe(0x1000n);
      expect(m.hart(h).priv).toBe(PRV_M);
    }
    m.setSchedule({ kind: 'slices', slices: [{ hart: 0, steps: 6 }, { hart: 1, steps: 6 }], then: 'stop' });
    m.run();
    for (let h = 0; h < 2; h++) {
      expect(m.hart(h).pc).toBe(entry);
      expect(m.readRegister(h, 10)).toBe(BigInt(h));
      expect(m.readRegister(h, 11)).toBe(BigInt(m.dtbAddress));
      expect(m.readRegister(h, 12)).toBe(0x1028n);
    }
    expect(m.readPhysical(m.dtbAddress, m.dtb.length)).toEqual(m.dtb);
  });
});

describe('boot ROM and device tree placement', () => {
  test('fw_dynamic_info holds magic, version 2, the payload entry, S-mode and the boot hart', () => {
    const rom = bootRomImage({ startAddress: 0x8000_0000n, dtbAddress: 0x87e0_0000n, nextAddress: 0x8020_0000n, bootHart: 3n });
    const v = new DataView(rom.buffer);
    expect([0, 1, 2, 3, 4, 5].map((i) => v.getBigUint64(0x28 + 8 * i, true))).toEqual([FW_DYNAMIC_INFO_MAGIC, 2n, 0x8020_0000n, 1n, 0n, 3n]);
  });

  test('the device tree sits 2 MiB-aligned below min(end of RAM, 3 GiB), clear of the payload', () => {
    expect(dtbAddress(0x8000_0000, 16 * 2 ** 20, 0x1000)).toBe(0x80e0_0000);
    expect(dtbAddress(0x8000_0000, 128 * 2 ** 20, 0x1000)).toBe(0x87e0_0000);
    expect(dtbAddress(0x8000_0000, 16 * 2 ** 30, 0x1000)).toBe(0xbfe0_0000);
    expect(() => new VirtMachine({ ramSize: 16 * 2 ** 20, payload: { name: 'big.bin', bytes: new Uint8Array(14 * 2 ** 20) } })).toThrow(/big\.bin .* overlaps device tree/);
  });
});

const skipOpenSbi = haveOpenSbi ? '' : ` (skipped: ${'/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf'} is not installed; apt-get install opensbi)`;

describe.skipIf(!haveOpenSbi)(`OpenSBI (Debian's fw_dynamic.elf)${skipOpenSbi}`, () => {
  test.each([1, 2, 4, 8])('boots to its banner and into the payload on %i harts', (harts) => {
    const m = new VirtMachine({ harts, firmware: openSbi(), payload: boardProgram('hsm') });
    expect(m.run({ maxSteps: 100_000_000 }).reason).toBe('exit');
    const console = m.console.replaceAll('\r\n', '\n'); // OpenSBI's putchar sends CR LF
    expect(console).toContain('OpenSBI v');
    expect(console).toContain(`Platform HART Count       : ${harts}`);
    expect(console).toContain('Domain0 Next Address      : 0x0000000080200000');
    expect(console).toContain(`Domain0 Next Arg1         : 0x${m.dtbAddress.toString(16).padStart(16, '0')}`);
    expect(console.endsWith(`hsm ok ${harts}\n`)).toBe(true);
    expect(m.exit).toEqual({ source: 'finisher', code: 0, kind: 'pass' });
  });

  test('the payload prints its line through OpenSBI\'s console', () => {
    const m = new VirtMachine({ harts: 2, firmware: openSbi(), payload: boardProgram('hello') });
    expect(m.run({ maxSteps: 100_000_000, until: { console: 'hello from hart 0\r\n' } }).reason).toBe('console');
  });

  test.skipIf(!haveHypervisor)('boots the hypervisor to its ready line on 1, 2, 4 and 8 harts', () => {
    const payload = { name: HYPERVISOR, bytes: readFileSync(HYPERVISOR) };
    for (const harts of [1, 2, 4, 8]) {
      const m = new VirtMachine({ harts, firmware: openSbi(), payload });
      expect(m.run({ maxSteps: 300_000_000, until: { console: 'hvspec-hv ready' } }).reason).toBe('console');
      expect(m.console).toContain('OpenSBI v');
    }
  });
});

describe.skipIf(!haveHypervisor)(`the hypervisor under builtin firmware${haveHypervisor ? '' : ` (skipped: ${HYPERVISOR} not built)`}`, () => {
  test('reaches its ready line on 1 and 4 harts', () => {
    const payload = { name: HYPERVISOR, bytes: readFileSync(HYPERVISOR) };
    for (const harts of [1, 4]) {
      const m = new VirtMachine({ harts, payload });
      expect(m.run({ maxSteps: 100_000_000, until: { console: 'hvspec-hv ready' } }).reason).toBe('console');
      expect(symbolAddress(m, 'kmem_freelist')).toBeGreaterThan(0n);
    }
  });
});
