/**
 * QEMU 7.2's `virt` machine with 1-8 harts: the board map of virt-map.ts,
 * the devices of emulator/devices wired as QEMU wires them, the reset vector
 * of boot-rom.ts, one of three firmwares, a schedule that fixes the hart
 * interleaving (schedule.ts), and the control API the property suite uses
 * (run until, memory and register access, hooks, snapshots).
 *
 * Wiring: CLINT msip[h] drives hart h's mip.MSIP and MTIP its mip.MTIP
 * (under builtin firmware, MTIP drives mip.STIP instead: that firmware
 * forwards the M timer to S at once, as OpenSBI does without Sstc); PLIC
 * context 2h drives hart h's MEIP, 2h+1 its SEIP; the UART's interrupt is
 * PLIC source 10; the test finisher ends the run.
 *
 * Time: mtime advances one tick per VIRT_STEPS_PER_TICK steps executed,
 * summed over all harts (one emulator thread runs them in turn, as QEMU's
 * single-threaded TCG with -icount does), applied at the end of each slice;
 * never with wall-clock time. When no hart can run (all stopped or waiting in
 * WFI with nothing pending) mtime jumps to the next timer deadline; with no
 * deadline either, the run ends with reason 'idle'. The `time` CSR reads mtime.
 *
 * Determinism: a run is a function of the images, the options, the console
 * input and the schedule; nothing reads the host clock or randomness.
 */
import { Clint, type ClintState } from '../devices/clint.js';
import { Ns16550, type Ns16550State } from '../devices/ns16550.js';
import { Plic, type PlicState } from '../devices/plic.js';
import { SifiveTest, type FinisherEvent, type SifiveTestState } from '../devices/sifive-test.js';
import { symbolPhysicalAddress, type ElfSymbol } from '../elf.js';
import { MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_STIP, PRV_S } from '../hart/causes.js';
import { CSRS, CSRS_BY_ADDRESS, MSTATUS_SIE } from '../hart/csr.js';
import { Hart, type CsrWriteEvent, type HartState, type IsaName, type StaleTranslationEvent, type TrapEvent } from '../hart/hart.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE } from '../hart/pmp.js';
import { attachHtif, HtifError } from '../htif.js';
import { Bus, type WriteWatch } from '../memory/bus.js';
import type { RamSnapshot } from '../memory/ram.js';
import { BootRom, bootRomImage } from './boot-rom.js';
import { checkDisjoint, dtbAddress, dtbFileBufferSize, placeImage, RAW_FIRMWARE_ADDRESS, RAW_PAYLOAD_ADDRESS, writeImage, type PlacedImage } from './images.js';
import { BuiltinSbi, HSM_STARTED, HSM_STOPPED, type HsmState } from './sbi.js';
import { checkSchedule, currentSlice, endSlice, freshCursor, roundRobin, type Schedule, type ScheduleCursor } from './schedule.js';
import { readFdt } from './fdt.js';
import { DEFAULT_RISCV_ISA, RISCV_ISA_WITHOUT_H, buildVirtDtb } from './virt-dtb.js';
import {
  pcieHighMmioRegion, ramRegion, regionSize, virtioMmioRegion,
  VIRT_IRQ, VIRT_MAP, VIRT_MAX_HARTS, VIRT_PLIC_NUM_SOURCES, VIRT_RAM_BASE, VIRT_VIRTIO_COUNT,
} from './virt-map.js';
import { PcieEcam, PcieUnassignedWindow, type PcieHostState } from '../devices/pcie-host.js';
import { VirtioMmioTransport } from '../devices/virtio-mmio.js';

/** Steps (instructions retired or traps taken, all harts together) per mtime tick. At 10 MHz timebase: a nominal 1 GIPS machine, as Spike counts. */
export const VIRT_STEPS_PER_TICK = 100;
export const DEFAULT_RAM_SIZE = 128 * 2 ** 20;

/** An image given as bytes, with the name errors use (usually its path). */
export interface ImageBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * - 'builtin': the emulator answers SBI calls (sbi.ts); the payload starts in S-mode on the boot hart, the others stopped.
 * - 'none': every hart starts in M-mode and the reset vector jumps to the payload's entry.
 * - an image: M-mode firmware loaded like QEMU's -bios; every hart runs the reset vector into it, the payload entry is in fw_dynamic_info.
 */
export type FirmwareChoice = 'builtin' | 'none' | ImageBytes;

