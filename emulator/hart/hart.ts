/**
 * One RV64IMAC hart with M, S and U modes, Sv39, PMP and a TLB (privileged
 * spec 1.12). A board owns one or more harts sharing a Bus; it drives the
 * interrupt lines (`setInterruptLine`), supplies `time`, and calls `run(n)`
 * for each slice of its schedule.
 *
 * Speed: registers are (lo, hi) int32 pairs (bits.ts); instructions are
 * decoded once per physical page into closures (isa/decode.ts) that return
 * the next page offset, so straight-line code and in-page branches never
 * leave `runPage`'s loop; loads, stores and fetches first try a small
 * per-access-kind cache derived from the TLB (`fast*` arrays), flushed
 * whenever privilege, mstatus, satp, PMP or the TLB change.
 */
import { TWO32, bigHi, bigLo, bigToReg, pairToBig, regToBig } from '../bits.js';
import type { AccessSize } from '../devices/device.js';
import type { Bus, DecodedPage, ReservationHolder } from '../memory/bus.js';
import type { SparseRam } from '../memory/ram.js';
import { decode, writtenRegister } from '../isa/decode.js';
import { compileBlock, type CompiledBlock } from './compile.js';
import { REGISTER_FILE_LENGTH, TEMP_A, TEMP_B } from '../isa/fields.js';
import { CSR_SET, CSR_WRITE } from '../isa/system.js';
import type { AmoCombine } from '../isa/rv64a.js';
import { accessFault, gStageException, misalignedException, translationException } from '../mmu/errors.js';
import { isCanonical, pteFlags, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, vpnKey } from '../mmu/sv39.js';
import { Tlb } from '../mmu/tlb.js';
import { checkPermission, flagsAfterAccess, walk, type PteReader, type TranslationError } from '../mmu/walk.js';
import {
  MODE_SV39, cachedAllows, translateTwoStage, updateDue, type Stage, type TwoStageContext, type TwoStageMemory, type TwoStageResult,
} from '../mmu/two-stage.js';
import {
  ADDRESS_EXCEPTIONS, Exception, INTERRUPT_PRIORITY, PRV_M, PRV_S, PRV_U, TRAP, VS_INTERRUPTS, causeName, type Privilege,
} from './causes.js';
import {
  CSRS, CSRS_BY_ADDRESS, type CsrDefinition, HSTATUS_GVA, HSTATUS_HU, HSTATUS_SPV, HSTATUS_SPVP, HSTATUS_VTSR, HSTATUS_VTVM, HSTATUS_VTW,
  MSTATUS_H_GVA, MSTATUS_H_MPV, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR,
  MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_SUM, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, VS_ALIASES, csrPrivilege, csrReadOnly,
} from './csr.js';
import { ACCESS_AMO, ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, Pmp, type Access } from './pmp.js';

/** A trap the hart took (observation hook). */
export interface TrapEvent {
  readonly hartId: number;
  readonly cause: number;
  readonly interrupt: boolean;
  /** Spec name of the cause, e.g. "LoadPageFault". */
  readonly name: string;
  readonly tval: bigint;
  /** pc of the trapping instruction (epc). */
  readonly pc: bigint;
  /** Privilege the hart was in, and the one the trap went to. */
  readonly from: Privilege;
  readonly to: Privilege;
  /** The virtualisation mode V before and after the trap (hypervisor extension): VS is (S, true), VU (U, true). */
  readonly fromVirtual: boolean;
  readonly toVirtual: boolean;
  /** htval/mtval2 as the trap wrote it (guest-physical address >> 2 for a guest-page fault, else 0; 0 when it went to VS). */
  readonly tval2: bigint;
  /** Whether tval is a guest virtual address (the GVA bit the trap wrote). */
  readonly gva: boolean;
}

/**
 * Strict TLB mode: a TLB hit whose translation memory no longer agrees with.
 *
 * When: only in strict mode (`strictTlb`, which also turns the fast paths off,
 * so every fetch, load, store and AMO translates through the TLB). On every
 * TLB hit the hart walks the table afresh before using the entry; it raises
 * this event only when the two disagree: the walk fails, or it gives another
 * 4 KiB page address, another level, other V/R/W/X/U bits, or another
 * effective G (G on the leaf or any PTE above it). A and D differences alone
 * are not reported (the walker sets them; the TLB keeps its own copy). The
 * event comes before the hit's permission check, so also for an access that
 * then faults, and the hart still uses the cached entry. One event per
 * translation of a page: an access crossing a page boundary translates two.
 * A hit whose A/D update is due re-walks and refills the entry after the event.
 */
export interface StaleTranslationEvent {
  readonly hartId: number;
  readonly va: bigint;
  readonly access: Access;
  readonly asid: number;
  /** The physical 4 KiB page the TLB supplied (and the hart used). */
  readonly cachedPagePa: number;
  /**
   * The cached entry's leaf PTE bits 7:0 (V R W X U G A D, mmu/sv39.ts PTE_*)
   * as the entry holds them: the leaf PTE as the walk that filled it read it,
   * with the A (and, for a store or AMO, D) bit that walk set or found.
   */
  readonly cachedFlags: number;
  /** The cached entry's leaf level: 0 (4 KiB page), 1 (2 MiB megapage), 2 (1 GiB gigapage). */
  readonly cachedLevel: number;
  /** The cached entry's page size in bytes: 4096, 2^21 or 2^30 (from cachedLevel). */
  readonly cachedPageSize: number;
  /** The cached entry's effective G: G on its leaf or on any PTE above it (global entries match every ASID). */
  readonly cachedGlobal: boolean;
  /** What a fresh walk gives now: a 4 KiB page address, or the walk error. */
  readonly current: number | TranslationError;
  /** The fresh walk's leaf PTE bits 7:0 and level, when it found a leaf (undefined when `current` is an error). */
  readonly currentFlags: number | undefined;
  readonly currentLevel: number | undefined;
  readonly pc: bigint;
  /**
   * Guest translations only (V = 1, or HLV/HSV/MPRV with MPV; the guest TLB):
   * set to true, with the VMID and the stage that disagrees ('VS' when the
   * VS-stage leaf changed, else 'G'); cachedFlags/currentFlags are then the
   * VS-stage leaf's (-1 under Bare), cachedGFlags/currentGFlags the
   * G-stage's, and `asid` is vsatp's (-1 for a VS-stage Bare entry).
   */
  readonly virtual?: true;
  readonly vmid?: number;
  readonly stage?: Stage;
  /** The guest-physical 4 KiB page the cached entry came through, and the fresh walk's (or -1 when it fails). */
  readonly cachedGpaPage?: number;
  readonly currentGpaPage?: number;
  readonly cachedGFlags?: number;
  readonly currentGFlags?: number | undefined;
}

/**
 * A CSR instruction wrote a CSR (observation hook). Fired for csrrw/csrrwi
 * always, for csrrs/csrrc/csrrsi/csrrci only when rs1 is not x0 / uimm is not
 * 0 (those forms do not write, Zicsr 9.1), and never for an access that
 * raises illegal instruction (nothing is written). Fired also when the write
 * changes nothing (a read-only-zero CSR, a WARL field that ignores the value,
 * a satp write with an unsupported MODE): `newValue` then equals `oldValue`.
 * Only instructions count: traps, xRET and host `writeCsr` do not fire it.
 *
 * Delivered once the instruction has retired and before the next one runs
 * (and before any interrupt it made pending is taken): the CSR holds
 * `newValue`, rd holds the old value, `hart.pc` is the next instruction's
 * address and `hart.instret` counts the writing instruction. A listener may
 * read anything (registers, CSRs, memory) and may call `requestStop()`.
 */
export interface CsrWriteEvent {
  readonly hartId: number;
  /** The 12-bit CSR address, and its spec name (e.g. 0x180, "satp"). */
  readonly csr: number;
  readonly name: string;
  /** pc of the CSR instruction. */
  readonly pc: bigint;
  /** Privilege the instruction ran at. */
  readonly priv: Privilege;
  /** The CSR as read just before the write (what rd received). */
  readonly oldValue: bigint;
  /** The value the instruction wrote, before WARL legalisation (CSRRS/CSRRC: the CSR's modifiable value with the rs1/uimm bits set or cleared). */
  readonly written: bigint;
  /** The CSR as read just after the write, legalised (= oldValue when the write was ignored). */
  readonly newValue: bigint;
}

/** Everything architectural (and the TLB) of a hart, as plain data (snapshots; see saveState). */
export interface HartState {
  readonly registers: Int32Array;
  readonly pcLo: number;
  readonly pcHi: number;
  readonly priv: Privilege;
  readonly virt: boolean;
  readonly csr: Readonly<Record<string, number | bigint>>;
  readonly pmpCfg: Uint8Array;
  readonly pmpAddr: readonly bigint[];
  readonly tlb: ReturnType<Tlb['save']>;
  readonly guestTlb: ReturnType<Tlb['save']>;
  readonly instret: number;
  readonly reservation: number;
  readonly waiting: boolean;
}

/** Hart fields saved by name in HartState.csr. */
const CSR_FIELDS = [
  'mstatus', 'medeleg', 'mideleg', 'mie', 'mipSoftware', 'mipLines', 'mtvec', 'stvec', 'mepc', 'sepc', 'mcause', 'scause', 'mtval', 'stval',
  'mscratch', 'sscratch', 'mcounteren', 'scounteren', 'menvcfg', 'senvcfg', 'cycleOffset', 'instretOffset',
  'mstatusH', 'hstatus', 'hedeleg', 'hideleg', 'hcounteren', 'htimedelta', 'htval', 'htinst', 'henvcfg', 'mtval2', 'mtinst',
  'vsstatus', 'vstvec', 'vsscratch', 'vsepc', 'vscause', 'vstval',
] as const;

export interface HartHooks {
  /**
   * Called before a trap is taken, with pc still at the trapping instruction.
   * Returning true means the host handled it (e.g. builtin SBI firmware
   * answering an ecall from S-mode; it must set pc itself): no trap is taken.
   */
  interceptTrap?: (hart: Hart, cause: number, interrupt: boolean, tval: bigint) => boolean;
  onTrap?: (event: TrapEvent) => void;
  onStaleTranslation?: (event: StaleTranslationEvent) => void;
  /** After every CSR instruction that writes a CSR (see CsrWriteEvent); unset costs nothing. */
  onCsrWrite?: (event: CsrWriteEvent) => void;
}

