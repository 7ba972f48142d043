/** The console's reply lines as the model predicts them (hypervisor/README.md, "Debug console protocol"). */
import type { FreeVerdict } from '../../../model/index.js';
import { hx } from '../model.js';

/** `free`: OK on Ok; otherwise a KMEM line, then ERR. */
export function freeReply(cmd: 'free', hart: number, va: bigint, verdict: FreeVerdict, nfree: number): string[] {
  return verdict === 'Ok'
    ? [`OK ${cmd} hart=${hart} va=${hx(va)} verdict=Ok nfree=${nfree}`]
    : [`KMEM hart=${hart} kfree va=${hx(va)} verdict=${verdict}`, `ERR ${cmd} hart=${hart} va=${hx(va)} verdict=${verdict} nfree=${nfree}`];
}

/** `free2`: a KMEM line per failed kfree, then OK only if both were Ok. */
export function free2Reply(hart: number, va: bigint, first: FreeVerdict, second: FreeVerdict, nfree: number): string[] {
  const kmem = [first, second].filter((v) => v !== 'Ok').map((v) => `KMEM hart=${hart} kfree va=${hx(va)} verdict=${v}`);
  const ok = first === 'Ok' && second === 'Ok';
  return [...kmem, `${ok ? 'OK' : 'ERR'} free2 hart=${hart} va=${hx(va)} first=${first} second=${second} nfree=${nfree}`];
}
