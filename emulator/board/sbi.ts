/**
 * The `builtin` firmware: the emulator itself plays the M-mode SBI
 * implementation for S-mode software (RISC-V SBI specification v1.0.0).
 *
 * It runs in zero instructions: an `ecall` from S-mode traps to M-mode as on
 * hardware (the trap hook sees EnvironmentCallFromSMode), the call is served,
 * and the hart returns to S-mode at the next instruction as an `mret` would.
 * Any other trap that reaches M-mode (an exception medeleg does not delegate)
 * is redirected to S-mode's stvec, as OpenSBI's sbi_trap_redirect does.
 *
 * Extensions: Base (0x10), legacy set_timer (0x00), console_putchar (0x01),
 * console_getchar (0x02) and shutdown (0x08); TIME, IPI, RFENCE (fence.i and
 * sfence.vma forms; the hfence forms are not supported), HSM (hart_start,
 * hart_stop, hart_get_status; hart_suspend is not supported) and SRST.
 * The console calls go through the ns16550's registers, as OpenSBI's
 * uart8250 driver does.
 */
import { Exception, MIP_SSIP, PRV_M, PRV_S } from '../hart/causes.js';
import { MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP } from '../hart/csr.js';
import type { Hart, TrapEvent } from '../hart/hart.js';
import { vpnKey } from '../mmu/sv39.js';
import { bigHi, bigLo } from '../bits.js';

/** SBI extension IDs (SBI spec chapters 4-10). */
export const SBI_EXT = {
  legacySetTimer: 0x00,
  legacyConsolePutchar: 0x01,
  legacyConsoleGetchar: 0x02,
  legacyShutdown: 0x08,
  base: 0x10,
  time: 0x54494d45,
  ipi: 0x735049,
  rfence: 0x52464e43,
  hsm: 0x48534d,
  srst: 0x53525354,
} as const;

/** SBI error codes (SBI spec table 1). */
export const SBI_SUCCESS = 0n;
export const SBI_ERR_FAILED = -1n;
export const SBI_ERR_NOT_SUPPORTED = -2n;
export const SBI_ERR_INVALID_PARAM = -3n;
export const SBI_ERR_ALREADY_AVAILABLE = -6n;

/** HSM hart states (SBI spec 9, table 13). */
export const HSM_STARTED = 0;
export const HSM_STOPPED = 1;
export type HsmState = typeof HSM_STARTED | typeof HSM_STOPPED;

/** spec version 1.0 (bits 30:24 major, 23:0 minor). */
export const SBI_SPEC_VERSION = 0x0100_0000n;
/**
 * Implementation ID: outside the SBI spec's registered list (0-9 at v1.0),
 * so software cannot mistake the emulator for a real implementation.
 */
export const SBI_IMPL_ID = 0x6876n;
export const SBI_IMPL_VERSION = 1n;

/** What the firmware needs from the board. */
export interface SbiBoard {
  readonly harts: readonly Hart[];
  hsmState(hart: number): HsmState;
  /** Starts a stopped hart in S-mode at `startAddress` with a0 = hartid, a1 = opaque, satp = 0, SIE = 0. */
  startHart(hart: number, startAddress: bigint, opaque: bigint): void;
  /** Stops the calling hart (it never returns from the call). */
  stopHart(hart: number): void;
  setTimer(hart: number, value: bigint): void;
  /** The UART's registers (offset, value), as a driver would access them. */
  uartRead(register: number): number;
  uartWrite(register: number, value: number): void;
  /** SRST or legacy shutdown: ends the run. */
  systemReset(type: number, reason: number): void;
}

const UART_RBR_THR = 0;
const UART_LSR = 5;
const LSR_DR = 0x01;

const SRST_TYPES = 3; // shutdown, cold reboot, warm reboot
const SRST_VENDOR_TYPE_MIN = 0xf000_0000;

export class BuiltinSbi {
  constructor(private readonly board: SbiBoard) {}

