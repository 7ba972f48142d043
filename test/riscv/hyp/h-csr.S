/*
 * h-csr: the hypervisor extension's CSRs and modes (privileged spec 1.12,
 * chapter 8): misa.H; every H, VS and new M CSR from M, HS, U, VS and VU
 * (legal, illegal instruction, or virtual instruction); WARL fields
 * (hstatus.VSXL, hedeleg, hideleg, hgatp MODE); S-CSR redirection to the VS
 * CSRs with V = 1; every virtual-instruction case; ecall from VS; traps,
 * SRET and MRET moving V (MPV, SPV, SPVP); delegation through
 * medeleg/hedeleg; HLV/HSV from HS and from U with and without hstatus.HU.
 * Translation is Bare in both stages here (h-translate covers paging).
 */
#include "hyp.h"

/* The CSRs HS-mode may read and write (each takes a write of its own value). */
#define H_RW_CSRS CSR_HSTATUS, CSR_HEDELEG, CSR_HIDELEG, CSR_HIE, CSR_HCOUNTEREN, \
  CSR_HGEIE, CSR_HENVCFG, CSR_HTVAL, CSR_HIP, CSR_HVIP, CSR_HTINST, CSR_HGATP, \
  CSR_VSSTATUS, CSR_VSIE, CSR_VSTVEC, CSR_VSSCRATCH, CSR_VSEPC, CSR_VSCAUSE, CSR_VSTVAL, CSR_VSIP, CSR_VSATP

  .set case_number, 0
.macro NEXT_CASE
  .set case_number, case_number + 1
  TEST_CASE case_number
.endm

.macro EXPECT_RW csr
  NEXT_CASE
  csrr a0, \csr
  csrw \csr, a0
.endm

/* The access traps with `cause`, tval = the instruction. */
.macro EXPECT_TRAP_READ csr, cause
  NEXT_CASE
  TRAP_BEGIN
  csrr a0, \csr
  TRAP_END \cause
  EXPECT_TVAL_INSN32
.endm

/* Runs one instruction that must trap with `cause` (tval = its bits when checked by the caller). */
.macro EXPECT_INSN_TRAP cause, insn:vararg
  NEXT_CASE
  TRAP_BEGIN
  \insn
  TRAP_END \cause
.endm

/* As RETURN_TO_M, through an illegal M-CSR access instead of ecall (for when ecall is delegated). */
.macro RETURN_TO_M_BY_ILLEGAL
  la t3, 8991f
  ori t3, t3, 1
  csrr zero, mstatus
