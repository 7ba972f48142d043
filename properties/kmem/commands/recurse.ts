/**
 * recurse <hart> <depth>. Shallow (<= 8 levels): OK. Deep (>= 100): the overflow's first fault is a
 * load/store page fault in the guard page with no store outside the stack before it (STACK-GUARD),
 * it is reported as a stack overflow with the cpu info intact, and the hart keeps serving (a read
 * probe on it answers). In between, either answer is right (the exact depth that fits is the
 * hypervisor's business).
 */
import { kernelVa } from '../../../model/index.js';
import { observeOverflow } from '../../checks/stack.js';
import { expectReply, hartAt, hx, step, StepFailure, type KmemReal, type KmemTestModel } from '../model.js';
import { symbolVa } from '../../observe/memory.js';
import { KmemCommand } from './base.js';

const SHALLOW = 8;
const DEEP = 100;

export class RecurseCommand extends KmemCommand<{ kind: 'recurse'; hart: number; depth: number }> {
  run(m: KmemTestModel, r: KmemReal): void {
    const hart = hartAt(m, this.data.hart);
    const { depth } = this.data;
    this.sent = `recurse ${hart} ${depth}`;
    const ok = new RegExp(`^OK recurse hart=${hart} depth=${depth} frame=\\d+$`);
    const fault = new RegExp(`^FAULT hart=${hart} cause=1[35] stval=0x[0-9a-f]+ pc=0x[0-9a-f]+ kind=stack-overflow cmd=recurse$`);
    const recurse = symbolVa(r.booted.image.elf, 'recurse');
    let reply: string[] = [];
    const run = (): void => {
      reply = step(m, r, this.sent!, expectReply('STACK-GUARD', (lines) => {
        const [line] = lines;
        if (lines.length !== 1 || line === undefined) return 'expected one reply line';
        if (depth <= SHALLOW) return ok.test(line) ? undefined : `expected OK recurse (${depth} levels fit any stack)`;
        if (depth >= DEEP) return fault.test(line) ? undefined : `expected a FAULT ... kind=stack-overflow cmd=recurse line without cpu-info=corrupt`;
        return ok.test(line) || fault.test(line) ? undefined : 'expected OK recurse or a stack-overflow FAULT';
      }));
    };
    // the reply is judged after the stores: a wrong reply is usually the symptom, STACK-GUARD the cause
    let replyFailure: StepFailure | undefined;
    const seen = observeOverflow(r.booted, hart, [recurse], () => {
      try {
        run();
      } catch (e) {
        if (!(e instanceof StepFailure)) throw e;
        replyFailure = e;
      }
    });
    if (seen.verdict) throw new StepFailure(seen.verdict, hart, replyFailure ? [replyFailure.violation, ...replyFailure.also] : []);
    if (replyFailure) throw replyFailure;
    if (reply[0]?.startsWith('FAULT')) {
      // the hart must keep serving after an overflow
      const text = kernelVa(m.platform.image.text.start, m.platform.ramBase);
      step(m, r, `read ${hart} ${hx(text)}`, expectReply('STACK-GUARD', (lines) => (lines.length === 1 && lines[0]!.startsWith(`OK read hart=${hart} `) ? undefined : `hart ${hart} must keep serving after its stack overflow`)));
      this.sent += ` (then read ${hart} ${hx(text)})`;
    }
  }
}
