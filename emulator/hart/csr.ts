/**
 * Every CSR, in one table keyed by its spec name (privileged spec 1.12,
 * chapter 2 and tables 2.2-2.5). `read` has no side effects; `write` receives
 * the full new value and legalises it (WARL) in one place; a CSR without
 * `write` ignores writes (read-only fields of a read/write CSR address).
 * Accessibility: the address's privilege bits (9:8) and read-only bits
 * (11:10) are checked by the hart; `allowed` adds CSR-specific rules
 * (counter enables, mstatus.TVM). Anything not in the table is illegal.
 */
import type { Hart } from './hart.js';
import { MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SSIP, MIP_STIP, PRV_M, PRV_S } from './causes.js';
import { PMP_ENTRIES } from './pmp.js';

export interface CsrDefinition {
  readonly name: string;
  readonly address: number;
  read(h: Hart): bigint;
  /**
   * The value CSRRS/CSRRC modify, when it differs from what they read: mip
   * and sip read SEIP/STIP or'ed with the interrupt lines, but set/clear
   * only the software-writable bits (privileged spec 3.1.9).
   */
  readForModify?(h: Hart): bigint;
  write?(h: Hart, value: bigint): void;
  /** Extra access rule beyond the address's privilege and read-only bits. */
  allowed?(h: Hart, writing: boolean): boolean;
}

// mstatus fields (3.1.6)
export const MSTATUS_SIE = 1 << 1;
export const MSTATUS_MIE = 1 << 3;
export const MSTATUS_SPIE = 1 << 5;
export const MSTATUS_MPIE = 1 << 7;
export const MSTATUS_SPP = 1 << 8;
export const MSTATUS_MPP_SHIFT = 11;
export const MSTATUS_MPP = 3 << MSTATUS_MPP_SHIFT;
export const MSTATUS_MPRV = 1 << 17;
export const MSTATUS_SUM = 1 << 18;
export const MSTATUS_MXR = 1 << 19;
export const MSTATUS_TVM = 1 << 20;
export const MSTATUS_TW = 1 << 21;
export const MSTATUS_TSR = 1 << 22;
const MSTATUS_WRITABLE = MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
const SSTATUS_WRITABLE = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR;
/** UXL = SXL = 2 (XLEN 64), read-only; FS, VS, XS, SD read 0 (no F, D or V). */
const MSTATUS_XL = (2n << 32n) | (2n << 34n);
const SSTATUS_XL = 2n << 32n;

/** misa: MXL = 2 and the extensions I M A C S U. */
export const MISA = (2n << 62n) | [0, 2, 8, 12, 18, 20].reduce((m, b) => m | (1n << BigInt(b)), 0n);

/** Interrupts S-mode may be delegated (3.1.9): SSI, STI, SEI. */
export const DELEGABLE_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** All interrupt-enable bits. */
const MIE_WRITABLE = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Exceptions medeleg may delegate: all defined ones except ecall from M (medeleg[11] is read-only 0). */
export const DELEGABLE_EXCEPTIONS = 0xb3ff;
/** mip bits M-mode software may write (the rest are driven by the CLINT and PLIC). */
const MIP_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;

const SATP_MODE_BARE = 0n;
const SATP_MODE_SV39 = 8n;

function legaliseMpp(value: number): number {
  const mpp = (value >> MSTATUS_MPP_SHIFT) & 3;
  // 2 is reserved (no H-mode here): it becomes U, the least privileged mode.
  return mpp === 2 ? value & ~MSTATUS_MPP : value;
}

/** Whether the counter with bit `bit` of mcounteren/scounteren may be read at the current privilege. */
function counterEnabled(h: Hart, bit: number): boolean {
  if (h.priv === PRV_M) return true;
  if ((h.mcounteren & (1 << bit)) === 0) return false;
  return h.priv === PRV_S || (h.scounteren & (1 << bit)) !== 0;
}

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

