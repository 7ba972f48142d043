/**
 * 16550A UART (`ns16550a`), the console of QEMU's virt board. Registers and
 * interrupt rules from the TI/National PC16550D datasheet (Table II "Summary
 * of Registers", Table IV "Interrupt Control Functions", §8 "Registers"),
 * reset values from QEMU 7.2 hw/char/serial.c.
 *
 * | off | DLAB=0 read        | DLAB=0 write       | DLAB=1          | reset       |
 * |-----|--------------------|--------------------|-----------------|-------------|
 * | 0   | RBR receive buffer | THR transmit       | DLL divisor lo  | DLL 0x0c    |
 * | 1   | IER int. enable    | IER                | DLM divisor hi  | 0x00, DLM 0 |
 * | 2   | IIR int. ident.    | FCR FIFO control   | as with DLAB=0  | IIR 0x01    |
 * | 3   | LCR line control   | LCR                |                 | 0x00        |
 * | 4   | MCR modem control  | MCR                |                 | 0x08 (OUT2) |
 * | 5   | LSR line status    | (ignored)          |                 | 0x60        |
 * | 6   | MSR modem status   | (ignored)          |                 | 0xb0        |
 * | 7   | SCR scratch        | SCR                |                 | 0x00        |
 *
 * IER bits: 0 ERBFI received data available, 1 ETBEI THR empty, 2 ELSI
 * receiver line status, 3 EDSSI modem status. LSR bits: 0 DR, 1 OE, 5 THRE,
 * 6 TEMT. IIR: bit 0 clear while an interrupt is pending, bits 3:1 its
 * identity, bits 7:6 set while the FIFOs are enabled (FCR bit 0).
 *
 * Interrupts by priority (datasheet Table IV), the line being high while any is pending:
 *   1. 0x06 receiver line status: ELSI and LSR.OE (overrun, only possible in loopback); cleared by reading LSR.
 *   2. 0x04 received data available: ERBFI and DR, and in FIFO mode at least the trigger level (FCR bits 7:6: 1, 4, 8, 14 bytes) queued.
 *      0x0c character timeout: ERBFI, FIFO mode, DR below the trigger level. The datasheet waits 4 character
 *      times; with no clock here it is pending at once (deterministic; drivers read until DR clears either way).
 *   3. 0x02 THR empty: ETBEI and the THRE event, which is set when ETBEI is enabled while THR is empty, when
 *      a written byte leaves, and when the transmit FIFO is reset (FCR bit 2, or a change of FCR bit 0);
 *      cleared by reading IIR while it is the identity shown, or by writing THR.
 *   4. 0x00 modem status: EDSSI and a delta bit in MSR (only loopback changes MSR); cleared by reading MSR.
 *
 * Transmission is instantaneous: a THR write calls `output` synchronously and THR is empty again (LSR.THRE and
 * TEMT always read 1). Reception: `pushInput` queues host bytes; they move into the receiver (16-byte FIFO,
 * or the 1-byte holding register with FIFOs off) whenever it has room, so host input is never lost (QEMU
 * holds back its chardev the same way). In loopback (MCR bit 4) transmitted bytes go to the receiver instead
 * of `output` (overrun when full), host input waits, and MSR shows CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2.
 * Not modelled: line errors (parity, framing, break), baud timing (the divisor is stored only), DMA mode.
 */
import type { AccessSize, InterruptLine, MmioDevice, Snapshottable } from './device.js';

export const UART_RBR_THR_DLL = 0;
export const UART_IER_DLM = 1;
export const UART_IIR_FCR = 2;
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

export const IER_ERBFI = 0x01;
export const IER_ETBEI = 0x02;
export const IER_ELSI = 0x04;
export const IER_EDSSI = 0x08;

export const IIR_NO_INTERRUPT = 0x01;
export const IIR_RECEIVER_LINE_STATUS = 0x06;
export const IIR_RECEIVED_DATA = 0x04;
export const IIR_CHARACTER_TIMEOUT = 0x0c;
export const IIR_THR_EMPTY = 0x02;
export const IIR_MODEM_STATUS = 0x00;
export const IIR_FIFOS_ENABLED = 0xc0;

export const FCR_FIFO_ENABLE = 0x01;
export const FCR_RX_RESET = 0x02;
export const FCR_TX_RESET = 0x04;

export const LCR_DLAB = 0x80;

export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;

export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;

export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
const MSR_DELTAS = MSR_DCTS | MSR_DDSR | MSR_TERI | MSR_DDCD;
/** Modem inputs outside loopback: QEMU's reset value, carrier and peer ready. */
const MSR_IDLE_INPUTS = MSR_DCD | MSR_DSR | MSR_CTS;

/** Registers occupy the first 8 bytes of the 0x100-byte window; QEMU maps nothing behind them. */
const REGISTERS = 8;
const FIFO_DEPTH = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export interface Ns16550State {
  readonly ier: number;
  readonly lcr: number;
  readonly mcr: number;
  readonly fcr: number;
  readonly msr: number;
  readonly scr: number;
  readonly dll: number;
  readonly dlm: number;
  readonly overrun: boolean;
  readonly thrEmptyEvent: boolean;
  /** Bytes in the receiver, oldest first. */
  readonly receiver: readonly number[];
  /** Host bytes not yet taken by the receiver, oldest first. */
  readonly hostInput: readonly number[];
}

