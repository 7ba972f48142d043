/**
 * The hypervisor's debug console on our virt machine (emulator/board/machine.ts), offered as the
 * same ConsoleTransport that qemu-console.ts offers for QEMU, so the console scripts of
 * console-script.ts play unchanged on both.
 *
 * The machine is synchronous and deterministic: waiting for a reply means running it until the
 * UART prints a newline, and a "timeout" is a step budget, not wall-clock time, so a run that
 * fails here fails the same way on every host.
 */
import { readFileSync } from 'node:fs';
import { VirtMachine, type ImageBytes } from '../../emulator/board/machine.js';
import { roundRobin } from '../../emulator/board/schedule.js';
import { hex, readyVars, REPLY_LINE, type ConsoleTransport, type Vars } from './console-script.js';
import { readElf, symbol } from './elf.js';

/** Steps (all harts) a boot may take before it counts as hung: the largest here (8 harts, 2 GiB, OpenSBI) takes about 38 million. */
export const BOOT_STEP_BUDGET = 400_000_000;
/** Steps one reply line may take: an 8-hart batch is a few million. */
export const REPLY_STEP_BUDGET = 100_000_000;

export class EmulatorConsole implements ConsoleTransport {
  /** Where the next line of output starts (an index into machine.console). */
  #lineStart: number;
  /** Complete output lines not yet consumed by nextReply / waitForLine (carriage returns dropped). */
  #pending: string[] = [];
  /** Every complete output line so far, since this console was attached. */
  readonly lines: string[] = [];

  constructor(
    readonly machine: VirtMachine,
    readonly replyStepBudget = REPLY_STEP_BUDGET,
  ) {
    this.#lineStart = machine.console.length;
  }

  sendLine(line: string): void {
    this.machine.feedInput(`${line}\n`);
  }

