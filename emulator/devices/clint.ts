/**
 * CLINT (`sifive,clint0`): per-hart software interrupt (msip) and timer
 * (mtimecmp), and the shared mtime. Layout of the SiFive CLINT as QEMU 7.2's
 * virt board maps it (an ACLINT MSWI at 0x0 plus an MTIMER at 0x4000; QEMU
 * hw/intc/riscv_aclint.c; RISC-V ACLINT spec §2–3; privileged spec §3.2.1
 * "Machine Timer Registers").
 *
 * | offset            | size   | register     | behaviour                                  |
 * |-------------------|--------|--------------|--------------------------------------------|
 * | 0x0000 + 4*h      | 4      | msip[h]      | bit 0 drives hart h's MSIP; other bits 0    |
 * | 0x4000 + 8*h      | 8 or 4 | mtimecmp[h]  | 4-byte accesses reach the low/high half     |
 * | 0xbff8            | 8 or 4 | mtime        | 4-byte accesses reach the low/high half     |
 *
 * MTIP of hart h is the level `mtime >= mtimecmp[h]` (unsigned), re-evaluated
 * whenever either side changes. mtime counts only when the board calls
 * `advance`, never with wall-clock time, so runs are reproducible. Reset:
 * mtime = 0, mtimecmp = 0 (QEMU's values; so MTIP is high until firmware
 * writes mtimecmp, as in QEMU after reset), msip = 0.
 *
 * Accesses QEMU rejects (1- or 2-byte, misaligned, harts beyond the
 * configured ones) read 0 and are ignored. An 8-byte access at a high half
 * (offset ≡ 4 mod 8) reads the high half and ignores writes, as QEMU does.
 */
import type { AccessSize, InterruptLine, MmioDevice, Snapshottable } from './device.js';

export const CLINT_MSIP_BASE = 0x0000;
export const CLINT_MTIMECMP_BASE = 0x4000;
export const CLINT_MTIME = 0xbff8;

const MASK64 = (1n << 64n) - 1n;
const MASK32 = 0xffff_ffffn;

/** The two wires from the CLINT into one hart's mip. */
export interface ClintHartLines {
  /** mip.MSIP (machine software interrupt). */
  readonly msip: InterruptLine;
  /** mip.MTIP (machine timer interrupt). */
  readonly mtip: InterruptLine;
}

export interface ClintState {
  readonly mtime: bigint;
  readonly mtimecmp: readonly bigint[];
  readonly msip: readonly boolean[];
}

export class Clint implements MmioDevice, Snapshottable<ClintState> {
  readonly name = 'clint';
  readonly size = 0x1_0000;
  readonly harts: number;
  #mtime = 0n;
  readonly #mtimecmp: bigint[];
  readonly #msip: boolean[];
  readonly #mtipLevel: boolean[];
  /** Smallest mtimecmp among harts whose MTIP is low: `advance` need not look further before mtime reaches it. */
  #nextDeadline = MASK64;

  /** One entry per hart, hart h at index h. Drives every MTIP line once, to its reset level. */
  constructor(private readonly lines: readonly ClintHartLines[]) {
    if (lines.length < 1) throw new RangeError('Clint needs at least one hart');
    this.harts = lines.length;
    this.#mtimecmp = new Array<bigint>(this.harts).fill(0n);
    this.#msip = new Array<boolean>(this.harts).fill(false);
    this.#mtipLevel = new Array<boolean>(this.harts).fill(false);
    this.#driveAll();
  }

  /** Current mtime (what the `time` CSR reads). */
  get mtime(): bigint {
    return this.#mtime;
  }