  /**
   * Serves a trap that went to M-mode. Returns false for traps not taken to
   * M-mode (delegated ones), which firmware never sees.
   */
  handleTrap(hart: Hart, event: TrapEvent): boolean {
    if (event.to !== PRV_M) return false;
    if (event.interrupt) {
      throw new Error(`builtin firmware: hart ${hart.hartId} took M-mode interrupt ${event.name}, which the builtin firmware never enables`);
    }
    if (event.from === PRV_M) {
      throw new Error(`builtin firmware: hart ${hart.hartId} trapped in M-mode (${event.name} at pc 0x${event.pc.toString(16)}); M-mode code does not run under builtin firmware`);
    }
    if (event.cause === Exception.EnvironmentCallFromSMode) {
      this.returnFromM(hart, event.pc + 4n);
      this.call(hart);
      return true;
    }
    this.redirectToS(hart, event);
    return true;
  }

  /** mret to the privilege in mstatus.MPP at `pc`. */
  private returnFromM(hart: Hart, pc: bigint): void {
    const s = hart.mstatus;
    hart.priv = ((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) as typeof PRV_S;
    hart.mstatus = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((s & MSTATUS_MPIE) !== 0 ? MSTATUS_MIE : 0) | MSTATUS_MPIE;
    hart.pc = pc;
    hart.flushFastCaches();
  }

  /** Delivers an M-mode trap from S or U to S-mode, as if medeleg had delegated it (privileged spec 4.1.1). */
  private redirectToS(hart: Hart, event: TrapEvent): void {
    this.returnFromM(hart, event.pc);
    const s = hart.mstatus;
    hart.scause = BigInt(event.cause);
    hart.sepc = event.pc;
    hart.stval = event.tval;
    hart.mstatus = (s & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((s & MSTATUS_SIE) !== 0 ? MSTATUS_SPIE : 0) | (event.from === PRV_S ? MSTATUS_SPP : 0);
    hart.priv = PRV_S;
    hart.pc = hart.stvec & ~3n;
    hart.flushFastCaches();
  }

  /** Dispatches on a7 (EID) and a6 (FID); writes a0 (error) and a1 (value). */
  private call(hart: Hart): void {
    const a = (i: number): bigint => hart.getRegister(10 + i);
    const eid = Number(hart.getRegister(17));
    const fid = Number(hart.getRegister(16));
    const ret = (error: bigint, value = 0n): void => {
      hart.setRegister(10, error);
      hart.setRegister(11, value);
    };
    const legacy = (value: bigint): void => hart.setRegister(10, value);
    const id = hart.hartId;
    switch (eid) {
      case SBI_EXT.legacySetTimer:
        this.board.setTimer(id, a(0));
        return legacy(0n);
      case SBI_EXT.legacyConsolePutchar:
        this.board.uartWrite(UART_RBR_THR, Number(a(0) & 0xffn));
        return legacy(0n);
      case SBI_EXT.legacyConsoleGetchar:
        return legacy((this.board.uartRead(UART_LSR) & LSR_DR) !== 0 ? BigInt(this.board.uartRead(UART_RBR_THR)) : -1n);
      case SBI_EXT.legacyShutdown:
        this.board.systemReset(0, 0);
        return legacy(0n);
      case SBI_EXT.base:
        return this.base(fid, a(0), ret);
      case SBI_EXT.time:
        if (fid !== 0) return ret(SBI_ERR_NOT_SUPPORTED);
        this.board.setTimer(id, a(0));
        return ret(SBI_SUCCESS);
      case SBI_EXT.ipi: {
        if (fid !== 0) return ret(SBI_ERR_NOT_SUPPORTED);
        const targets = this.targets(a(0), a(1));
        if (targets === null) return ret(SBI_ERR_INVALID_PARAM);
        for (const t of targets) this.board.harts[t]!.mipSoftware |= MIP_SSIP;
        return ret(SBI_SUCCESS);
      }
      case SBI_EXT.rfence:
        return this.rfence(fid, a, ret);
      case SBI_EXT.hsm:
        return this.hsm(hart, fid, a, ret);
      case SBI_EXT.srst: {
        if (fid !== 0) return ret(SBI_ERR_NOT_SUPPORTED);
        const type = Number(a(0) & 0xffff_ffffn);
        if (type >= SRST_TYPES && type < SRST_VENDOR_TYPE_MIN) return ret(SBI_ERR_INVALID_PARAM);
        this.board.systemReset(type, Number(a(1) & 0xffff_ffffn));
        return ret(SBI_SUCCESS);
      }
      default:
        return ret(SBI_ERR_NOT_SUPPORTED);
    }
  }

  private base(fid: number, arg: bigint, ret: (error: bigint, value?: bigint) => void): void {
    switch (fid) {
      case 0:
        return ret(SBI_SUCCESS, SBI_SPEC_VERSION);
      case 1:
        return ret(SBI_SUCCESS, SBI_IMPL_ID);
      case 2:
        return ret(SBI_SUCCESS, SBI_IMPL_VERSION);
      case 3: {
        const known = (Object.values(SBI_EXT) as number[]).includes(Number(arg));
        return ret(SBI_SUCCESS, known ? 1n : 0n);
      }
      case 4:
      case 5:
      case 6:
        return ret(SBI_SUCCESS, 0n); // mvendorid, marchid, mimpid all read 0 (csr.ts)
      default:
        return ret(SBI_ERR_NOT_SUPPORTED);
    }
  }

  private rfence(fid: number, a: (i: number) => bigint, ret: (error: bigint, value?: bigint) => void): void {
    if (fid > 2) return ret(SBI_ERR_NOT_SUPPORTED); // hfence.* need the H extension
    const targets = this.targets(a(0), a(1));
    if (targets === null) return ret(SBI_ERR_INVALID_PARAM);
    if (fid === 0) return ret(SBI_SUCCESS); // fence.i: decoded instructions are dropped on every write
    const start = a(2);
    const size = a(3);
    const asid = fid === 2 ? Number(a(4) & 0xffffn) : undefined;
    const everything = (start === 0n && size === 0n) || size === BigInt.asUintN(64, -1n) || size > 64n * 4096n;
    for (const t of targets) {
      const hart = this.board.harts[t]!;
      if (everything) hart.tlb.flush(undefined, asid);
      else for (let va = start & ~0xfffn; va < start + size; va += 4096n) hart.tlb.flush(vpnKey(bigLo(va), bigHi(va)), asid);
      hart.flushFastCaches();
    }
    return ret(SBI_SUCCESS);
  }

  private hsm(hart: Hart, fid: number, a: (i: number) => bigint, ret: (error: bigint, value?: bigint) => void): void {
    const count = this.board.harts.length;
    switch (fid) {
      case 0: {
        const target = a(0);
        if (target >= BigInt(count)) return ret(SBI_ERR_INVALID_PARAM);
        if (this.board.hsmState(Number(target)) !== HSM_STOPPED) return ret(SBI_ERR_ALREADY_AVAILABLE);
        this.board.startHart(Number(target), a(1), a(2));
        return ret(SBI_SUCCESS);
      }
      case 1:
        ret(SBI_SUCCESS);
        this.board.stopHart(hart.hartId);
        return;
      case 2: {
        const target = a(0);
        if (target >= BigInt(count)) return ret(SBI_ERR_INVALID_PARAM);
        return ret(SBI_SUCCESS, BigInt(this.board.hsmState(Number(target))));
      }
      default:
        return ret(SBI_ERR_NOT_SUPPORTED);
    }
  }

  /** Harts named by (hart_mask, hart_mask_base); base = -1 means all harts. Null when one does not exist. */
  private targets(mask: bigint, base: bigint): number[] | null {
    const count = this.board.harts.length;
    if (base === BigInt.asUintN(64, -1n)) return Array.from({ length: count }, (_, i) => i);
    const out: number[] = [];
    for (let bit = 0n; bit < 64n; bit++) {
      if (((mask >> bit) & 1n) === 0n) continue;
      const id = base + bit;
      if (id >= BigInt(count)) return null;
      out.push(Number(id));
    }
    return out;
  }
}