  /** The next reply line (REPLY_LINE), running the machine for at most replyStepBudget steps. The timeout argument is ignored: time here is steps. */
  nextReply(_timeoutMs?: number): Promise<string> {
    try {
      return Promise.resolve(this.waitForLine(REPLY_LINE, this.replyStepBudget));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** Runs the machine until an output line matches `pattern` (lines before it are consumed); throws naming why it stopped. */
  waitForLine(pattern: RegExp, maxSteps: number): string {
    let steps = 0;
    for (;;) {
      this.#collect();
      while (this.#pending.length > 0) {
        const line = this.#pending.shift()!;
        if (pattern.test(line)) return line;
      }
      const { machine } = this;
      if (machine.exit !== null) throw new Error(`the machine exited (${machine.exit.source} ${machine.exit.kind}, code ${machine.exit.code}) before a line matching /${pattern.source}/; last output:\n${this.tail()}`);
      if (steps >= maxSteps) throw new Error(`no line matching /${pattern.source}/ within ${maxSteps} steps; last output:\n${this.tail()}`);
      const outcome = machine.run({ until: { console: '\n' }, maxSteps: maxSteps - steps });
      steps += outcome.steps;
      if (outcome.reason === 'idle') {
        this.#collect();
        if (this.#pending.some((l) => pattern.test(l))) continue;
        throw new Error(`every hart idles with no line matching /${pattern.source}/; last output:\n${this.tail()}`);
      }
    }
  }

  /** Runs the machine until it exits (finisher, SBI reset); throws naming why it stopped otherwise. */
  waitForExit(maxSteps = this.replyStepBudget): void {
    const outcome = this.machine.run({ maxSteps });
    if (outcome.reason !== 'exit') throw new Error(`the machine did not exit within ${maxSteps} steps (run ended: ${outcome.reason}); last output:\n${this.tail()}`);
  }

  #collect(): void {
    const text = this.machine.console;
    let end = text.indexOf('\n', this.#lineStart);
    while (end >= 0) {
      const line = text.slice(this.#lineStart, end).replace(/\r/g, '');
      this.lines.push(line);
      this.#pending.push(line);
      this.#lineStart = end + 1;
      end = text.indexOf('\n', this.#lineStart);
    }
  }

  /** The last lines of output, for failure messages. */
  tail(n = 15): string {
    this.#collect();
    const partial = this.machine.console.slice(this.#lineStart);
    return [...this.lines.slice(-n), ...(partial ? [partial] : [])].join('\n');
  }
}

/** How the hypervisor is booted on our machine. */
export interface EmulatorBoot {
  readonly image: string;
  readonly harts: number;
  readonly ramSize: number;
  /** 'builtin', or the path of M-mode firmware (QEMU's -bios). */
  readonly firmware: 'builtin' | string;
  /** The hart that enters the hypervisor (see bootOnEmulator); the ready line must name it. */
  readonly bootHart: number;
  /** A device tree file, as QEMU's -dtb; the machine's generated tree when absent. */
  readonly dtb?: string;
}

/** The image's values a console script needs besides the ready line (`probe_ret`). */
export function imageVars(image: string): Vars {
  return { probe_ret: hex(symbol(readElf(image), 'probe_ret', image)) };
}

export interface BootedOnEmulator {
  readonly machine: VirtMachine;
  readonly console: EmulatorConsole;
  /** "hvspec-hv boot hart=... dtb=..." */
  readonly bootLine: string;
  readonly readyLine: string;
  /** Ready-line values, `dtb` from the boot line, and imageVars. */
  readonly vars: Vars;
}

const file = (path: string): ImageBytes => ({ name: path, bytes: readFileSync(path) });

/**
 * Builds the machine, runs it to the hypervisor's ready line, and returns what a script needs;
 * throws with the console's tail otherwise.
 *
 * Under builtin firmware the machine starts the payload on `bootHart` itself. Under real firmware
 * (OpenSBI 1.1 fw_dynamic) `bootHart` is fw_dynamic_info's preferred hart, the one hart allowed to
 * set the firmware up; after that, the first hart to reach sbi_init's cold-boot lottery enters the
 * payload. QEMU leaves that race to its host threads. Here it is a choice: the preferred hart runs
 * alone until it enters the payload (it needs no other hart to get there), then all harts take
 * turns round-robin.
 */
export function bootOnEmulator(boot: EmulatorBoot): BootedOnEmulator {
  const builtin = boot.firmware === 'builtin';
  const machine = new VirtMachine({
    harts: boot.harts,
    ramSize: boot.ramSize,
    payload: file(boot.image),
    firmware: builtin ? 'builtin' : file(boot.firmware),
    bootHart: boot.bootHart,
    ...(boot.dtb === undefined ? {} : { dtb: file(boot.dtb) }),
    ...(builtin ? {} : { schedule: { kind: 'slices', slices: [{ hart: boot.bootHart, steps: BOOT_STEP_BUDGET }], then: 'stop' } as const }),
  });
  const console = new EmulatorConsole(machine);
  if (!builtin) {
    const entry = machine.payload!.entry;
    const entered = machine.run({ until: { pc: { pc: entry, hart: boot.bootHart } }, maxSteps: BOOT_STEP_BUDGET });
    if (entered.reason !== 'pc') {
      throw new Error(`hart ${boot.bootHart}, running alone, did not reach the payload entry 0x${entry.toString(16)} through ${boot.firmware} (run ended: ${entered.reason} after ${entered.steps} steps); last output:\n${console.tail()}`);
    }
    machine.setSchedule(roundRobin());
  }
  const readyLine = console.waitForLine(/^hvspec-hv ready /, BOOT_STEP_BUDGET);
  const ready = readyVars(readyLine);
  if (ready === undefined) throw new Error(`malformed ready line: ${readyLine}`);
  const bootLine = console.lines.find((l) => l.startsWith('hvspec-hv boot ')) ?? '';
  const dtb = /dtb=(0x[0-9a-f]+)/.exec(bootLine)?.[1];
  return { machine, console, bootLine, readyLine, vars: { ...ready, ...imageVars(boot.image), ...(dtb === undefined ? {} : { dtb }) } };
}
