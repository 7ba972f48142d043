/**
 * drain: alloc on one hart until the allocator is empty, every reply the model's (KMEM-SEQUENTIAL), then one more
 * alloc that must report out of memory. Only where at most DRAIN_LIMIT frames are free (a 16 MiB
 * platform), so it stays quick; KMEM-INTEGRITY is checked at the end rather than after each alloc.
 */
import { alloc } from '../../../model/index.js';
import { checkAfterStep, hartAt, replyMessage, StepFailure, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';
import { allocJudge } from './replies.js';

export const DRAIN_LIMIT = 4096;

export class DrainCommand extends KmemCommand<{ kind: 'drain'; hart: number }> {
  override check(m: Readonly<KmemTestModel>): boolean {
    return m.kmem.nfree <= DRAIN_LIMIT;
  }
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const line = `alloc ${hart}`;
    const count = m.kmem.nfree + 1;
    this.sent = `${count} × ${line} (drain)`;
    for (let i = 0; i < count; i++) {
      const next = alloc(m.kmem);
      const reply = r.booted.command(line, 1);
      const wrong = allocJudge(m.kmem, hart)(reply);
      if (wrong !== undefined) {
        r.transcript.push(`> ${line} (alloc #${i + 1} of the drain)`, ...reply.map((l) => `< ${l}`));
        checkAfterStep(m, r);
        throw new StepFailure({ rule: wrong.rule, message: replyMessage(line, reply, wrong.message, ` (alloc #${i + 1} of a drain)`) });
      }
      m.kmem = next.state;
      if (next.result.ok) m.held.push(next.result.va);
      else r.booted.coverage.add('allocator empty');
    }
    r.transcript.push(`> ${this.sent}`, `< ${count - 1} × OK alloc, then out-of-memory`);
    checkAfterStep(m, r);
  }
}