8991:
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  USE_HYP_M_HANDLER
  la a0, hyp_s_handler
  csrw stvec, a0

  // misa.H is set.
  NEXT_CASE
  csrr a0, misa
  andi a0, a0, MISA_H
  EXPECT_EQ a0, MISA_H

  // From M: every H and VS CSR, mtval2 and mtinst, and hgeip read-only.
  .irp csr, H_RW_CSRS, CSR_MTVAL2, CSR_MTINST
  EXPECT_RW \csr
  .endr
  NEXT_CASE
  csrr a0, CSR_HGEIP
  EXPECT_EQ a0, 0
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, csrw CSR_HGEIP, zero

  // hstatus: VSXL reads 2 (64-bit); VTSR VTW VTVM HU SPVP SPV GVA are writable.
  // (Writing VSXL and VGEIN: h-warl, where QEMU 7.2 departs from the manual.)
  NEXT_CASE
  csrr a1, CSR_HSTATUS
  srli a2, a1, 32
  andi a2, a2, 3
  EXPECT_EQ a2, 2
  li a2, HSTATUS_VTSR | HSTATUS_VTW | HSTATUS_VTVM | HSTATUS_HU | HSTATUS_SPVP | HSTATUS_SPV | HSTATUS_GVA
  csrs CSR_HSTATUS, a2
  csrr a1, CSR_HSTATUS
  and a3, a1, a2
  EXPECT_REG a3, a2
  csrw CSR_HSTATUS, zero
  csrr a1, CSR_HSTATUS
  srli a1, a1, 32
  EXPECT_EQ a1, 2

  // hedeleg: causes 9-11 and 20-23 cannot be delegated to VS; hideleg only the VS interrupts.
  NEXT_CASE
  li a0, -1
  csrw CSR_HEDELEG, a0
  csrr a1, CSR_HEDELEG
  EXPECT_EQ a1, 0xb1ff
  csrw CSR_HEDELEG, zero
  NEXT_CASE
  csrw CSR_HIDELEG, a0
  csrr a1, CSR_HIDELEG
  EXPECT_EQ a1, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrw CSR_HIDELEG, zero
  // mideleg's VS-level bits read one. (Bit 12, SGEIP, is not checked: zero here with
  // GEILEN = 0, one on QEMU 7.2.)
  NEXT_CASE
  csrw mideleg, zero
  csrr a1, mideleg
  andi a1, a1, 0x7ff
  EXPECT_EQ a1, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP

  // hgatp: Sv39x4 and Bare are kept (an unsupported MODE: h-warl).
  NEXT_CASE
  li a0, HGATP_MODE_SV39X4 | 0x80100
  csrw CSR_HGATP, a0
  csrr a1, CSR_HGATP
  EXPECT_REG a1, a0
  csrw CSR_HGATP, zero
  csrr a1, CSR_HGATP
  EXPECT_EQ a1, 0

  // hvip.VSSIP is hip.VSSIP and mip.VSSIP.
  NEXT_CASE
  csrw CSR_HVIP, MIP_VSSIP
  csrr a1, CSR_HIP
  andi a1, a1, MIP_VSSIP
  EXPECT_EQ a1, MIP_VSSIP
  csrr a1, mip
  andi a1, a1, MIP_VSSIP
  EXPECT_EQ a1, MIP_VSSIP
  csrw CSR_HVIP, zero

  // HS-mode: the H and VS CSRs are accessible, the M-level ones are not.
  ENTER_MODE PRV_S, 1f
1:
  .irp csr, H_RW_CSRS
  EXPECT_RW \csr
  .endr
  EXPECT_TRAP_READ CSR_MTVAL2, CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_MTINST, CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M

  // U-mode (V = 0): none of them.
  ENTER_MODE PRV_U, 1f
1:
  EXPECT_TRAP_READ CSR_HSTATUS, CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_VSSTATUS, CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_HGEIP, CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M

  // VS-mode: MRET enters V = 1 from MPV; a trap back to M sets MPV and clears V.
  li a0, 0x1234
  csrw CSR_VSSCRATCH, a0
  li a0, 0x5678
  csrw sscratch, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  // sscratch is vsscratch with V = 1.
  NEXT_CASE
  csrr a1, sscratch
  EXPECT_EQ a1, 0x1234
  li a1, 0x4321
  csrw sscratch, a1
  // H and VS CSRs: virtual instruction; M CSRs: illegal.
  EXPECT_TRAP_READ CSR_HSTATUS, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_HGATP, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_VSSTATUS, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ CSR_HGEIP, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ mstatus, CAUSE_ILLEGAL_INSTRUCTION
  // The trap from VS to M recorded MPV = 1 and MPP = S.
  NEXT_CASE
  la a1, trap_mstatus
  ld a1, 0(a1)
  li a2, MSTATUS_MPV | MSTATUS_MPP
  and a1, a1, a2
  EXPECT_EQ a1, MSTATUS_MPV | (PRV_S << 11)
  // H instructions: virtual instruction.
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, HFENCE_VVMA zero, zero
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, HFENCE_GVMA zero, zero
  la a2, scratch
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, HLV_D a0, a2
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, HSV_W a0, a2
  // ecall from VS is cause 10.
  EXPECT_INSN_TRAP CAUSE_VS_ECALL, ecall
  RETURN_TO_M
  NEXT_CASE
  csrr a1, CSR_VSSCRATCH
  EXPECT_EQ a1, 0x4321
  csrr a1, sscratch
  EXPECT_EQ a1, 0x5678

  // VS-mode with hstatus.VTVM, VTW, VTSR: satp, sfence.vma, wfi, sret are virtual instructions.
  li a0, HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR
  csrw CSR_HSTATUS, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, sfence.vma
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, wfi
  EXPECT_INSN_TRAP CAUSE_VIRTUAL_INSTRUCTION, sret
  RETURN_TO_M
  csrw CSR_HSTATUS, zero
  // ... and without them, satp is vsatp and sfence.vma is legal. (satp holds a value
  // HS would translate with; M and VS do not use it.)
  li a0, (8 << 60) | 0x80123
  csrw satp, a0
  csrw CSR_VSATP, zero
  ENTER_VIRTUAL PRV_S, 1f
