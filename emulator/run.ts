/**
 * runElf: the machine QEMU's and Spike's `spike` boards give a bare-metal
 * test program — one hart in M-mode at the ELF's entry (no firmware), RAM at
 * 0x8000_0000, HTIF through the ELF's tohost/fromhost, and a CLINT at
 * 0x200_0000 — so the test programs run unchanged here and there. The virt
 * board (emulator/board) builds on the same parts.
 *
 * Time: mtime advances one tick per INSTRUCTIONS_PER_TICK steps (as Spike
 * counts), applied after each slice of SLICE steps; the `time` CSR reads
 * mtime. When the hart waits in WFI, mtime jumps to the next timer deadline.
 */
import { Clint } from './devices/clint.js';
import { parseElf, symbolPhysicalAddress, type ElfFile } from './elf.js';
import { MIP_MSIP, MIP_MTIP } from './hart/causes.js';
import { Hart, type IsaName } from './hart/hart.js';
import { HtifError, attachHtif } from './htif.js';
import { Bus } from './memory/bus.js';

export const RAM_BASE = 0x8000_0000;
export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;
export const CLINT_BASE = 0x200_0000;
export const INSTRUCTIONS_PER_TICK = 100;
const SLICE = 1000;

export interface RunOptions {
  /** Instruction budget (steps: instructions retired plus traps taken). Default: unlimited. */
  maxInstructions?: number;
  ramSize?: number;
  onConsole?: (text: string) => void;
  trace?: (line: string) => void;
  svade?: boolean;
  /** Strict TLB mode, reporting stale translations to `onStaleTranslation`. */
  strictTlb?: boolean;
  /** 'rv64imach' (default: with the hypervisor extension) or 'rv64imac' (without it). */
  isa?: IsaName;
  /** The file name used in error messages. */
  fileName?: string;
  /** The block compiler (HartOptions.compile); default on. */
  compile?: boolean;
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
  readonly clint: Clint;
  /** Set when the program exits through HTIF. */
  exitCode: number | null;
  console: string;
  /** Set when the program used an HTIF command hvspec does not implement; the run stops. */
  htifError: string | null;
  /** Runs up to `maxSteps` steps (fewer on exit, or when WFI can never wake). Returns steps taken. */
  run(maxSteps: number): number;
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
  let clint: Clint | undefined;
  const hart = new Hart(bus, {
    hartId: 0,
    svade: options.svade ?? false,
    strictTlb: options.strictTlb ?? false,
    compile: options.compile ?? true,
    hypervisor: (options.isa ?? 'rv64imach') === 'rv64imach',
    resetPc: elf.entry,
    time: () => clint!.mtime,
  });
  clint = new Clint([{ msip: (level) => hart.setInterruptLine(MIP_MSIP, level), mtip: (level) => hart.setInterruptLine(MIP_MTIP, level) }]);
  bus.addDevice(CLINT_BASE, clint);
  let stepsTotal = 0;
  const machine: LoadedMachine = {
    elf, bus, hart, clint, exitCode: null, console: '', htifError: null,
    run(maxSteps: number): number {
      let steps = 0;
      while (machine.exitCode === null && machine.htifError === null && steps < maxSteps) {
        const ran = hart.run(Math.min(SLICE, maxSteps - steps));
        steps += ran;
        const before = Math.floor(stepsTotal / INSTRUCTIONS_PER_TICK);
        stepsTotal += ran;
        const ticks = Math.floor(stepsTotal / INSTRUCTIONS_PER_TICK) - before;
        if (ticks > 0) clint!.advance(BigInt(ticks));
        if (hart.stopRequested) break; // a hook asked to stop
        if (hart.waiting && ran === 0) {
          // Nothing runs until an interrupt: skip time to the next timer deadline, if there is one.
          const wait = clint!.ticksUntilNextTimer();
          if (wait === null || hart.mie === 0) break;
          clint!.advance(wait);
          if ((hart.mip() & hart.mie) === 0) break;
        }
      }
      return steps;
    },
  };
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
      onUnsupported: (message) => {
        machine.htifError = message;
        hart.requestStop();
      },
    });
  }
  if (options.trace !== undefined) hart.setTrace(options.trace);
  return machine;
}

export function runElf(elf: Uint8Array, options: RunOptions = {}): RunResult {
  const machine = loadMachine(elf, options);
  const budget = options.maxInstructions ?? Number.MAX_SAFE_INTEGER;
  let steps = 0;
  while (machine.exitCode === null && steps < budget) {
    const ran = machine.run(Math.min(budget - steps, 1 << 30));
    if (machine.htifError !== null) throw new HtifError(`${machine.elf.fileName}: ${machine.htifError}`);
    steps += ran;
    // WFI that nothing can ever end: the budget is all that is left.
    if (ran === 0 && machine.exitCode === null) steps = budget;
  }
  return {
    exitCode: machine.exitCode,
    reason: machine.exitCode === null ? 'budget' : 'exit',
    console: machine.console,
    instructions: machine.hart.instret,
  };
}
