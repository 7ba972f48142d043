/** free of a held (or else reserved) frame's address plus 1..4095: verdict Misaligned, checked first. */
import { free } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { freeJudge } from './replies.js';

export class FreeMisalignedCommand extends KmemCommand<{ kind: 'free-misaligned'; hart: number; frame: number; offset: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const frames = m.held.length > 0 ? m.held : m.reserved;
    const va = frames[this.data.frame % frames.length]! + BigInt(Math.max(1, this.data.offset % 4096));
    const next = free(m.kmem, va);
    this.sent = `free ${hart} ${hx(va)}`;
    step(m, r, this.sent, freeJudge(m.kmem, hart, va));
    m.kmem = next.state;
  }
}