export interface VirtMachineOptions {
  /** 1..8; default 1. */
  readonly harts?: number;
  /** Bytes, 16 MiB..16 GiB, a multiple of 4 KiB; default 128 MiB. */
  readonly ramSize?: number;
  readonly firmware?: FirmwareChoice;
  /** The kernel (QEMU -kernel). Required unless firmware is an image. */
  readonly payload?: ImageBytes;
  /** Builtin: the hart that enters the payload. Image firmware: fw_dynamic_info.boot_hart. Default 0. */
  readonly bootHart?: number;
  readonly schedule?: Schedule;
  /** /chosen/bootargs (of the generated tree; not allowed with `dtb`). */
  readonly bootargs?: string;
  /**
   * A device tree blob to give the firmware instead of the generated one, as QEMU's `-dtb FILE`:
   * used as it is (nothing checks that it describes this machine's harts and RAM, as in QEMU) and
   * placed where QEMU 7.2 places a `-dtb` file, so the same file gives both machines the same
   * platform. Unlike QEMU, nothing is added to it (QEMU writes a fresh /chosen/rng-seed).
   */
  readonly dtb?: ImageBytes;
  readonly svade?: boolean;
  readonly strictTlb?: boolean;
  /** 'rv64imach' (default: harts with the hypervisor extension) or 'rv64imac'; the device tree's riscv,isa says which. */
  readonly isa?: IsaName;
}

/** Why a run ended. */
export type StopReason = 'exit' | 'budget' | 'console' | 'hart-stopped' | 'trap' | 'pc' | 'idle' | 'schedule-end';

export interface MachineExit {
  /** What ended it: the test finisher, an SBI reset (builtin firmware), or HTIF. */
  readonly source: 'finisher' | 'sbi' | 'htif';
  readonly code: number;
  /** Finisher: 'pass' | 'fail' | 'reset'; SBI: 'shutdown' | 'cold-reboot' | 'warm-reboot' | 'vendor'; HTIF: 'exit'. */
  readonly kind: string;
}

/** Conditions that end a run (any one). */
export interface Until {
  /** The console prints this text (counting output of this run only). */
  readonly console?: string;
  /** This hart (or any) reaches HSM STOPPED. */
  readonly hartStopped?: number | 'any';
  /** A trap the predicate accepts is taken; the run stops with the hart at the handler. */
  readonly trap?: (event: TrapEvent) => boolean;
  /** A hart (or the given one) is about to execute the instruction at this virtual pc. */
  readonly pc?: bigint | { readonly pc: bigint; readonly hart?: number };
}

export interface RunOptions {
  /** Step budget of this run; default unlimited. */
  readonly maxSteps?: number;
  readonly until?: Until;
}

export interface RunOutcome {
  readonly reason: StopReason;
  /** Steps executed by this run, all harts together. */
  readonly steps: number;
  /** The hart that met the condition (console, trap, pc, hart-stopped). */
  readonly hart?: number;
  readonly trap?: TrapEvent;
  readonly exit?: MachineExit;
}

export interface MachineSnapshot {
  readonly ram: RamSnapshot;
  readonly harts: readonly HartState[];
  readonly hsm: readonly HsmState[];
  readonly clint: ClintState;
  readonly plic: PlicState;
  readonly uart: Ns16550State;
  readonly finisher: SifiveTestState;
  readonly pcie: PcieHostState;
  readonly exit: MachineExit | null;
  readonly steps: number;
  readonly tickCarry: number;
  readonly schedule: Schedule;
  readonly cursor: ScheduleCursor;
  readonly console: string;
}

export type AccessKind = 'fetch' | 'load' | 'store';
const ACCESS = { fetch: ACCESS_FETCH, load: ACCESS_LOAD, store: ACCESS_STORE } as const;

const SRST_KINDS = ['shutdown', 'cold-reboot', 'warm-reboot'];

/**
 * Exceptions builtin firmware delegates to S-mode, as OpenSBI does: misaligned fetch, breakpoint, ecall from U, page faults,
 * and with H ecall from VS (10), the guest-page faults (20, 21, 23) and virtual instruction (22); medeleg drops those bits
 * on a hart without H.
 */
const BUILTIN_MEDELEG = (1n << 0n) | (1n << 3n) | (1n << 8n) | (1n << 12n) | (1n << 13n) | (1n << 15n) | (1n << 10n) | (1n << 20n) | (1n << 21n) | (1n << 22n) | (1n << 23n);
const BUILTIN_MIDELEG = BigInt(1 << 1) | BigInt(MIP_STIP) | BigInt(MIP_SEIP);
/** PMP under builtin firmware, as OpenSBI leaves it: entry 0 hides the CLINT from S/U (NAPOT, no permissions), entry 1 allows everything else. */
const PMP_NAPOT = 0x18;
const PMP_RWX = 0x07;

