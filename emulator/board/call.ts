/**
 * Injected calls: run a function of the image on a hart the way a debugger's
 * `call` does, and put the hart back as it was.
 *
 * A call starts at a quiescent point: the hart waits in WFI (nothing pending),
 * or the caller says at which pc it stopped it (`atPc`, after a run with
 * `until.pc` or a PC hook). The hart's architectural state is saved (every
 * register, pc, privilege and V, every CSR, PMP, instret and cycle, the LR
 * reservation, the WFI wait), then the call is set up per the RISC-V psABI:
 * a0..a7 = the arguments, ra = a sentinel address, sp = the hart's sp less a
 * red zone, rounded down to 16 bytes; pc = the function. The call runs at the
 * hart's privilege, with its satp and interrupt enables, until it fetches the
 * sentinel (returned: a0, a1 are read), and the hart is restored.
 *
 * It fails, and the hart is restored all the same, when:
 * - 'trap': the hart takes any trap (exception or interrupt, to M, HS or VS)
 *   while the call is in flight, unless `allowTrap` accepts it (an SBI ecall
 *   into real firmware, say). The trap is the first one; the call stops at
 *   the handler's first instruction, which does not run. A builtin-SBI ecall
 *   is answered without a trap, so it is never one.
 * - 'panic': the hart reaches the entry of a named panic function, or the
 *   console output since the call started matches `consolePattern`.
 * - 'budget': the call ran `budget` steps (instructions retired or traps
 *   taken, Hart.run's unit) without returning.
 * - 'exit': the machine exited (SBI reset, finisher) during the call.
 *
 * Several harts can have calls in flight at once (`callConcurrently`): only
 * the calling harts run, by the given schedule (schedule.ts semantics: a
 * slice whose hart is done or failed runs nothing), every other hart stays
 * frozen where it was. Injected calls take no machine time: mtime, the
 * machine's step count and its schedule cursor are untouched, so a machine
 * that runs calls and a machine that does not agree on everything but memory
 * (and the TLB, a cache whose fills and flushes by the call are kept).
 * Device interrupt lines (mip's external, timer and software lines) keep
 * their current level on restore: devices drive them, not the hart.
 * Everything is deterministic.
 */
import type { Hart, HartState, TrapEvent } from '../hart/hart.js';
import type { MachineExit, VirtMachine } from './machine.js';
import { HSM_STARTED } from './sbi.js';
import { currentSlice, endSlice, freshCursor, type Schedule } from './schedule.js';

/** The sentinel `ra` of injected calls: a 4-aligned address no image runs code at (non-canonical in Sv39/48, not RAM or MMIO when bare). */
export const CALL_SENTINEL_BASE = 0x7fff_ffff_fff0_0000n;
export const DEFAULT_CALL_BUDGET = 1_000_000;
export const DEFAULT_RED_ZONE = 128;

export interface CallRequest {
  readonly hart: number;
  /** The function's entry, as a virtual address the hart can fetch now. */
  readonly fn: bigint;
  /** Up to 8 integer arguments (a0..a7). */
  readonly args?: readonly bigint[];
  /** The hart stopped at this pc (instead of waiting in WFI). */
  readonly atPc?: bigint;
  /** Steps before the call is given up. */
  readonly budget?: number;
  /** Bytes left untouched below the hart's sp. */
  readonly redZone?: number;
  /** The stack pointer the call starts with, instead of the hart's sp less the red zone (a debugger's `set $sp`; kept as given). */
  readonly sp?: bigint;
}

export interface CallOptions {
  /** Panic functions: reaching one's entry fails the call. */
  readonly panics?: readonly { readonly name: string; readonly pc: bigint }[];
  /** Console output since the calls started matching this means a panic. */
  readonly consolePattern?: RegExp;
  /** A trap this accepts does not fail the call (default: none does). */
  readonly allowTrap?: (event: TrapEvent) => boolean;
  /**
   * Keep the instructions the calls retired in instret (default: restored like everything else). An
   * observer timing events by instret needs it to grow across calls.
   */
  readonly keepInstret?: boolean;
}

export type CallOutcome =
  | { readonly kind: 'returned'; readonly a0: bigint; readonly a1: bigint; readonly steps: number }
  | { readonly kind: 'trap'; readonly trap: TrapEvent; readonly instruction: number | undefined; readonly steps: number }
  | { readonly kind: 'panic'; readonly function: string; readonly pc: bigint; readonly steps: number }
  | { readonly kind: 'budget'; readonly steps: number; readonly pc: bigint }
  | { readonly kind: 'exit'; readonly exit: MachineExit; readonly steps: number };

