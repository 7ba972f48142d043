/**
 * Double frees. Holding a frame: free2 (kfree twice in a row) must answer first=Ok second=DoubleFree
 * and change nothing the second time. Holding none: free of a frame already freed, DoubleFree.
 */
import { free } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { free2Judge, freeJudge } from './replies.js';

export class DoubleFreeCommand extends KmemCommand<{ kind: 'double-free'; hart: number; frame: number }> {
  override check(m: Readonly<KmemTestModel>): boolean {
    return m.held.length > 0 || m.freed.length > 0;
  }
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    if (m.held.length > 0) {
      const index = this.data.frame % m.held.length;
      const va = m.held[index]!;
      const second = free(free(m.kmem, va).state, va);
      this.sent = `free2 ${hart} ${hx(va)}`;
      step(m, r, this.sent, free2Judge(m.kmem, hart, va), 1);
      m.kmem = second.state;
      m.held.splice(index, 1);
      m.freed.push(va);
      return;
    }
    const va = m.freed[this.data.frame % m.freed.length]!;
    const next = free(m.kmem, va);
    this.sent = `free ${hart} ${hx(va)}`;
    step(m, r, this.sent, freeJudge(m.kmem, hart, va));
    m.kmem = next.state;
  }
}
