/**
 * batch <harts> aN fN: every listed hart makes N kallocs then N kfrees, all at once. Each hart
 * reports N/N/0 failures/0 held, the summary's nfree is unchanged, the calls (from the hooks) are
 * linearizable per frame (KMEM-CONCURRENT), and the model is re-read from memory afterwards (the
 * order of the free list after a race is not the model's to fix).
 */
import { concurrentHistoryLinearizable } from '../../../model/index.js';
import { hartAt, resyncModel, step, StepFailure, type KmemReal, type KmemTestModel } from '../model.js';
import { KmemCommand } from './base.js';

export class BatchCommand extends KmemCommand<{ kind: 'batch'; harts: readonly number[]; count: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const harts = [...new Set(this.data.harts.map((p) => hartAt(m, p)))];
    const n = Math.min(this.data.count, m.kmem.nfree === 0 ? 1 : this.data.count);
    this.sent = `batch ${harts.join(',')} a${n} f${n}`;
    const shadow = r.booted.shadow;
    const inUse = shadow.ownedFrames();
    const callsBefore = shadow.calls.length;
    const enough = m.kmem.nfree >= n * harts.length;
    step(
      m,
      r,
      this.sent,
      enough
        ? [...harts.map((h) => `OK batch hart=${h} allocs=${n} frees=${n} failed=0 held=0`), `OK batch hart=${m.consoleHart} harts=${harts.length} nfree=${m.kmem.nfree}`]
        : (lines) => (lines.length === harts.length + 1 && lines.at(-1) === `OK batch hart=${m.consoleHart} harts=${harts.length} nfree=${m.kmem.nfree}` ? undefined : 'expected a line per hart and an unchanged nfree'),
      harts.length + 1,
    );
    const verdict = concurrentHistoryLinearizable(m.platform, shadow.calls.slice(callsBefore), inUse);
    if (verdict) throw new StepFailure(verdict);
    resyncModel(m, r);
  }
}
