/**
 * Every CSR, in one table keyed by its spec name (privileged spec 1.12,
 * chapter 2 and tables 2.2-2.5). `read` has no side effects; `write` receives
 * the full new value and legalises it (WARL) in one place; a CSR without
 * `write` ignores writes (read-only fields of a read/write CSR address).
 * Accessibility: the address's privilege bits (9:8) and read-only bits
 * (11:10) are checked by the hart; `allowed` adds CSR-specific rules
 * (counter enables, mstatus.TVM) and `virtualFault` the cases where V = 1
 * makes an access a virtual-instruction exception instead (privileged spec
 * 1.12, 8.6.1). `hypervisor` CSRs exist only with misa.H. While V = 1 the
 * S-level CSRs with a VS counterpart are redirected to it (VS_ALIASES).
 * Anything not in the table is illegal.
 */
import type { Hart } from './hart.js';
import { MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SGEIP, MIP_SSIP, MIP_STIP, MIP_VSSIP, PRV_M, PRV_S, PRV_U, VS_INTERRUPTS } from './causes.js';
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
  /** With V = 1: whether the access is a virtual-instruction exception (checked after `allowed`). */
  virtualFault?(h: Hart): boolean;
  /** Exists only when the hart has the hypervisor extension. */
  readonly hypervisor?: true;
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
/** mstatus bits 63:32 the hypervisor extension adds, as bits of the high word: GVA (38) and MPV (39). */
export const MSTATUS_H_GVA = 1 << 6;
export const MSTATUS_H_MPV = 1 << 7;
// hstatus fields (8.2.1); VSXL (33:32) is read-only 2, VGEIN read-only 0 (GEILEN = 0), VSBE 0.
export const HSTATUS_GVA = 1 << 6;
export const HSTATUS_SPV = 1 << 7;
export const HSTATUS_SPVP = 1 << 8;
export const HSTATUS_HU = 1 << 9;
export const HSTATUS_VTVM = 1 << 20;
export const HSTATUS_VTW = 1 << 21;
export const HSTATUS_VTSR = 1 << 22;
const HSTATUS_WRITABLE = HSTATUS_GVA | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_HU | HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR;
const HSTATUS_VSXL = 2n << 32n;
/** hgatp (8.2.10): MODE 8 = Sv39x4; VMIDLEN = 14 (bits 57:44 all writable); PPN[1:0] read 0 (16 KiB root). */
export const HGATP_VMID_BITS = 14;
const HGATP_MODE_SV39X4 = 8n;
/** UXL = SXL = 2 (XLEN 64), read-only; FS, VS, XS, SD read 0 (no F, D or V). */
const MSTATUS_XL = (2n << 32n) | (2n << 34n);
const SSTATUS_XL = 2n << 32n;

/** misa: MXL = 2 and the extensions I M A C S U; misa.H (bit 7) is added when the hart has the hypervisor extension. */
export const MISA = (2n << 62n) | [0, 2, 8, 12, 18, 20].reduce((m, b) => m | (1n << BigInt(b)), 0n);
export const MISA_H = 1n << 7n;

/** Interrupts S-mode may be delegated (3.1.9): SSI, STI, SEI. */
export const DELEGABLE_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** All interrupt-enable bits. */
const MIE_WRITABLE = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Exceptions medeleg may delegate: all defined ones except ecall from M (medeleg[11] is read-only 0). */
export const DELEGABLE_EXCEPTIONS = 0xb3ff;
/** With H, medeleg may also delegate ecall from VS (10), the guest-page faults (20, 21, 23) and virtual instruction (22). */
export const DELEGABLE_EXCEPTIONS_H = DELEGABLE_EXCEPTIONS | (1 << 10) | (0xf << 20);
/** hedeleg (8.2.2): bits 9-11 and 20-23 are read-only zero; the rest of the defined causes below 16 are writable. */
export const HEDELEG_WRITABLE = 0xb1ff;
/** mip bits M-mode software may write (the rest are driven by the CLINT and PLIC). */
const MIP_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** The S-level interrupts sip/sie show (the VS bits appear in hip/hie, 8.2.3). */
const S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;