/** A call could not start (not quiescent, bad arguments). */
export class CallError extends Error {
  override readonly name = 'CallError';
}

interface InFlight {
  readonly request: CallRequest;
  readonly hart: Hart;
  readonly saved: HartState;
  readonly sentinel: bigint;
  readonly budget: number;
  steps: number;
  outcome: CallOutcome | undefined;
  /** Set by a hook or listener: the hart stopped because the call ended this way (pc not yet moved on). */
  pending: ((h: Hart) => CallOutcome) | undefined;
}

const sequence = new WeakMap<VirtMachine, number>();

/** Runs one injected call (see the module comment). Throws CallError when the hart is not quiescent. */
export function callFunction(machine: VirtMachine, request: CallRequest, options: CallOptions = {}): CallOutcome {
  return callConcurrently(machine, [request], { kind: 'round-robin', quantum: 1000 }, options)[0]!;
}

/**
 * Runs calls on distinct harts at once, interleaved by `schedule` (slices naming
 * a hart without a call in flight run nothing; with then = 'stop' or after the
 * slices, calls still in flight run round-robin to their end or budget).
 * Outcomes are in the order of `requests`.
 */
export function callConcurrently(machine: VirtMachine, requests: readonly CallRequest[], schedule: Schedule, options: CallOptions = {}): CallOutcome[] {
  const seen = new Set<number>();
  for (const r of requests) {
    if (seen.has(r.hart)) throw new CallError(`hart ${r.hart} has two calls in one batch`);
    seen.add(r.hart);
    if ((r.args?.length ?? 0) > 8) throw new CallError(`a call takes at most 8 register arguments, got ${r.args!.length}`);
    const hart = machine.hart(r.hart);
    if (machine.hsmState(r.hart) !== HSM_STARTED) throw new CallError(`hart ${r.hart} is not started (HSM stopped)`);
    if (r.atPc === undefined ? !hart.waiting : BigInt.asUintN(64, r.atPc) !== hart.pc) {
      throw new CallError(
        r.atPc === undefined
          ? `hart ${r.hart} is not quiescent: it is not waiting in WFI (pc 0x${hart.pc.toString(16)}); give atPc when it was stopped at a pc`
          : `hart ${r.hart} is at pc 0x${hart.pc.toString(16)}, not at 0x${BigInt.asUintN(64, r.atPc).toString(16)}`,
      );
    }
  }
  if (machine.exit !== null) throw new CallError('the machine has exited');
  const seq = sequence.get(machine) ?? 0;
  sequence.set(machine, seq + 1);
  // A fresh sentinel per batch: a hart's PC hook fires once per arrival (pc, instret), and a restored hart can arrive again with the same instret.
  const sentinel = CALL_SENTINEL_BASE + BigInt((seq % 0x4000) * 4);

  const flights: InFlight[] = requests.map((r) => {
    const hart = machine.hart(r.hart);
    const flight: InFlight = {
      request: r, hart, saved: hart.saveState(), sentinel, budget: r.budget ?? DEFAULT_CALL_BUDGET, steps: 0, outcome: undefined, pending: undefined,
    };
    const sp = hart.getRegister(2);
    const redZone = r.redZone ?? DEFAULT_RED_ZONE;
    hart.setRegister(1, sentinel);
    hart.setRegister(2, r.sp === undefined ? BigInt.asUintN(64, sp - BigInt(redZone)) & ~15n : BigInt.asUintN(64, r.sp));
    for (let i = 0; i < 8; i++) hart.setRegister(10 + i, BigInt.asUintN(64, r.args?.[i] ?? 0n));
    hart.waiting = false;
    hart.pc = r.fn;
    return flight;
  });
  const byHart = new Map(flights.map((f) => [f.request.hart, f]));

  const removers: (() => void)[] = [];
  const consoleStart = machine.console.length;
  try {
    for (const f of flights) {
      const h = f.request.hart;
      removers.push(machine.addPcHook(h, sentinel, (hart) => {
        f.pending ??= (x) => ({ kind: 'returned', a0: x.getRegister(10), a1: x.getRegister(11), steps: f.steps });
        hart.requestStop();
      }));
      for (const p of options.panics ?? []) {
        removers.push(machine.addPcHook(h, p.pc, (hart) => {
          f.pending ??= () => ({ kind: 'panic', function: p.name, pc: p.pc, steps: f.steps });
          hart.requestStop();
        }));
      }
    }
    removers.push(machine.onTrap((event) => {
      const f = byHart.get(event.hartId);
      if (f === undefined || f.outcome !== undefined || f.pending !== undefined) return;
      if (options.allowTrap?.(event) === true) return;
      const instruction = instructionAt(machine, event.hartId, event.pc);
      f.pending = () => ({ kind: 'trap', trap: event, instruction, steps: f.steps });
      f.hart.requestStop();
    }));

    const cursor = freshCursor();
    const harts = machine.harts.length;
    let stalled = 0;
    while (flights.some((f) => f.outcome === undefined)) {
      const slice = currentSlice(schedule, cursor) ?? (() => {
        // past a 'stop' schedule: finish the calls round-robin
        schedule = { kind: 'round-robin', quantum: 1000 };
        cursor.slice = 0;
        cursor.remaining = 0;
        return currentSlice(schedule, cursor)!;
      })();
      const f = byHart.get(slice.hart);
      if (f === undefined || f.outcome !== undefined) {
        endSlice(schedule, cursor, harts);
        continue;
      }
      const ran = f.hart.run(Math.min(slice.steps, f.budget - f.steps));
      f.steps += ran;
      cursor.remaining -= ran;
      if (f.pending !== undefined) finish(machine, f, f.pending(f.hart), options);
      else if (machine.exit !== null) for (const g of flights) { if (g.outcome === undefined) finish(machine, g, { kind: 'exit', exit: machine.exit, steps: g.steps }, options); }
      else if (options.consolePattern !== undefined && options.consolePattern.test(machine.console.slice(consoleStart))) {
        finish(machine, f, { kind: 'panic', function: `console /${options.consolePattern.source}/`, pc: f.hart.pc, steps: f.steps }, options);
      } else if (f.steps >= f.budget) finish(machine, f, { kind: 'budget', steps: f.steps, pc: f.hart.pc }, options);
      else if (f.hart.waiting && (f.hart.mip() & f.hart.mie) === 0) {
        // waiting in WFI inside the call with nothing to wake it: it cannot return
        finish(machine, f, { kind: 'budget', steps: f.steps, pc: f.hart.pc }, options);
      }
      // a run of 0 steps that ended nothing (an allowed trap at once, say) must not spin forever
      stalled = ran === 0 && f.outcome === undefined ? stalled + 1 : 0;
      if (stalled > 1000) finish(machine, f, { kind: 'budget', steps: f.steps, pc: f.hart.pc }, options);
      if (cursor.remaining <= 0 || f.outcome !== undefined || ran === 0) endSlice(schedule, cursor, harts);
    }
  } finally {
    for (const remove of removers) remove();
    for (const f of flights) if (f.outcome === undefined) restore(machine, f, options);
  }
  return flights.map((f) => f.outcome!);
}

