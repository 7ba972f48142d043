/*
 * rv64um: the M extension (unprivileged spec, "M" Standard Extension):
 * MUL/MULH/MULHSU/MULHU/MULW, DIV/DIVU/REM/REMU and their W forms, with
 * the spec's results for division by zero (quotient all ones, remainder =
 * dividend) and signed overflow (quotient = dividend, remainder 0).
 */
#include "test.h"

  .option norvc
  .text
  .globl test_main
test_main:
  // MUL: low 64 bits; MULH*: high 64 bits of the 128-bit product.
  TEST_RR 1, mul, 42, 6, 7
  TEST_RR 2, mul, 0x8000000000000000, 0x4000000000000000, 2
  TEST_RR 3, mul, 1, -1, -1
  TEST_RR 4, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff
  TEST_RR 5, mulh, 0, 6, 7
  TEST_RR 6, mulh, -1, -1, 1
  TEST_RR 7, mulh, 0, -1, -1
  TEST_RR 8, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 9, mulh, 0xc000000000000000, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RR 10, mulhu, 0xfffffffffffffffe, -1, -1
  TEST_RR 11, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 12, mulhu, 0, 0xffffffff, 0xffffffff
  // MULHSU: rs1 signed, rs2 unsigned.
  TEST_RR 13, mulhsu, -1, -1, 1
  TEST_RR 14, mulhsu, 0xffffffffffffffff, -1, -1
  TEST_RR 15, mulhsu, 0, 1, -1
  TEST_RR 16, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000
  // MULW: low 32 bits of the product, sign-extended.
  TEST_RR 17, mulw, 0xffffffff80000000, 0x40000000, 2
  TEST_RR 18, mulw, 1, -1, -1
  TEST_RR 19, mulw, 6, 0xffffffff00000002, 0x1234567800000003
  TEST_RR 20, mulw, 1, 0xffffffff, 0xffffffff

  // DIV / DIVU round towards zero.
  TEST_RR 21, div, 3, 20, 6
  TEST_RR 22, div, -3, -20, 6
  TEST_RR 23, div, -3, 20, -6
  TEST_RR 24, div, 3, -20, -6
  TEST_RR 25, divu, 3, 20, 6
  TEST_RR 26, divu, 0x2aaaaaaaaaaaaaa7, -20, 6
  TEST_RR 27, divu, 0, 20, -6
  TEST_RR 28, rem, 2, 20, 6
  TEST_RR 29, rem, -2, -20, 6
  TEST_RR 30, rem, 2, 20, -6
  TEST_RR 31, rem, -2, -20, -6
  TEST_RR 32, remu, 2, 20, 6
  TEST_RR 33, remu, 2, -20, 6
  TEST_RR 34, remu, 20, 20, -6
  // Division by zero: quotient all ones, remainder = dividend.
  TEST_RR 35, div, -1, 20, 0
  TEST_RR 36, div, -1, -20, 0
  TEST_RR 37, divu, -1, 20, 0
  TEST_RR 38, rem, 20, 20, 0
  TEST_RR 39, rem, -20, -20, 0
  TEST_RR 40, remu, -20, -20, 0
  // Signed overflow: -2^63 / -1 = -2^63, remainder 0.
  TEST_RR 41, div, 0x8000000000000000, 0x8000000000000000, -1
  TEST_RR 42, rem, 0, 0x8000000000000000, -1
  TEST_RR 43, divu, 0, 0x8000000000000000, -1
  TEST_RR 44, remu, 0x8000000000000000, 0x8000000000000000, -1

  // W forms: 32-bit operands from the low halves, results sign-extended.
  TEST_RR 45, divw, -3, 0xffffffec, 6
  TEST_RR 46, divw, 3, 0x1234567800000014, 0xabcdef0000000006
  TEST_RR 47, divuw, 0x2aaaaaa7, 0xffffffec, 6
  TEST_RR 48, divuw, 0xffffffff80000000, 0x80000000, 1
  TEST_RR 49, remw, -2, 0xffffffec, 6
  TEST_RR 50, remw, 2, 0x0000000700000014, 0x0000000900000006
  TEST_RR 51, remuw, 2, 0xffffffec, 6
  TEST_RR 52, remuw, 0xffffffff80000001, 0x80000001, 0x80000002
  // W division by zero: quotient all ones, remainder = sign-extended
  // low 32 bits of the dividend.
  TEST_RR 53, divw, -1, 20, 0x100000000
  TEST_RR 54, divuw, -1, 20, 0
  TEST_RR 55, remw, 0xffffffff80000000, 0x1234567880000000, 0
  TEST_RR 56, remuw, 0xffffffff80000000, 0x1234567880000000, 0xffffffff00000000
  TEST_RR 57, remuw, 20, 20, 0
  // W signed overflow: -2^31 / -1 = -2^31, remainder 0.
  TEST_RR 58, divw, 0xffffffff80000000, 0x80000000, -1
  TEST_RR 59, remw, 0, 0x80000000, -1
  TEST_RR 60, divuw, 0, 0x80000000, -1
  TEST_RR 61, remuw, 0xffffffff80000000, 0x80000000, -1

  // rd aliasing a source; x0 destination discards.
  TEST_CASE 62
  li a1, 7
  mul a1, a1, a1
  EXPECT_EQ a1, 49
  TEST_CASE 63
  li a1, 7
  li a2, 0
  div x0, a1, a2
  EXPECT_EQ x0, 0
  ret
