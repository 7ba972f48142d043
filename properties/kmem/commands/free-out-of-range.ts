/**
 * free outside the linear map of RAM (above its end, or a low address): OutOfRange, unless the
 * address is also misaligned, which kfree must judge first (Misaligned).
 */
import { free, VAS_RAM } from '../../../model/index.js';
import { hartAt, hx, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { freeJudge } from './replies.js';

export class FreeOutOfRangeCommand extends KmemCommand<{ kind: 'free-out-of-range'; hart: number; pages: number; offset: number; below: boolean }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const distance = BigInt(this.data.pages) * 0x1000n + BigInt(this.data.offset % 4096);
    const va = this.data.below ? distance % VAS_RAM : VAS_RAM + m.platform.ramSize + distance;
    const next = free(m.kmem, va);
    this.sent = `free ${hart} ${hx(va)}`;
    step(m, r, this.sent, freeJudge(m.kmem, hart, va));
    m.kmem = next.state;
  }
}
