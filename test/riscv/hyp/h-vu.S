/*
 * h-vu: from VU-mode, an S-level CSR that HS-mode could access is a
 * virtual-instruction exception, not an illegal instruction (privileged spec
 * 1.12, 8.6.1), and so are sret, sfence.vma and wfi (with mstatus.TW = 0);
 * QEMU 7.2 raises illegal instruction for all of them. (The rest of VU-mode's
 * cases are in h-csr.) Last, an illegal instruction delegated by medeleg and
 * hedeleg reaches VS-mode with vscause 2 (QEMU 7.2 turns exception cause 2
 * into 1, as if it were the VS software interrupt).
 */
#include "hyp.h"

.macro EXPECT_VIRTUAL_READ n, csr
  TEST_CASE \n
  TRAP_BEGIN
  csrr a0, \csr
  TRAP_END CAUSE_VIRTUAL_INSTRUCTION
  EXPECT_TVAL_INSN32
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  USE_HYP_M_HANDLER

  TEST_CASE 1
  csrr a0, misa
  andi a0, a0, MISA_H
  EXPECT_EQ a0, MISA_H

  ENTER_VIRTUAL PRV_U, 1f
1:
  EXPECT_VIRTUAL_READ 2, sstatus
  EXPECT_VIRTUAL_READ 3, satp
  EXPECT_VIRTUAL_READ 4, sscratch
  EXPECT_VIRTUAL_READ 5, sip
  EXPECT_VIRTUAL_READ 6, scounteren
  TEST_CASE 7
  TRAP_BEGIN
  sret
  TRAP_END CAUSE_VIRTUAL_INSTRUCTION
  TEST_CASE 8
  TRAP_BEGIN
  sfence.vma
  TRAP_END CAUSE_VIRTUAL_INSTRUCTION
  TEST_CASE 9
  TRAP_BEGIN
  wfi
  TRAP_END CAUSE_VIRTUAL_INSTRUCTION
  RETURN_TO_M

  TEST_CASE 10
  li a0, 1 << CAUSE_ILLEGAL_INSTRUCTION
  csrs medeleg, a0
  csrw CSR_HEDELEG, a0
  la a0, s_trap_handler
  csrw CSR_VSTVEC, a0
  ENTER_VIRTUAL PRV_S, 1f
1:
  TRAP_BEGIN
  csrr a0, mstatus
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  RETURN_TO_M
  csrw CSR_HEDELEG, zero
  li a0, 1 << CAUSE_ILLEGAL_INSTRUCTION
  csrc medeleg, a0

  mv ra, s0
  ret
