/** alloc <hart>: kalloc on that hart returns exactly the model's frame (the head of the free list, LIFO): KMEM-SEQUENTIAL. */
import { alloc } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { allocJudge } from './replies.js';

export class AllocCommand extends KmemCommand<{ kind: 'alloc'; hart: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const next = alloc(m.kmem);
    this.sent = `alloc ${hart}`;
    if (!next.result.ok) r.booted.coverage.add('allocator empty');
    step(m, r, this.sent, allocJudge(m.kmem, hart));
    m.kmem = next.state;
    if (next.result.ok) {
      const { va } = next.result;
      this.sent += ` -> ${hx(va)}`;
      m.held.push(va);
      m.freed = m.freed.filter((f) => f !== va);
      for (const key of [...m.contents.keys()]) if (key >= va && key < va + 0x1000n) m.contents.delete(key);
    }
  }
}