export interface HartOptions {
  readonly hartId?: number;
  /** Svade: a leaf with A = 0 (or D = 0 on a store) page-faults instead of being updated. */
  readonly svade?: boolean;
  /** Re-walk on every TLB hit and report stale translations (slow). */
  readonly strictTlb?: boolean;
  /** Source of the `time` CSR (the board's mtime). Default: the retired-instruction count. */
  readonly time?: () => bigint;
  /** Initial pc. Default 0x8000_0000. */
  readonly resetPc?: bigint;
  /**
   * The hypervisor extension (misa.H, privileged spec 1.12 chapter 8). Default
   * true; false gives an RV64IMAC hart without it (its CSRs and instructions
   * are illegal, misa.H reads 0).
   */
  readonly hypervisor?: boolean;
  /**
   * The block compiler (hart/compile.ts): hot straight-line code runs as
   * generated JavaScript, with the interpreter's exact semantics. Default
   * true; false runs everything in the interpreter (the reference).
   */
  readonly compile?: boolean;
  /** Interpreted arrivals at an instruction after which the block starting there is compiled (1..255, default COMPILE_THRESHOLD). */
  readonly compileThreshold?: number;
}

/** The ISA strings a machine may be asked for (`hvspec run --isa`): RV64IMAC with or without H. */
export type IsaName = 'rv64imac' | 'rv64imach';
export const ISA_NAMES: readonly IsaName[] = ['rv64imac', 'rv64imach'];

/** Default HartOptions.compileThreshold: compiling costs about as much as interpreting a block some hundred times. */
export const COMPILE_THRESHOLD = 64;

const FAST_ENTRIES = 256;
const FAST_MASK = FAST_ENTRIES - 1;

export class Hart implements ReservationHolder, PteReader, TwoStageMemory {
  readonly hartId: number;
  readonly bus: Bus;
  readonly pmp = new Pmp();
  /** Translations with V = 0 (Sv39 through satp). */
  readonly tlb = new Tlb();
  /** Translations with V = 1: combined VS-stage and G-stage entries, tagged with VMID and ASID. */
  readonly guestTlb = new Tlb();
  /** Whether the hart has the hypervisor extension (HartOptions.hypervisor). */
  readonly hExtension: boolean;
  readonly hooks: HartHooks = {};
  svade: boolean;
  strictTlb: boolean;
  /** Whether hot code runs compiled (HartOptions.compile); may be changed between runs. */
  compile: boolean;
  private readonly compileThreshold: number;
  timeSource: () => bigint;

  /** x0-x31 as (lo, hi) pairs, then the x0 sink and scratch slots (isa/fields.ts). */
  readonly r = new Int32Array(REGISTER_FILE_LENGTH);
  pcLo = 0;
  pcHi = 0;
  /** Virtual page base of the executing instruction (set by the run loop; ops compute pc from it). */
  pageLo = 0;
  pageHi = 0;
  priv: Privilege = PRV_M;
  /** The virtualisation mode V (hypervisor extension): with V = 1, priv S is VS-mode and U is VU-mode. */
  virt = false;

  // CSR state (csr.ts legalises every write)
  mstatus = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  /** mip bits written by software (SSIP, STIP, SEIP). */
  mipSoftware = 0;
  /** mip bits driven by interrupt lines (MSIP, MTIP, MEIP, SEIP). */
  mipLines = 0;
  mtvec = 0n;
  stvec = 0n;
  mepc = 0n;
  sepc = 0n;
  mcause = 0n;
  scause = 0n;
  mtval = 0n;
  stval = 0n;
  mscratch = 0n;
  sscratch = 0n;
  mcounteren = 0;
  scounteren = 0;
  menvcfg = 0n;
  senvcfg = 0n;
  satp = 0n;
  satpMode = 0;
  satpAsid = 0;
  satpPpn = 0;
  cycleOffset = 0n;
  instretOffset = 0n;
  // Hypervisor extension state (csr.ts legalises every write)
  /** mstatus bits 63:32 beyond SXL/UXL: GVA and MPV (MSTATUS_H_*). */
  mstatusH = 0;
  hstatus = 0;
  hedeleg = 0;
  hideleg = 0;
  hcounteren = 0;
  htimedelta = 0n;
  htval = 0n;
  htinst = 0n;
  henvcfg = 0n;
  mtval2 = 0n;
  mtinst = 0n;
  hgatp = 0n;
  hgatpMode = 0;
  hgatpVmid = 0;
  hgatpPpn = 0;
  vsstatus = 0;
  vstvec = 0n;
  vsscratch = 0n;
  vsepc = 0n;
  vscause = 0n;
  vstval = 0n;
  vsatp = 0n;
  vsatpMode = 0;
  vsatpAsid = 0;
  vsatpPpn = 0;

  /** Instructions retired since reset (the observation count; minstret is this plus an offset). */
  instret = 0;
  /** LR reservation: physical address, or -1. */
  reservation = -1;
  /** In WFI, waiting for an interrupt to become pending. */
  waiting = false;
  /** Set by a hook or device (e.g. HTIF exit) to end the current run() early. */
  stopRequested = false;
  /** Leave the inner loop after the current instruction (interrupt lines changed, stop requested). */
  private breakOut = false;

  // Pending exception, set by raise()
  private trapCause = 0;
  private trapTvalLo = 0;
  private trapTvalHi = 0;
  /** Of the pending exception: htval/mtval2 (GPA >> 2), htinst/mtinst, and whether tval is a guest virtual address. */
  private trapTval2 = 0n;
  private trapTinst = 0n;
  private trapGva = false;
  /** An explicit access made as though V = 1 is in progress (HLV/HSV, MPRV with MPV): its faults set GVA. */
  private guestAccess = false;

  // Fast-path caches derived from the TLB (see file comment)
  private readonly fastLoadTag = new Int32Array(FAST_ENTRIES).fill(-1);
  private readonly fastLoadPage = new Int32Array(FAST_ENTRIES);
  private readonly fastStoreTag = new Int32Array(FAST_ENTRIES).fill(-1);
  private readonly fastStorePage = new Int32Array(FAST_ENTRIES);
  private readonly fastFetchTag = new Int32Array(FAST_ENTRIES).fill(-1);
  private readonly fastFetchPage: (DecodedPage | undefined)[] = new Array<DecodedPage | undefined>(FAST_ENTRIES).fill(undefined);
  private readonly ram: SparseRam;
  private readonly ramViews: (DataView | undefined)[];
  private readonly ramWritable: Uint8Array;
  /** Per RAM page, non-zero when the page is word-sparse (no view, yet not all zeros): loads take the slow path. */
  private readonly ramSparse: Int32Array;
  /** Whether the last slow fetch may run on without per-instruction checks. */
  private fetchPageCacheable = false;

  // Observation: per-PC hooks and the trace
  private readonly pcHooks = new Map<bigint, (h: Hart) => void>();
  /** Virtual pages (pc >> 12, as hi * 2^20 + lo >>> 12) holding PC hooks, with the hooked offsets in each. */
  private readonly pcHookPages = new Map<number, Set<number>>();
  private trace: ((line: string) => void) | undefined;
  private hookedPc = -1n;
  /** Data accesses of the instruction being traced, in Spike's notation. */
  private traceAccesses = '';
  private hookedInstret = -1;
  /** Bits of the last instruction run by the page loop (traces). */
  private lastBits = 0;
  /** A CSR write awaiting delivery to onCsrWrite once its instruction has retired (set only while a listener exists). */
  private csrWritten: { def: CsrDefinition; pc: bigint; priv: Privilege; oldValue: bigint; written: bigint } | undefined = undefined;