  /** Advances mtime by `ticks` (wrapping at 2^64) and updates MTIP lines that cross their deadline. */
  advance(ticks: bigint): void {
    if (ticks < 0n) throw new RangeError(`Clint.advance: ticks must be >= 0, got ${ticks}`);
    const sum = this.#mtime + ticks;
    this.#mtime = sum & MASK64;
    // Past 2^64 mtime wraps to a small value, which can lower MTIP lines too.
    if (sum > MASK64 || this.#mtime >= this.#nextDeadline) this.#updateTimers();
  }

  /**
   * Ticks until some hart's MTIP rises with mtime advancing, or null if none
   * will before mtime wraps. 0 never: a hart whose MTIP is already high is not counted.
   * A board can use this to skip time while every hart waits in WFI.
   */
  ticksUntilNextTimer(): bigint | null {
    let best: bigint | null = null;
    for (let hart = 0; hart < this.harts; hart++) {
      if (this.#mtipLevel[hart]) continue;
      const delta = this.#mtimecmp[hart]! - this.#mtime;
      if (best === null || delta < best) best = delta;
    }
    return best;
  }

  mtimecmp(hart: number): bigint {
    return this.#mtimecmp[this.#checkHart(hart)]!;
  }

  /** Sets mtimecmp of `hart` as a guest store would (for firmware implemented by the emulator). */
  setMtimecmp(hart: number, value: bigint): void {
    this.#mtimecmp[this.#checkHart(hart)] = value & MASK64;
    this.#updateTimers();
  }

  msip(hart: number): boolean {
    return this.#msip[this.#checkHart(hart)]!;
  }

  /** Sets msip of `hart` as a guest store would. */
  setMsip(hart: number, pending: boolean): void {
    const h = this.#checkHart(hart);
    if (this.#msip[h] === pending) return;
    this.#msip[h] = pending;
    this.lines[h]!.msip(pending);
  }

  read(offset: number, size: AccessSize): bigint {
    const reg = this.#decode(offset, size);
    switch (reg?.kind) {
      case 'msip':
        return this.#msip[reg.hart] ? 1n : 0n;
      case 'mtimecmp':
        return half(this.#mtimecmp[reg.hart]!, reg.part);
      case 'mtime':
        return half(this.#mtime, reg.part);
      default:
        return 0n;
    }
  }

  write(offset: number, size: AccessSize, value: bigint): void {
    const reg = this.#decode(offset, size);
    switch (reg?.kind) {
      case 'msip':
        this.setMsip(reg.hart, (value & 1n) === 1n);
        return;
      case 'mtimecmp':
        if (reg.part === 'high64') return;
        this.setMtimecmp(reg.hart, merge(this.#mtimecmp[reg.hart]!, reg.part, value));
        return;
      case 'mtime':
        if (reg.part === 'high64') return;
        this.#mtime = merge(this.#mtime, reg.part, value);
        this.#updateTimers();
        return;
      default:
        return;
    }
  }

  save(): ClintState {
    return { mtime: this.#mtime, mtimecmp: [...this.#mtimecmp], msip: [...this.#msip] };
  }

  /** Puts the state back and re-drives every line to its restored level (drives are idempotent). */
  restore(state: ClintState): void {
    if (state.mtimecmp.length !== this.harts || state.msip.length !== this.harts) {
      throw new RangeError(`Clint.restore: state is for ${state.mtimecmp.length} harts, this CLINT has ${this.harts}`);
    }
    this.#mtime = state.mtime;
    for (let hart = 0; hart < this.harts; hart++) {
      this.#mtimecmp[hart] = state.mtimecmp[hart]!;
      this.#msip[hart] = state.msip[hart]!;
    }
    this.#driveAll();
  }

  #driveAll(): void {
    for (let hart = 0; hart < this.harts; hart++) {
      this.lines[hart]!.msip(this.#msip[hart]!);
      this.#mtipLevel[hart] = this.#mtime >= this.#mtimecmp[hart]!;
      this.lines[hart]!.mtip(this.#mtipLevel[hart]!);
    }
    this.#recomputeDeadline();
  }

  #updateTimers(): void {
    for (let hart = 0; hart < this.harts; hart++) {
      const level = this.#mtime >= this.#mtimecmp[hart]!;
      if (level !== this.#mtipLevel[hart]) {
        this.#mtipLevel[hart] = level;
        this.lines[hart]!.mtip(level);
      }
    }
    this.#recomputeDeadline();
  }

  #recomputeDeadline(): void {
    let deadline = MASK64;
    for (let hart = 0; hart < this.harts; hart++) {
      if (!this.#mtipLevel[hart] && this.#mtimecmp[hart]! < deadline) deadline = this.#mtimecmp[hart]!;
    }
    this.#nextDeadline = deadline;
  }

  #checkHart(hart: number): number {
    if (!Number.isInteger(hart) || hart < 0 || hart >= this.harts) {
      throw new RangeError(`Clint: hart ${hart} does not exist (harts 0..${this.harts - 1})`);
    }
    return hart;
  }

  #decode(offset: number, size: AccessSize): DecodedRegister | null {
    if (size === 1 || size === 2) return null;
    if (offset >= CLINT_MSIP_BASE && offset < CLINT_MSIP_BASE + 4 * this.harts) {
      if (size !== 4 || offset % 4 !== 0) return null;
      return { kind: 'msip', hart: (offset - CLINT_MSIP_BASE) / 4, part: 'full' };
    }
    if (offset >= CLINT_MTIMECMP_BASE && offset < CLINT_MTIMECMP_BASE + 8 * this.harts) {
      const part = partAt(offset % 8, size);
      if (part === null) return null;
      return { kind: 'mtimecmp', hart: Math.floor((offset - CLINT_MTIMECMP_BASE) / 8), part };
    }
    if (offset === CLINT_MTIME || offset === CLINT_MTIME + 4) {
      const part = partAt(offset - CLINT_MTIME, size);
      return part === null ? null : { kind: 'mtime', hart: 0, part };
    }
    return null;
  }
}

/** Which bits of a 64-bit register an access reaches. 'high64' is an 8-byte access at the high half. */
type Part = 'full' | 'low' | 'high' | 'high64';

interface DecodedRegister {
  readonly kind: 'msip' | 'mtimecmp' | 'mtime';
  readonly hart: number;
  readonly part: Part;
}

function partAt(byteInRegister: number, size: AccessSize): Part | null {
  if (byteInRegister === 0) return size === 8 ? 'full' : 'low';
  if (byteInRegister === 4) return size === 8 ? 'high64' : 'high';
  return null;
}

function half(value: bigint, part: Part): bigint {
  switch (part) {
    case 'full':
      return value;
    case 'low':
      return value & MASK32;
    default:
      return value >> 32n;
  }
}

function merge(old: bigint, part: Part, value: bigint): bigint {
  switch (part) {
    case 'full':
      return value & MASK64;
    case 'low':
      return (old & ~MASK32 & MASK64) | (value & MASK32);
    default:
      return ((value & MASK32) << 32n) | (old & MASK32);
  }
}
