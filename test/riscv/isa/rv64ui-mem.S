/*
 * rv64ui-mem: RV64I loads and stores (unprivileged spec, "Load and Store
 * Instructions"): every width with sign or zero extension, little-endian
 * byte order, 12-bit signed offsets at both ends, partial stores leaving
 * the other bytes alone, misaligned accesses to normal memory (performed,
 * as QEMU and hvspec's emulator do), and FENCE forms.
 */
#include "test.h"

  .option norvc
  .data
  .balign 16
// Little-endian: byte 0 of `words` is 0xef, byte 8 is 0x10.
words:
  .dword 0x0123456789abcdef
  .dword 0xfedcba9876543210
scratch:
  .dword 0, 0, 0, 0

/* Test n: `op a0, offset(words)` must equal expected. */
.macro TEST_LOAD n, op, offset, expected
  TEST_CASE \n
  la a1, words
  \op a0, \offset(a1)
  EXPECT_EQ a0, \expected
.endm

  .text
  .globl test_main
test_main:
  TEST_LOAD 1, lb, 0, 0xffffffffffffffef
  TEST_LOAD 2, lbu, 0, 0xef
  TEST_LOAD 3, lb, 7, 0x01
  TEST_LOAD 4, lb, 15, 0xfffffffffffffffe
  TEST_LOAD 5, lbu, 15, 0xfe
  TEST_LOAD 6, lh, 0, 0xffffffffffffcdef
  TEST_LOAD 7, lhu, 0, 0xcdef
  TEST_LOAD 8, lh, 6, 0x0123
  TEST_LOAD 9, lhu, 14, 0xfedc
  TEST_LOAD 10, lh, 14, 0xfffffffffffffedc
  TEST_LOAD 11, lw, 0, 0xffffffff89abcdef
  TEST_LOAD 12, lwu, 0, 0x89abcdef
  TEST_LOAD 13, lw, 4, 0x01234567
  TEST_LOAD 14, lw, 12, 0xfffffffffedcba98
  TEST_LOAD 15, lwu, 12, 0xfedcba98
  TEST_LOAD 16, ld, 0, 0x0123456789abcdef
  TEST_LOAD 17, ld, 8, 0xfedcba9876543210

  // Offsets are signed 12-bit: -8, +2047 and -2048.
  TEST_CASE 18
  la a1, words + 8
  ld a0, -8(a1)
  EXPECT_EQ a0, 0x0123456789abcdef
  TEST_CASE 19
  la a1, words + 8 - 2047
  lbu a0, 2047(a1)
  EXPECT_EQ a0, 0x10
  TEST_CASE 20
  la a1, words + 2048
  ld a0, -2048(a1)
  EXPECT_EQ a0, 0x0123456789abcdef
  // rd may be the base register.
  TEST_CASE 21
  la a1, words
  ld a1, 8(a1)
  EXPECT_EQ a1, 0xfedcba9876543210

  // Stores write exactly their width, low bytes of rs2 first.
  TEST_CASE 22
  la a1, scratch
  li a2, -1
  sd a2, 0(a1)
  li a3, 0x100
  sb a3, 1(a1)                // writes 0x00 only
  li a3, 0xffffffffffff1234
  sh a3, 2(a1)
  li a3, 0xdeadbeef89abcdef
  sw a3, 4(a1)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x89abcdef123400ff
  TEST_CASE 23
  la a1, scratch
  lbu a0, 2(a1)
  EXPECT_EQ a0, 0x34
  TEST_CASE 24
  la a1, scratch + 2048
  li a2, 0x1122334455667788
  sd a2, -2048 + 16(a1)
  la a1, scratch + 16 - 2047
  sb zero, 2047(a1)
  la a1, scratch
  ld a0, 16(a1)
  EXPECT_EQ a0, 0x1122334455667700

  // Misaligned loads and stores of normal memory are performed.
  TEST_LOAD 25, ld, 1, 0x100123456789abcd
  TEST_LOAD 26, lw, 3, 0x23456789
  TEST_LOAD 27, lh, 7, 0x1001
  TEST_LOAD 28, lwu, 6, 0x32100123
  TEST_LOAD 29, lw, 6, 0x32100123
  TEST_LOAD 30, lh, 5, 0x2345
  TEST_CASE 31
  la a1, scratch
  sd zero, 0(a1)
  sd zero, 8(a1)
  li a2, 0x8877665544332211
  sd a2, 3(a1)
  li a2, 0xbbaa
  sh a2, 13(a1)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x5544332211000000
  TEST_CASE 32
  la a1, scratch
  ld a0, 8(a1)
  EXPECT_EQ a0, 0x00bbaa0000887766
  TEST_CASE 33
  la a1, scratch
  li a2, 0xccddeeff
  sw a2, 1(a1)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x554433ccddeeff00

  // FENCE variants order memory; on one hart they change no values.
  TEST_CASE 34
  la a1, scratch
  li a2, 77
  sd a2, 24(a1)
  fence
  fence rw, rw
  fence w, r
  fence i, o
  fence.tso
  ld a0, 24(a1)
  EXPECT_EQ a0, 77
  ret
