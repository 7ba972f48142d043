/**
 * runElf: one hart in M-mode at the ELF's entry, no firmware, RAM at
 * 0x8000_0000, HTIF through the ELF's tohost/fromhost. The whole machine of
 * issue 3; the virt board (emulator/board) builds on the same parts.
 */
import { parseElf, symbolPhysicalAddress, type ElfFile } from './elf.js';
import { Hart } from './hart/hart.js';
import { attachHtif } from './htif.js';
import { Bus } from './memory/bus.js';

export const RAM_BASE = 0x8000_0000;
export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;

export interface RunOptions {
  /** Instruction budget (steps: instructions retired plus traps taken). Default: unlimited. */
  maxInstructions?: number;
  ramSize?: number;
  onConsole?: (text: string) => void;
  trace?: (line: string) => void;
  svade?: boolean;
  /** Strict TLB mode, reporting stale translations to `onStaleTranslation`. */
  strictTlb?: boolean;
  /** The file name used in error messages. */
  fileName?: string;
}

export interface RunResult {
  exitCode: number | null;
  reason: 'exit' | 'budget';
  console: string;
  instructions: number;
}

/** A machine with one hart and the ELF loaded, ready to run (tests and benches use it directly). */
export interface LoadedMachine {
  readonly elf: ElfFile;
  readonly bus: Bus;
  readonly hart: Hart;
  /** Set when the program exits through HTIF. */
  exitCode: number | null;
  console: string;
}

/** Places every PT_LOAD segment at its p_paddr (file bytes, then zeros); refuses segments outside RAM. */
export function loadElf(bus: Bus, elf: ElfFile): void {
  const ram = bus.ram;
  for (const [i, s] of elf.segments.entries()) {
    const start = s.paddr;
    const end = s.paddr + s.memsz;
    if (start < BigInt(ram.base) || end > BigInt(ram.base + ram.size)) {
      throw new Error(
        `${elf.fileName}: segment ${i} [0x${start.toString(16)}, 0x${end.toString(16)}) is outside RAM [0x${ram.base.toString(16)}, 0x${(ram.base + ram.size).toString(16)})`,
      );
    }
    if (s.data.length > 0) ram.writeBytes(Number(start), s.data);
    // The zero-filled tail needs no writes: untouched RAM reads as zero.
  }
}

export function loadMachine(elfBytes: Uint8Array, options: RunOptions = {}): LoadedMachine {
  const elf = parseElf(elfBytes, options.fileName);
  const bus = new Bus(RAM_BASE, options.ramSize ?? DEFAULT_RAM_SIZE);
  loadElf(bus, elf);
  const hart = new Hart(bus, { hartId: 0, svade: options.svade ?? false, strictTlb: options.strictTlb ?? false, resetPc: elf.entry });
  const machine: LoadedMachine = { elf, bus, hart, exitCode: null, console: '' };
  const tohost = elf.symbol('tohost');
  if (tohost !== undefined) {
    const fromhost = elf.symbol('fromhost');
    attachHtif(bus, Number(symbolPhysicalAddress(elf, tohost)), fromhost === undefined ? undefined : Number(symbolPhysicalAddress(elf, fromhost)), {
      onExit: (code) => {
        machine.exitCode = code;
        hart.requestStop();
      },
      onConsole: (text) => {
        machine.console += text;
        options.onConsole?.(text);
      },
    });
  }
  if (options.trace !== undefined) hart.setTrace(options.trace);
  return machine;
}

export function runElf(elf: Uint8Array, options: RunOptions = {}): RunResult {
  const machine = loadMachine(elf, options);
  const hart = machine.hart;
  const budget = options.maxInstructions ?? Number.MAX_SAFE_INTEGER;
  let steps = 0;
  while (machine.exitCode === null && steps < budget) {
    const ran = hart.run(Math.min(budget - steps, 1 << 30));
    steps += ran;
    // WFI with nothing that could ever wake the hart (no devices here): the budget is all that is left.
    if (hart.waiting && machine.exitCode === null && ran === 0) steps = budget;
  }
  return {
    exitCode: machine.exitCode,
    reason: machine.exitCode === null ? 'budget' : 'exit',
    console: machine.console,
    instructions: hart.instret,
  };
}
