/*
 * rv64ui-alu: RV64I integer computational instructions (unprivileged spec,
 * "RV32I/RV64I Base Integer Instruction Set", integer computational
 * instructions): register-register, register-immediate, the W forms with
 * their sign extension, shifts (only the low 6 / 5 bits of the amount
 * count), LUI/AUIPC, and writes to x0. Encoded uncompressed (rv64uc tests
 * the compressed forms).
 */
#include "test.h"

  .option norvc
  .text
  .globl test_main
test_main:
  // ADD / SUB wrap modulo 2^64.
  TEST_RR 1, add, 2, 1, 1
  TEST_RR 2, add, 0x8000000000000000, 0x7fffffffffffffff, 1
  TEST_RR 3, add, 0, -1, 1
  TEST_RR 4, sub, -1, 0, 1
  TEST_RR 5, sub, 0x7fffffffffffffff, 0x8000000000000000, 1
  TEST_RR 6, sub, 0x8000000000000000, 0, 0x8000000000000000
  // ADDI: 12-bit immediate, sign-extended.
  TEST_RI 7, addi, -2048, 0, -2048
  TEST_RI 8, addi, 2048, 1, 2047
  TEST_RI 9, addi, 0x8000000000000000, 0x7fffffffffffffff, 1
  // W forms: operate on the low 32 bits, sign-extend the 32-bit result.
  TEST_RR 10, addw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RR 11, addw, 0, 0xffffffff, 1
  TEST_RR 12, addw, 8, 0x100000005, 0x200000003
  TEST_RR 13, subw, 0xffffffff80000000, 0, 0x80000000
  TEST_RR 14, subw, -1, 0x100000000, 1
  TEST_RR 15, subw, 0x7fffffff, 0x80000000, 1
  TEST_RI 16, addiw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RI 17, addiw, 0xffffffff80000000, 0x80000000, 0
  TEST_RI 18, addiw, 0x7fffffff, 0xffffffff7fffffff, 0
  TEST_RI 19, addiw, -1, 0, -1
  // SLT / SLTU and immediates (SLTIU compares with the sign-extended
  // immediate as unsigned).
  TEST_RR 20, slt, 1, -1, 1
  TEST_RR 21, slt, 0, 1, -1
  TEST_RR 22, slt, 0, 5, 5
  TEST_RR 23, sltu, 0, -1, 1
  TEST_RR 24, sltu, 1, 1, -1
  TEST_RR 25, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000
  TEST_RI 26, slti, 1, 0x8000000000000000, 0
  TEST_RI 27, slti, 0, 0, -2048
  TEST_RI 28, slti, 1, -2049, -2048
  TEST_RI 29, sltiu, 1, 5, -1
  TEST_RI 30, sltiu, 0, -1, -1
  TEST_RI 31, sltiu, 1, 0, 1
  TEST_RI 32, sltiu, 0, 1, 1
  // Logic; immediates are sign-extended.
  TEST_RR 33, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0
  TEST_RR 34, or,  0xfff0fff0fff0fff0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0
  TEST_RR 35, xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0
  TEST_RI 36, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0f, -16
  TEST_RI 37, andi, 0x0000000000000700, 0xff00ff00ff00ff00, 0x7ff
  TEST_RI 38, ori,  0xfffffffffffff800, 0, -2048
  TEST_RI 39, ori,  0x123456789abcd7ff, 0x123456789abcd000, 0x7ff
  TEST_RI 40, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1
  TEST_RI 41, xori, 0xff00ff00ff00f8ff, 0xff00ff00ff00ff00, 0x7ff
  // SLL / SRL / SRA use the low 6 bits of rs2.
  TEST_RR 42, sll, 0x8000000000000000, 1, 63
  TEST_RR 43, sll, 0x0000000100000000, 1, 32
  TEST_RR 44, sll, 0x0000000080000000, 1, 31
  TEST_RR 45, sll, 1, 1, 64
  TEST_RR 46, sll, 2, 1, 65
  TEST_RR 47, sll, 0xfedcba9876543210, 0xfedcba9876543210, 0xffffffffffffffc0
  TEST_RR 48, srl, 1, 0x8000000000000000, 63
  TEST_RR 49, srl, 0x0000000080000000, 0x8000000000000000, 32
  TEST_RR 50, srl, 0x0000000100000000, 0x8000000000000000, 31
  TEST_RR 51, srl, 0x8000000000000000, 0x8000000000000000, 64
  TEST_RR 52, sra, -1, 0x8000000000000000, 63
  TEST_RR 53, sra, 0xffffffff80000000, 0x8000000000000000, 32
  TEST_RR 54, sra, 0xffffffff00000000, 0x8000000000000000, 31
  TEST_RR 55, sra, 0x0000000000000001, 0x7fffffffffffffff, 62
  TEST_RR 56, sra, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffc0
  TEST_RI 57, slli, 0x8000000000000000, 1, 63
  TEST_RI 58, slli, 0x0000000100000000, 1, 32
  TEST_RI 59, slli, 0x0000000080000000, 1, 31
  TEST_RI 60, srli, 1, 0x8000000000000000, 63
  TEST_RI 61, srli, 0x0000000080000000, 0x8000000000000000, 32
  TEST_RI 62, srli, 0x00000001ffffffff, -1, 31
  TEST_RI 63, srai, -1, 0x8000000000000000, 63
  TEST_RI 64, srai, 0xffffffff80000000, 0x8000000000000000, 32
  TEST_RI 65, srai, 0x00000000ffffffff, 0x7fffffffffffffff, 31
  TEST_RI 66, srai, 0xfedcba9876543210, 0xfedcba9876543210, 0
  // SLLW / SRLW / SRAW use the low 5 bits of rs2 and the low 32 bits of rs1.
  TEST_RR 67, sllw, 0xffffffff80000000, 1, 31
  TEST_RR 68, sllw, 1, 1, 32
  TEST_RR 69, sllw, 1, 0xffffffff00000001, 0
  TEST_RR 70, sllw, 0x0000000012345678, 0x0000000012345678, 0xffffffffffffffe0
  TEST_RR 71, srlw, 1, 0xffffffff80000000, 31
  TEST_RR 72, srlw, 0xffffffff80000000, 0x80000000, 0
  TEST_RR 73, srlw, 0xffffffff80000000, 0x80000000, 32
  TEST_RR 74, srlw, 0x0000000000800000, 0x80000000, 8
  TEST_RR 75, srlw, 0x7fffffff, 0xffffffffffffffff, 1
  TEST_RR 76, sraw, -1, 0x80000000, 31
  TEST_RR 77, sraw, 0, 0x7fffffff, 31
  TEST_RR 78, sraw, 0xfffffffff8000000, 0x0000000180000000, 4
  TEST_RR 79, sraw, 0x0000000007ffffff, 0xffffffff7fffffff, 4
  TEST_RR 80, sraw, 0xffffffff80000000, 0x80000000, 32
  TEST_RI 81, slliw, 0xffffffff80000000, 1, 31
  TEST_RI 82, slliw, 0, 0x100000000, 0
  TEST_RI 83, slliw, 0x0000000076543210, 0xfedcba9876543210, 0
  TEST_RI 84, srliw, 1, 0x80000000, 31
  TEST_RI 85, srliw, 0xffffffff80000000, 0x80000000, 0
  TEST_RI 86, srliw, 0x0000000001ffffff, 0xffffffffffffffff, 7
  TEST_RI 87, sraiw, -1, 0x80000000, 31
  TEST_RI 88, sraiw, 0xffffffffff000000, 0x0000000080000000, 7
  TEST_RI 89, sraiw, 0x0000000000ffffff, 0xffffffff7fffffff, 7

  // LUI sign-extends its 32-bit result on RV64.
  TEST_CASE 90
  lui a0, 0x80000
  EXPECT_EQ a0, 0xffffffff80000000
  TEST_CASE 91
  lui a0, 0x7ffff
  EXPECT_EQ a0, 0x7ffff000
  TEST_CASE 92
  lui a0, 0xfffff
  EXPECT_EQ a0, 0xfffffffffffff000

  // AUIPC adds the sign-extended upper immediate to its own pc.
  TEST_CASE 93