function finish(machine: VirtMachine, f: InFlight, outcome: CallOutcome, options: CallOptions): void {
  f.outcome = outcome;
  restore(machine, f, options);
}

function restore(machine: VirtMachine, f: InFlight, options: CallOptions): void {
  const hart = f.hart;
  const instret = hart.instret;
  const lines = hart.mipLines;
  const tlb = hart.tlb.save();
  const guestTlb = hart.guestTlb.save();
  hart.restoreState({ ...f.saved, tlb, guestTlb });
  hart.mipLines = lines;
  if (options.keepInstret === true) hart.instret = instret;
  if (hart.reservation >= 0) machine.bus.reserve(hart, hart.reservation);
}

/** The instruction word at a virtual pc of hart h (16-bit compressed or 32-bit), or undefined when it cannot be read. */
function instructionAt(machine: VirtMachine, h: number, pc: bigint): number | undefined {
  const t = machine.translate(h, pc, 'fetch');
  if (!('pa' in t) || !machine.bus.ram.contains(Number(t.pa), 2)) return undefined;
  const lo = machine.readPhysical(t.pa, 2);
  const half = lo[0]! | (lo[1]! << 8);
  if ((half & 3) !== 3) return half;
  const t2 = machine.translate(h, pc + 2n, 'fetch');
  if (!('pa' in t2) || !machine.bus.ram.contains(Number(t2.pa), 2)) return undefined;
  const hi = machine.readPhysical(t2.pa, 2);
  return (half | ((hi[0]! | (hi[1]! << 8)) << 16)) >>> 0;
}
