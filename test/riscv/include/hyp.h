/*
 * hyp.h — the hypervisor extension (privileged spec 1.12, chapter 8) for the
 * hyp/ test programs: CSR numbers, fields, causes, and the H instructions.
 *
 * Debian's clang 14 rejects -march=...h and the H mnemonics ("invalid
 * standard user-level extension 'h'"), so the instructions are .insn
 * encodings (R-type, opcode SYSTEM, funct3 4 for HLV/HSV, 0 for HFENCE) and
 * the CSRs are numbers.
 */
#ifndef HVSPEC_HYP_H
#define HVSPEC_HYP_H

#include "test.h"

#define CSR_HSTATUS    0x600
#define CSR_HEDELEG    0x602
#define CSR_HIDELEG    0x603
#define CSR_HIE        0x604
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HGEIE      0x607
#define CSR_HENVCFG    0x60a
#define CSR_HTVAL      0x643
#define CSR_HIP        0x644
#define CSR_HVIP       0x645
#define CSR_HTINST     0x64a
#define CSR_HGATP      0x680
#define CSR_HGEIP      0xe12
#define CSR_VSSTATUS   0x200
#define CSR_VSIE       0x204
#define CSR_VSTVEC     0x205
#define CSR_VSSCRATCH  0x240
#define CSR_VSEPC      0x241
#define CSR_VSCAUSE    0x242
#define CSR_VSTVAL     0x243
#define CSR_VSIP       0x244
#define CSR_VSATP      0x280
#define CSR_MTINST     0x34a
#define CSR_MTVAL2     0x34b

#define MISA_H (1 << 7)

/* mstatus bits 39 (MPV) and 38 (GVA). */
#define MSTATUS_MPV (1 << 39)
#define MSTATUS_GVA (1 << 38)

/* hstatus fields (8.2.1). */
#define HSTATUS_GVA  (1 << 6)
#define HSTATUS_SPV  (1 << 7)
#define HSTATUS_SPVP (1 << 8)
#define HSTATUS_HU   (1 << 9)
#define HSTATUS_VTVM (1 << 20)
#define HSTATUS_VTW  (1 << 21)
#define HSTATUS_VTSR (1 << 22)

#define HGATP_MODE_SV39X4 (8 << 60)

/* Causes the hypervisor extension adds (8.6.1). */
#define CAUSE_VS_ECALL              10
#define CAUSE_FETCH_GUEST_PAGE_FAULT 20
#define CAUSE_LOAD_GUEST_PAGE_FAULT  21
#define CAUSE_VIRTUAL_INSTRUCTION    22
#define CAUSE_STORE_GUEST_PAGE_FAULT 23

#define IRQ_VS_SOFT  2
#define IRQ_VS_TIMER 6
#define IRQ_VS_EXT   10
#define MIP_VSSIP (1 << IRQ_VS_SOFT)
#define MIP_VSTIP (1 << IRQ_VS_TIMER)
#define MIP_VSEIP (1 << IRQ_VS_EXT)

/* HLV/HLVX: funct7 by width, rs2 = 0 signed, 1 unsigned, 3 HLVX. */
.macro HLV_B rd, rs1
  .insn r 0x73, 4, 0x30, \rd, \rs1, x0
.endm
.macro HLV_BU rd, rs1
  .insn r 0x73, 4, 0x30, \rd, \rs1, x1
.endm
.macro HLV_H rd, rs1
  .insn r 0x73, 4, 0x32, \rd, \rs1, x0
.endm
.macro HLV_HU rd, rs1
  .insn r 0x73, 4, 0x32, \rd, \rs1, x1
.endm
.macro HLVX_HU rd, rs1
  .insn r 0x73, 4, 0x32, \rd, \rs1, x3
.endm
.macro HLV_W rd, rs1
  .insn r 0x73, 4, 0x34, \rd, \rs1, x0
.endm
.macro HLV_WU rd, rs1
  .insn r 0x73, 4, 0x34, \rd, \rs1, x1
.endm
.macro HLVX_WU rd, rs1
  .insn r 0x73, 4, 0x34, \rd, \rs1, x3
.endm
.macro HLV_D rd, rs1
  .insn r 0x73, 4, 0x36, \rd, \rs1, x0
.endm
/* HSV: rs2 is the value, rs1 the address. */
.macro HSV_B rs2, rs1
  .insn r 0x73, 4, 0x31, x0, \rs1, \rs2
.endm
.macro HSV_H rs2, rs1
  .insn r 0x73, 4, 0x33, x0, \rs1, \rs2
.endm
.macro HSV_W rs2, rs1
  .insn r 0x73, 4, 0x35, x0, \rs1, \rs2
.endm
.macro HSV_D rs2, rs1
  .insn r 0x73, 4, 0x37, x0, \rs1, \rs2
.endm
/* HFENCE.VVMA vaddr, asid and HFENCE.GVMA gaddr >> 2, vmid (x0 = all). */
.macro HFENCE_VVMA rs1, rs2
  .insn r 0x73, 0, 0x11, x0, \rs1, \rs2
.endm
.macro HFENCE_GVMA rs1, rs2
  .insn r 0x73, 0, 0x31, x0, \rs1, \rs2
.endm

/* From M-mode, enters VS-mode (V = 1, S) or VU-mode at label `to`: MPV = 1, MPP, mepc, MRET. */
.macro ENTER_VIRTUAL mode, to
  li s11, MSTATUS_MPP
  csrc mstatus, s11
  li s11, (\mode << 11) | MSTATUS_MPV
  csrs mstatus, s11
  la s11, \to
  csrw mepc, s11
  mret
.endm

/*
 * Installs hyp_m_handler as mtvec. It follows test.h's trap protocol, also
 * records mtval2, mtinst and mstatus of each expected trap in trap_mtval2,
 * trap_mtinst and trap_mstatus, and when it resumes in M clears MPV, so the
 * MRET stays in M.
 */
.macro USE_HYP_M_HANDLER
  la s11, hyp_m_handler
  csrw mtvec, s11
.endm

#endif