  constructor(bus: Bus, options: HartOptions = {}) {
    this.bus = bus;
    this.hartId = options.hartId ?? 0;
    this.svade = options.svade ?? false;
    this.strictTlb = options.strictTlb ?? false;
    this.compile = options.compile ?? true;
    const threshold = options.compileThreshold ?? COMPILE_THRESHOLD;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) throw new Error(`HartOptions.compileThreshold ${threshold} is not an integer in 1..255`);
    this.compileThreshold = threshold;
    this.timeSource = options.time ?? (() => BigInt(this.instret));
    this.ram = bus.ram;
    this.ramViews = bus.ram.views;
    this.ramWritable = bus.ram.writable;
    this.ramSparse = bus.ram.sparse;
    this.hExtension = options.hypervisor ?? true;
    // With H, mideleg's VS-level bits are read-only one (8.4.3).
    if (this.hExtension) this.mideleg = VS_INTERRUPTS;
    this.pc = options.resetPc ?? 0x8000_0000n;
    bus.addReservationHolder(this);
  }

  // ---- architectural state access (boards, tests, the property suite) ---

  get pc(): bigint {
    return pairToBig(this.pcLo, this.pcHi);
  }
  set pc(v: bigint) {
    this.pcLo = bigLo(v);
    this.pcHi = bigHi(v);
  }
  /** x[i] as an unsigned 64-bit value. */
  getRegister(i: number): bigint {
    return i === 0 ? 0n : regToBig(this.r, 2 * i, false);
  }
  setRegister(i: number, v: bigint): void {
    if (i !== 0) bigToReg(this.r, 2 * i, v);
  }
  /** Reads a CSR by spec name, without privilege checks. */
  readCsr(name: string): bigint {
    const def = CSRS.get(name);
    if (def === undefined) throw new Error(`no CSR named ${name}`);
    return def.read(this);
  }
  /** Writes a CSR by spec name through its legalisation, without privilege checks. */
  writeCsr(name: string, v: bigint): void {
    const def = CSRS.get(name);
    if (def === undefined) throw new Error(`no CSR named ${name}`);
    def.write?.(this, BigInt.asUintN(64, v));
    this.flushFastCaches();
  }
  /** Current mip: software bits or'ed with the lines. */
  mip(): number {
    return this.mipSoftware | this.mipLines;
  }
  cycleCount(): bigint {
    return BigInt.asUintN(64, BigInt(this.instret) + this.cycleOffset);
  }
  instretCount(): bigint {
    return BigInt.asUintN(64, BigInt(this.instret) + this.instretOffset);
  }
  /** A CSR write's value is what the next instruction reads, so the writing instruction's own increment is cancelled. */
  setCycleCount(v: bigint): void {
    this.cycleOffset = v - BigInt(this.instret + 1);
  }
  setInstretCount(v: bigint): void {
    this.instretOffset = v - BigInt(this.instret + 1);
  }
  setSatp(v: bigint): void {
    this.satp = v;
    this.satpMode = Number(v >> 60n);
    this.satpAsid = Number((v >> 44n) & 0xffffn);
    this.satpPpn = Number(v & ((1n << 44n) - 1n));
    // The TLB is ASID-tagged and keeps its entries: the spec requires sfence.vma to see PTE changes.
    this.flushFastCaches();
  }

  setVsatp(v: bigint): void {
    this.vsatp = v;
    this.vsatpMode = Number(v >> 60n);
    this.vsatpAsid = Number((v >> 44n) & 0xffffn);
    this.vsatpPpn = Number(v & ((1n << 44n) - 1n));
    this.flushFastCaches();
  }
  setHgatp(v: bigint): void {
    this.hgatp = v;
    this.hgatpMode = Number(v >> 60n);
    this.hgatpVmid = Number((v >> 44n) & 0x3fffn);
    this.hgatpPpn = Number(v & ((1n << 44n) - 1n));
    this.flushFastCaches();
  }

  /** The hart's whole state as plain data (the decode cache and fast paths are derived, so not saved). */
  saveState(): HartState {
    const csr: Record<string, number | bigint> = {};
    for (const f of CSR_FIELDS) csr[f] = this[f];
    csr.satp = this.satp;
    csr.vsatp = this.vsatp;
    csr.hgatp = this.hgatp;
    return {
      registers: this.r.slice(), pcLo: this.pcLo, pcHi: this.pcHi, priv: this.priv, virt: this.virt, csr,
      pmpCfg: this.pmp.cfg.slice(), pmpAddr: [...this.pmp.addr], tlb: this.tlb.save(), guestTlb: this.guestTlb.save(),
      instret: this.instret, reservation: this.reservation, waiting: this.waiting,
    };
  }

  /** Puts back a state from saveState (of this or another hart with the same options). */
  restoreState(state: HartState): void {
    this.r.set(state.registers);
    this.pcLo = state.pcLo;
    this.pcHi = state.pcHi;
    this.priv = state.priv;
    this.virt = state.virt;
    const self = this as unknown as Record<string, number | bigint>;
    for (const f of CSR_FIELDS) self[f] = state.csr[f]!;
    this.setSatp(state.csr.satp as bigint);
    this.setVsatp(state.csr.vsatp as bigint);
    this.setHgatp(state.csr.hgatp as bigint);
    this.pmp.load(state.pmpCfg, state.pmpAddr);
    this.tlb.load(state.tlb);
    this.guestTlb.load(state.guestTlb);
    this.instret = state.instret;
    this.reservation = state.reservation;
    this.waiting = state.waiting;
    this.flushFastCaches();
  }

  // ---- interrupts ---------------------------------------------------------

  /** Drives the mip bits in `mask` (MSIP, MTIP, MEIP, SEIP) to `level`; the hart notices at the next instruction boundary. */
  setInterruptLine(mask: number, level: boolean): void {
    this.mipLines = level ? this.mipLines | mask : this.mipLines & ~mask;
    this.breakOut = true;
  }

  /** Ends the current run() after the executing instruction. */
  requestStop(): void {
    this.stopRequested = true;
    this.breakOut = true;
  }

  /**
   * The interrupt to take now (privileged spec 3.1.9, 8.4.3), or -1: those for
   * M first, then HS (always enabled while V = 1), then VS (delegated by
   * hideleg, enabled by vsstatus.SIE in VS-mode, always in VU-mode).
   */
  pendingInterrupt(): number {
    const pending = this.mip() & this.mie;
    if (pending === 0) return -1;
    const mEnabled = this.priv < PRV_M || (this.mstatus & MSTATUS_MIE) !== 0;
    const sEnabled = this.virt || this.priv < PRV_S || (this.priv === PRV_S && (this.mstatus & MSTATUS_SIE) !== 0);
    const toM = mEnabled ? pending & ~this.mideleg : 0;
    const toS = sEnabled ? pending & this.mideleg & ~this.hideleg : 0;
    const vsEnabled = this.virt && (this.priv === PRV_U || (this.vsstatus & MSTATUS_SIE) !== 0);
    const toVS = vsEnabled ? pending & this.mideleg & this.hideleg : 0;
    const set = toM !== 0 ? toM : toS !== 0 ? toS : toVS;
    if (set === 0) return -1;
    for (const cause of INTERRUPT_PRIORITY) if ((set & (1 << cause)) !== 0) return cause;
    return -1;
  }

  // ---- running ------------------------------------------------------------

  /**
   * Runs up to `maxSteps` steps (an instruction retired or a trap taken) and
   * returns how many ran. Returns early when a stop is requested or the hart
   * waits in WFI with no interrupt pending (`waiting` stays true).
   */
  run(maxSteps: number): number {
    this.stopRequested = false;
    let steps = 0;
    const single = this.trace !== undefined || this.strictTlb;
    const hooked = this.pcHooks.size > 0;
    while (steps < maxSteps && !this.stopRequested) {
      this.breakOut = false;
      if (this.waiting) {
        // WFI resumes on any locally enabled pending interrupt, whatever its global enables (3.3.3).
        if ((this.mip() & this.mie) === 0) break;
        this.waiting = false;
      }
      const cause = this.pendingInterrupt();
      if (cause >= 0) {
        this.takeTrap(cause, true, 0n);
        continue;
      }
      // runPage never leaves the virtual page it starts in, so PC hooks cost only in pages that have
      // one, and there only at the hooked instructions: the interpreter runs up to the next of them.
      const hookedHere = hooked ? this.pcHookPages.get(this.pcHi * 0x100000 + (this.pcLo >>> 12)) : undefined;
      if (single || hookedHere?.has(this.pcLo & 0xfff) === true) steps += this.stepObserved();
      else steps += this.runPage(maxSteps - steps, hookedHere);
    }
    return steps;
  }

  /**
   * Runs instructions of the page holding pc while they stay in it, stopping before any offset in
   * `stopBefore` (hooked PCs: the interpreter alone runs such a page). Returns steps taken.
   */
  private runPage(budget: number, stopBefore?: ReadonlySet<number>): number {
    const lo = this.pcLo;
    const hi = this.pcHi;
    const key = ((hi & 0x7f) << 20) | (lo >>> 12);
    const fi = key & FAST_MASK;
    let page: DecodedPage | undefined | null;
    if (this.fastFetchTag[fi] === key && ((hi << 25) >> 25) === hi) {
      page = this.fastFetchPage[fi]!;
    } else {
      try {
        page = this.fetchPageSlow(lo, hi);
      } catch (e) {
        if (e !== TRAP) throw e;
        this.takeException();
        return 1;
      }
      if (page === null) return this.stepUncached();
      if (!this.fetchPageCacheable) budget = 1;
    }
    this.pageLo = lo & ~0xfff;
    this.pageHi = hi;
    if (this.compile && budget > 1 && stopBefore === undefined) return this.runPageCompiled(page, lo & 0xfff, budget);
    const ops = page.ops;
    let off = lo & 0xfff;
    let steps = 0;
    try {
      for (;;) {
        steps++; // before decoding: a fetch fault in decodeAt is a step too
        let op = ops[off >> 1];
        if (op === undefined) op = this.decodeAt(page, off);
        const next = op(this);
        this.instret++;
        if (next < 0) break;
        if (next >= 4096 || steps >= budget || this.breakOut || stopBefore?.has(next) === true) {
          this.setPcInPage(next);
          break;
        }
        off = next;
      }
      this.lastBits = page.bits[off >> 1]!;
    } catch (e) {
      if (e !== TRAP) throw e;
      this.lastBits = page.bits[off >> 1]!;
      this.setPcInPage(off);
      this.takeException();
    }
    if (this.csrWritten !== undefined) this.deliverCsrWrite();
    return steps;
  }

  /**
   * runPage with the block compiler: at each instruction, a compiled block
   * starting there runs if it fits the budget; otherwise the interpreter runs
   * one instruction, counting arrivals, and compiles the block once they reach
   * the threshold. Steps, instret, pc and traps come out exactly as runPage's
   * (compile.ts says how blocks keep them exact).
   */
  private runPageCompiled(page: DecodedPage, start: number, budget: number): number {
    let off = start;
    let steps = 0;
    let block: CompiledBlock | undefined;
    let before = 0;
    try {
      for (;;) {
        const blocks = page.blocks;
        block = blocks === undefined ? undefined : blocks[off >> 1];
        let next: number;
        if (block !== undefined && block.length <= budget - steps) {
          before = this.instret;
          next = block.run(this);
          steps += this.instret - before;
          block = undefined;
        } else {
          // A block that exists but does not fit the budget is not compiled again.
          const cold = block === undefined;
          block = undefined;
          let heat = page.heat;
          if (heat === undefined) heat = page.heat = new Uint8Array(2048);
          const h = heat[off >> 1]! + 1;
          heat[off >> 1] = h;
          if (cold && h >= this.compileThreshold) {
            const compiled = compileBlock(this.ram, page, off);
            heat[off >> 1] = 0;
            if (compiled.length > 0) {
              (page.blocks ??= new Array<CompiledBlock | undefined>(2048).fill(undefined))[off >> 1] = compiled;
              continue;
            }
          }
          steps++;
          let op = page.ops[off >> 1];
          if (op === undefined) op = this.decodeAt(page, off);
          next = op(this);
          this.instret++;
        }
        if (next < 0) break;
        if (next >= 4096 || steps >= budget || this.breakOut) {
          this.setPcInPage(next);
          break;
        }
        off = next;
      }
    } catch (e) {
      if (e !== TRAP) throw e;
      if (block !== undefined) {
        // The block keeps instret exact before every call that may trap: k instructions retired, the k-th trapped.
        const k = this.instret - before;
        steps += k + 1;
        off = block.offsets[k]!;
      }
      this.lastBits = page.bits[off >> 1]!;
      this.setPcInPage(off);
      this.takeException();
    }
    if (this.csrWritten !== undefined) this.deliverCsrWrite();
    return steps;
  }

  /** One instruction with observation: PC hooks before, trace line after. */
  private stepObserved(): number {
    const pc = this.pc;
    const hook = this.pcHooks.get(pc);
    if (hook !== undefined && !(this.hookedPc === pc && this.hookedInstret === this.instret)) {
      // Once per arrival: after the hook, interrupts it raised are checked before the instruction runs.
      this.hookedPc = pc;
      this.hookedInstret = this.instret;
      hook(this);
      if (this.stopRequested || this.breakOut) return 0;
    }
    const trace = this.trace;
    if (trace === undefined) return this.runPage(1);
    const priv = this.priv;
    const before = this.instret;
    this.traceAccesses = '';
    const steps = this.runPage(1);
    if (this.instret !== before) trace(this.traceLine(priv, pc));
    return steps;
  }

  /** Spike --log-commits style: `core   0: 3 0x<pc> (0x<insn>) x<rd> 0x<value>`. */
  private traceLine(priv: number, pc: bigint): string {
    const bits = this.lastBits >>> 0;
    const insn = (bits & 3) === 3 ? bits.toString(16).padStart(8, '0') : (bits & 0xffff).toString(16).padStart(4, '0');
    let line = `core ${String(this.hartId).padStart(3)}: ${priv} 0x${pc.toString(16).padStart(16, '0')} (0x${insn})`;
    const rd = writtenRegister(bits);
    if (rd !== 0) line += ` x${String(rd).padEnd(2)} 0x${this.getRegister(rd).toString(16).padStart(16, '0')}`;
    return line + this.traceAccesses;
  }

  /** Sets the trace sink (one line per retired instruction), or removes it. */
  setTrace(trace: ((line: string) => void) | undefined): void {
    this.trace = trace;
    // While tracing every access takes the slow path, which records it for the trace line.
    this.flushFastCaches();
  }

  /** Notes a data access for the trace line (Spike prints ` mem 0x<va>` for reads, ` mem 0x<va> 0x<value>` for writes). */
  private traceAccess(lo: number, hi: number, size: number, write: boolean, vlo: number, vhi: number): void {
    let text = ` mem 0x${pairToBig(lo, hi).toString(16).padStart(16, '0')}`;
    if (write) text += ` 0x${BigInt.asUintN(8 * size, pairToBig(vlo, vhi)).toString(16).padStart(2 * size, '0')}`;
    this.traceAccesses += text;
  }

  /** Calls `hook` before the instruction at virtual address `pc` executes. Returns a remover. */
  addPcHook(pc: bigint, hook: (h: Hart) => void): () => void {
    const at = BigInt.asUintN(64, pc);
    this.pcHooks.set(at, hook);
    const page = bigHi(at) * 0x100000 + (bigLo(at) >>> 12);
    const offset = bigLo(at) & 0xfff;
    let offsets = this.pcHookPages.get(page);
    if (offsets === undefined) this.pcHookPages.set(page, (offsets = new Set()));
    offsets.add(offset);
    return () => {
      if (!this.pcHooks.delete(at)) return;
      const current = this.pcHookPages.get(page);
      current?.delete(offset);
      if (current?.size === 0) this.pcHookPages.delete(page);
    };
  }

  /** Fetch, decode and run one instruction that is not in RAM (MMIO, e.g. a boot ROM device); not cached. */
  private stepUncached(): number {
    const lo = this.pcLo;
    const hi = this.pcHi;
    try {
      const pa = this.translate(lo, hi, ACCESS_FETCH, 2);
      if (!this.bus.read(pa, 2)) this.raise(Exception.InstructionAccessFault, lo, hi);
      let bits = this.bus.value[0]! & 0xffff;
      if ((bits & 3) === 3) {
        const lo2 = (lo + 2) | 0;
        const hi2 = (hi + (lo2 >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
        const pa2 = this.translate(lo2, hi2, ACCESS_FETCH, 2);
        if (!this.bus.read(pa2, 2)) this.raise(Exception.InstructionAccessFault, lo2, hi2);
        bits |= this.bus.value[0]! << 16;
      }
      this.pageLo = lo & ~0xfff;
      this.pageHi = hi;
      this.lastBits = bits;
      const next = decode(bits, lo & 0xfff)(this);
      this.instret++;
      if (next >= 0) this.setPcInPage(next);
      if (this.csrWritten !== undefined) this.deliverCsrWrite();
    } catch (e) {
      if (e !== TRAP) throw e;
      this.pcLo = lo;
      this.pcHi = hi;
      this.takeException();
    }
    return 1;
  }

  /** Decodes the instruction at `off` in `page` and caches it (unless it crosses into the next page). */
  private decodeAt(page: DecodedPage, off: number): (h: Hart) => number {
    const ram = this.ram;
    const pa = page.pa + off;
    const low = ram.readU8(pa) | (ram.readU8(pa + 1) << 8);
    if ((low & 3) !== 3 || off <= 0xffc) {
      const bits = (low & 3) !== 3 ? low : low | (ram.readU8(pa + 2) << 16) | (ram.readU8(pa + 3) << 24);
      const op = decode(bits, off);
      page.ops[off >> 1] = op;
      page.bits[off >> 1] = bits;
      return op;
    }
    // A 32-bit instruction whose upper half is in the next virtual page: fetch it through translation every time.
    const nextLo = (this.pageLo + 4096) | 0;
    const nextHi = (this.pageHi + (nextLo === 0 ? 1 : 0)) | 0;
    const pa2 = this.translate(nextLo, nextHi, ACCESS_FETCH, 2);
    if (!this.bus.read(pa2, 2)) this.raise(Exception.InstructionAccessFault, nextLo, nextHi);
    const bits = low | (this.bus.value[0]! << 16);
    page.bits[off >> 1] = bits;
    return decode(bits, off);
  }

  /** pc = page base + off (off may be 4096 or a little beyond). */
  private setPcInPage(off: number): void {
    const full = (this.pageLo >>> 0) + off;
    this.pcLo = full | 0;
    this.pcHi = (this.pageHi + (full >= TWO32 ? 1 : 0)) | 0;
  }

  // ---- helpers for instruction bodies -------------------------------------

  /** x[d] = page base + delta (auipc, link addresses). */
  pcRelativeToRegister(d: number, delta: number): void {
    const full = (this.pageLo >>> 0) + delta;
    this.r[d] = full | 0;
    this.r[d + 1] = (this.pageHi + Math.floor(full / TWO32)) | 0;
  }

  /** pc = page base + delta; returns -1 (the Op protocol for "pc set"). */
  jumpRelative(delta: number): number {
    const full = (this.pageLo >>> 0) + delta;
    this.pcLo = full | 0;
    this.pcHi = (this.pageHi + Math.floor(full / TWO32)) | 0;
    return -1;
  }

  jalr(d: number, a: number, imm: number, next: number): number {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    this.pcRelativeToRegister(d, next);
    // A target in the current page (returns from a near call) stays in the page loop.
    if (hi === this.pageHi && (lo ^ this.pageLo) >>> 12 === 0) return lo & 0xffe;
    this.pcLo = lo & ~1;
    this.pcHi = hi;
    return -1;
  }

  /** Records an exception and unwinds the instruction. tval is (lo, hi). */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    this.trapTval2 = 0n;
    this.trapTinst = 0n;
    // tval is a guest virtual address when the faulting access was made as though V = 1 (8.2.1 GVA).
    this.trapGva = (this.virt || this.guestAccess) && ((ADDRESS_EXCEPTIONS >>> cause) & 1) === 1;
    throw TRAP;
  }

  illegalInstruction(bits: number): never {
    return this.raise(Exception.IllegalInstruction, bits | 0, 0);
  }

  /** The virtual-instruction exception (cause 22, 8.6.1): tval = the instruction's bits, as for illegal instruction. */
  virtualInstruction(bits: number): never {
    return this.raise(Exception.VirtualInstruction, bits | 0, 0);
  }

  /** Raises a guest-page fault: tval = the guest virtual address (lo, hi), htval/mtval2 = `tval2`, GVA set. */
  private raiseGuest(cause: number, tvalLo: number, tvalHi: number, tval2: bigint, tinst: bigint): never {
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    this.trapTval2 = tval2;
    this.trapTinst = tinst;
    this.trapGva = true;
    throw TRAP;
  }

  // ---- loads and stores (fast path first, then loadSlow/storeSlow) --------

  ld(d: number, a: number, imm: number): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 0xff8) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastLoadTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastLoadPage[i]!;
        const v = this.ramViews[p];
        if (v !== undefined) {
          r[d] = v.getInt32(off, true);
          r[d + 1] = v.getInt32(off + 4, true);
          return;
        }
        if (this.ramSparse[p] === 0) {
          r[d] = 0;
          r[d + 1] = 0;
          return;
        }
      }
    }
    this.loadSlow(d, lo, hi, 8, true);
  }

  lw(d: number, a: number, imm: number): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 0xffc) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastLoadTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastLoadPage[i]!;
        const v = this.ramViews[p];
        if (v !== undefined || this.ramSparse[p] === 0) {
          const x = v === undefined ? 0 : v.getInt32(off, true);
          r[d] = x;
          r[d + 1] = x >> 31;
          return;
        }
      }
    }
    this.loadSlow(d, lo, hi, 4, true);
  }

  lwu(d: number, a: number, imm: number): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    this.loadSlow(d, lo, hi, 4, false);
  }

  /** lb, lbu, lh, lhu. */
  loadSmall(d: number, a: number, imm: number, size: 1 | 2, signed: boolean): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 4096 - size) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastLoadTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastLoadPage[i]!;
        const v = this.ramViews[p];
        if (v !== undefined || this.ramSparse[p] === 0) {
          let x = 0;
          if (v !== undefined) x = size === 1 ? (signed ? v.getInt8(off) : v.getUint8(off)) : signed ? v.getInt16(off, true) : v.getUint16(off, true);
          r[d] = x;
          r[d + 1] = x >> 31;
          return;
        }
      }
    }
    this.loadSlow(d, lo, hi, size, signed);
  }

  sd(a: number, b: number, imm: number): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 0xff8) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastStoreTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastStorePage[i]!;
        if (this.ramWritable[p] === 1) {
          const v = this.ramViews[p]!;
          v.setInt32(off, r[b]!, true);
          v.setInt32(off + 4, r[b + 1]!, true);
          return;
        }
      }
    }
    this.storeSlow(lo, hi, 8, r[b]!, r[b + 1]!);
  }

  sw(a: number, b: number, imm: number): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 0xffc) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastStoreTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastStorePage[i]!;
        if (this.ramWritable[p] === 1) {
          this.ramViews[p]!.setInt32(off, r[b]!, true);
          return;
        }
      }
    }
    this.storeSlow(lo, hi, 4, r[b]!, 0);
  }

  /** sb, sh. */
  storeSmall(a: number, b: number, imm: number, size: 1 | 2): void {
    const r = this.r;
    const al = r[a]!;
    const lo = (al + imm) | 0;
    const hi = (r[a + 1]! + (imm >> 31) + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    const off = lo & 0xfff;
    if (off <= 4096 - size) {
      const key = ((hi & 0x7f) << 20) | (lo >>> 12);
      const i = key & FAST_MASK;
      if (this.fastStoreTag[i] === key && ((hi << 25) >> 25) === hi) {
        const p = this.fastStorePage[i]!;
        if (this.ramWritable[p] === 1) {
          const v = this.ramViews[p]!;
          if (size === 1) v.setUint8(off, r[b]! & 0xff);
          else v.setUint16(off, r[b]! & 0xffff, true);
          return;
        }
      }
    }
    this.storeSlow(lo, hi, size, r[b]!, 0);
  }

  /** Any load: translation, PMP, misaligned and page-crossing accesses, MMIO. */
  private loadSlow(d: number, lo: number, hi: number, size: AccessSize, signed: boolean): void {
    let vlo = 0;
    let vhi = 0;
    if ((lo & 0xfff) + size > 4096) {
      // Misaligned across a page boundary: translate and read each byte (faults name the byte's address).
      for (let i = 0; i < size; i++) {
        const blo = (lo + i) | 0;
        const bhi = (hi + (blo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
        const pa = this.translate(blo, bhi, ACCESS_LOAD, 1);
        if (!this.bus.read(pa, 1)) this.raise(Exception.LoadAccessFault, blo, bhi);
        const byte = this.bus.value[0]! & 0xff;
        if (i < 4) vlo |= byte << (8 * i);
        else vhi |= byte << (8 * (i - 4));
      }
    } else {
      const pa = this.translate(lo, hi, ACCESS_LOAD, size);
      if (this.ram.contains(pa, size)) this.fillFast(ACCESS_LOAD, lo, hi, pa);
      else if ((lo & (size - 1)) !== 0) this.raise(Exception.LoadAccessFault, lo, hi); // misaligned MMIO
      if (!this.bus.read(pa, size)) this.raise(Exception.LoadAccessFault, lo, hi);
      vlo = this.bus.value[0]!;
      vhi = this.bus.value[1]!;
    }
    if (this.trace !== undefined) this.traceAccess(lo, hi, size, false, 0, 0);
    const r = this.r;
    if (size === 8) {
      r[d] = vlo;
      r[d + 1] = vhi;
    } else {
      const shift = 32 - 8 * size;
      const x = signed ? (vlo << shift) >> shift : shift === 0 ? vlo : vlo & ((1 << (8 * size)) - 1);
      r[d] = x;
      r[d + 1] = signed ? x >> 31 : 0;
    }
  }

  /** Any store: translation, PMP, misaligned and page-crossing accesses, MMIO, watches. */
  private storeSlow(lo: number, hi: number, size: AccessSize, vlo: number, vhi: number): void {
    if (this.trace !== undefined) this.traceAccess(lo, hi, size, true, vlo, vhi);
    if ((lo & 0xfff) + size > 4096) {
      // Translate every byte before writing any, so a fault leaves memory unchanged.
      const pas: number[] = [];
      for (let i = 0; i < size; i++) {
        const blo = (lo + i) | 0;
        const bhi = (hi + (blo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
        const pa = this.translate(blo, bhi, ACCESS_STORE, 1);
        if (!this.bus.exists(pa, 1)) this.raise(Exception.StoreAccessFault, blo, bhi);
        pas.push(pa);
      }
      for (let i = 0; i < size; i++) {
        const byte = i < 4 ? (vlo >>> (8 * i)) & 0xff : (vhi >>> (8 * (i - 4))) & 0xff;
        this.bus.write(pas[i]!, 1, byte, 0, this.hartId);
      }
      return;
    }
    const pa = this.translate(lo, hi, ACCESS_STORE, size);
    if (this.ram.contains(pa, size)) this.fillFast(ACCESS_STORE, lo, hi, pa);
    else if ((lo & (size - 1)) !== 0) this.raise(Exception.StoreAccessFault, lo, hi);
    if (!this.bus.write(pa, size, vlo, vhi, this.hartId)) this.raise(Exception.StoreAccessFault, lo, hi);
  }

  // ---- A extension ----------------------------------------------------------

  lr(d: number, a: number, size: 4 | 8): void {
    const lo = this.r[a]!;
    const hi = this.r[a + 1]!;
    if ((lo & (size - 1)) !== 0) this.raise(Exception.LoadAddressMisaligned, lo, hi);
    const pa = this.translate(lo, hi, ACCESS_LOAD, size);
    if (!this.bus.read(pa, size)) this.raise(Exception.LoadAccessFault, lo, hi);
    const v = this.bus.value;
    this.r[d] = v[0]!;
    this.r[d + 1] = size === 8 ? v[1]! : v[0]! >> 31;
    this.bus.reserve(this, pa);
    if (this.trace !== undefined) this.traceAccess(lo, hi, size, false, 0, 0);
  }

  /** sc: succeeds (rd = 0) only if this hart's reservation is still on exactly this address. */
  sc(d: number, a: number, b: number, size: 4 | 8): void {
    const lo = this.r[a]!;
    const hi = this.r[a + 1]!;
    if ((lo & (size - 1)) !== 0) this.raise(Exception.StoreAddressMisaligned, lo, hi);
    const pa = this.translate(lo, hi, ACCESS_STORE, size);
    const success = this.reservation === pa;
    this.reservation = -1;
    if (success && !this.bus.write(pa, size, this.r[b]!, this.r[b + 1]!, this.hartId)) this.raise(Exception.StoreAccessFault, lo, hi);
    if (success && this.trace !== undefined) this.traceAccess(lo, hi, size, true, this.r[b]!, this.r[b + 1]!);
    this.r[d] = success ? 0 : 1;
    this.r[d + 1] = 0;
  }

  amo(d: number, a: number, b: number, size: 4 | 8, combine: AmoCombine): void {
    const r = this.r;
    const lo = r[a]!;
    const hi = r[a + 1]!;
    if ((lo & (size - 1)) !== 0) this.raise(Exception.StoreAddressMisaligned, lo, hi);
    const pa = this.translate(lo, hi, ACCESS_AMO, size);
    if (!this.bus.read(pa, size)) this.raise(Exception.StoreAccessFault, lo, hi);
    const v = this.bus.value;
    r[TEMP_A] = v[0]!;
    r[TEMP_A + 1] = size === 8 ? v[1]! : v[0]! >> 31;
    r[TEMP_B] = r[TEMP_A]!;
    r[TEMP_B + 1] = r[TEMP_A + 1]!;
    combine(r, TEMP_A, b);
    if (!this.bus.write(pa, size, r[TEMP_A]!, r[TEMP_A + 1]!, this.hartId)) this.raise(Exception.StoreAccessFault, lo, hi);
    if (this.trace !== undefined) {
      this.traceAccess(lo, hi, size, false, 0, 0);
      this.traceAccess(lo, hi, size, true, r[TEMP_A]!, r[TEMP_A + 1]!);
    }
    r[d] = r[TEMP_B]!;
    r[d + 1] = r[TEMP_B + 1]!;
  }

  // ---- translation (slow path) ---------------------------------------------

  /** Privilege that loads and stores use: MPP when mstatus.MPRV is set in M-mode (3.1.6.3). */
  private dataPrivilege(): number {
    if (this.priv === PRV_M && (this.mstatus & MSTATUS_MPRV) !== 0) return (this.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    return this.priv;
  }

  /**
   * Translates and PMP-checks an access of `size` bytes; returns the physical address or raises.
   * The one seam between V = 0 and guest translation: `virt` and `mstatusH` (MPV) are both 0
   * unless the hypervisor extension is in use, so the host path pays one test.
   */
  private translate(lo: number, hi: number, access: Access, size: number): number {
    if (this.virt || this.mstatusH !== 0) {
      const guestPriv = this.guestPrivilege(access);
      if (guestPriv >= 0) return this.translateGuest(lo, hi, access, size, guestPriv, false);
    }
    const priv = access === ACCESS_FETCH ? this.priv : this.dataPrivilege();
    let pa: number;
    if (priv === PRV_M || this.satpMode === 0) {
      // Bare: nothing exists at or above 2^53 on our buses (an access fault either way).
      if (hi < 0 || hi >= 0x200000) this.raise(accessFault(access), lo, hi);
      pa = hi * TWO32 + (lo >>> 0);
    } else {
      if (!isCanonical(hi)) this.raise(translationException('non-canonical address', access), lo, hi);
      pa = this.translatePage(vpnKey(lo, hi), access, priv, lo, hi) + (lo & 0xfff);
    }
    if (!this.pmp.check(pa, size, access, priv)) this.raise(accessFault(access), lo, hi);
    return pa;
  }

  /**
   * The VS-stage privilege of an access that translates as though V = 1, or -1:
   * with V = 1 the current one; in M-mode with MPRV and MPV the data accesses at MPP (8.4.1 table).
   */
  private guestPrivilege(access: Access): number {
    if (this.virt) return this.priv;
    if (access === ACCESS_FETCH || this.priv !== PRV_M || (this.mstatus & MSTATUS_MPRV) === 0 || (this.mstatusH & MSTATUS_H_MPV) === 0) return -1;
    const mpp = (this.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    return mpp === PRV_M ? -1 : mpp;
  }

  /** The reused context object of guest translations (two-stage.ts). */
  private readonly guestCtx: { -readonly [K in keyof TwoStageContext]: TwoStageContext[K] } = {
    vsMode: 0, vsRootPpn: 0, gMode: 0, gRootPpn: 0, priv: PRV_S, sum: false, vsMxr: false, mxr: false, hlvx: false, svade: false, mappingOnly: false,
  };

  /** Fills guestCtx from the CSRs for an access at VS-stage privilege `priv`. */
  private guestContext(priv: number, hlvx: boolean): TwoStageContext {
    const c = this.guestCtx;
    c.vsMode = this.vsatpMode;
    c.vsRootPpn = this.vsatpPpn;
    c.gMode = this.hgatpMode;
    c.gRootPpn = this.hgatpPpn;
    c.priv = priv;
    c.sum = (this.vsstatus & MSTATUS_SUM) !== 0;
    c.vsMxr = (this.vsstatus & MSTATUS_MXR) !== 0;
    c.mxr = (this.mstatus & MSTATUS_MXR) !== 0;
    c.hlvx = hlvx;
    c.svade = this.svade;
    return c;
  }

  /** A side-effect-free view of memory for inspection walks (A/D writes are dropped). */
  private readonly inspectionMemory: TwoStageMemory = {
    readPte: (pa, out) => this.readPte(pa, out),
    writePte: () => true,
  };

  /**
   * Guest translation (the slow path for V = 1, HLV/HSV and MPRV with MPV):
   * the guest TLB (tagged with VMID and vsatp.ASID; VS-stage Bare entries
   * with ASID -1 and keyed by the guest-physical page), then the two-stage
   * walk; permission of both stages on every use; then PMP at `priv`.
   */
  private translateGuest(lo: number, hi: number, access: Access, size: number, priv: number, hlvx: boolean): number {
    if (!this.virt) this.guestAccess = true;
    const ctx = this.guestContext(priv, hlvx);
    const tlb = this.guestTlb;
    const sv39 = this.vsatpMode === MODE_SV39;
    // Cacheable: a canonical Sv39 address, or a guest-physical one below 2^41.
    const cacheable = sv39 ? isCanonical(hi) : hi >= 0 && hi < 0x200;
    const key = sv39 ? vpnKey(lo, hi) : ((hi & 0x1ff) << 20) | (lo >>> 12);
    const asid = sv39 ? this.vsatpAsid : -1;
    const vmid = this.hgatpVmid;
    let pagePa = -1;
    const i = cacheable ? tlb.lookupGuest(key, asid, vmid) : -1;
    if (i >= 0) {
      if (this.strictTlb) this.checkGuestStale(i, ctx, access, lo, hi);
      const vsFlags = tlb.flags[i]!;
      const gFlags = tlb.gFlags[i]!;
      const denied = cachedAllows(ctx, vsFlags, gFlags, access);
      if (denied === 'VS') this.raise(translationException('no permission', access), lo, hi);
      if (denied === 'G') this.raiseGuest(gStageException('no permission', access), lo, hi, BigInt(tlb.gpaPage[i]! + (lo & 0xfff)) >> 2n, 0n);
      if (!updateDue(vsFlags, gFlags, access)) pagePa = tlb.pagePa[i]!;
      else tlb.evict(i); // an A or D bit is due: walk again so the update sees the PTEs as they are now
    }
    if (pagePa < 0) {
      const result = translateTwoStage(this, ctx, lo, hi, access);
      if (!result.ok) return this.raiseTwoStageFault(result, access, lo, hi);
      if (cacheable) tlb.insertGuest(key, asid, vmid, result.global, result.vsFlags, result.gFlags, result.level, result.pagePa, result.gpaPage);
      pagePa = result.pagePa;
    }
    const pa = pagePa + (lo & 0xfff);
    if (!this.pmp.check(pa, size, access, priv)) this.raise(accessFault(access), lo, hi);
    if (!this.virt) this.guestAccess = false;
    return pa;
  }

  /** Raises the exception for a failed guest translation: VS-stage faults as page/access faults, G-stage ones as guest-page faults with htval = GPA >> 2. */
  private raiseTwoStageFault(fault: Exclude<TwoStageResult, { ok: true }>, access: Access, lo: number, hi: number): never {
    if (fault.stage === 'VS') return this.raise(translationException(fault.error, access), lo, hi);
    const cause = gStageException(fault.error, access);
    if (cause !== Exception.InstructionGuestPageFault && cause !== Exception.LoadGuestPageFault && cause !== Exception.StoreGuestPageFault) {
      return this.raise(cause, lo, hi);
    }
    // htinst: the pseudoinstruction for an implicit VS-stage PTE access (a 64-bit load, or store for A/D), else 0 (8.6.3).
    const tinst = fault.implicit === 'read' ? 0x3000n : fault.implicit === 'write' ? 0x3020n : 0n;
    return this.raiseGuest(cause, lo, hi, fault.gpa >> 2n, tinst);
  }

  /** Strict TLB mode for the guest TLB: entry i against a fresh two-stage walk (no A/D writes). */
  private checkGuestStale(i: number, ctx: TwoStageContext, access: Access, lo: number, hi: number): void {
    const tlb = this.guestTlb;
    const c = ctx as { svade: boolean; mappingOnly?: boolean };
    const svade = c.svade;
    c.svade = false;
    c.mappingOnly = true;
    const fresh = translateTwoStage(this.inspectionMemory, ctx, lo, hi, access);
    c.svade = svade;
    c.mappingOnly = false;
    const meaningful = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U;
    const vsFlags = tlb.flags[i]!;
    const gFlags = tlb.gFlags[i]!;
    const vsAgrees = fresh.ok && (fresh.vsFlags < 0 ? vsFlags < 0 : vsFlags >= 0 && (fresh.vsFlags & meaningful) === (vsFlags & meaningful)) &&
      fresh.global === (tlb.global[i] === 1) && fresh.gpaPage === tlb.gpaPage[i];
    const gAgrees = fresh.ok && (fresh.gFlags < 0 ? gFlags < 0 : gFlags >= 0 && (fresh.gFlags & meaningful) === (gFlags & meaningful)) &&
      fresh.pagePa === tlb.pagePa[i] && fresh.level === tlb.level[i];
    if (vsAgrees && gAgrees) return;
    const level = tlb.level[i]!;
    this.hooks.onStaleTranslation?.({
      hartId: this.hartId,
      va: pairToBig(lo, hi),
      access,
      asid: tlb.asid[i]!,
      cachedPagePa: tlb.pagePa[i]!,
      cachedFlags: vsFlags,
      cachedLevel: level,
      cachedPageSize: 4096 * 2 ** (9 * level),
      cachedGlobal: tlb.global[i] === 1,
      current: fresh.ok ? fresh.pagePa : fresh.error,
      currentFlags: fresh.ok ? fresh.vsFlags : undefined,
      currentLevel: fresh.ok ? fresh.level : undefined,
      pc: pairToBig(this.pcLo, this.pcHi),
      virtual: true,
      vmid: tlb.vmid[i]!,
      stage: !fresh.ok ? fresh.stage : vsAgrees ? 'G' : 'VS',
      cachedGpaPage: tlb.gpaPage[i]!,
      currentGpaPage: fresh.ok ? fresh.gpaPage : -1,
      cachedGFlags: gFlags,
      currentGFlags: fresh.ok ? fresh.gFlags : undefined,
    });
  }

  /**
   * The documented entry point for one two-stage translation as the hart
   * would make it now (differential tests, debuggers): no TLB, no side
   * effects (A/D updates are not written, so a due update is not a fault
   * even under Svade). `priv` is the VS-stage privilege (default: the
   * current one when V = 1, else hstatus.SPVP as HLV would use); `hlvx`
   * asks for HLVX permission.
   */
  translateGuestForInspection(va: bigint, access: Access, options: { priv?: number; hlvx?: boolean } = {}): TwoStageResult {
    const priv = options.priv ?? (this.virt ? this.priv : (this.hstatus & HSTATUS_SPVP) !== 0 ? PRV_S : PRV_U);
    const ctx = this.guestContext(priv, options.hlvx ?? false);
    (ctx as { svade: boolean }).svade = false;
    return translateTwoStage(this.inspectionMemory, ctx, bigLo(va), bigHi(va), access);
  }

  /** TwoStageMemory: the walker's A/D writes are S-level stores, PMP-checked. */
  writePte(pa: number, lo: number, hi: number): boolean {
    return this.pmp.check(pa, 8, ACCESS_STORE, PRV_S) && this.bus.write(pa, 8, lo, hi, this.hartId);
  }

  /** Sv39: TLB, then walk; permission on every use; A/D as QEMU 7.2 does, or Svade faults. Returns the 4 KiB page's PA. */
  private translatePage(key: number, access: Access, priv: number, lo: number, hi: number): number {
    const tlb = this.tlb;
    const sum = (this.mstatus & MSTATUS_SUM) !== 0;
    const mxr = (this.mstatus & MSTATUS_MXR) !== 0;
    const i = tlb.lookup(key, this.satpAsid);
    if (i >= 0) {
      const flags = tlb.flags[i]!;
      if (this.strictTlb) this.checkStale(i, key, access, lo, hi);
      if (!checkPermission(flags, access, priv, sum, mxr)) this.raise(translationException('no permission', access), lo, hi);
      if (flagsAfterAccess(flags, access) === flags) return tlb.pagePa[i]!;
      tlb.evict(i); // A or D must be set: walk again so the update sees the PTE as it is now
    }
    const leaf = walk(this, this.satpPpn, key);
    if (typeof leaf === 'string') return this.raise(translationException(leaf, access), lo, hi);
    let flags = pteFlags(leaf.pteLo);
    if (!checkPermission(flags, access, priv, sum, mxr)) this.raise(translationException('no permission', access), lo, hi);
    const wanted = flagsAfterAccess(flags, access);
    if (wanted !== flags) {
      if (this.svade) this.raise(translationException('A/D update needed (Svade)', access), lo, hi);
      // The walker's PTE write is an S-level access checked by PMP (an access fault of the original kind if refused).
      if (!this.pmp.check(leaf.ptePa, 8, ACCESS_STORE, PRV_S) || !this.bus.write(leaf.ptePa, 8, leaf.pteLo | wanted, leaf.pteHi, this.hartId)) {
        this.raise(accessFault(access), lo, hi);
      }
      flags = wanted;
    }
    tlb.insert(key, this.satpAsid, leaf.global, flags, leaf.level, leaf.pagePa, leaf.ptePa);
    return leaf.pagePa;
  }

  /** PteReader: PTE reads are S-level accesses, PMP-checked. */
  readPte(pa: number, out: Int32Array): boolean {
    if (!this.pmp.check(pa, 8, ACCESS_LOAD, PRV_S) || !this.bus.read(pa, 8)) return false;
    out[0] = this.bus.value[0]!;
    out[1] = this.bus.value[1]!;
    return true;
  }

  /** Strict TLB mode: compares TLB entry i with a fresh walk and reports a stale translation. */
  private checkStale(i: number, key: number, access: Access, lo: number, hi: number): void {
    const tlb = this.tlb;
    const leaf = walk(this, this.satpPpn, key);
    const meaningful = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U;
    const agrees =
      typeof leaf !== 'string' &&
      leaf.pagePa === tlb.pagePa[i] &&
      leaf.level === tlb.level[i] &&
      (pteFlags(leaf.pteLo) & meaningful) === (tlb.flags[i]! & meaningful) &&
      leaf.global === (tlb.global[i] === 1);
    if (agrees) return;
    const level = tlb.level[i]!;
    this.hooks.onStaleTranslation?.({
      hartId: this.hartId,
      va: pairToBig(lo, hi),
      access,
      asid: this.satpAsid,
      cachedPagePa: tlb.pagePa[i]!,
      cachedFlags: pteFlags(tlb.flags[i]!),
      cachedLevel: level,
      cachedPageSize: 4096 * 2 ** (9 * level),
      cachedGlobal: tlb.global[i] === 1,
      current: typeof leaf === 'string' ? leaf : leaf.pagePa,
      currentFlags: typeof leaf === 'string' ? undefined : pteFlags(leaf.pteLo),
      currentLevel: typeof leaf === 'string' ? undefined : leaf.level,
      pc: pairToBig(this.pcLo, this.pcHi),
    });
  }

  /** Caches a successful access's page in the fast path when every access in the page would succeed the same way. */
  private fillFast(access: Access, lo: number, hi: number, pa: number): void {
    if (this.strictTlb || this.trace !== undefined || !isCanonical(hi)) return;
    const priv = access === ACCESS_FETCH ? this.priv : this.dataPrivilege();
    const pagePa = pa - (pa % 4096);
    if (!this.pmp.allowsWholePage(pagePa, access, priv)) return;
    const key = vpnKey(lo, hi);
    const i = key & FAST_MASK;
    const index = this.ram.pageIndex(pagePa);
    if (access === ACCESS_LOAD) {
      this.fastLoadTag[i] = key;
      this.fastLoadPage[i] = index;
    } else if (access === ACCESS_STORE) {
      this.fastStoreTag[i] = key;
      this.fastStorePage[i] = index;
    }
  }

  /** Translates the fetch of pc's page. Returns its decode cache, or null when it is not RAM. */
  private fetchPageSlow(lo: number, hi: number): DecodedPage | null {
    const pa = this.translate(lo, hi, ACCESS_FETCH, 2);
    if (!this.ram.contains(pa)) {
      if (!this.bus.exists(pa, 2)) this.raise(Exception.InstructionAccessFault, lo, hi);
      return null;
    }
    const page = this.bus.decodedPage(pa);
    const pagePa = pa - (pa % 4096);
    this.fetchPageCacheable = !this.strictTlb && isCanonical(hi) && this.pmp.allowsWholePage(pagePa, ACCESS_FETCH, this.priv);
    if (this.fetchPageCacheable) {
      const key = vpnKey(lo, hi);
      const i = key & FAST_MASK;
      this.fastFetchTag[i] = key;
      this.fastFetchPage[i] = page;
    } else if ((lo & 0xfff) <= 0xffc && (this.ram.readU8(pa) & 3) === 3 && !this.pmp.check(pa, 4, ACCESS_FETCH, this.priv)) {
      this.raise(Exception.InstructionAccessFault, lo, hi);
    }
    return page;
  }

  /** Forgets the fast-path caches (not the TLB). */
  flushFastCaches(): void {
    this.fastLoadTag.fill(-1);
    this.fastStoreTag.fill(-1);
    this.fastFetchTag.fill(-1);
  }

  /** Translates a VA as this hart's MMU would for `access` now, without side effects or TLB use (debuggers, the property suite). */
  translateForInspection(va: bigint, access: Access): { pa: bigint } | { error: string } {
    const lo = bigLo(va);
    const hi = bigHi(va);
    if (this.virt || this.mstatusH !== 0) {
      const guestPriv = this.guestPrivilege(access);
      if (guestPriv >= 0) {
        const r = this.translateGuestForInspection(va, access, { priv: guestPriv });
        return r.ok ? { pa: BigInt(r.pagePa) + BigInt(lo & 0xfff) } : { error: `${r.stage}-stage: ${r.error}` };
      }
    }
    const priv = access === ACCESS_FETCH ? this.priv : this.dataPrivilege();
    if (priv === PRV_M || this.satpMode === 0) return { pa: BigInt.asUintN(64, va) };
    if (!isCanonical(hi)) return { error: 'non-canonical address' };
    const leaf = walk(this, this.satpPpn, vpnKey(lo, hi));
    if (typeof leaf === 'string') return { error: leaf };
    if (!checkPermission(pteFlags(leaf.pteLo), access, priv, (this.mstatus & MSTATUS_SUM) !== 0, (this.mstatus & MSTATUS_MXR) !== 0)) return { error: 'no permission' };
    return { pa: BigInt(leaf.pagePa) + BigInt(lo & 0xfff) };
  }

  /**
   * The Sv39 TLB entry an access to `va` would use now, before any walk (V = 0, satp's ASID), or
   * undefined when none is cached; no side effects. Lets a debugger or the property suite ask what
   * the hart would use without making it run (a stale entry shows here before any access uses it).
   */
  cachedTranslation(va: bigint): { pa: bigint; flags: number; level: number; global: boolean } | undefined {
    const lo = bigLo(va);
    const hi = bigHi(va);
    if (this.satpMode === 0 || !isCanonical(hi)) return undefined;
    const tlb = this.tlb;
    const i = tlb.find(vpnKey(lo, hi), this.satpAsid);
    if (i < 0) return undefined;
    return { pa: BigInt(tlb.pagePa[i]!) + BigInt(lo & 0xfff), flags: pteFlags(tlb.flags[i]!), level: tlb.level[i]!, global: tlb.global[i] === 1 };
  }

  // ---- traps ---------------------------------------------------------------

  private takeException(): void {
    this.guestAccess = false;
    this.takeTrap(this.trapCause, false, pairToBig(this.trapTvalLo, this.trapTvalHi), this.trapTval2, this.trapTinst, this.trapGva);
  }

  /**
   * Enters the trap handler (privileged spec 3.1.6.1, 3.1.7, 4.1.1, 8.6):
   * medeleg/mideleg delegate to HS, then, from V = 1, hedeleg/hideleg to VS;
   * xPP/xPIE/xIE, xtvec; a trap to M or HS clears V and records it in MPV or
   * SPV (with SPVP), writes GVA, mtval2/htval = `tval2` and mtinst/htinst = `tinst`.
   */
  takeTrap(cause: number, interrupt: boolean, tval: bigint, tval2 = 0n, tinst = 0n, gva = false): void {
    if (this.hooks.interceptTrap?.(this, cause, interrupt, tval) === true) {
      this.flushFastCaches();
      return;
    }
    const from = this.priv;
    const fromVirtual = this.virt;
    const epc = pairToBig(this.pcLo, this.pcHi);
    const delegated = from <= PRV_S && (((interrupt ? this.mideleg : this.medeleg) >>> cause) & 1) === 1;
    const toVS = delegated && fromVirtual && (((interrupt ? this.hideleg : this.hedeleg) >>> cause) & 1) === 1;
    let vectorCause = cause;
    let vector: bigint;
    let s = this.mstatus;
    if (toVS) {
      // VS-level interrupts reach VS-mode as their S-level codes (VSSI 2 -> SSI 1, 8.6.2).
      if (interrupt && ((VS_INTERRUPTS >>> cause) & 1) === 1) vectorCause = cause - 1;
      this.vscause = interrupt ? (1n << 63n) | BigInt(vectorCause) : BigInt(vectorCause);
      this.vsepc = epc;
      this.vstval = tval;
      const v = this.vsstatus;
      this.vsstatus = (v & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((v & MSTATUS_SIE) !== 0 ? MSTATUS_SPIE : 0) | (from === PRV_S ? MSTATUS_SPP : 0);
      this.priv = PRV_S;
      vector = this.vstvec;
    } else if (delegated) {
      this.scause = interrupt ? (1n << 63n) | BigInt(cause) : BigInt(cause);
      this.sepc = epc;
      this.stval = tval;
      s = (s & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((s & MSTATUS_SIE) !== 0 ? MSTATUS_SPIE : 0) | (from === PRV_S ? MSTATUS_SPP : 0);
      if (this.hExtension) {
        this.htval = tval2;
        this.htinst = tinst;
        let h = this.hstatus & ~(HSTATUS_SPV | HSTATUS_GVA);
        // SPVP records the guest's privilege only when the trap leaves V = 1.
        if (fromVirtual) h = (h & ~HSTATUS_SPVP) | HSTATUS_SPV | (from === PRV_S ? HSTATUS_SPVP : 0);
        this.hstatus = h | (gva ? HSTATUS_GVA : 0);
      }
      this.priv = PRV_S;
      this.virt = false;
      vector = this.stvec;
    } else {
      this.mcause = interrupt ? (1n << 63n) | BigInt(cause) : BigInt(cause);
      this.mepc = epc;
      this.mtval = tval;
      s = (s & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) | ((s & MSTATUS_MIE) !== 0 ? MSTATUS_MPIE : 0) | (from << MSTATUS_MPP_SHIFT);
      if (this.hExtension) {
        this.mtval2 = tval2;
        this.mtinst = tinst;
        this.mstatusH = (fromVirtual ? MSTATUS_H_MPV : 0) | (gva ? MSTATUS_H_GVA : 0);
      }
      this.priv = PRV_M;
      this.virt = false;
      vector = this.mtvec;
    }
    this.mstatus = s;
    const base = vector & ~3n;
    this.pc = interrupt && (vector & 3n) === 1n ? base + 4n * BigInt(vectorCause) : base;
    this.reservation = -1;
    this.waiting = false;
    this.flushFastCaches();
    this.hooks.onTrap?.({
      hartId: this.hartId, cause, interrupt, name: causeName(cause, interrupt), tval, pc: epc, from, to: this.priv,
      fromVirtual, toVirtual: this.virt, tval2: toVS ? 0n : tval2, gva: !toVS && gva,
    });
  }

  // ---- system instructions (isa/system.ts) ---------------------------------

  ecall(): number {
    const cause = this.priv === PRV_U ? Exception.EnvironmentCallFromUMode
      : this.priv === PRV_S ? (this.virt ? Exception.EnvironmentCallFromVSMode : Exception.EnvironmentCallFromSMode)
        : Exception.EnvironmentCallFromMMode;
    return this.raise(cause, 0, 0);
  }

  /** ebreak: Breakpoint with tval = the pc of the ebreak. */
  ebreak(off: number): number {
    const full = (this.pageLo >>> 0) + off;
    return this.raise(Exception.Breakpoint, full | 0, (this.pageHi + (full >= TWO32 ? 1 : 0)) | 0);
  }

  mret(bits: number): number {
    if (this.priv !== PRV_M) return this.illegalInstruction(bits);
    const s = this.mstatus;
    const target = ((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) as Privilege;
    let next = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((s & MSTATUS_MPIE) !== 0 ? MSTATUS_MIE : 0) | MSTATUS_MPIE;
    if (target !== PRV_M) next &= ~MSTATUS_MPRV;
    this.mstatus = next;
    // MRET to below M returns to V = MPV; MPV is then cleared (8.6.4).
    this.virt = target !== PRV_M && (this.mstatusH & MSTATUS_H_MPV) !== 0;
    this.mstatusH &= ~MSTATUS_H_MPV;
    this.priv = target;
    this.pc = this.mepc;
    this.flushFastCaches();
    return -1;
  }

  /** sret: from HS returns to V = hstatus.SPV (then cleared), from VS uses vsstatus/vsepc and stays in V = 1 (8.6.4). */
  sret(bits: number): number {
    if (this.virt) {
      if (this.priv === PRV_U || (this.hstatus & HSTATUS_VTSR) !== 0) return this.virtualInstruction(bits);
      const v = this.vsstatus;
      this.priv = (v & MSTATUS_SPP) !== 0 ? PRV_S : PRV_U;
      this.vsstatus = ((v & ~(MSTATUS_SIE | MSTATUS_SPP)) | ((v & MSTATUS_SPIE) !== 0 ? MSTATUS_SIE : 0)) | MSTATUS_SPIE;
      this.mstatus &= ~MSTATUS_MPRV;
      this.pc = this.vsepc;
      this.flushFastCaches();
      return -1;
    }
    if (this.priv === PRV_U || (this.priv === PRV_S && (this.mstatus & MSTATUS_TSR) !== 0)) return this.illegalInstruction(bits);
    const s = this.mstatus;
    const target: Privilege = (s & MSTATUS_SPP) !== 0 ? PRV_S : PRV_U;
    this.mstatus = ((s & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | ((s & MSTATUS_SPIE) !== 0 ? MSTATUS_SIE : 0)) | MSTATUS_SPIE;
    if (this.hExtension) {
      this.virt = (this.hstatus & HSTATUS_SPV) !== 0;
      this.hstatus &= ~HSTATUS_SPV;
    }
    this.priv = target;
    this.pc = this.sepc;
    this.flushFastCaches();
    return -1;
  }

  /**
   * wfi: illegal below M with mstatus.TW and in U-mode (3.1.6.5); with V = 1 a
   * virtual-instruction exception in VU-mode and in VS-mode with hstatus.VTW
   * (8.6.1); otherwise waits for a pending interrupt.
   */
  wfi(bits: number, next: number): number {
    if (this.priv !== PRV_M && (this.mstatus & MSTATUS_TW) !== 0) return this.illegalInstruction(bits);
    if (this.virt && (this.priv === PRV_U || (this.hstatus & HSTATUS_VTW) !== 0)) return this.virtualInstruction(bits);
    if (this.priv === PRV_U) return this.illegalInstruction(bits);
    this.setPcInPage(next);
    this.waiting = true;
    return -1;
  }

  /** sfence.vma with rs1/rs2 given as register indices, or -1 for x0 (4.2.1). */
  sfenceVma(a: number, b: number, bits: number, next: number): number {
    if (this.virt) return this.hfenceVvma(a, b, bits, next, true);
    if (this.priv === PRV_U || (this.priv === PRV_S && (this.mstatus & MSTATUS_TVM) !== 0)) return this.illegalInstruction(bits);
    const key = a < 0 ? undefined : vpnKey(this.r[a]!, this.r[a + 1]!);
    const asid = b < 0 ? undefined : this.r[b]! & 0xffff;
    this.tlb.flush(key, asid);
    this.flushFastCaches();
    this.setPcInPage(next);
    return -1;
  }

  /**
   * hfence.vvma (and sfence.vma with V = 1, `fromGuest`): the guest TLB's
   * entries of the current VMID, by guest virtual address and ASID (8.3.2).
   * From VS/VU a virtual-instruction exception (sfence.vma: in VU, or with hstatus.VTVM).
   */
  hfenceVvma(a: number, b: number, bits: number, next: number, fromGuest = false): number {
    if (fromGuest) {
      if (this.priv === PRV_U || (this.hstatus & HSTATUS_VTVM) !== 0) return this.virtualInstruction(bits);
    } else {
      this.hypervisorInstructionCheck(bits, false);
    }
    const key = a < 0 ? undefined : vpnKey(this.r[a]!, this.r[a + 1]!);
    const asid = b < 0 ? undefined : this.r[b]! & 0xffff;
    this.guestTlb.flushGuest(key, asid, this.hgatpVmid);
    this.flushFastCaches();
    this.setPcInPage(next);
    return -1;
  }

  /** hfence.gvma: the guest TLB's entries by guest-physical address (rs1 = GPA >> 2) and VMID (8.3.2); illegal in HS-mode with mstatus.TVM. */
  hfenceGvma(a: number, b: number, bits: number, next: number): number {
    this.hypervisorInstructionCheck(bits, false);
    if (this.priv === PRV_S && (this.mstatus & MSTATUS_TVM) !== 0) return this.illegalInstruction(bits);
    const gpa = a < 0 ? undefined : Number(BigInt.asUintN(53, regToBig(this.r, a, false) << 2n));
    const vmid = b < 0 ? undefined : this.r[b]! & 0x3fff;
    this.guestTlb.flushGpa(gpa, vmid);
    this.flushFastCaches();
    this.setPcInPage(next);
    return -1;
  }

  /**
   * Who may run a hypervisor instruction (8.3): not without misa.H
   * (illegal), never with V = 1 (virtual instruction), in U-mode only
   * HLV/HLVX/HSV and only with hstatus.HU (`userAllowed`).
   */
  private hypervisorInstructionCheck(bits: number, userAllowed: boolean): void {
    if (!this.hExtension) this.illegalInstruction(bits);
    if (this.virt) this.virtualInstruction(bits);
    if (this.priv === PRV_U && !(userAllowed && (this.hstatus & HSTATUS_HU) !== 0)) this.illegalInstruction(bits);
  }

  /** hlv/hlvx (8.3.1): a load as though V = 1 at hstatus.SPVP, from x[a] into x[d]; `hlvx` needs execute, not read, permission. */
  hypervisorLoad(d: number, a: number, size: AccessSize, signed: boolean, hlvx: boolean, bits: number): void {
    this.hypervisorInstructionCheck(bits, true);
    const lo = this.r[a]!;
    const hi = this.r[a + 1]!;
    this.guestAccess = true;
    // Aligned only: a misaligned HLV/HSV raises address-misaligned (the spec lets it).
    if ((lo & (size - 1)) !== 0) this.raise(Exception.LoadAddressMisaligned, lo, hi);
    const priv = (this.hstatus & HSTATUS_SPVP) !== 0 ? PRV_S : PRV_U;
    const pa = this.translateGuest(lo, hi, ACCESS_LOAD, size, priv, hlvx);
    if (!this.bus.read(pa, size)) this.raise(Exception.LoadAccessFault, lo, hi);
    this.guestAccess = false;
    const v = this.bus.value;
    if (this.trace !== undefined) this.traceAccess(lo, hi, size, false, 0, 0);
    const r = this.r;
    if (size === 8) {
      r[d] = v[0]!;
      r[d + 1] = v[1]!;
    } else {
      const shift = 32 - 8 * size;
      const x = signed ? (v[0]! << shift) >> shift : shift === 0 ? v[0]! : v[0]! & ((1 << (8 * size)) - 1);
      r[d] = x;
      r[d + 1] = signed ? x >> 31 : 0;
    }
  }

  /** hsv (8.3.1): a store of x[b] to x[a] as though V = 1 at hstatus.SPVP. */
  hypervisorStore(a: number, b: number, size: AccessSize, bits: number): void {
    this.hypervisorInstructionCheck(bits, true);
    const lo = this.r[a]!;
    const hi = this.r[a + 1]!;
    this.guestAccess = true;
    if ((lo & (size - 1)) !== 0) this.raise(Exception.StoreAddressMisaligned, lo, hi);
    const priv = (this.hstatus & HSTATUS_SPVP) !== 0 ? PRV_S : PRV_U;
    const pa = this.translateGuest(lo, hi, ACCESS_STORE, size, priv, false);
    if (this.trace !== undefined) this.traceAccess(lo, hi, size, true, this.r[b]!, this.r[b + 1]!);
    if (!this.bus.write(pa, size, this.r[b]!, this.r[b + 1]!, this.hartId)) this.raise(Exception.StoreAccessFault, lo, hi);
    this.guestAccess = false;
  }

  /** csrrw/csrrs/csrrc(i): access checks (2.1, 9.1), read, legalised write, rd. */
  csrInstruction(csr: number, d: number, a: number, uimm: number, how: number, writes: boolean, bits: number, next: number): number {
    let def = CSRS_BY_ADDRESS.get(csr);
    if (def === undefined || (def.hypervisor === true && !this.hExtension) || (writes && csrReadOnly(csr))) return this.illegalInstruction(bits);
    const level = csrPrivilege(csr);
    if (this.virt) {
      // V = 1 (8.6.1): M-level CSRs are illegal; HS/VS-level ones, and S-level ones from VU, a virtual
      // instruction; S-level ones from VS reach their VS counterparts.
      if (level === PRV_M) return this.illegalInstruction(bits);
      if (level === 2 || (level === PRV_S && this.priv === PRV_U)) return this.virtualInstruction(bits);
      if (level === PRV_S) def = VS_ALIASES.get(csr) ?? def;
      if (def.allowed !== undefined && !def.allowed(this, writes)) return this.illegalInstruction(bits);
      if (def.virtualFault?.(this) === true) return this.virtualInstruction(bits);
    } else if (this.priv < (level === 2 ? PRV_S : level) || (def.allowed !== undefined && !def.allowed(this, writes))) {
      // Address bits 9:8 = 2 are the hypervisor and VS CSRs: accessible from HS-mode.
      return this.illegalInstruction(bits);
    }
    const old = def.read(this);
    let value = 0n;
    if (writes) {
      const source = a < 0 ? BigInt(uimm) : regToBig(this.r, a, false);
      const base = how === CSR_WRITE ? 0n : def.readForModify?.(this) ?? old;
      value = BigInt.asUintN(64, how === CSR_WRITE ? source : how === CSR_SET ? base | source : base & ~source);
      def.write?.(this, value);
      this.flushFastCaches();
    }
    bigToReg(this.r, d, old);
    this.setPcInPage(next);
    if (writes && this.hooks.onCsrWrite !== undefined) {
      // Inside runPage pc is not kept per instruction; CSR instructions are 4 bytes (no compressed form).
      const pc = BigInt.asUintN(64, pairToBig(this.pcLo, this.pcHi) - 4n);
      this.csrWritten = { def, pc, priv: this.priv, oldValue: old, written: value };
    }
    return -1; // ends runPage, which delivers csrWritten once the instruction has retired
  }

  /** Calls onCsrWrite for the CSR instruction that just retired (see CsrWriteEvent). */
  private deliverCsrWrite(): void {
    const w = this.csrWritten!;
    this.csrWritten = undefined;
    this.hooks.onCsrWrite?.({
      hartId: this.hartId, csr: w.def.address, name: w.def.name, pc: w.pc, priv: w.priv,
      oldValue: w.oldValue, written: w.written, newValue: w.def.read(this),
    });
  }
}


