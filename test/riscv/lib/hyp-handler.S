/*
 * hyp-handler.S — the M-mode trap handler of the hyp/ programs (see
 * USE_HYP_M_HANDLER in include/hyp.h): test.h's protocol, plus the trap's
 * mtval2, mtinst and mstatus (MPV, GVA) saved for the test to check.
 */
#include "hyp.h"

  .text
  .balign 4
  .globl hyp_m_handler
hyp_m_handler:
  beqz t3, hyp_m_unexpected
  la t4, trap_mtval2
  csrr t5, CSR_MTVAL2
  sd t5, 0(t4)
  csrr t5, CSR_MTINST
  sd t5, 8(t4)
  csrr t5, mstatus
  sd t5, 16(t4)
  andi t4, t3, 1
  beqz t4, 1f
  li t4, MSTATUS_MPP          // resume in M-mode, with V = 0
  csrs mstatus, t4
  li t4, MSTATUS_MPV
  csrc mstatus, t4
1:
  andi t3, t3, -2
  csrr t6, mepc
  csrw mepc, t3
  csrr t4, mcause
  csrr t5, mtval
  li t3, 0
  mret
hyp_m_unexpected:
  csrr t4, mcause
  csrr t5, mtval
  csrr t6, mepc
  li t3, MSTATUS_MPRV
  csrc mstatus, t3
  j fail

/*
 * The HS-mode handler (stvec) of the hyp/ programs: test.h's protocol; saves
 * htval and hstatus in trap_htval, trap_hstatus; resuming in S clears SPV.
 */
  .balign 4
  .globl hyp_s_handler
hyp_s_handler:
  beqz t3, hyp_s_unexpected
  la t4, trap_htval
  csrr t5, CSR_HTVAL
  sd t5, 0(t4)
  csrr t5, CSR_HSTATUS
  sd t5, 8(t4)
  andi t4, t3, 1
  beqz t4, 1f
  li t4, MSTATUS_SPP
  csrs sstatus, t4
  li t4, HSTATUS_SPV
  csrc CSR_HSTATUS, t4
1:
  andi t3, t3, -2
  csrr t6, sepc
  csrw sepc, t3
  csrr t4, scause
  csrr t5, stval
  li t3, 0
  sret
hyp_s_unexpected:
  csrr t4, scause
  csrr t5, stval
  csrr t6, sepc
  j fail

  .data
  .balign 8
  .globl trap_mtval2, trap_mtinst, trap_mstatus, trap_htval, trap_hstatus
trap_mtval2: .dword 0
trap_mtinst: .dword 0
trap_mstatus: .dword 0
trap_htval: .dword 0
trap_hstatus: .dword 0
