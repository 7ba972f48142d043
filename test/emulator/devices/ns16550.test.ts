import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FCR_FIFO_ENABLE,
  FCR_RX_RESET,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IIR_CHARACTER_TIMEOUT,
  IIR_MODEM_STATUS,
  IIR_NO_INTERRUPT,
  IIR_RECEIVED_DATA,
  IIR_RECEIVER_LINE_STATUS,
  IIR_THR_EMPTY,
  LCR_DLAB,
  LSR_DR,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DCTS,
  MSR_DDSR,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  Ns16550,
  UART_IER_DLM,
  UART_IIR_FCR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR_THR_DLL,
  UART_SCR,
} from '../../../emulator/devices/ns16550.js';
import { recordedLine } from './lines.js';

function uart() {
  const irq = recordedLine();
  const output: number[] = [];
  const device = new Ns16550({ irq: irq.line, output: (b) => output.push(b) });
  const rd = (reg: number): number => Number(device.read(reg, 1));
  const wr = (reg: number, value: number): void => device.write(reg, 1, BigInt(value));
  return { device, irq, output, rd, wr };
}

describe('ns16550 registers', () => {
  it('has QEMU reset values', () => {
    const { rd, wr, irq } = uart();
    expect(irq.drives).toEqual([false]);
    expect(rd(UART_IER_DLM)).toBe(0);
    expect(rd(UART_IIR_FCR)).toBe(IIR_NO_INTERRUPT);
    expect(rd(UART_LCR)).toBe(0);
    expect(rd(UART_MCR)).toBe(MCR_OUT2);
    expect(rd(UART_LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(rd(UART_MSR)).toBe(MSR_DCD | MSR_DSR | MSR_CTS);
    expect(rd(UART_SCR)).toBe(0);
    wr(UART_LCR, LCR_DLAB);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x0c);
    expect(rd(UART_IER_DLM)).toBe(0);
  });

  it('transmits THR writes to the output callback synchronously, in order', () => {
    const { wr, output, rd } = uart();
    for (const c of 'hi\n') wr(UART_RBR_THR_DLL, c.charCodeAt(0));
    expect(String.fromCharCode(...output)).toBe('hi\n');
    expect(rd(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
  });

  it('keeps only the low byte of wider writes; offsets past the 8 registers read 0 and ignore writes', () => {
    const { device, output } = uart();
    device.write(0, 4, 0x1234_5641n);
    device.write(8, 1, 0x42n);
    device.write(7, 8, 0x199n);
    device.write(0x17, 1, 0x55n);
    expect(output).toEqual([0x41]);
    expect(device.read(7, 1)).toBe(0x99n);
    expect(device.read(0xf, 1)).toBe(0n);
    expect(device.read(5, 8)).toBe(0x60n);
  });

  it('switches offsets 0 and 1 to the divisor latch while LCR.DLAB is set', () => {
    const { rd, wr, output } = uart();
    wr(UART_IER_DLM, IER_ERBFI);
    wr(UART_LCR, LCR_DLAB | 0x03);
    wr(UART_RBR_THR_DLL, 0x01);
    wr(UART_IER_DLM, 0x02);
    expect(output).toEqual([]);
    expect([rd(UART_RBR_THR_DLL), rd(UART_IER_DLM)]).toEqual([0x01, 0x02]);
    wr(UART_LCR, 0x03);
    expect(rd(UART_IER_DLM)).toBe(IER_ERBFI);
    expect(rd(UART_LCR)).toBe(0x03);
    wr(UART_LCR, LCR_DLAB);
    expect([rd(UART_RBR_THR_DLL), rd(UART_IER_DLM)]).toEqual([0x01, 0x02]);
  });

  it('ignores writes to LSR and MSR', () => {
    const { rd, wr } = uart();
    wr(UART_LSR, 0xff);
    wr(UART_MSR, 0x00);
    expect(rd(UART_LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(rd(UART_MSR)).toBe(MSR_DCD | MSR_DSR | MSR_CTS);
  });
});

describe('ns16550 receive path', () => {
  it('delivers host input through RBR with LSR.DR, one byte at a time without FIFOs', () => {
    const { device, rd } = uart();
    device.pushInput('ab');
    expect(device.pendingInput).toBe(2);
    expect(rd(UART_LSR) & LSR_DR).toBe(LSR_DR);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x61);
    expect(rd(UART_LSR) & LSR_DR).toBe(LSR_DR);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x62);
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    expect(device.pendingInput).toBe(0);
  });

  it('encodes string input as UTF-8 and takes raw bytes as given', () => {
    const { device, rd } = uart();
    device.pushInput('é');
    device.pushInput(new Uint8Array([0x00, 0xff]));
    const got = [rd(0), rd(0), rd(0), rd(0)];
    expect(got).toEqual([0xc3, 0xa9, 0x00, 0xff]);
  });

  it('clears the receive FIFO on FCR RX reset and refills it from held-back host input', () => {
    const { device, rd, wr } = uart();
    wr(UART_IIR_FCR, FCR_FIFO_ENABLE);
    device.pushInput(new Uint8Array(20).map((_, i) => i));
    wr(UART_IIR_FCR, FCR_FIFO_ENABLE | FCR_RX_RESET); // drops the 16 bytes in the FIFO
    expect(rd(0)).toBe(16);
    expect(device.pendingInput).toBe(3);
  });
});

describe('ns16550 interrupts (datasheet Table IV)', () => {
  it('raises received-data-available only while ERBFI is set and data is ready', () => {
    const { device, irq, rd, wr } = uart();
    device.pushInput('x');
    expect(irq.level).toBe(false);
    wr(UART_IER_DLM, IER_ERBFI);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR_FCR)).toBe(IIR_RECEIVED_DATA);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x78);
    expect(irq.level).toBe(false);
    expect(rd(UART_IIR_FCR)).toBe(IIR_NO_INTERRUPT);
    device.pushInput('y');
    expect(irq.level).toBe(true);
    wr(UART_IER_DLM, 0);
    expect(irq.level).toBe(false);
  });

  it('in FIFO mode, reports data at the trigger level as 0x04 and below it as a character timeout', () => {
    const { device, rd, wr } = uart();
    wr(UART_IIR_FCR, FCR_FIFO_ENABLE | 0x40); // trigger level 4
    wr(UART_IER_DLM, IER_ERBFI);
    device.pushInput('abc');
    expect(rd(UART_IIR_FCR)).toBe(0xc0 | IIR_CHARACTER_TIMEOUT);
    device.pushInput('d');
    expect(rd(UART_IIR_FCR)).toBe(0xc0 | IIR_RECEIVED_DATA);
    rd(UART_RBR_THR_DLL);
    expect(rd(UART_IIR_FCR)).toBe(0xc0 | IIR_CHARACTER_TIMEOUT);
  });

  it('raises THR-empty when ETBEI is enabled, clears it on an IIR read that reports it, and re-arms after a THR write', () => {
    const { irq, rd, wr, output } = uart();
    wr(UART_IER_DLM, IER_ETBEI);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR_FCR)).toBe(IIR_THR_EMPTY);
    expect(irq.level).toBe(false);
    expect(rd(UART_IIR_FCR)).toBe(IIR_NO_INTERRUPT);
    wr(UART_RBR_THR_DLL, 0x21);
    expect(output).toEqual([0x21]);
    expect(irq.level).toBe(true);
    wr(UART_IER_DLM, 0);
    expect(irq.level).toBe(false);
  });

  it('ranks received data above THR empty, and an IIR read showing data does not clear THR empty', () => {
    const { device, rd, wr } = uart();
    wr(UART_IER_DLM, IER_ERBFI | IER_ETBEI);
    device.pushInput('z');
    expect(rd(UART_IIR_FCR)).toBe(IIR_RECEIVED_DATA);
    rd(UART_RBR_THR_DLL);
    expect(rd(UART_IIR_FCR)).toBe(IIR_THR_EMPTY);
    expect(rd(UART_IIR_FCR)).toBe(IIR_NO_INTERRUPT);
  });

  it('in loopback, echoes THR into RBR, mirrors MCR into MSR with deltas, and interrupts on modem status', () => {
    const { device, rd, wr, output, irq } = uart();
    wr(UART_MCR, MCR_LOOP);
    device.pushInput('H'); // host input waits while the serial input is disconnected
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    expect(rd(UART_MSR)).toBe(MSR_DCTS | MSR_DDSR | 0x08 /* DDCD */);
    expect(rd(UART_MSR)).toBe(0);
    wr(UART_IER_DLM, IER_EDSSI);
    wr(UART_MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT1 | MCR_OUT2);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR_FCR)).toBe(IIR_MODEM_STATUS);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD | MSR_DCTS | MSR_DDSR | 0x08);
    expect(irq.level).toBe(false);
    wr(UART_MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2); // RI falls: trailing-edge indicator
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD | MSR_TERI);
    wr(UART_RBR_THR_DLL, 0x55);
    expect(output).toEqual([]);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x55);
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    wr(UART_MCR, 0);
    expect(rd(UART_RBR_THR_DLL)).toBe(0x48);
  });

  it('reports overrun in loopback as a receiver line status interrupt, cleared by reading LSR', () => {
    const { rd, wr, irq } = uart();
    wr(UART_MCR, MCR_LOOP);
    wr(UART_IER_DLM, IER_ELSI);
    wr(UART_RBR_THR_DLL, 1);
    expect(irq.level).toBe(false);
    wr(UART_RBR_THR_DLL, 2); // the 1-byte holding register is full
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR_FCR)).toBe(IIR_RECEIVER_LINE_STATUS);
    expect(rd(UART_LSR) & LSR_OE).toBe(LSR_OE);
    expect(irq.level).toBe(false);
    expect(rd(UART_LSR) & LSR_OE).toBe(0);
    expect(rd(UART_RBR_THR_DLL)).toBe(1);
  });

  it('drives the line only when its level changes', () => {
    const { device, irq, wr, rd } = uart();
    wr(UART_IER_DLM, IER_ERBFI);
    device.pushInput('a');
    device.pushInput('b');
    rd(UART_LSR);
    expect(irq.drives).toEqual([false, true]);
  });
});

