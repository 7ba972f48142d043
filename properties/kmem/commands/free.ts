/** free <hart> <va> of a frame the program holds: verdict Ok, the frame goes back on the list head. */
import { free } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { freeJudge } from './replies.js';

export class FreeCommand extends KmemCommand<{ kind: 'free'; hart: number; frame: number }> {
  override check(m: Readonly<KmemTestModel>): boolean {
    return m.held.length > 0;
  }
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const index = this.data.frame % m.held.length;
    const va = m.held[index]!;
    const next = free(m.kmem, va);
    this.sent = `free ${hart} ${hx(va)}`;
    step(m, r, this.sent, freeJudge(m.kmem, hart, va));
    m.kmem = next.state;
    m.held.splice(index, 1);
    m.freed.push(va);
  }
}
