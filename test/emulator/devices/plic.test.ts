import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Plic,
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_STRIDE,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_PENDING_BASE,
} from '../../../emulator/devices/plic.js';
import { VIRT_PLIC_NUM_SOURCES } from '../../../emulator/board/virt-map.js';
import { recordedLine, type RecordedLine } from './lines.js';

function plic(harts: number, sources = VIRT_PLIC_NUM_SOURCES) {
  const outputs: RecordedLine[] = Array.from({ length: 2 * harts }, () => recordedLine());
  const device = new Plic(
    outputs.map((o) => o.line),
    sources,
  );
  const priority = (irq: number, p: number): void => device.write(4 * irq, 4, BigInt(p));
  const enable = (context: number, irq: number, on = true): void => {
    const offset = PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * context + 4 * (irq >> 5);
    const word = device.read(offset, 4);
    const bit = 1n << BigInt(irq & 31);
    device.write(offset, 4, on ? word | bit : word & ~bit);
  };
  const threshold = (context: number, t: number): void =>
    device.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * context, 4, BigInt(t));
  const claim = (context: number): number => Number(device.read(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * context + 4, 4));
  const complete = (context: number, irq: number): void =>
    device.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * context + 4, 4, BigInt(irq));
  return { device, outputs, priority, enable, threshold, claim, complete };
}

