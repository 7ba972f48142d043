/*
 * h-irq: VS-level interrupts (privileged spec 1.12, 8.4.3, 8.6.2). hvip
 * raises VSSIP, VSTIP and VSEIP; hideleg delegates them to VS-mode, where
 * they arrive as SSI, STI and SEI (vscause 1, 5, 9) under vsie and
 * vsstatus.SIE, and always in VU-mode; never with V = 0. Not delegated by
 * hideleg they go to HS-mode (scause 2, 6, 10), which V = 1 cannot mask.
 * Last, several at once are taken in the order VSEI, VSSI, VSTI.
 * Both stages are Bare.
 */
#include "hyp.h"

#define INT(n) ((1 << 63) | (n))

/* Enters VS (or VU) at `to` expecting an interrupt before its first
 * instruction: the handler resumes at the label after `to`'s block. */
.macro EXPECT_IRQ_AT_ENTRY n, mode, cause
  TEST_CASE \n
  la t3, 8990f
  li s11, MSTATUS_MPP
  csrc mstatus, s11
  li s11, (\mode << 11) | MSTATUS_MPV
  csrs mstatus, s11
  la s11, 8989f
  csrw mepc, s11
  mret
8989:
  j fail            // the interrupt comes first
8990:
  li s11, \cause
  FAIL_IF_NE t4, s11
  la s11, 8989b
  FAIL_IF_NE t6, s11
  RETURN_TO_M
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  USE_HYP_M_HANDLER
  la a0, hs_irq_handler
  csrw stvec, a0
  la a0, vs_irq_handler
  csrw CSR_VSTVEC, a0

  // mideleg's VS bits read one; writing them as one anyway is what QEMU 7.2 needs to
  // actually delegate VS-level interrupts past M (it keeps them zero internally until written).
  li a0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrs mideleg, a0

  TEST_CASE 1
  csrr a0, misa
  andi a0, a0, MISA_H
  EXPECT_EQ a0, MISA_H

  // With V = 0 a VS-level interrupt is never taken, even in HS-mode with SIE.
  TEST_CASE 2
  li a0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrw CSR_HIDELEG, a0
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  csrw CSR_HVIP, MIP_VSSIP
  li a0, MSTATUS_SIE
  csrs mstatus, a0
  ENTER_MODE PRV_S, 1f
1:
  nop
  nop
  csrr a1, CSR_HIP
  andi a1, a1, MIP_VSSIP
  EXPECT_EQ a1, MIP_VSSIP
  RETURN_TO_M
  csrw CSR_HVIP, zero
  li a0, MSTATUS_SIE
  csrc mstatus, a0

  // Not delegated by hideleg: to HS-mode with its VS code, though sstatus.SIE = 0 (V = 1 cannot mask HS).
  csrw CSR_HIDELEG, zero
  li a0, MIP_VSSIP
  csrw CSR_HIE, a0
  csrw CSR_HVIP, MIP_VSSIP
  EXPECT_IRQ_AT_ENTRY 3, PRV_S, INT(IRQ_VS_SOFT)
  TEST_CASE 4
  la a1, hs_saw_spv
  ld a1, 0(a1)
  EXPECT_EQ a1, HSTATUS_SPV
  csrw CSR_HIE, zero

  // Delegated to VS by hideleg, enabled by vsie and vsstatus.SIE: each arrives as its S-level code.
  // (QEMU 7.2 delivers these to HS-mode: from here on it departs from the manual.)
  li a0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrw CSR_HIDELEG, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_HVIP, MIP_VSSIP
  EXPECT_IRQ_AT_ENTRY 5, PRV_S, INT(IRQ_S_SOFT)
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  li a0, MIP_VSTIP
  csrw CSR_HVIP, a0
  EXPECT_IRQ_AT_ENTRY 6, PRV_S, INT(IRQ_S_TIMER)
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  li a0, MIP_VSEIP
  csrw CSR_HVIP, a0
  EXPECT_IRQ_AT_ENTRY 7, PRV_S, INT(IRQ_S_EXT)
  // In VU-mode vsstatus.SIE does not mask them.
  TEST_CASE 8
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, zero
  li a0, MIP_VSTIP
  csrw CSR_HVIP, a0
  EXPECT_IRQ_AT_ENTRY 9, PRV_U, INT(IRQ_S_TIMER)

  // Last (QEMU 7.2 without AIA takes the lowest-numbered pending interrupt): VSEI before VSSI before VSTI.
  li a0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrw CSR_HIDELEG, a0
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  li a0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
  csrw CSR_HVIP, a0
  EXPECT_IRQ_AT_ENTRY 10, PRV_S, INT(IRQ_S_EXT)
  li a0, MIP_VSSIP | MIP_VSTIP
  csrw CSR_HVIP, a0
  li a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw CSR_VSIE, a0
  csrw CSR_VSSTATUS, MSTATUS_SIE
  EXPECT_IRQ_AT_ENTRY 11, PRV_S, INT(IRQ_S_SOFT)

  // vsip shows hip's delegated VS bits shifted down one (VSTIP -> STIP).
  TEST_CASE 12
  li a0, MIP_VSTIP
  csrw CSR_HVIP, a0
  csrr a1, CSR_VSIP
  EXPECT_EQ a1, MIP_STIP

  csrw CSR_HVIP, zero
  csrw CSR_HIDELEG, zero
  csrw CSR_VSIE, zero
  mv ra, s0
  ret

/* VS-mode interrupt handler: records scause/sepc (vscause/vsepc) in t4/t6,
 * masks every VS interrupt (vsie = 0: VS cannot clear hvip.VSTIP/VSEIP),
 * and resumes at t3 in VS-mode. */
  .balign 4
vs_irq_handler:
  beqz t3, fail
  csrr t4, scause
  csrr t6, sepc
  csrw sie, zero
  csrw sepc, t3
  li t3, 0
  sret

/* HS-mode handler for VS interrupts hideleg keeps: clears hvip, notes SPV, resumes at t3 in VS. */
  .balign 4
hs_irq_handler:
  beqz t3, fail
  csrr t4, scause
  csrr t6, sepc
  csrw CSR_HVIP, zero
  csrr t5, CSR_HSTATUS
  andi t5, t5, HSTATUS_SPV
  la s11, hs_saw_spv
  sd t5, 0(s11)
  csrw sepc, t3
  li t3, 0
  sret

  .data
  .balign 8
hs_saw_spv: .dword 0