const definitions: CsrDefinition[] = [
  // Machine information (read-only)
  { name: 'mvendorid', address: 0xf11, read: () => 0n },
  { name: 'marchid', address: 0xf12, read: () => 0n },
  { name: 'mimpid', address: 0xf13, read: () => 0n },
  { name: 'mhartid', address: 0xf14, read: (h) => BigInt(h.hartId) },
  { name: 'mconfigptr', address: 0xf15, read: () => 0n },

  // Machine trap setup and handling
  {
    name: 'mstatus', address: 0x300,
    read: (h) => BigInt(h.mstatus) | MSTATUS_XL,
    write: (h, v) => { h.mstatus = legaliseMpp(u32(v) & MSTATUS_WRITABLE); },
  },
  { name: 'misa', address: 0x301, read: () => MISA, write: () => {} },
  { name: 'medeleg', address: 0x302, read: (h) => BigInt(h.medeleg), write: (h, v) => { h.medeleg = u32(v) & DELEGABLE_EXCEPTIONS; } },
  { name: 'mideleg', address: 0x303, read: (h) => BigInt(h.mideleg), write: (h, v) => { h.mideleg = u32(v) & DELEGABLE_INTERRUPTS; } },
  { name: 'mie', address: 0x304, read: (h) => BigInt(h.mie), write: (h, v) => { h.mie = u32(v) & MIE_WRITABLE; } },
  {
    name: 'mtvec', address: 0x305, read: (h) => h.mtvec,
    // MODE >= 2 is reserved: such a write leaves mtvec unchanged.
    write: (h, v) => { if ((v & 3n) < 2n) h.mtvec = v; },
  },
  { name: 'mcounteren', address: 0x306, read: (h) => BigInt(h.mcounteren), write: (h, v) => { h.mcounteren = u32(v); } },
  // menvcfg: only FIOM (bit 0) exists here (no CBO, Svpbmt or Sstc).
  { name: 'menvcfg', address: 0x30a, read: (h) => h.menvcfg, write: (h, v) => { h.menvcfg = v & 1n; } },
  // Counters cannot be inhibited: mcountinhibit is read-only zero.
  { name: 'mcountinhibit', address: 0x320, read: () => 0n, write: () => {} },
  { name: 'mscratch', address: 0x340, read: (h) => h.mscratch, write: (h, v) => { h.mscratch = v; } },
  { name: 'mepc', address: 0x341, read: (h) => h.mepc, write: (h, v) => { h.mepc = v & ~1n; } },
  { name: 'mcause', address: 0x342, read: (h) => h.mcause, write: (h, v) => { h.mcause = v; } },
  { name: 'mtval', address: 0x343, read: (h) => h.mtval, write: (h, v) => { h.mtval = v; } },
  {
    name: 'mip', address: 0x344, read: (h) => BigInt(h.mip()),
    readForModify: (h) => BigInt(h.mipSoftware | (h.mipLines & ~MIP_WRITABLE)),
    write: (h, v) => { h.mipSoftware = u32(v) & MIP_WRITABLE; },
  },

  // Supervisor
  {
    name: 'sstatus', address: 0x100,
    read: (h) => BigInt(h.mstatus & SSTATUS_WRITABLE) | SSTATUS_XL,
    write: (h, v) => { h.mstatus = (h.mstatus & ~SSTATUS_WRITABLE) | (u32(v) & SSTATUS_WRITABLE); },
  },
  { name: 'sie', address: 0x104, read: (h) => BigInt(h.mie & h.mideleg), write: (h, v) => { h.mie = (h.mie & ~h.mideleg) | (u32(v) & h.mideleg); } },
  { name: 'stvec', address: 0x105, read: (h) => h.stvec, write: (h, v) => { if ((v & 3n) < 2n) h.stvec = v; } },
  { name: 'scounteren', address: 0x106, read: (h) => BigInt(h.scounteren), write: (h, v) => { h.scounteren = u32(v); } },
  { name: 'senvcfg', address: 0x10a, read: (h) => h.senvcfg, write: (h, v) => { h.senvcfg = v & 1n; } },
  { name: 'sscratch', address: 0x140, read: (h) => h.sscratch, write: (h, v) => { h.sscratch = v; } },
  { name: 'sepc', address: 0x141, read: (h) => h.sepc, write: (h, v) => { h.sepc = v & ~1n; } },
  { name: 'scause', address: 0x142, read: (h) => h.scause, write: (h, v) => { h.scause = v; } },
  { name: 'stval', address: 0x143, read: (h) => h.stval, write: (h, v) => { h.stval = v; } },
  {
    name: 'sip', address: 0x144, read: (h) => BigInt(h.mip() & h.mideleg),
    readForModify: (h) => BigInt((h.mipSoftware | (h.mipLines & ~MIP_WRITABLE)) & h.mideleg),
    // Only SSIP is writable from S-mode, and only when delegated.
    write: (h, v) => { const m = MIP_SSIP & h.mideleg; h.mipSoftware = (h.mipSoftware & ~m) | (u32(v) & m); },
  },
  {
    name: 'satp', address: 0x180, read: (h) => h.satp,
    // A write selecting an unsupported MODE has no effect at all (4.1.11).
    write: (h, v) => { const mode = v >> 60n; if (mode === SATP_MODE_BARE || mode === SATP_MODE_SV39) h.setSatp(v); },
    allowed: (h) => !(h.priv === PRV_S && (h.mstatus & MSTATUS_TVM) !== 0),
  },

  // Counters (Zicntr; hpm counters read zero)
  { name: 'mcycle', address: 0xb00, read: (h) => h.cycleCount(), write: (h, v) => h.setCycleCount(v) },
  { name: 'minstret', address: 0xb02, read: (h) => h.instretCount(), write: (h, v) => h.setInstretCount(v) },
  { name: 'cycle', address: 0xc00, read: (h) => h.cycleCount(), allowed: (h) => counterEnabled(h, 0) },
  { name: 'time', address: 0xc01, read: (h) => h.timeSource(), allowed: (h) => counterEnabled(h, 1) },
  { name: 'instret', address: 0xc02, read: (h) => h.instretCount(), allowed: (h) => counterEnabled(h, 2) },
];

