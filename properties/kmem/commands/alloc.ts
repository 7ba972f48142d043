/** alloc <hart>: kalloc on that hart returns exactly the model's frame (the highest free one, LIFO). */
import { alloc } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';

export class AllocCommand extends KmemCommand<{ kind: 'alloc'; hart: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const next = alloc(m.kmem);
    this.sent = `alloc ${hart}`;
    const expected = next.result.ok
      ? [`OK alloc hart=${hart} va=${hx(next.result.va)} pa=${hx(next.result.pa)} nfree=${next.state.nfree}`]
      : [`KMEM hart=${hart} kalloc out-of-memory`, `ERR alloc hart=${hart} reason=out-of-memory nfree=0`];
    if (!next.result.ok) r.booted.coverage.add('allocator empty');
    step(m, r, this.sent, expected);
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
