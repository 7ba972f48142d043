/**
 * BOOT-COMPLETES: a boot on a supported platform ends ready, without a panic or an exception other
 * than an SBI call (the hypervisor's, or a guest's ecall from VS-mode), with every hart on a final table of its own. Accepts complete boots (SBI calls
 * and interrupts allowed), rejects each way one falls short, naming the hart, trap or panic line.
 */
import { describe, expect, it } from 'vitest';
import { bootCompletes, bootSupported, checkRules, isSbiCall, formatViolation, virtPlatform, type BootObservation, type RuleVerdict } from '../../model/index.js';

const platform = { harts: 3, bootHart: 1, ramSize: 64n << 20n };
const early = 0x8021_0000n;
const roots = [0x8fff_f000n, 0x8fff_c000n, 0x8fff_9000n];
const complete: BootObservation = {
  platform,
  ready: true,
  traps: [
    { hart: 1, cause: 9, tval: 0n, pc: 0xffff_ffc0_0020_0100n, name: 'EnvironmentCallFromSMode' },
    { hart: 0, cause: 1, interrupt: true, tval: 0n, pc: 0x8000_0000n, name: 'SupervisorSoftwareInterrupt' },
  ],
  satpRoots: roots,
  earlyRoot: early,
};

function rejects(verdict: RuleVerdict, pattern: RegExp): void {
  expect(verdict, 'expected BOOT-COMPLETES to be violated').toBeDefined();
  expect(verdict!.rule).toBe('BOOT-COMPLETES');
  expect(formatViolation(verdict!)).toMatch(/^BOOT-COMPLETES: /);
  expect(verdict!.message).toMatch(pattern);
}