describe('plic', () => {
  it('routes an enabled source of priority above the threshold to the enabling context only', () => {
    const p = plic(2);
    p.priority(10, 1);
    p.enable(3, 10); // hart 1, S-mode
    p.device.setSource(10, true);
    expect(p.outputs.map((o) => o.level)).toEqual([false, false, false, true]);
    expect(p.device.read(PLIC_PENDING_BASE, 4)).toBe(1n << 10n);
    p.threshold(3, 1);
    expect(p.outputs[3]!.level).toBe(false);
    p.threshold(3, 0);
    expect(p.outputs[3]!.level).toBe(true);
  });

  it('never interrupts for priority 0', () => {
    const p = plic(1);
    p.enable(0, 5);
    p.device.setSource(5, true);
    expect(p.outputs[0]!.level).toBe(false);
    expect(p.claim(0)).toBe(0);
    p.priority(5, 1);
    expect(p.outputs[0]!.level).toBe(true);
  });

  it('claims the highest priority first and the lowest ID among equals', () => {
    const p = plic(1);
    for (const [irq, prio] of [[3, 2], [7, 5], [9, 5], [40, 7], [41, 1]] as const) {
      p.priority(irq, prio);
      p.enable(0, irq);
      p.device.setSource(irq, true);
    }
    const order: number[] = [];
    for (let i = 0; i < 6; i++) order.push(p.claim(0));
    expect(order).toEqual([40, 7, 9, 3, 41, 0]);
    expect(p.outputs[0]!.level).toBe(false);
  });

  it('keeps a claimed source from interrupting until completion, then re-samples its level', () => {
    const p = plic(1);
    p.priority(10, 1);
    p.enable(0, 10);
    p.device.setSource(10, true);
    expect(p.claim(0)).toBe(10);
    expect(p.outputs[0]!.level).toBe(false);
    expect(p.device.isPending(10)).toBe(false);
    expect(p.claim(0)).toBe(0);
    p.complete(0, 10); // still asserted: interrupts again
    expect(p.outputs[0]!.level).toBe(true);
    expect(p.claim(0)).toBe(10);
    p.device.setSource(10, false);
    p.complete(0, 10);
    expect(p.outputs[0]!.level).toBe(false);
    expect(p.device.isPending(10)).toBe(false);
    expect(p.claim(0)).toBe(0);
  });

  it('keeps a request pending after its source drops, until it is claimed (as QEMU 7.2)', () => {
    const p = plic(1);
    p.priority(1, 1);
    p.enable(0, 1);
    p.device.setSource(1, true);
    p.device.setSource(1, false);
    expect(p.outputs[0]!.drives).toEqual([false, true]);
    expect(p.claim(0)).toBe(1);
    p.complete(0, 1);
    expect(p.claim(0)).toBe(0);
  });

  it('makes a source that rises again while claimed pending once more after completion', () => {
    const p = plic(1);
    p.priority(1, 1);
    p.enable(0, 1);
    p.device.setSource(1, true);
    expect(p.claim(0)).toBe(1);
    p.device.setSource(1, false);
    p.device.setSource(1, true);
    p.device.setSource(1, false);
    expect(p.outputs[0]!.level).toBe(false);
    p.complete(0, 1);
    expect(p.claim(0)).toBe(1);
  });

  it('treats repeated drives at the same level as one', () => {
    const p = plic(1);
    p.priority(1, 1);
    p.enable(0, 1);
    p.device.setSource(1, true);
    expect(p.claim(0)).toBe(1);
    p.device.setSource(1, true); // no new edge: not pending again before completion
    expect(p.device.isPending(1)).toBe(false);
  });

  it('lets two contexts see one source; the first claim takes it from both', () => {
    const p = plic(2);
    p.priority(2, 3);
    p.enable(0, 2);
    p.enable(2, 2);
    p.device.setSource(2, true);
    expect([p.outputs[0]!.level, p.outputs[2]!.level]).toEqual([true, true]);
    expect(p.claim(2)).toBe(2);
    expect([p.outputs[0]!.level, p.outputs[2]!.level]).toEqual([false, false]);
    expect(p.claim(0)).toBe(0);
  });

  it('keeps priorities and thresholds to 3 bits, as QEMU does (value mod 8)', () => {
    const p = plic(1);
    p.priority(4, 9);
    expect(p.device.read(16, 4)).toBe(1n);
    p.threshold(0, 15);
    expect(p.device.read(PLIC_CONTEXT_BASE, 4)).toBe(7n);
  });

  it('ignores pending writes, non-word accesses, and contexts or sources beyond the configured ones', () => {
    const p = plic(1);
    p.device.write(PLIC_PENDING_BASE, 4, 0xffff_ffffn);
    expect(p.device.read(PLIC_PENDING_BASE, 4)).toBe(0n);
    p.device.write(4, 1, 5n);
    p.device.write(6, 4, 5n);
    expect(p.device.read(4, 4)).toBe(0n);
    p.device.write(4 * VIRT_PLIC_NUM_SOURCES, 4, 5n);
    expect(p.device.read(4 * VIRT_PLIC_NUM_SOURCES, 4)).toBe(0n);
    p.device.write(PLIC_ENABLE_BASE + 2 * PLIC_ENABLE_STRIDE, 4, 1n);
    expect(p.device.read(PLIC_ENABLE_BASE + 2 * PLIC_ENABLE_STRIDE, 4)).toBe(0n);
    p.device.write(PLIC_CONTEXT_BASE + 2 * PLIC_CONTEXT_STRIDE, 4, 3n);
    expect(p.device.read(PLIC_CONTEXT_BASE + 2 * PLIC_CONTEXT_STRIDE, 4)).toBe(0n);
    expect(p.device.read(PLIC_ENABLE_BASE + 4 * 3, 4)).toBe(0n); // word 3 of 3
    expect(() => p.device.setSource(0, true)).toThrow(/source 0/);
    expect(() => p.device.setSource(96, true)).toThrow(/source 96/);
  });

  it('uses enable words 1 and 2 for sources 32..95', () => {
    const p = plic(1);
    p.priority(95, 2);
    p.enable(0, 95);
    expect(p.device.read(PLIC_ENABLE_BASE + 8, 4)).toBe(1n << 31n);
    p.device.setSource(95, true);
    expect(p.device.read(PLIC_PENDING_BASE + 8, 4)).toBe(1n << 31n);
    expect(p.claim(0)).toBe(95);
  });
});

/**
 * A slow, obvious PLIC: the spec's rules over plain arrays, to check the
 * device's bit-twiddling against.
 */