1:
  NEXT_CASE
  csrr a1, satp
  EXPECT_EQ a1, 0
  csrw satp, zero
  sfence.vma
  RETURN_TO_M
  NEXT_CASE
  csrr a1, satp
  li a2, (8 << 60) | 0x80123
  EXPECT_REG a1, a2
  csrw satp, zero

  // Counters from VS: mcounteren clear = illegal; set but hcounteren clear = virtual instruction.
  csrw mcounteren, zero
  csrw CSR_HCOUNTEREN, zero
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_TRAP_READ cycle, CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M
  li a0, 7
  csrw mcounteren, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_TRAP_READ cycle, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ instret, CAUSE_VIRTUAL_INSTRUCTION
  RETURN_TO_M
  li a0, 7
  csrw CSR_HCOUNTEREN, a0
  csrw scounteren, zero
  ENTER_VIRTUAL PRV_S, 1f
1:
  NEXT_CASE
  csrr a1, cycle
  RETURN_TO_M

  // VU-mode: H CSRs are virtual instructions, M CSRs illegal; counters need scounteren (sret, sfence.vma, wfi: h-vu).
  ENTER_VIRTUAL PRV_U, 1f
1:
  // (S CSRs from VU: h-vu, where QEMU 7.2 departs from the manual.)
  EXPECT_TRAP_READ CSR_HSTATUS, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TRAP_READ mstatus, CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TRAP_READ cycle, CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_INSN_TRAP CAUSE_USER_ECALL, ecall
  RETURN_TO_M
  csrw mcounteren, zero
  csrw CSR_HCOUNTEREN, zero

  // mstatus.TW makes wfi illegal (not virtual) in VS-mode.
  li a0, MSTATUS_TW
  csrs mstatus, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, wfi
  RETURN_TO_M
  li a0, MSTATUS_TW
  csrc mstatus, a0

  // Delegation: medeleg sends a VS ecall to HS with SPV = 1, SPVP = 1; SRET from HS returns to VS.
  li a0, 1 << CAUSE_VS_ECALL
  csrs medeleg, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_INSN_TRAP CAUSE_VS_ECALL, ecall
  // (we are back in VS: the HS handler returned with SPV = 1.)
  NEXT_CASE
  la a1, trap_hstatus
  ld a1, 0(a1)
  andi a1, a1, HSTATUS_SPV | HSTATUS_SPVP
  EXPECT_EQ a1, HSTATUS_SPV | HSTATUS_SPVP
  EXPECT_TRAP_READ CSR_HSTATUS, CAUSE_VIRTUAL_INSTRUCTION
  RETURN_TO_M_BY_ILLEGAL
  li a0, 1 << CAUSE_VS_ECALL
  csrc medeleg, a0

  // ... and hedeleg sends a breakpoint from VS on to VS (vscause, vsepc, vstval).
  // (An illegal instruction delegated to VS: h-vu, where QEMU 7.2 reports it as cause 1.)
  li a0, 1 << CAUSE_BREAKPOINT
  csrs medeleg, a0
  csrw CSR_HEDELEG, a0
  la a0, s_trap_handler
  csrw CSR_VSTVEC, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_INSN_TRAP CAUSE_BREAKPOINT, ebreak
  RETURN_TO_M
  NEXT_CASE
  csrr a1, CSR_VSCAUSE
  EXPECT_EQ a1, CAUSE_BREAKPOINT
  csrr a1, scause
  EXPECT_EQ a1, CAUSE_VS_ECALL   // HS saw only the earlier VS ecall
  csrw CSR_HEDELEG, zero
  li a0, 1 << CAUSE_BREAKPOINT
  csrc medeleg, a0

  // HLV/HSV from HS (Bare stages: the guest address is the physical one), at every width.
  csrw CSR_HGATP, zero
  csrw CSR_VSATP, zero
  ENTER_MODE PRV_S, 1f
