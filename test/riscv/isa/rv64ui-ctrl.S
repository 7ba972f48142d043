/*
 * rv64ui-ctrl: RV64I control transfer (unprivileged spec, "Control Transfer
 * Instructions"): each conditional branch taken and not taken on signed and
 * unsigned edges, backward branches, JAL's link value, JALR's target
 * (rs1 + imm with bit 0 cleared, computed before rd is written), and branch
 * and jump offsets at the ends of their ranges so every immediate bit of
 * the B and J formats is decoded.
 */
#include "test.h"

  .option norvc

/* Test n: branch `op a, b` must be taken. */
.macro TEST_TAKEN n, op, a, b
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a1, a2, 1f
  j fail
1:
.endm

/* Test n: branch `op a, b` must fall through. */
.macro TEST_NOT_TAKEN n, op, a, b
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a1, a2, 1f
  j 2f
1:
  j fail
2:
.endm

  .text
  .globl test_main
test_main:
  TEST_TAKEN 1, beq, 0, 0
  TEST_TAKEN 2, beq, -1, -1
  TEST_NOT_TAKEN 3, beq, 0, 1
  TEST_NOT_TAKEN 4, beq, 0x100000000, 0         // all 64 bits compare
  TEST_TAKEN 5, bne, 0x100000000, 0
  TEST_NOT_TAKEN 6, bne, 7, 7
  TEST_TAKEN 7, blt, -1, 0
  TEST_TAKEN 8, blt, 0x8000000000000000, 0x7fffffffffffffff
  TEST_NOT_TAKEN 9, blt, 0, -1
  TEST_NOT_TAKEN 10, blt, 5, 5
  TEST_TAKEN 11, bge, 5, 5
  TEST_TAKEN 12, bge, 0, -1
  TEST_NOT_TAKEN 13, bge, 0x8000000000000000, 0x7fffffffffffffff
  TEST_TAKEN 14, bltu, 0, -1
  TEST_TAKEN 15, bltu, 0x7fffffffffffffff, 0x8000000000000000
  TEST_NOT_TAKEN 16, bltu, -1, 0
  TEST_NOT_TAKEN 17, bltu, 5, 5
  TEST_TAKEN 18, bgeu, -1, 0
  TEST_TAKEN 19, bgeu, 5, 5
  TEST_NOT_TAKEN 20, bgeu, 0, 1
  TEST_NOT_TAKEN 21, bgeu, 0x7fffffffffffffff, 0x8000000000000000

  // Backward branch: a loop of 5.
  TEST_CASE 22
  li a0, 0
  li a1, 5
1:
  addi a0, a0, 2
  addi a1, a1, -1
  bnez a1, 1b
  EXPECT_EQ a0, 10

  // JAL writes pc + 4 to rd and jumps pc-relative.
  TEST_CASE 23
  jal a0, 1f
2:
  j fail
1:
  EXPECT_ADDR a0, 2b
  TEST_CASE 24
  j 3f                        // jal x0: no link
4:
  j 5f
3:
  j 4b                        // backward jump
5:
  // JALR: target = (rs1 + imm) & ~1.
  TEST_CASE 25
  la a1, 1f
  jalr a0, 0(a1)
6:
  j fail
1:
  EXPECT_ADDR a0, 6b
  TEST_CASE 26
  la a1, 1f + 1               // bit 0 is cleared
  jalr a0, 0(a1)
  j fail
1:
  TEST_CASE 27
  la a1, 1f + 16
  jalr a0, -16(a1)
  j fail
1:
  TEST_CASE 28
  la a1, 1f - 2047
  jalr a0, 2047(a1)
  j fail
1:
  // rd == rs1: the target uses the old value.
  TEST_CASE 29
  la a1, 1f
  jalr a1, 0(a1)
7:
  j fail
1:
  EXPECT_ADDR a1, 7b
  // Call and return through ra.
  TEST_CASE 30
  mv s0, ra
  li a0, 20
  call add_one
  call add_one
  mv ra, s0
  EXPECT_EQ a0, 22

  // Offsets at the ends of their ranges, so every immediate bit is decoded:
  // a branch +4092 and -4096 (B-type, 13 bits), JAL +/-0x1fffc... here
  // +0x2ffc and -0x3000 (J-type bits 11..13), JALR imm -2048.
  TEST_CASE 31
  beq x0, x0, 1f                      // +4092
  .space 4088
1:
  j 3f
2:
  j 4f
  .space 4092
3:
  beq x0, x0, 2b                      // -4096
4:
  TEST_CASE 32
  jal a0, 1f                          // +0x2ffc
  .space 0x2ff8
1:
  j 3f
2:
  j 4f
  .space 0x2ffc
3:
  jal a0, 2b                          // -0x3000
4:
  TEST_CASE 33
  la a1, 1f + 2048
  jalr a0, -2048(a1)
  j fail
1:
  ret

add_one:
  addi a0, a0, 1
  ret