export interface Ns16550Options {
  /** The interrupt output (to the PLIC source, UART0 = 10 on virt). */
  readonly irq: InterruptLine;
  /** Called synchronously with each transmitted byte. */
  readonly output: (byte: number) => void;
}

export class Ns16550 implements MmioDevice, Snapshottable<Ns16550State> {
  readonly name = 'ns16550';
  readonly size = 0x100;
  #ier = 0;
  #lcr = 0;
  #mcr = MCR_OUT2;
  #fcr = 0;
  #msr = MSR_IDLE_INPUTS;
  #scr = 0;
  #dll = 0x0c;
  #dlm = 0;
  #overrun = false;
  #thrEmptyEvent = false;
  #receiver: number[] = [];
  #hostInput: number[] = [];
  #hostInputHead = 0;
  #irqLevel = false;
  readonly #irq: InterruptLine;
  readonly #output: (byte: number) => void;

  /** Drives the interrupt line low once. */
  constructor(options: Ns16550Options) {
    this.#irq = options.irq;
    this.#output = options.output;
    this.#irq(false);
  }

  /** Queues host bytes (a string is sent as UTF-8) for the guest to receive. */
  pushInput(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    for (const byte of bytes) this.#hostInput.push(byte);
    this.#fillReceiver();
    this.#updateIrq();
  }

  /** Host bytes queued and not yet read by the guest (including those in the receiver). */
  get pendingInput(): number {
    return this.#hostInput.length - this.#hostInputHead + this.#receiver.length;
  }