describe('BOOT-COMPLETES', () => {
  it('accepts a complete boot, with SBI calls and interrupts, and one observed only by its end', () => {
    expect(bootCompletes(complete)).toBeUndefined();
    expect(bootCompletes({ platform, ready: true })).toBeUndefined();
    expect(bootCompletes({ platform: { harts: 8, bootHart: 7, ramSize: 16n << 30n }, ready: true, satpRoots: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map((i) => i << 12n) })).toBeUndefined();
  });

  it('rejects a boot that never reported ready nor settled, with the reason', () => {
    rejects(bootCompletes({ ...complete, ready: false }), /^the image neither reported ready nor settled \(3 harts, boot hart 1, 64 MiB RAM\)$/);
    rejects(bootCompletes({ ...complete, ready: false, detail: 'out of steps after 400000000' }), /settled \(3 harts, boot hart 1, 64 MiB RAM\): out of steps after 400000000$/);
    rejects(bootCompletes({ platform: { harts: 1, bootHart: 0, ramSize: 16n << 20n }, ready: false }), /settled \(1 hart, boot hart 0, 16 MiB RAM\)$/);
  });

  it('rejects a panic, quoting its line, even when the image got ready', () => {
    rejects(bootCompletes({ ...complete, panic: 'PANIC hart=1 kalloc: out of memory' }), /^the boot panicked \(3 harts, boot hart 1, 64 MiB RAM\): "PANIC hart=1 kalloc: out of memory"$/);
  });

  it('rejects an exception other than an SBI call, naming hart, cause, pc and tval', () => {
    const fault = { hart: 2, cause: 13, tval: 0xffff_ffe0_0400_0000n, pc: 0xffff_ffc0_0020_0570n, name: 'LoadPageFault' };
    rejects(bootCompletes({ ...complete, traps: [...complete.traps!, fault] }), /^hart 2 took LoadPageFault \(cause 13\) at pc 0xffffffc000200570, tval 0xffffffe004000000, during the boot \(3 harts, boot hart 1, 64 MiB RAM\); only SBI calls are expected$/);
    // an environment call from U-mode is not an SBI call; an unnamed cause still names its number
    rejects(bootCompletes({ ...complete, traps: [{ hart: 0, cause: 8, tval: 0n, pc: 0x1000n }] }), /^hart 0 took an exception \(cause 8\) at pc 0x1000/);
  });

  it("accepts a guest's SBI call (ecall from VS-mode, cause 10, taken from V = 1) and rejects a cause 10 taken from V = 0", () => {
    const guestCall = { hart: 1, cause: 10, tval: 0n, pc: 0x8000_0010n, name: 'EnvironmentCallFromVSMode' };
    expect(bootCompletes({ ...complete, traps: [...complete.traps!, { ...guestCall, fromVirtual: true }] })).toBeUndefined();
    // outside a guest cause 10 is no SBI call anyone serves: a failure, whether V = 0 is said or left out
    rejects(bootCompletes({ ...complete, traps: [{ ...guestCall, fromVirtual: false }] }), /^hart 1 took EnvironmentCallFromVSMode \(cause 10\) at pc 0x80000010, .*; only SBI calls are expected$/);
    rejects(bootCompletes({ ...complete, traps: [guestCall] }), /^hart 1 took EnvironmentCallFromVSMode \(cause 10\)/);
    // from V = 1 only the guest's ecall is admitted: its page faults are still failures
    rejects(bootCompletes({ ...complete, traps: [{ hart: 1, cause: 21, tval: 0x8000_4000n, pc: 0x8000_0010n, name: 'LoadGuestPageFault', fromVirtual: true }] }), /^hart 1 took LoadGuestPageFault \(cause 21\)/);
    expect([isSbiCall({ ...guestCall, fromVirtual: true }), isSbiCall({ ...guestCall, fromVirtual: true, interrupt: true }), isSbiCall(guestCall)]).toEqual([true, false, false]);
  });

  it('rejects a hart not on a final table of its own, naming it', () => {
    rejects(bootCompletes({ ...complete, satpRoots: [roots[0]!, early, roots[2]!] }), /^hart 1 never installed its final page table: satp still names the early table's root 0x80210000 \(3 harts/);
    rejects(bootCompletes({ ...complete, satpRoots: [roots[0]!, roots[1]!, null] }), /^hart 2 never installed its final page table: translation is off/);
    rejects(bootCompletes({ ...complete, satpRoots: [roots[0]!, roots[1]!] }), /^hart 2 never installed its final page table: no satp was observed for it/);
    rejects(bootCompletes({ ...complete, satpRoots: [roots[0]!, roots[1]!, roots[0]!] }), /^harts 0 and 2 run on the same root 0x8ffff000; each hart needs a final table of its own/);
    // the hart is named before the missing ready line: it says more
    rejects(bootCompletes({ ...complete, ready: false, satpRoots: [roots[0]!, early, roots[2]!] }), /^hart 1 never installed/);
    expect(() => bootCompletes({ ...complete, satpRoots: [...roots, 0x9000n] })).toThrow(/satpRoots has 4 entries for 3 harts/);
  });

  it('makes no claim on a platform the design does not support', () => {
    for (const unsupported of [
      { harts: 9, bootHart: 0, ramSize: 64n << 20n },
      { harts: 0, bootHart: 0, ramSize: 64n << 20n },
      { harts: 2.5, bootHart: 0, ramSize: 64n << 20n },
      { harts: 2, bootHart: 2, ramSize: 64n << 20n },
      { harts: 2, bootHart: -1, ramSize: 64n << 20n },
      { harts: 2, bootHart: 0, ramSize: 8n << 20n },
      { harts: 2, bootHart: 0, ramSize: (16n << 30n) + 0x1000n },
      { harts: 2, bootHart: 0, ramSize: (64n << 20n) + 8n },
    ]) {
      expect(bootSupported(unsupported), JSON.stringify(unsupported, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(false);
      expect(bootCompletes({ platform: unsupported, ready: false })).toBeUndefined();
    }
    expect(bootSupported({ harts: 1, bootHart: 0, ramSize: 16n << 20n })).toBe(true);
  });

  it('is checked by checkRules when the observation carries a boot, on the observation\'s platform', () => {
    const p = virtPlatform({ harts: 2, bootHart: 1 });
    expect(checkRules({ platform: p, boot: { ready: true, satpRoots: [0x1000n, 0x2000n] } })).toBeUndefined();
    const v = checkRules({ platform: p, boot: { ready: true, satpRoots: [0x1000n] } });
    rejects(v, /^hart 1 never installed its final page table: no satp was observed for it \(2 harts, boot hart 1, 256 MiB RAM\)$/);
  });
});
