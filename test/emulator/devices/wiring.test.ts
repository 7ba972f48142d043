import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ns16550 } from '../../../emulator/devices/ns16550.js';
import { Plic } from '../../../emulator/devices/plic.js';
import { VIRT_IRQ, VIRT_PLIC_NUM_SOURCES } from '../../../emulator/board/virt-map.js';
import { recordedLine } from './lines.js';

/** The UART wired into the PLIC as on the virt board, one hart's two contexts recorded. */
function wired() {
  const meip = recordedLine();
  const seip = recordedLine();
  const plic = new Plic([meip.line, seip.line], VIRT_PLIC_NUM_SOURCES);
  const uart = new Ns16550({ irq: (level) => plic.setSource(VIRT_IRQ.uart0, level), output: () => {} });
  plic.write(4 * VIRT_IRQ.uart0, 4, 1n);
  plic.write(0x2080, 4, 1n << BigInt(VIRT_IRQ.uart0)); // context 1 (S-mode) enables UART0
  return { plic, uart, meip, seip };
}

describe('UART0 through the PLIC', () => {
  it('raises SEIP on received data, claims source 10, and drops once the byte is read and completed', () => {
    const { plic, uart, seip, meip } = wired();
    uart.write(1, 1, 1n); // IER.ERBFI
    uart.pushInput('k');
    expect([meip.level, seip.level]).toEqual([false, true]);
    expect(plic.read(0x20_1004, 4)).toBe(10n);
    expect(seip.level).toBe(false);
    expect(uart.read(0, 1)).toBe(0x6bn);
    plic.write(0x20_1004, 4, 10n);
    expect(seip.level).toBe(false);
    uart.pushInput('l');
    expect(seip.level).toBe(true);
  });

  it('restores a wired pair to the same state whichever device is restored first', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('uart' as const), reg: fc.integer({ min: 0, max: 7 }), value: fc.integer({ min: 0, max: 0x0f }), write: fc.boolean() }),
      fc.record({ kind: fc.constant('input' as const), text: fc.string({ maxLength: 3 }) }),
      fc.record({ kind: fc.constant('claim' as const) }),
      fc.record({ kind: fc.constant('complete' as const) }),
    );
    type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;
    const apply = (w: ReturnType<typeof wired>, s: Step): void => {
      if (s.kind === 'uart') {
        if (s.write) w.uart.write(s.reg, 1, BigInt(s.reg === 4 ? s.value & 0x0f : s.value));
        else w.uart.read(s.reg, 1);
      } else if (s.kind === 'input') w.uart.pushInput(s.text);
      else if (s.kind === 'claim') w.plic.read(0x20_1004, 4);
      else w.plic.write(0x20_1004, 4, 10n);
    };
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30, size: 'max' }), fc.array(step, { maxLength: 30, size: 'max' }), (before, after) => {
        const original = wired();
        for (const s of before) apply(original, s);
        const snapshot = structuredClone({ uart: original.uart.save(), plic: original.plic.save() });
        const seipAtSnapshot = original.seip.level;
        for (const s of after) apply(original, s);
        const uartFirst = wired();
        for (const s of after) apply(uartFirst, s);
        uartFirst.uart.restore(snapshot.uart);
        uartFirst.plic.restore(snapshot.plic);
        const plicFirst = wired();
        for (const s of before) apply(plicFirst, s);
        plicFirst.plic.restore(snapshot.plic);
        plicFirst.uart.restore(snapshot.uart);
        for (const w of [uartFirst, plicFirst]) {
          expect({ uart: w.uart.save(), plic: w.plic.save() }).toEqual(snapshot);
          expect(w.seip.level).toBe(seipAtSnapshot);
        }
      }),
    );
  });
});
