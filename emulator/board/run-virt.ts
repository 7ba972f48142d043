/**
 * runVirt: one whole run of the virt machine, as `hvspec run` needs it —
 * build the machine, feed the input, run to exit or budget, report.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_RAM_SIZE, VirtMachine, type FirmwareChoice, type ImageBytes, type MachineExit, type StopReason } from './machine.js';
import type { Schedule } from './schedule.js';
import type { IsaName } from '../hart/hart.js';

export interface RunVirtOptions {
  /** The payload (kernel): a path, or the bytes themselves. */
  readonly elf: string | Uint8Array;
  /** Name for error messages when `elf` is bytes. */
  readonly elfName?: string;
  readonly harts?: number;
  /** Bytes, or a size such as "128M", "2G", "16GiB" (see parseRamSize). */
  readonly mem?: number | string;
  /** 'builtin' (default), 'none', or the path of M-mode firmware. */
  readonly firmware?: string;
  readonly bootHart?: number;
  /** A device tree blob file to use instead of the generated tree, as QEMU's -dtb. */
  readonly dtb?: string;
  /** Console input, queued before the run starts (or once the console prints `inputAfter`). */
  readonly input?: string | Uint8Array;
  /** Queue `input` only once the console has printed this text (firmware that resets the UART FIFO drops earlier input). */
  readonly inputAfter?: string;
  /** Step budget (instructions retired plus traps taken, all harts); default unlimited. */
  readonly maxInstructions?: number;
  readonly trace?: (line: string) => void;
  /** Console output as it is produced. */
  readonly onConsole?: (text: string) => void;
  readonly schedule?: Schedule;
  /** The harts' ISA: 'rv64imach' (default, with the hypervisor extension) or 'rv64imac'. */
  readonly isa?: IsaName;
}

export interface RunVirtResult {
  /** The finisher's, SBI reset's or HTIF's code; null when the run did not exit. */
  readonly exitCode: number | null;
  readonly reason: StopReason;
  readonly exit: MachineExit | null;
  readonly console: string;
  readonly instructions: number;
  /** With `inputAfter`: whether the console printed it (and so the input was given). */
  readonly inputGiven?: boolean;
}

/** Reads an image file, naming it and its role when it cannot be read. */
export function readImage(path: string, role: string): ImageBytes {
  try {
    return { name: path, bytes: readFileSync(path) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${role} file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e)}`);
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 };

/** Parses "134217728", "128M", "128MiB", "2G", "2GB" (binary units). Throws naming the text. */
export function parseRamSize(text: string): number {
  const m = /^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$/i.exec(text);
  if (m === null) throw new RangeError(`unparsable memory size ${JSON.stringify(text)} (expected e.g. 128M, 2G)`);
  return Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!;
}

export function runVirt(options: RunVirtOptions): RunVirtResult {
  const payload = typeof options.elf === 'string' ? readImage(options.elf, 'kernel') : { name: options.elfName ?? '<elf>', bytes: options.elf };
  const choice = options.firmware ?? 'builtin';
  const firmware: FirmwareChoice = choice === 'builtin' || choice === 'none' ? choice : readImage(choice, 'firmware');
  const mem = options.mem;
  const machine = new VirtMachine({
    harts: options.harts ?? 1,
    ramSize: mem === undefined ? DEFAULT_RAM_SIZE : typeof mem === 'number' ? mem : parseRamSize(mem),
    firmware,
    payload,
    bootHart: options.bootHart ?? 0,
    ...(options.isa === undefined ? {} : { isa: options.isa }),
    ...(options.dtb === undefined ? {} : { dtb: readImage(options.dtb, 'device tree') }),
    ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
  });
  if (options.trace !== undefined) machine.setTrace(options.trace);
  if (options.onConsole !== undefined) machine.onConsole(options.onConsole);
  const budget = options.maxInstructions;
  let outcome: ReturnType<VirtMachine['run']>;
  let inputGiven: boolean | undefined;
  if (options.input !== undefined && options.inputAfter !== undefined) {
    outcome = machine.run({ until: { console: options.inputAfter }, ...(budget === undefined ? {} : { maxSteps: budget }) });
    inputGiven = outcome.reason === 'console';
    if (inputGiven) {
      machine.feedInput(options.input);
      outcome = machine.run(budget === undefined ? {} : { maxSteps: budget - machine.steps });
    }
  } else {
    if (options.input !== undefined) machine.feedInput(options.input);
    outcome = machine.run(budget === undefined ? {} : { maxSteps: budget });
  }
  return {
    exitCode: machine.exit?.code ?? null,
    reason: outcome.reason,
    exit: machine.exit,
    console: machine.console,
    instructions: machine.steps,
    ...(inputGiven === undefined ? {} : { inputGiven }),
  };
}