const SATP_MODE_BARE = 0n;
const SATP_MODE_SV39 = 8n;

function legaliseMpp(value: number): number {
  const mpp = (value >> MSTATUS_MPP_SHIFT) & 3;
  // 2 is reserved (no H-mode here): it becomes U, the least privileged mode.
  return mpp === 2 ? value & ~MSTATUS_MPP : value;
}

/** Whether the counter with bit `bit` of mcounteren/scounteren may be read at the current privilege (else illegal). */
function counterEnabled(h: Hart, bit: number): boolean {
  if (h.priv === PRV_M) return true;
  if ((h.mcounteren & (1 << bit)) === 0) return false;
  // With V = 1 a clear hcounteren/scounteren bit is a virtual-instruction exception instead (counterVirtualFault).
  return h.virt || h.priv === PRV_S || (h.scounteren & (1 << bit)) !== 0;
}

/** With V = 1 and mcounteren allowing it: hcounteren, then (VU) scounteren must allow the counter (8.2.5). */
function counterVirtualFault(h: Hart, bit: number): boolean {
  if ((h.hcounteren & (1 << bit)) === 0) return true;
  return h.priv === PRV_U && (h.scounteren & (1 << bit)) === 0;
}

/** xtvec: MODE >= 2 is reserved, such a write leaves the CSR unchanged. */
function legalTvec(v: bigint): boolean {
  return (v & 3n) < 2n;
}