  /** Any access size reaches the register at `offset` (QEMU's serial_mm does the same); offsets 8 and up read 0. */
  read(offset: number, _size: AccessSize): bigint {
    return offset < REGISTERS ? BigInt(this.#readRegister(offset)) : 0n;
  }

  /** Only the low byte of `value` is written; offsets 8 and up are ignored. */
  write(offset: number, _size: AccessSize, value: bigint): void {
    if (offset < REGISTERS) this.#writeRegister(offset, Number(value & 0xffn));
  }

  save(): Ns16550State {
    return {
      ier: this.#ier,
      lcr: this.#lcr,
      mcr: this.#mcr,
      fcr: this.#fcr,
      msr: this.#msr,
      scr: this.#scr,
      dll: this.#dll,
      dlm: this.#dlm,
      overrun: this.#overrun,
      thrEmptyEvent: this.#thrEmptyEvent,
      receiver: [...this.#receiver],
      hostInput: this.#hostInput.slice(this.#hostInputHead),
    };
  }

  /** Puts the state back and re-drives the interrupt line to its restored level. */
  restore(state: Ns16550State): void {
    this.#ier = state.ier;
    this.#lcr = state.lcr;
    this.#mcr = state.mcr;
    this.#fcr = state.fcr;
    this.#msr = state.msr;
    this.#scr = state.scr;
    this.#dll = state.dll;
    this.#dlm = state.dlm;
    this.#overrun = state.overrun;
    this.#thrEmptyEvent = state.thrEmptyEvent;
    this.#receiver = [...state.receiver];
    this.#hostInput = [...state.hostInput];
    this.#hostInputHead = 0;
    this.#irqLevel = this.#interruptIdentity() !== IIR_NO_INTERRUPT;
    this.#irq(this.#irqLevel);
  }

  #readRegister(register: number): number {
    const dlab = (this.#lcr & LCR_DLAB) !== 0;
    switch (register) {
      case UART_RBR_THR_DLL:
        return dlab ? this.#dll : this.#readReceiver();
      case UART_IER_DLM:
        return dlab ? this.#dlm : this.#ier;
      case UART_IIR_FCR: {
        const identity = this.#interruptIdentity();
        if (identity === IIR_THR_EMPTY) {
          this.#thrEmptyEvent = false;
          this.#updateIrq();
        }
        return identity | (this.#fifoEnabled() ? IIR_FIFOS_ENABLED : 0);
      }
      case UART_LCR:
        return this.#lcr;
      case UART_MCR:
        return this.#mcr;
      case UART_LSR: {
        const lsr = this.#lsr();
        if (this.#overrun) {
          this.#overrun = false;
          this.#updateIrq();
        }
        return lsr;
      }
      case UART_MSR: {
        const msr = this.#msr;
        if ((msr & MSR_DELTAS) !== 0) {
          this.#msr &= ~MSR_DELTAS;
          this.#updateIrq();
        }
        return msr;
      }
      default:
        return this.#scr;
    }
  }

  #writeRegister(register: number, value: number): void {
    const dlab = (this.#lcr & LCR_DLAB) !== 0;
    switch (register) {
      case UART_RBR_THR_DLL:
        if (dlab) this.#dll = value;
        else this.#transmit(value);
        return;
      case UART_IER_DLM:
        if (dlab) this.#dlm = value;
        else this.#writeIer(value);
        return;
      case UART_IIR_FCR:
        this.#writeFcr(value);
        return;
      case UART_LCR:
        this.#lcr = value;
        return;
      case UART_MCR:
        this.#writeMcr(value);
        return;
      case UART_SCR:
        this.#scr = value;
        return;
      default:
        return; // LSR and MSR are read-only (factory test writes not modelled)
    }
  }

  #transmit(byte: number): void {
    if ((this.#mcr & MCR_LOOP) !== 0) {
      if (this.#receiver.length < this.#receiverCapacity()) this.#receiver.push(byte);
      else this.#overrun = true;
    } else {
      this.#output(byte);
    }
    // THR empties at once: the write cleared the THRE event and the byte leaving sets it again.
    this.#thrEmptyEvent = true;
    this.#updateIrq();
  }

  #writeIer(value: number): void {
    const enabled = value & 0x0f;
    if ((enabled ^ this.#ier) & IER_ETBEI) this.#thrEmptyEvent = (enabled & IER_ETBEI) !== 0;
    this.#ier = enabled;
    this.#updateIrq();
  }

  #writeFcr(value: number): void {
    const toggled = ((value ^ this.#fcr) & FCR_FIFO_ENABLE) !== 0;
    // Changing the FIFO enable clears both FIFOs (datasheet §8.4).
    if (toggled || (value & FCR_RX_RESET) !== 0) this.#receiver = [];
    // An emptied transmitter FIFO is a THR-empty event (as QEMU 7.2 does; our THR is always empty already).
    if (toggled || (value & FCR_TX_RESET) !== 0) this.#thrEmptyEvent = true;
    this.#fcr = value & 0xc9;
    this.#fillReceiver();
    this.#updateIrq();
  }

  #writeMcr(value: number): void {
    this.#mcr = value & 0x1f;
    const inputs =
      (this.#mcr & MCR_LOOP) === 0
        ? MSR_IDLE_INPUTS
        : ((this.#mcr & MCR_RTS) !== 0 ? MSR_CTS : 0) |
          ((this.#mcr & MCR_DTR) !== 0 ? MSR_DSR : 0) |
          ((this.#mcr & MCR_OUT1) !== 0 ? MSR_RI : 0) |
          ((this.#mcr & MCR_OUT2) !== 0 ? MSR_DCD : 0);
    const old = this.#msr;
    let deltas = old & MSR_DELTAS;
    if ((old ^ inputs) & MSR_CTS) deltas |= MSR_DCTS;
    if ((old ^ inputs) & MSR_DSR) deltas |= MSR_DDSR;
    if ((old ^ inputs) & MSR_DCD) deltas |= MSR_DDCD;
    if (old & MSR_RI && !(inputs & MSR_RI)) deltas |= MSR_TERI; // trailing edge of RI only
    this.#msr = inputs | deltas;
    this.#fillReceiver();
    this.#updateIrq();
  }

  #readReceiver(): number {
    const byte = this.#receiver.shift() ?? 0;
    this.#fillReceiver();
    this.#updateIrq();
    return byte;
  }

  #fifoEnabled(): boolean {
    return (this.#fcr & FCR_FIFO_ENABLE) !== 0;
  }

  #receiverCapacity(): number {
    return this.#fifoEnabled() ? FIFO_DEPTH : 1;
  }

  /** Moves queued host bytes into the receiver while it has room; the serial input is disconnected in loopback. */
  #fillReceiver(): void {
    if ((this.#mcr & MCR_LOOP) !== 0) return;
    const capacity = this.#receiverCapacity();
    while (this.#receiver.length < capacity && this.#hostInputHead < this.#hostInput.length) {
      this.#receiver.push(this.#hostInput[this.#hostInputHead++]!);
    }
    if (this.#hostInputHead === this.#hostInput.length) {
      this.#hostInput = [];
      this.#hostInputHead = 0;
    }
  }

  #lsr(): number {
    return LSR_THRE | LSR_TEMT | (this.#overrun ? LSR_OE : 0) | (this.#receiver.length > 0 ? LSR_DR : 0);
  }

  /** The IIR identity of the highest-priority pending interrupt (datasheet Table IV), or IIR_NO_INTERRUPT. */
  #interruptIdentity(): number {
    if (this.#ier & IER_ELSI && this.#overrun) return IIR_RECEIVER_LINE_STATUS;
    if (this.#ier & IER_ERBFI && this.#receiver.length > 0) {
      if (!this.#fifoEnabled()) return IIR_RECEIVED_DATA;
      const trigger = TRIGGER_LEVELS[this.#fcr >> 6]!;
      return this.#receiver.length >= trigger ? IIR_RECEIVED_DATA : IIR_CHARACTER_TIMEOUT;
    }
    if (this.#ier & IER_ETBEI && this.#thrEmptyEvent) return IIR_THR_EMPTY;
    if (this.#ier & IER_EDSSI && this.#msr & MSR_DELTAS) return IIR_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
  }

  #updateIrq(): void {
    const level = this.#interruptIdentity() !== IIR_NO_INTERRUPT;
    if (level !== this.#irqLevel) {
      this.#irqLevel = level;
      this.#irq(level);
    }
  }
}
