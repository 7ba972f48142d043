/**
 * The console's alloc and free replies (hypervisor/README.md, "Debug console protocol"), read back
 * into the calls they report and judged by KMEM-SEQUENTIAL against the model's allocator. A reply
 * outside the protocol (or a panic, or a timeout) is a call that gave no result, which the rule
 * rejects too, saying what the model would have answered.
 */
import { FREE_VERDICT_ORDER, sequentialCallAgrees, sequentialHistoryAgrees, type FreeVerdict, type KmemState, type SequentialCall } from '../../../model/index.js';
import { hx, noAnswer, type ReplyJudge } from '../model.js';

/** Why a reply carries no result: the panic or timeout line, or that it is not the protocol's. */
function noResult(reply: readonly string[]): string {
  return noAnswer(reply) ?? 'not a reply the console protocol defines';
}

const verdictOf = (text: string): FreeVerdict | undefined => FREE_VERDICT_ORDER.find((v) => v === text);

/** `alloc <hart>`: "OK alloc hart=H va=V pa=P nfree=N", or "KMEM hart=H kalloc out-of-memory" then "ERR alloc hart=H reason=out-of-memory nfree=N". */
export function allocCall(reply: readonly string[], hart: number): SequentialCall {
  const ok = reply.length === 1 ? new RegExp(`^OK alloc hart=${hart} va=(0x[0-9a-f]+) pa=(0x[0-9a-f]+) nfree=(\\d+)$`).exec(reply[0]!) : null;
  if (ok) return { kind: 'alloc', va: BigInt(ok[1]!), pa: BigInt(ok[2]!), nfree: BigInt(ok[3]!) };
  const empty = reply.length === 2 && reply[0] === `KMEM hart=${hart} kalloc out-of-memory` ? new RegExp(`^ERR alloc hart=${hart} reason=out-of-memory nfree=(\\d+)$`).exec(reply[1]!) : null;
  if (empty) return { kind: 'alloc', va: null, nfree: BigInt(empty[1]!) };
  return { kind: 'alloc', noResult: noResult(reply) };
}

/**
 * `free` / `free2`: a "KMEM hart=H kfree va=V verdict=X" line per kfree that failed, in order, then
 * "<OK|ERR> <cmd> hart=H va=V <fields> nfree=N", OK exactly when every kfree was Ok. The calls it
 * reports, the free count on the last; undefined when the reply is not of that form.
 */
function freeCalls(reply: readonly string[], cmd: 'free' | 'free2', hart: number, va: bigint): SequentialCall[] | undefined {
  const fields = cmd === 'free' ? 'verdict=(\\w+)' : 'first=(\\w+) second=(\\w+)';
  const last = new RegExp(`^(OK|ERR) ${cmd} hart=${hart} va=${hx(va)} ${fields} nfree=(\\d+)$`).exec(reply.at(-1) ?? '');
  if (!last) return undefined;
  const texts = last.slice(2, -1);
  const verdicts = texts.map(verdictOf);
  if (verdicts.some((v) => v === undefined)) return undefined;
  const failed = verdicts.filter((v) => v !== 'Ok');
  const kmemLines = failed.map((v) => `KMEM hart=${hart} kfree va=${hx(va)} verdict=${v}`);
  const consistent = (last[1] === 'OK') === (failed.length === 0) && reply.length === kmemLines.length + 1 && kmemLines.every((l, i) => reply[i] === l);
  if (!consistent) return undefined;
  const nfree = BigInt(last.at(-1)!);
  return verdicts.map((verdict, i) => ({ kind: 'free', va, verdict: verdict!, ...(i === verdicts.length - 1 ? { nfree } : {}) }));
}

/** The kfree a `free <hart> <va>` reply reports. */
export function freeCall(reply: readonly string[], hart: number, va: bigint): SequentialCall {
  return freeCalls(reply, 'free', hart, va)?.[0] ?? { kind: 'free', va, noResult: noResult(reply) };
}

/** KMEM-SEQUENTIAL on an `alloc <hart>` reply, from the model state before it. */
export function allocJudge(state: KmemState, hart: number): ReplyJudge {
  return (reply) => sequentialCallAgrees(state, allocCall(reply, hart));
}

/** KMEM-SEQUENTIAL on a `free <hart> <va>` reply, from the model state before it. */
export function freeJudge(state: KmemState, hart: number, va: bigint): ReplyJudge {
  return (reply) => sequentialCallAgrees(state, freeCall(reply, hart, va));
}

/** KMEM-SEQUENTIAL on a `free2 <hart> <va>` reply (two kfrees of va in a row), from the model state before it. */
export function free2Judge(state: KmemState, hart: number, va: bigint): ReplyJudge {
  return (reply) => {
    const calls = freeCalls(reply, 'free2', hart, va);
    return calls ? sequentialHistoryAgrees(state, calls) : sequentialCallAgrees(state, { kind: 'free', va, noResult: noResult(reply) });
  };
}
