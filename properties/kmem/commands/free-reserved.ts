/** free of a reserved frame (firmware, image, frame-state table, blob): verdict Reserved, nothing changes. */
import { free } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { freeJudge } from './replies.js';

export class FreeReservedCommand extends KmemCommand<{ kind: 'free-reserved'; hart: number; frame: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const va = m.reserved[this.data.frame % m.reserved.length]!;
    const next = free(m.kmem, va);
    this.sent = `free ${hart} ${hx(va)}`;
    step(m, r, this.sent, freeJudge(m.kmem, hart, va));
    m.kmem = next.state;
  }
}
