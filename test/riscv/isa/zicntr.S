/*
 * zicntr: the base counters (unprivileged spec "Zicntr", privileged spec
 * 3.1.11-12, 4.1.5): M reads cycle/instret and mcycle/minstret, which
 * count up and can be written; S needs the mcounteren bit and U both the
 * mcounteren and scounteren bits, else illegal-instruction (also for time
 * and hpmcounter3); the RV32-only high halves do not exist on RV64.
 * (The value of `time` where permitted is checked in clint, next to mtime.)
 */
#include "test.h"

#define CSR_CYCLEH 0xc80
#define CSR_INSTRETH 0xc82
#define CSR_HPMCOUNTER3 0xc03
#define CY (1 << 0)
#define TM (1 << 1)
#define IR (1 << 2)
#define HPM3 (1 << 3)

/* Test n: in the current mode, `csrr a0, csr` raises illegal-instruction. */
.macro EXPECT_COUNTER_ILLEGAL csr
  TRAP_BEGIN
  csrr a0, \csr
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // M-mode: the counters count; instret strictly grows across instructions.
  TEST_CASE 1
  rdinstret a0
  nop
  nop
  rdinstret a1
  bgeu a0, a1, fail_near
  csrr a0, minstret
  nop
  csrr a1, minstret
  bgeu a0, a1, fail_near
  TEST_CASE 2
  rdcycle a0
  .rept 20
  nop
  .endr
  rdcycle a1
  bltu a1, a0, fail_near
  csrr a1, mcycle
  bltu a1, a0, fail_near
  // M may write minstret / mcycle; counting continues from there.
  TEST_CASE 3
  li a2, 0x100000000
  csrw minstret, a2
  csrr a0, minstret
  bltu a0, a2, fail_near
  rdinstret a1
  bltu a1, a0, fail_near
  csrw mcycle, a2
  csrr a0, mcycle
  bltu a0, a2, fail_near
  // RV32-only high halves are not CSRs on RV64.
  TEST_CASE 4
  EXPECT_COUNTER_ILLEGAL CSR_CYCLEH
  TEST_CASE 5
  EXPECT_COUNTER_ILLEGAL CSR_INSTRETH

  // S-mode with mcounteren = 0: every counter read is illegal.
  TEST_CASE 6
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_COUNTER_ILLEGAL cycle
  TEST_CASE 7
  EXPECT_COUNTER_ILLEGAL instret
  TEST_CASE 8
  EXPECT_COUNTER_ILLEGAL time
  TEST_CASE 9
  EXPECT_COUNTER_ILLEGAL CSR_HPMCOUNTER3
  RETURN_TO_M
  // mcounteren.CY / IR each open one counter to S.
  TEST_CASE 10
  li t0, CY
  csrw mcounteren, t0
  ENTER_MODE PRV_S, 1f
1:
  rdcycle a0
  EXPECT_COUNTER_ILLEGAL instret
  TEST_CASE 11
  EXPECT_COUNTER_ILLEGAL time
  RETURN_TO_M
  TEST_CASE 12
  li t0, IR
  csrw mcounteren, t0
  ENTER_MODE PRV_S, 1f
1:
  rdinstret a0
  rdinstret a1
  bgeu a0, a1, fail_near
  EXPECT_COUNTER_ILLEGAL cycle
  // S may write scounteren.
  TEST_CASE 13
  li t0, CY | IR
  csrw scounteren, t0
  csrr a0, scounteren
  andi a0, a0, CY | IR
  EXPECT_EQ a0, CY | IR
  RETURN_TO_M

  // U needs both bits.
  TEST_CASE 14
  li t0, CY | IR
  csrw mcounteren, t0
  csrw scounteren, zero
  ENTER_MODE PRV_U, 1f
1:
  EXPECT_COUNTER_ILLEGAL cycle
  TEST_CASE 15
  EXPECT_COUNTER_ILLEGAL instret
  RETURN_TO_M
  TEST_CASE 16
  li t0, CY
  csrw scounteren, t0
  ENTER_MODE PRV_U, 1f
1:
  rdcycle a0
  EXPECT_COUNTER_ILLEGAL instret
  TEST_CASE 17
  EXPECT_COUNTER_ILLEGAL time         // TM clear in both
  RETURN_TO_M
  TEST_CASE 18
  csrw mcounteren, zero               // scounteren.CY alone is not enough
  ENTER_MODE PRV_U, 1f
1:
  EXPECT_COUNTER_ILLEGAL cycle
  RETURN_TO_M
  TEST_CASE 19
  li t0, CY | IR
  csrw mcounteren, t0
  li t0, IR
  csrw scounteren, t0
  ENTER_MODE PRV_U, 1f
1:
  rdinstret a0
  rdinstret a1
  bgeu a0, a1, fail_near
  RETURN_TO_M
  csrw mcounteren, zero
  csrw scounteren, zero
  mv ra, s0
  ret

fail_near:
  j fail