/** satp and vsatp: only Bare and Sv39; a write of another MODE has no effect at all (4.1.11). */
function legalAtp(v: bigint): boolean {
  const mode = v >> 60n;
  return mode === SATP_MODE_BARE || mode === SATP_MODE_SV39;
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
    read: (h) => BigInt(h.mstatus) | MSTATUS_XL | (BigInt(h.mstatusH) << 32n),
    write: (h, v) => {
      h.mstatus = legaliseMpp(u32(v) & MSTATUS_WRITABLE);
      if (h.hExtension) h.mstatusH = Number(v >> 32n) & (MSTATUS_H_GVA | MSTATUS_H_MPV);
    },
  },
  { name: 'misa', address: 0x301, read: (h) => (h.hExtension ? MISA | MISA_H : MISA), write: () => {} },
  {
    name: 'medeleg', address: 0x302, read: (h) => BigInt(h.medeleg),
    write: (h, v) => { h.medeleg = u32(v) & (h.hExtension ? DELEGABLE_EXCEPTIONS_H : DELEGABLE_EXCEPTIONS); },
  },
  // With H, mideleg's VS-level bits are read-only one (8.4.3; SGEIP is zero with GEILEN = 0).
  {
    name: 'mideleg', address: 0x303, read: (h) => BigInt(h.mideleg),
    write: (h, v) => { h.mideleg = (u32(v) & DELEGABLE_INTERRUPTS) | (h.hExtension ? VS_INTERRUPTS : 0); },
  },
  { name: 'mie', address: 0x304, read: (h) => BigInt(h.mie), write: (h, v) => { h.mie = u32(v) & (h.hExtension ? MIE_WRITABLE | VS_INTERRUPTS : MIE_WRITABLE); } },
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
    // mip.VSSIP aliases hvip.VSSIP; VSTIP and VSEIP are written through hvip only (8.2.3).
    write: (h, v) => {
      const writable = h.hExtension ? MIP_WRITABLE | MIP_VSSIP : MIP_WRITABLE;
      h.mipSoftware = (h.mipSoftware & ~writable) | (u32(v) & writable);
    },
  },
  // Written by traps into M with the guest-physical address >> 2 (guest-page faults) and the trapping instruction (8.6.3).
  { name: 'mtinst', address: 0x34a, hypervisor: true, read: (h) => h.mtinst, write: (h, v) => { h.mtinst = v; } },
  { name: 'mtval2', address: 0x34b, hypervisor: true, read: (h) => h.mtval2, write: (h, v) => { h.mtval2 = v; } },

  // Debug triggers (Sdtrig) at their minimum: no triggers. tselect holds 0, tdata1 reads type 0 ("no
  // trigger at this tselect"), tinfo says only type 0 exists; writes are ignored.
  { name: 'tselect', address: 0x7a0, read: () => 0n, write: () => {} },
  { name: 'tdata1', address: 0x7a1, read: () => 0n, write: () => {} },
  { name: 'tdata2', address: 0x7a2, read: () => 0n, write: () => {} },
  { name: 'tdata3', address: 0x7a3, read: () => 0n, write: () => {} },
  { name: 'tinfo', address: 0x7a4, read: () => 1n, write: () => {} },

  // Supervisor
  {
    name: 'sstatus', address: 0x100,
    read: (h) => BigInt(h.mstatus & SSTATUS_WRITABLE) | SSTATUS_XL,
    write: (h, v) => { h.mstatus = (h.mstatus & ~SSTATUS_WRITABLE) | (u32(v) & SSTATUS_WRITABLE); },
  },
  {
    name: 'sie', address: 0x104, read: (h) => BigInt(h.mie & h.mideleg & S_INTERRUPTS),
    write: (h, v) => { const m = h.mideleg & S_INTERRUPTS; h.mie = (h.mie & ~m) | (u32(v) & m); },
  },
  { name: 'stvec', address: 0x105, read: (h) => h.stvec, write: (h, v) => { if (legalTvec(v)) h.stvec = v; } },
  { name: 'scounteren', address: 0x106, read: (h) => BigInt(h.scounteren), write: (h, v) => { h.scounteren = u32(v); } },
  { name: 'senvcfg', address: 0x10a, read: (h) => h.senvcfg, write: (h, v) => { h.senvcfg = v & 1n; } },
  { name: 'sscratch', address: 0x140, read: (h) => h.sscratch, write: (h, v) => { h.sscratch = v; } },
  { name: 'sepc', address: 0x141, read: (h) => h.sepc, write: (h, v) => { h.sepc = v & ~1n; } },
  { name: 'scause', address: 0x142, read: (h) => h.scause, write: (h, v) => { h.scause = v; } },
  { name: 'stval', address: 0x143, read: (h) => h.stval, write: (h, v) => { h.stval = v; } },
  {
    name: 'sip', address: 0x144, read: (h) => BigInt(h.mip() & h.mideleg & S_INTERRUPTS),
    readForModify: (h) => BigInt((h.mipSoftware | (h.mipLines & ~MIP_WRITABLE)) & h.mideleg & S_INTERRUPTS),
    // Only SSIP is writable from S-mode, and only when delegated.
    write: (h, v) => { const m = MIP_SSIP & h.mideleg; h.mipSoftware = (h.mipSoftware & ~m) | (u32(v) & m); },
  },
  {
    name: 'satp', address: 0x180, read: (h) => h.satp,
    // A write selecting an unsupported MODE has no effect at all (4.1.11).
    write: (h, v) => { if (legalAtp(v)) h.setSatp(v); },
    allowed: (h) => !(h.priv === PRV_S && (h.mstatus & MSTATUS_TVM) !== 0),
  },

  // Hypervisor (8.2): HS-mode and M-mode only; from VS/VU a virtual-instruction exception.
  {
    name: 'hstatus', address: 0x600, hypervisor: true,
    read: (h) => BigInt(h.hstatus) | HSTATUS_VSXL,
    write: (h, v) => { h.hstatus = u32(v) & HSTATUS_WRITABLE; },
  },
  { name: 'hedeleg', address: 0x602, hypervisor: true, read: (h) => BigInt(h.hedeleg), write: (h, v) => { h.hedeleg = u32(v) & HEDELEG_WRITABLE; } },
  { name: 'hideleg', address: 0x603, hypervisor: true, read: (h) => BigInt(h.hideleg), write: (h, v) => { h.hideleg = u32(v) & VS_INTERRUPTS; } },
  // hie/hip: the VS-level bits of mie/mip and SGEIE/SGEIP (read-only zero with GEILEN = 0).
  {
    name: 'hie', address: 0x604, hypervisor: true, read: (h) => BigInt(h.mie & (VS_INTERRUPTS | MIP_SGEIP)),
    write: (h, v) => { h.mie = (h.mie & ~VS_INTERRUPTS) | (u32(v) & VS_INTERRUPTS); },
  },
  {
    name: 'htimedelta', address: 0x605, hypervisor: true, read: (h) => h.htimedelta, write: (h, v) => { h.htimedelta = v; },
  },
  { name: 'hcounteren', address: 0x606, hypervisor: true, read: (h) => BigInt(h.hcounteren), write: (h, v) => { h.hcounteren = u32(v); } },
  { name: 'hgeie', address: 0x607, hypervisor: true, read: () => 0n, write: () => {} },
  // henvcfg: only FIOM (bit 0), as menvcfg.
  { name: 'henvcfg', address: 0x60a, hypervisor: true, read: (h) => h.henvcfg, write: (h, v) => { h.henvcfg = v & 1n; } },
  { name: 'htval', address: 0x643, hypervisor: true, read: (h) => h.htval, write: (h, v) => { h.htval = v; } },
  {
    name: 'hip', address: 0x644, hypervisor: true, read: (h) => BigInt(h.mip() & (VS_INTERRUPTS | MIP_SGEIP)),
    readForModify: (h) => BigInt(h.mipSoftware & VS_INTERRUPTS),
    // Only VSSIP is writable through hip (an alias of hvip.VSSIP).
    write: (h, v) => { h.mipSoftware = (h.mipSoftware & ~MIP_VSSIP) | (u32(v) & MIP_VSSIP); },
  },
  {
    name: 'hvip', address: 0x645, hypervisor: true, read: (h) => BigInt(h.mipSoftware & VS_INTERRUPTS),
    write: (h, v) => { h.mipSoftware = (h.mipSoftware & ~VS_INTERRUPTS) | (u32(v) & VS_INTERRUPTS); },
  },
  { name: 'htinst', address: 0x64a, hypervisor: true, read: (h) => h.htinst, write: (h, v) => { h.htinst = v; } },
  {
    name: 'hgatp', address: 0x680, hypervisor: true, read: (h) => h.hgatp,
    // Bare or Sv39x4; another MODE leaves hgatp unchanged. mstatus.TVM traps HS-mode accesses as for satp.
    write: (h, v) => {
      const mode = v >> 60n;
      if (mode !== SATP_MODE_BARE && mode !== HGATP_MODE_SV39X4) return;
      const vmidMask = (1n << BigInt(HGATP_VMID_BITS)) - 1n;
      h.setHgatp((mode << 60n) | (((v >> 44n) & vmidMask) << 44n) | (v & ((1n << 44n) - 4n)));
    },
    allowed: (h) => !(h.priv === PRV_S && (h.mstatus & MSTATUS_TVM) !== 0),
  },
  { name: 'hgeip', address: 0xe12, hypervisor: true, read: () => 0n },

  // Virtual supervisor (8.2.11-8.2.18): S-level CSR accesses with V = 1 land here.
  {
    name: 'vsstatus', address: 0x200, hypervisor: true,
    read: (h) => BigInt(h.vsstatus & SSTATUS_WRITABLE) | SSTATUS_XL,
    write: (h, v) => { h.vsstatus = u32(v) & SSTATUS_WRITABLE; },
  },
  // vsie/vsip: the VS-level bits of hie/hip that hideleg delegates, shifted down one (VSSIP -> SSIP).
  {
    name: 'vsie', address: 0x204, hypervisor: true, read: (h) => BigInt((h.mie & h.hideleg & VS_INTERRUPTS) >>> 1),
    write: (h, v) => { const m = h.hideleg & VS_INTERRUPTS; h.mie = (h.mie & ~m) | ((u32(v) << 1) & m); },
  },
  { name: 'vstvec', address: 0x205, hypervisor: true, read: (h) => h.vstvec, write: (h, v) => { if (legalTvec(v)) h.vstvec = v; } },
  { name: 'vsscratch', address: 0x240, hypervisor: true, read: (h) => h.vsscratch, write: (h, v) => { h.vsscratch = v; } },
  { name: 'vsepc', address: 0x241, hypervisor: true, read: (h) => h.vsepc, write: (h, v) => { h.vsepc = v & ~1n; } },
  { name: 'vscause', address: 0x242, hypervisor: true, read: (h) => h.vscause, write: (h, v) => { h.vscause = v; } },
  { name: 'vstval', address: 0x243, hypervisor: true, read: (h) => h.vstval, write: (h, v) => { h.vstval = v; } },
  {
    name: 'vsip', address: 0x244, hypervisor: true, read: (h) => BigInt((h.mip() & h.hideleg & VS_INTERRUPTS) >>> 1),
    readForModify: (h) => BigInt((h.mipSoftware & h.hideleg & VS_INTERRUPTS) >>> 1),
    // Only SSIP (hvip.VSSIP) is writable, and only when delegated.
    write: (h, v) => { const m = h.hideleg & MIP_VSSIP; h.mipSoftware = (h.mipSoftware & ~m) | ((u32(v) << 1) & m); },
  },
  {
    name: 'vsatp', address: 0x280, hypervisor: true, read: (h) => h.vsatp,
    write: (h, v) => { if (legalAtp(v)) h.setVsatp(v); },
    // satp redirected here from VS-mode with hstatus.VTVM (8.6.1).
    virtualFault: (h) => h.priv === PRV_S && (h.hstatus & HSTATUS_VTVM) !== 0,
  },

  // Counters (Zicntr; hpm counters read zero)
  { name: 'mcycle', address: 0xb00, read: (h) => h.cycleCount(), write: (h, v) => h.setCycleCount(v) },
  { name: 'minstret', address: 0xb02, read: (h) => h.instretCount(), write: (h, v) => h.setInstretCount(v) },
  { name: 'cycle', address: 0xc00, read: (h) => h.cycleCount(), allowed: (h) => counterEnabled(h, 0), virtualFault: (h) => counterVirtualFault(h, 0) },
  // With V = 1, time reads the board's time plus htimedelta (8.2.7).
  {
    name: 'time', address: 0xc01, read: (h) => (h.virt ? BigInt.asUintN(64, h.timeSource() + h.htimedelta) : h.timeSource()),
    allowed: (h) => counterEnabled(h, 1), virtualFault: (h) => counterVirtualFault(h, 1),
  },
  { name: 'instret', address: 0xc02, read: (h) => h.instretCount(), allowed: (h) => counterEnabled(h, 2), virtualFault: (h) => counterVirtualFault(h, 2) },
];

