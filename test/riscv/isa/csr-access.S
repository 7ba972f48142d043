/*
 * csr-access: every CSR of this machine, accessed from every privilege
 * level (privileged spec 2.1, 2.2: CSR address bits 9:8 give the lowest
 * privilege that may access it; bits 11:10 = 3 mean read-only). From M all
 * are readable and the read/write ones accept a write of their own value;
 * from S the S CSRs are, and every M CSR is an illegal instruction; from U
 * every S and M CSR is. (Field behaviour is tested in zicsr, priv,
 * interrupts, pmp and sv39-tlb; counters in zicntr.)
 */
#include "test.h"

/* Read/write M-level CSRs. */
#define M_RW_CSRS mstatus, misa, medeleg, mideleg, mie, mtvec, mcounteren, CSR_MENVCFG, \
  mscratch, mepc, mcause, mtval, mip, pmpcfg0, pmpcfg2, pmpaddr0, pmpaddr15, mcycle, minstret
/* Read-only M-level CSRs. */
#define M_RO_CSRS mvendorid, marchid, mimpid, mhartid
/* Read/write S-level CSRs. */
#define S_RW_CSRS sstatus, sie, stvec, scounteren, CSR_SENVCFG, sscratch, sepc, scause, \
  stval, sip, satp

  .set case_number, 0
/* Starts the next test case (numbers follow the order of the file). */
.macro NEXT_CASE
  .set case_number, case_number + 1
  TEST_CASE case_number
.endm

/* The CSR must be readable and take a write of its own value. */
.macro EXPECT_RW csr
  NEXT_CASE
  csrr a0, \csr
  csrw \csr, a0
.endm

.macro EXPECT_RO csr
  NEXT_CASE
  csrr a0, \csr
.endm

/* Any access must be an illegal instruction, tval = its bits. */
.macro EXPECT_NO_ACCESS csr
  NEXT_CASE
  TRAP_BEGIN
  csrr a0, \csr
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  TRAP_BEGIN
  csrw \csr, zero
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // M: everything.
  .irp csr, M_RW_CSRS, S_RW_CSRS
  EXPECT_RW \csr
  .endr
  .irp csr, M_RO_CSRS
  EXPECT_RO \csr
  .endr
  // S: its own CSRs only.
  ENTER_MODE PRV_S, 1f
1:
  .irp csr, S_RW_CSRS
  EXPECT_RW \csr
  .endr
  .irp csr, M_RW_CSRS, M_RO_CSRS
  EXPECT_NO_ACCESS \csr
  .endr
  RETURN_TO_M
  // U: none of them.
  ENTER_MODE PRV_U, 1f
1:
  .irp csr, S_RW_CSRS, M_RW_CSRS, M_RO_CSRS
  EXPECT_NO_ACCESS \csr
  .endr
  RETURN_TO_M
  mv ra, s0
  ret