1:
  NEXT_CASE
  la a2, scratch
  li a0, 0x8182838485868788
  HSV_D a0, a2
  ld a1, 0(a2)
  EXPECT_REG a1, a0
  HLV_D a1, a2
  EXPECT_REG a1, a0
  HLV_W a1, a2
  EXPECT_EQ a1, 0xffffffff85868788
  HLV_WU a1, a2
  EXPECT_EQ a1, 0x85868788
  HLV_H a1, a2
  EXPECT_EQ a1, 0xffffffffffff8788
  HLV_HU a1, a2
  EXPECT_EQ a1, 0x8788
  HLV_B a1, a2
  EXPECT_EQ a1, 0xffffffffffffff88
  HLV_BU a1, a2
  EXPECT_EQ a1, 0x88
  li a0, 0x11
  HSV_B a0, a2
  li a0, 0x2222
  HSV_H a0, a2
  li a0, 0x33333333
  addi a3, a2, 4
  HSV_W a0, a3
  ld a1, 0(a2)
  EXPECT_EQ a1, 0x3333333385862222
  // HLVX reads executable memory: the code here (aligned: a misaligned HLV may trap).
  la a3, 1f
  j 1f
  .balign 4
1:
  HLVX_WU a1, a3
  lwu a4, 0(a3)
  EXPECT_REG a1, a4
  HLVX_HU a1, a3
  lhu a4, 0(a3)
  EXPECT_REG a1, a4
  RETURN_TO_M

  // From U: illegal without hstatus.HU, allowed with it.
  ENTER_MODE PRV_U, 1f
1:
  la a2, scratch
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, HLV_D a0, a2
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, HSV_D a0, a2
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, HFENCE_VVMA zero, zero
  RETURN_TO_M
  li a0, HSTATUS_HU
  csrw CSR_HSTATUS, a0
  ENTER_MODE PRV_U, 1f
1:
  NEXT_CASE
  la a2, scratch
  li a0, 0x55
  HSV_D a0, a2
  HLV_D a1, a2
  EXPECT_EQ a1, 0x55
  // HFENCE stays illegal in U-mode even with HU.
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, HFENCE_GVMA zero, zero
  RETURN_TO_M
  csrw CSR_HSTATUS, zero

  // HFENCE.GVMA from HS with mstatus.TVM is illegal; HFENCE.VVMA is not.
  li a0, MSTATUS_TVM
  csrs mstatus, a0
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_INSN_TRAP CAUSE_ILLEGAL_INSTRUCTION, HFENCE_GVMA zero, zero
  NEXT_CASE
  HFENCE_VVMA zero, zero
  RETURN_TO_M
  li a0, MSTATUS_TVM
  csrc mstatus, a0

  // Last, where QEMU 7.2 departs from the manual: with hstatus.VTVM, satp from VS-mode is a
  // virtual instruction (8.2.1; QEMU 7.2 checks VTVM for sfence.vma only).
  li a0, HSTATUS_VTVM
  csrw CSR_HSTATUS, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  EXPECT_TRAP_READ satp, CAUSE_VIRTUAL_INSTRUCTION
  RETURN_TO_M
  csrw CSR_HSTATUS, zero

  mv ra, s0
  ret

  .data
  .balign 8
scratch: .dword 0, 0