for (let n = 3; n <= 31; n++) {
  definitions.push({ name: `mhpmcounter${n}`, address: 0xb00 + n, read: () => 0n, write: () => {} });
  definitions.push({ name: `mhpmevent${n}`, address: 0x320 + n, read: () => 0n, write: () => {} });
  definitions.push({ name: `hpmcounter${n}`, address: 0xc00 + n, read: () => 0n, allowed: (h) => counterEnabled(h, n), virtualFault: (h) => counterVirtualFault(h, n) });
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

/** With V = 1, S-level CSR addresses with a VS counterpart access it instead (8.2.11). */
export const VS_ALIASES: ReadonlyMap<number, CsrDefinition> = new Map(
  (
    [['sstatus', 'vsstatus'], ['sie', 'vsie'], ['stvec', 'vstvec'], ['sscratch', 'vsscratch'], ['sepc', 'vsepc'],
      ['scause', 'vscause'], ['stval', 'vstval'], ['sip', 'vsip'], ['satp', 'vsatp']] as const
  ).map(([s, vs]) => [CSRS.get(s)!.address, CSRS.get(vs)!]),
);

/** Lowest privilege that may access a CSR address (bits 9:8). */
export function csrPrivilege(address: number): number {
  return (address >>> 8) & 3;
}
/** Whether a CSR address is read-only (bits 11:10 = 11). */
export function csrReadOnly(address: number): boolean {
  return address >>> 10 === 3;
}