export class VirtMachine {
  readonly harts: readonly Hart[];
  readonly bus: Bus;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Ns16550;
  readonly finisher: SifiveTest;
  /** The PCIe host bridge's ECAM window (its PIO and MMIO windows decode nothing). */
  readonly pcie: PcieEcam;
  readonly ramSize: number;
  readonly firmware: 'builtin' | 'none' | 'image';
  readonly bootHart: number;
  /** The device tree blob and where it was placed. */
  readonly dtb: Uint8Array;
  readonly dtbAddress: number;
  readonly payload: PlacedImage | undefined;
  readonly firmwareImage: PlacedImage | undefined;

  #hsm: HsmState[];
  #exit: MachineExit | null = null;
  #steps = 0;
  #tickCarry = 0;
  #schedule: Schedule;
  #cursor: ScheduleCursor = freshCursor();
  /** Console output, one char per byte (decode with `console`). */
  #consoleBytes = '';
  /** Whether #consoleBytes holds a byte >= 0x80 (else it is its own UTF-8 decoding). */
  #consoleNonAscii = false;
  /** `console` cache: the decoded text of #decodedFrom. */
  #decodedFrom = '';
  #decoded = '';
  #running = -1;
  /** An HTIF command we do not implement was sent: run() throws it as an HtifError. */
  #htifError: string | null = null;
  #stop: { reason: StopReason; hart?: number; trap?: TrapEvent } | null = null;
  #until: Until | undefined;
  #untilConsole = '';
  #runConsoleStart = 0;
  /** The last bytes of the console (at least the `until.console` text's length), for matching it. */
  #consoleTail = '';
  readonly #sbi: BuiltinSbi | undefined;
  readonly #trapListeners = new Set<(e: TrapEvent) => void>();
  readonly #staleListeners = new Set<(e: StaleTranslationEvent) => void>();
  /** CSR address -> listeners; the harts' onCsrWrite hook is set only while this is non-empty (no cost otherwise). */
  readonly #csrListeners = new Map<number, Set<(e: CsrWriteEvent) => void>>();
  readonly #consoleListeners = new Set<(text: string) => void>();
  /** Per hart: pc -> hooks, multiplexed onto the hart's single hook per pc. */
  readonly #pcHooks: Map<bigint, { hooks: Set<(h: Hart) => void>; remove: () => void }>[];

