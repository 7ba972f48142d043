/**
 * HTIF, the Berkeley host-target interface as Spike implements it: the
 * program writes a command to its `tohost` doubleword (device in bits 63:56,
 * command in 55:48, payload in 47:0). Device 0 command 0 with an odd payload
 * ends the run with exit code payload >> 1; device 1 command 1 prints the
 * payload's low byte and answers in `fromhost`. tohost is cleared after each
 * command. Detected on the physical address, so virtual aliases work.
 */
import type { Bus } from './memory/bus.js';

export interface HtifHandlers {
  onExit(code: number): void;
  onConsole(text: string): void;
  /**
   * A command this HTIF does not implement (Spike's syscall proxy, console
   * input): the run cannot go on faithfully. Without a handler, the store
   * that sent it throws HtifError out of Hart.run.
   */
  onUnsupported?(message: string): void;
}

/** A program used an HTIF command hvspec does not implement. */
export class HtifError extends Error {
  override readonly name = 'HtifError';
}

/** Watches tohost at physical `tohost`; returns a function that stops watching. */
export function attachHtif(bus: Bus, tohost: number, fromhost: number | undefined, handlers: HtifHandlers): () => void {
  const value = bus.value;
  return bus.watchWrites(tohost, tohost + 8, (pa) => {
    // A command is complete once its low word is written (sd, or sw of the low half).
    if (pa >= tohost + 4) return;
    bus.read(tohost, 8);
    const lo = value[0]! >>> 0;
    const hi = value[1]! >>> 0;
    if (lo === 0 && hi === 0) return;
    const device = hi >>> 24;
    const command = (hi >>> 16) & 0xff;
    bus.write(tohost, 8, 0, 0, -1);
    if (device === 0 && command === 0 && (lo & 1) === 1) {
      const payloadHigh = hi & 0xffff;
      handlers.onExit(Number(((BigInt(payloadHigh) << 32n) | BigInt(lo)) >> 1n));
    } else if (device === 1 && command === 1) {
      handlers.onConsole(String.fromCharCode(lo & 0xff));
      if (fromhost !== undefined) bus.write(fromhost, 8, 0, ((device << 24) | (command << 16)) | 0, -1);
    } else {
      const raw = ((BigInt(hi) << 32n) | BigInt(lo)).toString(16).padStart(16, '0');
      const what = device === 0 && command === 0 ? 'the syscall proxy (device 0, command 0, even payload)' : `device ${device} command ${command}`;
      const message = `HTIF ${what} is not supported (tohost = 0x${raw})`;
      if (handlers.onUnsupported === undefined) throw new HtifError(message);
      handlers.onUnsupported(message);
    }
  });
}
