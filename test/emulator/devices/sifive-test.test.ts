import { describe, expect, it } from 'vitest';
import { SifiveTest, type FinisherEvent } from '../../../emulator/devices/sifive-test.js';

function finisher() {
  const events: FinisherEvent[] = [];
  const device = new SifiveTest((e) => events.push(e));
  return { device, events };
}

describe('sifive-test finisher', () => {
  it('reports pass, fail with the code in bits 31:16, and reset', () => {
    const { device, events } = finisher();
    device.write(0, 4, 0x5555n);
    device.write(0, 4, (42n << 16n) | 0x3333n);
    device.write(0, 4, 0x7777n);
    device.write(0, 2, 0x3333n); // a halfword fail carries code 0, so QEMU exits 0
    expect(events).toEqual([
      { kind: 'pass', exitCode: 0 },
      { kind: 'fail', exitCode: 42 },
      { kind: 'reset' },
      { kind: 'fail', exitCode: 0 },
    ]);
    expect(device.lastEvent).toEqual({ kind: 'fail', exitCode: 0 });
  });

  it('takes the code as 16 bits and ignores the code of a pass, as QEMU does', () => {
    const { device, events } = finisher();
    device.write(0, 4, (0xffffn << 16n) | 0x3333n);
    device.write(0, 4, (7n << 16n) | 0x5555n);
    expect(events).toEqual([
      { kind: 'fail', exitCode: 0xffff },
      { kind: 'pass', exitCode: 0 },
    ]);
  });

  it('does nothing for other statuses, other offsets, byte and doubleword writes; reads 0', () => {
    const { device, events } = finisher();
    device.write(0, 4, 0x1234n);
    device.write(4, 4, 0x5555n);
    device.write(0, 1, 0x55n);
    device.write(0, 8, 0x5555n);
    expect(events).toEqual([]);
    expect(device.lastEvent).toBeNull();
    expect(device.read(0, 4)).toBe(0n);
  });

  it('restores the recorded request without reporting it again', () => {
    const a = finisher();
    a.device.write(0, 4, (3n << 16n) | 0x3333n);
    const b = finisher();
    b.device.restore(structuredClone(a.device.save()));
    expect(b.device.lastEvent).toEqual({ kind: 'fail', exitCode: 3 });
    expect(b.events).toEqual([]);
    b.device.restore({ lastEvent: null });
    expect(b.device.lastEvent).toBeNull();
  });
});