for (let n = 3; n <= 31; n++) {
  definitions.push({ name: `mhpmcounter${n}`, address: 0xb00 + n, read: () => 0n, write: () => {} });
  definitions.push({ name: `mhpmevent${n}`, address: 0x320 + n, read: () => 0n, write: () => {} });
  definitions.push({ name: `hpmcounter${n}`, address: 0xc00 + n, read: () => 0n, allowed: (h) => counterEnabled(h, n) });
}

// PMP (3.7): pmpcfg0 and pmpcfg2 hold entries 0-15; on RV64 odd pmpcfg numbers do not exist.
for (let n = 0; n < 16; n += 2) {
  if (n * 4 < PMP_ENTRIES) {
    const first = n * 4;
    definitions.push({
      name: `pmpcfg${n}`, address: 0x3a0 + n,
      read: (h) => { let v = 0n; for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(h.pmp.cfg[first + i]!); return v; },
      write: (h, v) => { for (let i = 0; i < 8; i++) h.pmp.writeCfg(first + i, Number((v >> BigInt(8 * i)) & 0xffn)); },
    });
  } else {
    definitions.push({ name: `pmpcfg${n}`, address: 0x3a0 + n, read: () => 0n, write: () => {} });
  }
}
for (let i = 0; i < 64; i++) {
  if (i < PMP_ENTRIES) {
    definitions.push({ name: `pmpaddr${i}`, address: 0x3b0 + i, read: (h) => h.pmp.addr[i]!, write: (h, v) => h.pmp.writeAddr(i, v) });
  } else {
    definitions.push({ name: `pmpaddr${i}`, address: 0x3b0 + i, read: () => 0n, write: () => {} });
  }
}

/** The CSR table by spec name. */
export const CSRS: ReadonlyMap<string, CsrDefinition> = new Map(definitions.map((d) => [d.name, d]));
/** The CSR table by 12-bit address. */
export const CSRS_BY_ADDRESS: ReadonlyMap<number, CsrDefinition> = new Map(definitions.map((d) => [d.address, d]));

/** Lowest privilege that may access a CSR address (bits 9:8). */
export function csrPrivilege(address: number): number {
  return (address >>> 8) & 3;
}
/** Whether a CSR address is read-only (bits 11:10 = 11). */
export function csrReadOnly(address: number): boolean {
  return address >>> 10 === 3;
}

