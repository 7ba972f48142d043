/*
 * traps: synchronous exceptions the hart raises by itself, taken in M-mode
 * (privileged spec 3.1.15-16, table 3.6 and the instruction set manuals):
 * illegal instruction with mtval = the instruction bits (reserved 32-bit
 * encodings, FP opcodes since F/D are absent, reserved and FP compressed
 * encodings), EBREAK / C.EBREAK (mtval is 0 or the pc: both allowed),
 * ECALL from M, S and U (mtval 0), mepc = the trapping instruction, mcause
 * bit 63 clear. Access faults are in pmp, page faults in sv39-*, misaligned
 * AMOs in rv64ua. Misaligned fetch cannot happen with C (jumps clear bit 0
 * and all branch offsets are even), and misaligned loads/stores are
 * performed (rv64ui-mem).
 */
#include "test.h"

/* Test n: the 32-bit word `bits` raises illegal-instruction, tval = bits. */
.macro TEST_ILLEGAL32 n, bits
  TEST_CASE \n
  TRAP_BEGIN
  .word \bits
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_EQ TRAP_TVAL, \bits
.endm

/* Test n: the 16-bit parcel `bits` raises illegal-instruction, tval = bits. */
.macro TEST_ILLEGAL16 n, bits
  TEST_CASE \n
  TRAP_BEGIN
  .half \bits
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_EQ TRAP_TVAL, \bits
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // Reserved 32-bit encodings.
  TEST_ILLEGAL32 1, 0x00007003        // LOAD funct3 = 7
  TEST_ILLEGAL32 2, 0x00004023        // STORE funct3 = 4
  TEST_ILLEGAL32 3, 0x00002063        // BRANCH funct3 = 2
  TEST_ILLEGAL32 4, 0x00001067        // JALR funct3 = 1
  TEST_ILLEGAL32 5, 0x0000000b        // custom-0
  TEST_ILLEGAL32 6, 0x0000007b        // custom-3
  TEST_ILLEGAL32 7, 0xfe000033        // OP funct7 = 0x7f
  TEST_ILLEGAL32 8, 0x4000103b        // OP-32 SLLW with funct7 = 0x20
  TEST_ILLEGAL32 9, 0x0200103b        // OP-32 funct7 = 1 (M) funct3 = 1
  TEST_ILLEGAL32 10, 0xffffffff
  // F and D are absent: their loads, stores and operations are illegal.
  TEST_ILLEGAL32 11, 0x00052507       // flw fa0, 0(a0)
  TEST_ILLEGAL32 12, 0x00a52027       // fsw fa0, 0(a0)
  TEST_ILLEGAL32 13, 0x00053507       // fld fa0, 0(a0)
  TEST_ILLEGAL32 14, 0x00a53027       // fsd fa0, 0(a0)
  TEST_ILLEGAL32 15, 0x00b50553       // fadd.s fa0, fa0, fa1, rne
  TEST_ILLEGAL32 16, 0x02b50553       // fadd.d fa0, fa0, fa1, rne
  TEST_ILLEGAL32 17, 0x60c58543       // fmadd.s fa0, fa1, fa2, fa2, rne
  TEST_ILLEGAL32 18, 0xe0050553       // fmv.x.w a0, fa0
  TEST_ILLEGAL32 19, 0xf0050553       // fmv.w.x fa0, a0
  // 16-bit: the all-zero parcel is defined illegal; the FP forms are
  // illegal without D; c.lui/c.addi16sp with a zero immediate, c.jr x0,
  // c.lwsp/c.ldsp to x0 and c.addiw to x0 are reserved.
  TEST_ILLEGAL16 20, 0x0000
  TEST_ILLEGAL16 21, 0x2000           // c.fld fs0, 0(s0)
  TEST_ILLEGAL16 22, 0xa000           // c.fsd fs0, 0(s0)
  TEST_ILLEGAL16 23, 0x2002           // c.fldsp f0, 0(sp)
  TEST_ILLEGAL16 24, 0xa002           // c.fsdsp f0, 0(sp)
  TEST_ILLEGAL16 25, 0x6501           // c.lui a0, 0
  TEST_ILLEGAL16 26, 0x6101           // c.addi16sp sp, 0
  TEST_ILLEGAL16 27, 0x8002           // c.jr x0
  TEST_ILLEGAL16 28, 0x4002           // c.lwsp x0, 0(sp)
  TEST_ILLEGAL16 29, 0x6002           // c.ldsp x0, 0(sp)
  TEST_ILLEGAL16 30, 0x2001           // c.addiw x0, 0
  // An illegal instruction writes no register.
  TEST_CASE 31
  li a0, 99
  TRAP_BEGIN
  .word 0x00053507                    // fld fa0, 0(a0)
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  li a0, 99
  TRAP_BEGIN
  .word 0x00057503                    // LOAD funct3 = 7 with rd = a0
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_EQ a0, 99

  // EBREAK and C.EBREAK: cause 3, epc = the instruction, tval 0 or epc.
  TEST_CASE 32
  TRAP_BEGIN
  ebreak
  TRAP_END CAUSE_BREAKPOINT
  beqz t5, 1f
  FAIL_IF_NE t5, t6
1:
  TEST_CASE 33
  .option rvc
  TRAP_BEGIN
  c.ebreak
  TRAP_END CAUSE_BREAKPOINT
  .option norvc
  beqz t5, 1f
  FAIL_IF_NE t5, t6
1:
  // ECALL from M: cause 11, tval 0; mcause bit 63 clear for exceptions.
  TEST_CASE 34
  li t5, -1
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  EXPECT_EQ t5, 0
  csrr a0, mcause
  EXPECT_EQ a0, CAUSE_MACHINE_ECALL
  // mtval keeps what the handler read (mepc was rewritten to resume).
  TEST_CASE 35
  csrr a0, mtval
  EXPECT_EQ a0, 0
  // ECALL from S: cause 9; from U: cause 8. Both taken in M (medeleg = 0),
  // resuming in the mode that trapped.
  TEST_CASE 36
  ENTER_MODE PRV_S, 1f
1:
  li t5, -1
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_SUPERVISOR_ECALL
  EXPECT_EQ t5, 0
  TEST_CASE 37
  TRAP_BEGIN                          // still in S: M CSRs are illegal
  csrr a0, mepc
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M
  TEST_CASE 38
  ENTER_MODE PRV_U, 1f
1:
  li t5, -1
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_USER_ECALL
  EXPECT_EQ t5, 0
  TEST_CASE 39
  TRAP_BEGIN                          // still in U: S CSRs are illegal
  csrr a0, sepc
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  TEST_CASE 40
  // Illegal and breakpoint exceptions from U also go to M.
  TRAP_BEGIN
  ebreak
  TRAP_END CAUSE_BREAKPOINT
  TEST_ILLEGAL32 41, 0x00052507
  RETURN_TO_M
  TEST_CASE 42
  csrr a0, mcause                    // the RETURN_TO_M ecall came from U
  EXPECT_EQ a0, CAUSE_USER_ECALL
  mv ra, s0
  ret