class ReferencePlic {
  priority: number[];
  threshold: number[];
  level: boolean[];
  pending: boolean[];
  claimed: boolean[];
  enabled: boolean[][];
  constructor(
    readonly sources: number,
    contexts: number,
  ) {
    this.priority = Array(sources).fill(0);
    this.threshold = Array(contexts).fill(0);
    this.level = Array(sources).fill(false);
    this.pending = Array(sources).fill(false);
    this.claimed = Array(sources).fill(false);
    this.enabled = Array.from({ length: contexts }, () => Array(sources).fill(false));
  }
  set(irq: number, level: boolean): void {
    if (level && !this.level[irq]) this.pending[irq] = true;
    this.level[irq] = level;
  }
  best(context: number): number {
    const candidates = [...Array(this.sources).keys()].filter(
      (s) => s > 0 && this.pending[s] && !this.claimed[s] && this.enabled[context]![s] && this.priority[s]! > this.threshold[context]!,
    );
    candidates.sort((a, b) => this.priority[b]! - this.priority[a]! || a - b);
    return candidates[0] ?? 0;
  }
  claim(context: number): number {
    const s = this.best(context);
    if (s !== 0) {
      this.pending[s] = false;
      this.claimed[s] = true;
    }
    return s;
  }
  complete(irq: number): void {
    if (irq >= this.sources) return;
    this.claimed[irq] = false;
    if (this.level[irq]) this.pending[irq] = true;
  }
}

describe('plic against a reference model', () => {
  const SOURCES = 40;
  const CONTEXTS = 4;
  // A few sources, some straddling enable words, and few priorities, so ties and contention are common.
  // Dense on purpose: a few hot sources (straddling an enable word), few priorities and mostly two contexts,
  // so that ties, thresholds and contention between contexts actually happen.
  const source = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 2, 33) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: SOURCES - 1 }) });
  const context = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: CONTEXTS - 1 }) });
  const mostly = (value: boolean) => fc.oneof({ weight: 3, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.constant(!value) });
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('level' as const), irq: source, on: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('priority' as const), irq: source, value: fc.oneof(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 7 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('enable' as const), context, irq: source, on: mostly(true) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('threshold' as const), context, value: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim' as const), context }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), context, irq: fc.oneof(source, fc.integer({ min: 0, max: SOURCES + 2 })) }) },
  );

  it('claims, pending bits and outputs agree with the model; save/restore mid-way changes nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80, size: 'max' }), fc.nat(80), (ops, cut) => {
        let p = plic(CONTEXTS / 2, SOURCES);
        const model = new ReferencePlic(SOURCES, CONTEXTS);
        ops.forEach((o, i) => {
          if (i === cut) {
            const saved = structuredClone(p.device.save());
            p = plic(CONTEXTS / 2, SOURCES);
            p.device.restore(saved);
          }
          switch (o.kind) {
            case 'level':
              p.device.setSource(o.irq, o.on);
              model.set(o.irq, o.on);
              break;
            case 'priority':
              p.priority(o.irq, o.value);
              model.priority[o.irq] = o.value;
              break;
            case 'enable':
              p.enable(o.context, o.irq, o.on);
              model.enabled[o.context]![o.irq] = o.on;
              break;
            case 'threshold':
              p.threshold(o.context, o.value);
              model.threshold[o.context] = o.value;
              break;
            case 'claim':
              expect(p.claim(o.context)).toBe(model.claim(o.context));
              break;
            case 'complete':
              p.complete(o.context, o.irq);
              model.complete(o.irq);
              break;
          }
          for (let c = 0; c < CONTEXTS; c++) expect(p.outputs[c]!.level, `context ${c}`).toBe(model.best(c) !== 0);
          for (let s = 1; s < SOURCES; s++) expect(p.device.isPending(s), `source ${s}`).toBe(model.pending[s]);
        });
      }),
    );
  });

  it('rejects a saved state of another shape, naming the field', () => {
    const saved = plic(1).device.save();
    expect(() => plic(2).device.restore(saved)).toThrow(/threshold has 2 entries, expected 4/);
  });
});