1:
  auipc a0, 0
  la a1, 1b
  EXPECT_REG a0, a1
  TEST_CASE 94
2:
  auipc a0, 1
  la a1, 2b
  li a2, 0x1000
  add a1, a1, a2
  EXPECT_REG a0, a1
  TEST_CASE 95
3:
  auipc a0, 0x80000
  la a1, 3b
  li a2, 0xffffffff80000000
  add a1, a1, a2
  EXPECT_REG a0, a1

  // Writes to x0 are discarded; rd may equal a source.
  TEST_CASE 96
  li a1, 5
  li a2, 7
  add x0, a1, a2
  addi x0, x0, 1
  lui x0, 0x12345
  EXPECT_EQ x0, 0
  TEST_CASE 97
  li a1, 21
  add a1, a1, a1
  EXPECT_EQ a1, 42
  TEST_CASE 98
  li a1, 3
  sub a1, a1, a1
  EXPECT_EQ a1, 0
  TEST_CASE 99
  li a1, 0x8000000000000000
  sra a1, a1, a1              // shift amount = low 6 bits of a1 = 0
  EXPECT_EQ a1, 0x8000000000000000
  TEST_CASE 100
  li a1, 5
  slt a2, x0, a1
  sltu a3, x0, a1             // snez
  add a2, a2, a3
  EXPECT_EQ a2, 2
  // HINTs (computational instructions with rd = x0, FENCE with an empty
  // set, PAUSE) execute without trapping or changing state.
  TEST_CASE 101
  li a1, 3
  mv a2, a1
  .word 0x00158013            // addi x0, a1, 1
  .word 0x00b58033            // add x0, a1, a1
  .word 0x12345037            // lui x0, 0x12345
  .word 0x00159013            // slli x0, a1, 1
  .word 0x0100000f            // pause (fence w, 0)
  .word 0x0000000f            // fence 0, 0
  EXPECT_EQ x0, 0
  EXPECT_REG a1, a2
  ret
