/**
 * SiFive test finisher (`sifive,test0`), the device a guest writes to end the
 * run, as QEMU 7.2 models it (hw/misc/sifive_test.c).
 *
 * | offset | access       | meaning                                              |
 * |--------|--------------|------------------------------------------------------|
 * | 0x0    | write, 2/4 B | bits 15:0 status, bits 31:16 code (see below)        |
 * | any    | read         | 0                                                    |
 *
 * Status 0x5555 (FINISHER_PASS) ends the run with exit code 0; 0x3333
 * (FINISHER_FAIL) ends it with exit code `code` (so a fail with code 0 exits
 * 0, as QEMU's does); 0x7777 (FINISHER_RESET) asks for a system reset. Other
 * statuses, other offsets and 1- or 8-byte accesses do nothing (QEMU logs a
 * guest error, or for the access sizes raises an access fault, which this
 * bus interface cannot express).
 */
import type { AccessSize, MmioDevice, Snapshottable } from './device.js';

export const FINISHER_PASS = 0x5555;
export const FINISHER_FAIL = 0x3333;
export const FINISHER_RESET = 0x7777;

/** What the guest asked for. `exitCode` is the process exit status QEMU would give. */
export type FinisherEvent =
  | { readonly kind: 'pass'; readonly exitCode: 0 }
  | { readonly kind: 'fail'; readonly exitCode: number }
  | { readonly kind: 'reset' };

export interface SifiveTestState {
  /** The last request the guest made, or null if none yet. */
  readonly lastEvent: FinisherEvent | null;
}

export class SifiveTest implements MmioDevice, Snapshottable<SifiveTestState> {
  readonly name = 'sifive-test';
  readonly size = 0x1000;
  #lastEvent: FinisherEvent | null = null;

  /** `onFinish` is called synchronously, from inside the guest's store, once per request. */
  constructor(private readonly onFinish: (event: FinisherEvent) => void) {}

  /** The last request the guest made, or null if none yet. */
  get lastEvent(): FinisherEvent | null {
    return this.#lastEvent;
  }

  read(_offset: number, _size: AccessSize): bigint {
    return 0n;
  }

  write(offset: number, size: AccessSize, value: bigint): void {
    if (offset !== 0 || (size !== 2 && size !== 4)) return;
    const status = Number(value & 0xffffn);
    const code = Number((value >> 16n) & 0xffffn);
    let event: FinisherEvent;
    switch (status) {
      case FINISHER_PASS:
        event = { kind: 'pass', exitCode: 0 };
        break;
      case FINISHER_FAIL:
        event = { kind: 'fail', exitCode: code };
        break;
      case FINISHER_RESET:
        event = { kind: 'reset' };
        break;
      default:
        return;
    }
    this.#lastEvent = event;
    this.onFinish(event);
  }

  save(): SifiveTestState {
    return { lastEvent: this.#lastEvent };
  }

  /** Puts the recorded request back without calling `onFinish` again. */
  restore(state: SifiveTestState): void {
    this.#lastEvent = state.lastEvent;
  }
}