  constructor(options: VirtMachineOptions = {}) {
    const count = options.harts ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > VIRT_MAX_HARTS) throw new RangeError(`harts must be 1..${VIRT_MAX_HARTS}, got ${count}`);
    this.ramSize = options.ramSize ?? DEFAULT_RAM_SIZE;
    ramRegion(this.ramSize);
    this.bootHart = options.bootHart ?? 0;
    if (!Number.isInteger(this.bootHart) || this.bootHart < 0 || this.bootHart >= count) {
      throw new RangeError(`boot hart must be 0..${count - 1}, got ${this.bootHart}`);
    }
    const firmware = options.firmware ?? 'builtin';
    this.firmware = typeof firmware === 'string' ? firmware : 'image';
    if (this.firmware !== 'image' && options.payload === undefined) throw new RangeError(`firmware ${this.firmware} needs a payload to run`);
    this.#schedule = options.schedule ?? roundRobin();
    checkSchedule(this.#schedule, count);

    this.bus = new Bus(VIRT_RAM_BASE, this.ramSize);
    const ram = this.bus.ram;
    const builtin = this.firmware === 'builtin';
    let clint: Clint | undefined;
    const harts: Hart[] = [];
    for (let h = 0; h < count; h++) {
      harts.push(new Hart(this.bus, {
        hartId: h, svade: options.svade ?? false, strictTlb: options.strictTlb ?? false, hypervisor: options.isa !== 'rv64imac',
        resetPc: BigInt(VIRT_MAP.bootRom.base), time: () => clint!.mtime,
      }));
    }
    this.harts = harts;
    this.#pcHooks = harts.map(() => new Map());
    clint = new Clint(harts.map((hart) => ({
      msip: (level: boolean) => hart.setInterruptLine(MIP_MSIP, level),
      mtip: (level: boolean) => hart.setInterruptLine(builtin ? MIP_STIP : MIP_MTIP, level),
    })));
    this.clint = clint;
    this.plic = new Plic(harts.flatMap((hart) => [
      (level: boolean) => hart.setInterruptLine(MIP_MEIP, level),
      (level: boolean) => hart.setInterruptLine(MIP_SEIP, level),
    ]), VIRT_PLIC_NUM_SOURCES);
    this.uart = new Ns16550({ irq: (level) => this.plic.setSource(VIRT_IRQ.uart0, level), output: (byte) => this.#consoleOutput(byte) });
    this.finisher = new SifiveTest((event) => this.#finish(event));
    // Images: firmware at 0x8000_0000 (-bios), payload (-kernel), device tree at QEMU's address.
    const images: PlacedImage[] = [];
    this.firmwareImage = typeof firmware === 'object' ? placeImage(firmware.name, firmware.bytes, RAW_FIRMWARE_ADDRESS, ram) : undefined;
    if (this.firmwareImage !== undefined) images.push(this.firmwareImage);
    this.payload = options.payload === undefined ? undefined : placeImage(options.payload.name, options.payload.bytes, RAW_PAYLOAD_ADDRESS, ram);
    if (this.payload !== undefined) images.push(this.payload);
    if (options.dtb === undefined) {
      const dtbOptions = {
        harts: count, ramSize: this.ramSize, bootHart: this.bootHart, isa: options.isa === 'rv64imac' ? RISCV_ISA_WITHOUT_H : DEFAULT_RISCV_ISA,
        ...(options.bootargs === undefined ? {} : { bootargs: options.bootargs }),
      };
      this.dtb = buildVirtDtb(dtbOptions);
      this.dtbAddress = dtbAddress(VIRT_RAM_BASE, this.ramSize, this.dtb.length);
      images.push({ name: 'device tree', entry: 0n, ranges: [{ start: this.dtbAddress, end: this.dtbAddress + this.dtb.length }], elf: undefined });
    } else {
      const { name, bytes } = options.dtb;
      if (options.bootargs !== undefined) throw new RangeError(`bootargs cannot be added to the device tree file ${name}: put them in its /chosen`);
      try {
        readFdt(bytes);
      } catch (e) {
        throw new RangeError(`device tree file ${name}: ${(e as Error).message}`);
      }
      this.dtb = bytes;
      // QEMU reserves the whole load buffer (blob, then zeros) at the address its size gives.
      const reserved = dtbFileBufferSize(bytes.length);
      try {
        this.dtbAddress = dtbAddress(VIRT_RAM_BASE, this.ramSize, reserved);
      } catch (e) {
        throw new RangeError(`device tree file ${name}: ${(e as Error).message}`);
      }
      images.push({ name: `device tree ${name}`, entry: 0n, ranges: [{ start: this.dtbAddress, end: this.dtbAddress + reserved }], elf: undefined });
    }
    checkDisjoint(images);
    if (typeof firmware === 'object') writeImage(this.firmwareImage!, firmware.bytes, ram);
    if (options.payload !== undefined) writeImage(this.payload!, options.payload.bytes, ram);
    ram.writeBytes(this.dtbAddress, this.dtb);

    const payloadEntry = this.payload?.entry ?? 0n;
    const rom = new BootRom(bootRomImage({
      startAddress: this.firmwareImage?.entry ?? payloadEntry,
      dtbAddress: BigInt(this.dtbAddress),
      nextAddress: payloadEntry,
      bootHart: BigInt(this.bootHart),
    }));
    this.bus.addDevice(VIRT_MAP.bootRom.base, rom);
    this.bus.addDevice(VIRT_MAP.test.base, this.finisher);
    this.bus.addDevice(VIRT_MAP.clint.base, this.clint);
    this.bus.addDevice(VIRT_MAP.plic.base, this.plic);
    this.bus.addDevice(VIRT_MAP.uart0.base, this.uart);
    // What QEMU's virt board has with no -device: eight empty virtio-mmio transports and a PCIe host bridge.
    for (let n = 0; n < VIRT_VIRTIO_COUNT; n++) this.bus.addDevice(virtioMmioRegion(n).base, new VirtioMmioTransport(n));
    this.pcie = new PcieEcam();
    this.bus.addDevice(VIRT_MAP.pcieEcam.base, this.pcie);
    const pcieHigh = pcieHighMmioRegion(ramRegion(this.ramSize));
    this.bus.addDevice(VIRT_MAP.pciePio.base, new PcieUnassignedWindow('pcie-pio', regionSize(VIRT_MAP.pciePio)));
    this.bus.addDevice(VIRT_MAP.pcieMmio.base, new PcieUnassignedWindow('pcie-mmio', regionSize(VIRT_MAP.pcieMmio)));
    this.bus.addDevice(pcieHigh.base, new PcieUnassignedWindow('pcie-mmio-high', regionSize(pcieHigh)));

    const htifSymbol = this.payload?.elf?.symbol('tohost');
    if (htifSymbol !== undefined) this.#attachHtif(htifSymbol);

    for (const hart of harts) {
      hart.hooks.onTrap = (event) => this.#onTrap(hart, event);
      hart.hooks.onStaleTranslation = (event) => { for (const l of this.#staleListeners) l(event); };
    }
    this.#hsm = harts.map(() => HSM_STARTED);
    if (builtin) {
      this.#sbi = new BuiltinSbi({
        harts,
        hsmState: (h) => this.#hsm[h]!,
        startHart: (h, pc, opaque) => this.#startHart(h, pc, opaque),
        stopHart: (h) => this.#stopHart(h),
        setTimer: (h, value) => this.clint.setMtimecmp(h, value),
        uartRead: (register) => Number(this.uart.read(register, 1)),
        uartWrite: (register, value) => this.uart.write(register, 1, BigInt(value)),
        systemReset: (type, reason) => this.#systemReset(type, reason),
      });
      this.#builtinReset(payloadEntry);
    }
  }

  // ---- firmware ------------------------------------------------------------

  /** What builtin firmware leaves behind on every hart before S-mode runs (OpenSBI's choices). */
  #builtinReset(entry: bigint): void {
    for (const hart of this.harts) {
      hart.writeCsr('medeleg', BUILTIN_MEDELEG);
      hart.writeCsr('mideleg', BUILTIN_MIDELEG);
      hart.writeCsr('mcounteren', 0xffff_ffffn);
      hart.writeCsr('pmpaddr0', BigInt((VIRT_MAP.clint.base >> 2) | ((VIRT_MAP.clint.end - VIRT_MAP.clint.base) / 8 - 1)));
      hart.writeCsr('pmpaddr1', (1n << 54n) - 1n);
      hart.writeCsr('pmpcfg0', BigInt(((PMP_NAPOT | PMP_RWX) << 8) | PMP_NAPOT));
      this.clint.setMtimecmp(hart.hartId, (1n << 64n) - 1n);
      this.#hsm[hart.hartId] = HSM_STOPPED;
    }
    this.#startHart(this.bootHart, entry, BigInt(this.dtbAddress));
  }

  /** HSM start: S-mode at pc with a0 = hartid, a1 = opaque, satp = 0, sstatus.SIE = 0 (SBI spec 9.1). */
  #startHart(h: number, pc: bigint, opaque: bigint): void {
    const hart = this.harts[h]!;
    hart.priv = PRV_S;
    hart.mstatus &= ~MSTATUS_SIE;
    hart.writeCsr('satp', 0n);
    hart.setRegister(10, BigInt(h));
    hart.setRegister(11, opaque);
    hart.pc = pc;
    hart.waiting = false;
    hart.flushFastCaches();
    this.#hsm[h] = HSM_STARTED;
  }

  #stopHart(h: number): void {
    this.#hsm[h] = HSM_STOPPED;
    this.harts[h]!.requestStop();
    const want = this.#until?.hartStopped;
    if (want === 'any' || want === h) this.#requestStop({ reason: 'hart-stopped', hart: h });
  }