describe('ns16550 save/restore', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('read' as const), reg: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('write' as const), reg: fc.integer({ min: 0, max: 7 }), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('input' as const), bytes: fc.uint8Array({ maxLength: 20 }) }),
  );
  type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
  const apply = (d: Ns16550, o: Op): number | null => {
    if (o.kind === 'read') return Number(d.read(o.reg, 1));
    if (o.kind === 'write') d.write(o.reg, 1, BigInt(o.value));
    else d.pushInput(o.bytes);
    return null;
  };

  it('a restored copy behaves exactly like the original (reads, output, interrupt level)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40, size: 'max' }), fc.array(op, { maxLength: 40, size: 'max' }), (prefix, suffix) => {
        const a = uart();
        for (const o of prefix) apply(a.device, o);
        const saved = structuredClone(a.device.save());
        const b = uart();
        b.device.restore(saved);
        expect(b.irq.level).toBe(a.irq.level);
        expect(b.device.save()).toEqual(a.device.save());
        a.output.length = 0;
        for (const o of suffix) {
          expect(apply(b.device, o)).toBe(apply(a.device, o));
          expect(b.irq.level).toBe(a.irq.level);
        }
        expect(b.output).toEqual(a.output);
      }),
    );
  });

  it('restoring an earlier state undoes later reads of host input', () => {
    const { device, rd } = uart();
    device.pushInput('abc');
    const saved = device.save();
    expect([rd(0), rd(0)]).toEqual([0x61, 0x62]);
    device.restore(saved);
    expect([rd(0), rd(0), rd(0)]).toEqual([0x61, 0x62, 0x63]);
  });
});
