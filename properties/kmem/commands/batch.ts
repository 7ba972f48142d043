/**
 * batch <harts> aN fN: every listed hart makes N kallocs then N kfrees, all at once. Each hart
 * reports N/N/0 failures/0 held, the summary's nfree is unchanged, the calls (from the hooks) are
 * linearizable per frame (KMEM-CONCURRENT), and the model is re-read from memory afterwards (the
 * order of the free list after a race is not the model's to fix).
 */
import { concurrentHistoryLinearizable } from '../../../model/index.js';
import { expectReply, hartAt, resyncModel, step, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';

export class BatchCommand extends KmemCommand<{ kind: 'batch'; harts: readonly number[]; count: number }> {
  /** Only while every hart's kallocs can succeed (what a batch does when they cannot depends on the race). */
  override check(m: Readonly<KmemTestModel>): boolean {
    return m.kmem.nfree >= this.harts(m).length * this.data.count;
  }
  private harts(m: Readonly<KmemTestModel>): number[] {
    return [...new Set(this.data.harts.map((p) => hartAt(m, p)))];
  }
  run(m: KmemTestModel, r: KmemReal): void {
    const harts = this.harts(m);
    const n = this.data.count;
    this.sent = `batch ${harts.join(',')} a${n} f${n}`;
    const shadow = r.booted.shadow;
    const inUse = shadow.ownedFrames();
    const callsBefore = shadow.calls.length;
    step(
      m,
      r,
      this.sent,
      // a failed kalloc with frames to spare, or a changed count, is no sequential order of the calls
      expectReply('KMEM-CONCURRENT', [...harts.map((h) => `OK batch hart=${h} allocs=${n} frees=${n} failed=0 held=0`), `OK batch hart=${m.consoleHart} harts=${harts.length} nfree=${m.kmem.nfree}`]),
      harts.length + 1,
      // the calls raced: judge them by linearizability, not by replaying their return order
      { verdicts: false, extra: () => [concurrentHistoryLinearizable(m.platform, shadow.calls.slice(callsBefore), inUse)] },
    );
    resyncModel(m, r);
  }
}
