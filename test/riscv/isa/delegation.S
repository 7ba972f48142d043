/*
 * delegation: exceptions delegated to S-mode with medeleg (privileged spec
 * 3.1.8, 4.1): a delegated trap from U or S goes to stvec with scause,
 * stval and sepc set and SPP/SPIE/SIE updated, the M CSRs untouched; a trap
 * whose bit is clear still goes to M; a trap raised in M-mode is never
 * delegated. Interrupt delegation is in interrupts.
 */
#include "test.h"

/* From S: leaves through a non-delegated EBREAK to M at the next
 * instruction (RETURN_TO_M needs ECALL, which some cases delegate). */
.macro LEAVE_TO_M
  la t3, 8979f
  ori t3, t3, 1
  ebreak
8979:
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  la t0, s_trap_handler
  csrw stvec, t0
  // medeleg takes the standard delegable exception bits.
  TEST_CASE 1
  li t0, (1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL_INSTRUCTION)
  csrw medeleg, t0
  csrr a0, medeleg
  EXPECT_EQ a0, (1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL_INSTRUCTION)

  // ECALL from U, delegated: S handler sees scause 8, stval 0, sepc.
  TEST_CASE 2
  ENTER_MODE PRV_U, 1f
1:
  li t5, -1
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_USER_ECALL
  EXPECT_EQ t5, 0
  // Illegal instruction from U, delegated: stval = the bits.
  TEST_CASE 3
  TRAP_BEGIN
  csrr a0, sstatus
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  // EBREAK from U is not delegated: M gets it.
  TEST_CASE 4
  TRAP_BEGIN
  ebreak
  TRAP_END CAUSE_BREAKPOINT
  RETURN_TO_S                         // delegated ECALL: back in S
  TEST_CASE 5
  csrr a0, scause
  EXPECT_EQ a0, CAUSE_USER_ECALL
  csrr a0, sstatus                    // legal: this is S-mode
  // SPP recorded U (0) for that trap; the handler set it to S to resume
  // here, so look at a fresh trap from U through a recording handler.
  TEST_CASE 6
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  li t0, MSTATUS_SPIE
  csrs sstatus, t0                    // SRET makes SIE = 1 in U
  csrw sscratch, zero                 // s_record: continue at s_recorded_u
  la t0, s_record
  csrw stvec, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  ecall                               // from U with SIE = 1
  j fail
s_recorded_u:
  EXPECT_EQ a1, CAUSE_USER_ECALL
  srli a2, a0, 8                      // SPP = U
  andi a2, a2, 1
  EXPECT_EQ a2, 0
  srli a2, a0, 5                      // SPIE = SIE in U = 1
  andi a2, a2, 1
  EXPECT_EQ a2, 1
  srli a2, a0, 1                      // SIE = 0
  andi a2, a2, 1
  EXPECT_EQ a2, 0
  // A delegated trap from S records SPP = S.
  TEST_CASE 7
  la t0, s_record
  csrw stvec, t0
  la t0, s_recorded_s
  csrw sscratch, t0
  csrr a0, mstatus                    // illegal in S, delegated
  j fail
s_recorded_s:
  EXPECT_EQ a1, CAUSE_ILLEGAL_INSTRUCTION
  srli a2, a0, 8
  andi a2, a2, 1
  EXPECT_EQ a2, 1
  la t0, s_trap_handler
  csrw stvec, t0
  LEAVE_TO_M
  // The M trap CSRs only saw the non-delegated traps (EBREAKs).
  TEST_CASE 8
  csrr a0, mcause
  EXPECT_EQ a0, CAUSE_BREAKPOINT

  // With medeleg[9] set, ECALL from S goes to S too.
  TEST_CASE 9
  li t0, 1 << CAUSE_SUPERVISOR_ECALL
  csrs medeleg, t0
  ENTER_MODE PRV_S, 1f
1:
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_SUPERVISOR_ECALL
  csrr a0, scause
  EXPECT_EQ a0, CAUSE_SUPERVISOR_ECALL
  LEAVE_TO_M
  csrr a0, mcause
  EXPECT_EQ a0, CAUSE_BREAKPOINT
  // Traps raised in M are never delegated, whatever medeleg says.
  TEST_CASE 10
  li t0, 0x55
  csrw scause, t0
  TRAP_BEGIN
  .word 0x00007003                    // reserved LOAD, illegal
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  csrr a0, mcause
  EXPECT_EQ a0, CAUSE_ILLEGAL_INSTRUCTION
  csrr a0, scause
  EXPECT_EQ a0, 0x55
  TEST_CASE 11
  li t0, 1 << CAUSE_MACHINE_ECALL
  csrs medeleg, t0                    // may or may not stick; M ignores it
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  csrr a0, scause
  EXPECT_EQ a0, 0x55
  csrw medeleg, zero
  mv ra, s0
  ret

/* S-mode handler for cases 6 and 7: a0 = sstatus, a1 = scause at the
 * trap; continues in S at sscratch (or s_recorded_u). */
  .balign 4
s_record:
  csrr a0, sstatus
  csrr a1, scause
  la t0, s_trap_handler
  csrw stvec, t0
  csrr t0, sscratch
  bnez t0, 1f
  la t0, s_recorded_u
1:
  csrw sscratch, zero
  jr t0