  #systemReset(type: number, reason: number): void {
    this.#setExit({ source: 'sbi', code: reason, kind: SRST_KINDS[type] ?? 'vendor' });
  }

  #finish(event: FinisherEvent): void {
    this.#setExit({ source: 'finisher', code: event.kind === 'reset' ? 0 : event.exitCode, kind: event.kind });
  }

  #attachHtif(tohost: ElfSymbol): void {
    const elf = this.payload!.elf!;
    const fromhost = elf.symbol('fromhost');
    attachHtif(this.bus, Number(symbolPhysicalAddress(elf, tohost)), fromhost === undefined ? undefined : Number(symbolPhysicalAddress(elf, fromhost)), {
      onExit: (code) => this.#setExit({ source: 'htif', code, kind: 'exit' }),
      onConsole: (text) => { for (const c of new TextEncoder().encode(text)) this.#consoleOutput(c); },
      onUnsupported: (message) => {
        this.#htifError = `${this.payload!.name}: ${message}`;
        if (this.#running >= 0) this.harts[this.#running]!.requestStop();
      },
    });
  }

  #setExit(exit: MachineExit): void {
    if (this.#exit !== null) return;
    this.#exit = exit;
    if (this.#running >= 0) this.harts[this.#running]!.requestStop();
  }

  // ---- events --------------------------------------------------------------

  #onTrap(hart: Hart, event: TrapEvent): void {
    this.#sbi?.handleTrap(hart, event);
    for (const l of this.#trapListeners) l(event);
    if (this.#until?.trap?.(event) === true) this.#requestStop({ reason: 'trap', hart: hart.hartId, trap: event });
  }

  #consoleOutput(byte: number): void {
    const ch = String.fromCharCode(byte);
    this.#consoleBytes += ch;
    if (byte >= 0x80) this.#consoleNonAscii = true;
    if (this.#consoleListeners.size > 0) {
      for (const l of this.#consoleListeners) l(ch);
    }
    const want = this.#untilConsole;
    if (want === '') return;
    // match against a short tail: endsWith on the whole output would flatten it on every byte (quadratic)
    this.#consoleTail += ch;
    if (this.#consoleTail.length > 2 * want.length + 64) this.#consoleTail = this.#consoleTail.slice(-want.length);
    if (this.#consoleTail.endsWith(want) && this.#consoleBytes.length - want.length >= this.#runConsoleStart) {
      this.#requestStop({ reason: 'console', hart: this.#running });
    }
  }

  #requestStop(stop: { reason: StopReason; hart?: number; trap?: TrapEvent }): void {
    if (this.#stop === null) this.#stop = stop;
    if (this.#running >= 0) this.harts[this.#running]!.requestStop();
  }

  // ---- running -------------------------------------------------------------

  /**
   * Runs the harts by the schedule until the machine exits, a condition of
   * `until` is met, `maxSteps` steps have run, nothing can run any more
   * ('idle'), or an explicit schedule ends with then = 'stop'. Throws
   * HtifError when the payload sends an HTIF command hvspec does not implement.
   */
  run(options: RunOptions = {}): RunOutcome {
    const budget = options.maxSteps ?? Number.POSITIVE_INFINITY;
    if (!(budget >= 0)) throw new RangeError(`maxSteps must be >= 0, got ${budget}`);
    const start = this.#steps;
    const outcome = (reason: StopReason, extra: Partial<RunOutcome> = {}): RunOutcome => ({ reason, steps: this.#steps - start, ...extra });
    if (this.#exit !== null) return outcome('exit', { exit: this.#exit });
    this.#stop = null;
    const removers = this.#installUntil(options.until);
    try {
      for (;;) {
        if (this.#exit !== null) return outcome('exit', { exit: this.#exit });
        if (this.#stop !== null) {
          const { reason, hart, trap } = this.#stop;
          return outcome(reason, { ...(hart === undefined || hart < 0 ? {} : { hart }), ...(trap === undefined ? {} : { trap }) });
        }
        const left = budget - (this.#steps - start);
        if (left <= 0) return outcome('budget');
        if (!this.#anyCanRun() && !this.#skipToNextTimer()) return outcome('idle');
        const slice = currentSlice(this.#schedule, this.#cursor);
        if (slice === null) return outcome('schedule-end');
        const hart = this.harts[slice.hart]!;
        if (this.#hsm[slice.hart] !== HSM_STARTED) {
          endSlice(this.#schedule, this.#cursor, this.harts.length);
          continue;
        }
        this.#running = slice.hart;
        const ran = hart.run(Math.min(slice.steps, left));
        this.#running = -1;
        if (this.#htifError !== null) throw new HtifError(this.#htifError);
        this.#steps += ran;
        this.#advanceTime(ran);
        this.#cursor.remaining -= ran;
        const interrupted = this.#stop !== null || this.#exit !== null || ran === left;
        if (this.#cursor.remaining <= 0 || this.#hsm[slice.hart] !== HSM_STARTED || this.#asleep(hart) || (ran === 0 && !interrupted)) {
          endSlice(this.#schedule, this.#cursor, this.harts.length);
        }
      }
    } finally {
      this.#running = -1;
      this.#until = undefined;
      this.#untilConsole = '';
      for (const remove of removers) remove();
    }
  }

  #installUntil(until: Until | undefined): (() => void)[] {
    this.#until = until;
    this.#untilConsole = until?.console === undefined ? '' : binaryString(new TextEncoder().encode(until.console));
    this.#runConsoleStart = this.#consoleBytes.length;
    this.#consoleTail = '';
    const removers: (() => void)[] = [];
    if (until?.pc !== undefined) {
      const { pc, hart } = typeof until.pc === 'bigint' ? { pc: until.pc, hart: undefined } : until.pc;
      for (const h of hart === undefined ? this.harts.map((_, i) => i) : [hart]) {
        removers.push(this.addPcHook(h, pc, () => this.#requestStop({ reason: 'pc', hart: h })));
      }
    }
    return removers;
  }

  #asleep(hart: Hart): boolean {
    return hart.waiting && (hart.mip() & hart.mie) === 0;
  }

  #anyCanRun(): boolean {
    return this.harts.some((hart, h) => this.#hsm[h] === HSM_STARTED && !this.#asleep(hart));
  }

  /** Every started hart waits: jump mtime to the next deadline until one wakes. False when none ever will. */
  #skipToNextTimer(): boolean {
    for (;;) {
      if (!this.#hsm.includes(HSM_STARTED)) return false;
      const wait = this.clint.ticksUntilNextTimer();
      if (wait === null) return false;
      this.clint.advance(wait);
      if (this.#anyCanRun()) return true;
    }
  }

  #advanceTime(steps: number): void {
    this.#tickCarry += steps;
    if (this.#tickCarry < VIRT_STEPS_PER_TICK) return;
    const ticks = Math.floor(this.#tickCarry / VIRT_STEPS_PER_TICK);
    this.#tickCarry -= ticks * VIRT_STEPS_PER_TICK;
    this.clint.advance(BigInt(ticks));
  }

  /** Replaces the schedule; it starts from its beginning (round-robin from hart 0). */
  setSchedule(schedule: Schedule): void {
    checkSchedule(schedule, this.harts.length);
    this.#schedule = schedule;
    this.#cursor = freshCursor();
  }

  get schedule(): Schedule {
    return this.#schedule;
  }

  // ---- observation and control -----------------------------------------------

  /** Set once the machine has exited (finisher, SBI reset, HTIF); runs then return at once. */
  get exit(): MachineExit | null {
    return this.#exit;
  }
  /** Steps executed since reset, all harts together. */
  get steps(): number {
    return this.#steps;
  }
  /** Console output so far (UTF-8 decoded). Cheap to call often: the text is decoded once per change, and not at all while it is ASCII. */
  get console(): string {
    const bytes = this.#consoleBytes;
    if (!this.#consoleNonAscii) return bytes;
    if (bytes !== this.#decodedFrom) {
      this.#decoded = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
      this.#decodedFrom = bytes;
    }
    return this.#decoded;
  }
  hsmState(hart: number): HsmState {
    return this.#hsm[this.#checkHart(hart)]!;
  }
  hart(h: number): Hart {
    return this.harts[this.#checkHart(h)]!;
  }
  readRegister(h: number, index: number): bigint {
    if (!Number.isInteger(index) || index < 0 || index > 31) throw new RangeError(`register x${index} does not exist`);
    return this.hart(h).getRegister(index);
  }
  readCsr(h: number, name: string): bigint {
    return this.hart(h).readCsr(name);
  }
  /** Translates `va` through hart h's MMU as an access of `kind` would now (no TLB, no side effects). */
  translate(h: number, va: bigint, kind: AccessKind = 'load'): { pa: bigint } | { error: string } {
    return this.hart(h).translateForInspection(va, ACCESS[kind]);
  }

  /** Reads RAM (zeros where never written). */
  readPhysical(pa: number | bigint, length: number): Uint8Array {
    return this.bus.ram.readBytes(Number(pa), length);
  }
  readPhysicalU64(pa: number | bigint): bigint {
    return new DataView(this.readPhysical(pa, 8).buffer).getBigUint64(0, true);
  }
  /** Writes RAM as a device would: decode caches, LR reservations and write watches all see it. */
  writePhysical(pa: number | bigint, bytes: Uint8Array): void {
    const at = Number(pa);
    if (!this.bus.ram.contains(at, bytes.length)) throw new RangeError(`write of ${bytes.length} bytes at 0x${at.toString(16)} is outside RAM`);
    for (let i = 0; i < bytes.length; i++) this.bus.write(at + i, 1, bytes[i]!, 0, -1);
  }
  writePhysicalU64(pa: number | bigint, value: bigint): void {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.writePhysical(pa, bytes);
  }
  /** A payload symbol, or undefined (the payload must be an ELF with a symbol table). */
  symbol(name: string): ElfSymbol | undefined {
    return this.payload?.elf?.symbol(name);
  }
  /** Queues console input for the UART's receiver. */
  feedInput(data: string | Uint8Array): void {
    this.uart.pushInput(data);
  }

  onTrap(listener: (event: TrapEvent) => void): () => void {
    this.#trapListeners.add(listener);
    return () => this.#trapListeners.delete(listener);
  }
  /** Strict TLB mode's reports (the machine must be built with strictTlb). */
  onStaleTranslation(listener: (event: StaleTranslationEvent) => void): () => void {
    this.#staleListeners.add(listener);
    return () => this.#staleListeners.delete(listener);
  }
  /**
   * Calls `listener` on every hart after each CSR instruction that writes
   * `csr` (a 12-bit address or a spec name, e.g. 0x180 or 'satp') retires,
   * before the next instruction: see CsrWriteEvent for which forms write and
   * what the event holds. Listeners are observers, kept across snapshot
   * restores like onTrap's. Returns a remover.
   */
  onCsrWrite(csr: number | string, listener: (event: CsrWriteEvent) => void): () => void {
    const def = typeof csr === 'string' ? CSRS.get(csr) : CSRS_BY_ADDRESS.get(csr);
    if (def === undefined) {
      throw new RangeError(typeof csr === 'string' ? `onCsrWrite: no CSR named ${csr}` : `onCsrWrite: no CSR at address ${csr} (0x${Number(csr).toString(16)})`);
    }
    if (this.#csrListeners.size === 0) {
      for (const hart of this.harts) hart.hooks.onCsrWrite = (event) => this.#onCsrWrite(event);
    }
    let set = this.#csrListeners.get(def.address);
    if (set === undefined) this.#csrListeners.set(def.address, (set = new Set()));
    set.add(listener);
    const listeners = set;
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0 || this.#csrListeners.get(def.address) !== listeners) return;
      this.#csrListeners.delete(def.address);
      if (this.#csrListeners.size === 0) for (const hart of this.harts) delete hart.hooks.onCsrWrite;
    };
  }
  #onCsrWrite(event: CsrWriteEvent): void {
    const listeners = this.#csrListeners.get(event.csr);
    if (listeners !== undefined) for (const l of [...listeners]) l(event);
  }
  /** Console output as it is produced (one call per byte, latin-1 decoded). */
  onConsole(listener: (text: string) => void): () => void {
    this.#consoleListeners.add(listener);
    return () => this.#consoleListeners.delete(listener);
  }
  /** Calls `hook` before hart h executes the instruction at virtual `pc`. Several hooks per pc are fine. */
  addPcHook(h: number, pc: bigint, hook: (hart: Hart) => void): () => void {
    const hooks = this.#pcHooks[this.#checkHart(h)]!;
    const at = BigInt.asUintN(64, pc);
    let entry = hooks.get(at);
    if (entry === undefined) {
      const set = new Set<(hart: Hart) => void>();
      entry = { hooks: set, remove: this.harts[h]!.addPcHook(at, (hart) => { for (const f of [...set]) f(hart); }) };
      hooks.set(at, entry);
    }
    entry.hooks.add(hook);
    const e = entry;
    return () => {
      e.hooks.delete(hook);
      if (e.hooks.size === 0 && hooks.get(at) === e) {
        e.remove();
        hooks.delete(at);
      }
    };
  }
  /** Calls `callback` after every write (any hart, device or host) overlapping physical [start, end). */
  watchPhysicalWrites(start: number, end: number, callback: WriteWatch): () => void {
    return this.bus.watchWrites(start, end, callback);
  }
  /** Sets (or with undefined removes) a Spike-format trace sink on every hart. */
  setTrace(trace: ((line: string) => void) | undefined): void {
    for (const hart of this.harts) hart.setTrace(trace);
  }

  // ---- snapshots -----------------------------------------------------------

  /**
   * The whole machine as data. RAM pages are shared copy-on-write, so this
   * costs O(pages in use) and restoring the latest snapshot costs O(pages
   * written since). Take and restore snapshots between runs, not from hooks.
   */
  snapshot(): MachineSnapshot {
    return {
      ram: this.bus.snapshotRam(),
      harts: this.harts.map((h) => h.saveState()),
      hsm: [...this.#hsm],
      clint: this.clint.save(),
      plic: this.plic.save(),
      uart: this.uart.save(),
      finisher: this.finisher.save(),
      pcie: this.pcie.save(),
      exit: this.#exit,
      steps: this.#steps,
      tickCarry: this.#tickCarry,
      schedule: this.#schedule,
      cursor: { ...this.#cursor },
      console: this.#consoleBytes,
    };
  }

  /** Puts the machine back exactly as `snap` found it (a snapshot of this machine). */
  restore(snap: MachineSnapshot): void {
    if (snap.harts.length !== this.harts.length) throw new RangeError(`snapshot has ${snap.harts.length} harts, this machine ${this.harts.length}`);
    this.bus.restoreRam(snap.ram);
    // Devices re-drive their lines; the harts' own saved mip lines are restored last and agree with them.
    this.uart.restore(snap.uart);
    this.plic.restore(snap.plic);
    this.clint.restore(snap.clint);
    this.finisher.restore(snap.finisher);
    this.pcie.restore(snap.pcie);
    this.harts.forEach((hart, i) => {
      hart.restoreState(snap.harts[i]!);
      if (hart.reservation >= 0) this.bus.reserve(hart, hart.reservation);
    });
    this.#hsm = [...snap.hsm];
    this.#exit = snap.exit;
    this.#steps = snap.steps;
    this.#tickCarry = snap.tickCarry;
    this.#schedule = snap.schedule;
    this.#cursor = { ...snap.cursor };
    this.#consoleBytes = snap.console;
    this.#consoleNonAscii = /[^\x00-\x7f]/.test(snap.console);
  }

  #checkHart(h: number): number {
    if (!Number.isInteger(h) || h < 0 || h >= this.harts.length) throw new RangeError(`hart ${h} does not exist (harts 0..${this.harts.length - 1})`);
    return h;
  }
}

function binaryString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
