/*
 * rv64uc: every RV64C instruction (unprivileged spec, "C" Standard
 * Extension) written with its c. mnemonic so the 16-bit encoding is what
 * runs: scaled unsigned offsets at their maxima, sign-extended immediates,
 * 6-bit shift amounts, the W forms' sign extension, c.addi16sp, c.lui's
 * sign extension, c.jalr's link = pc + 2, c.beqz/c.bnez on all 64 bits,
 * c.ebreak, HINT encodings running as no-ops, jumps to 2-mod-4 targets,
 * CJ/CB offsets at the ends of their ranges, and every x8..x15 in the
 * 3-bit register fields. (RV64 has no c.jal: its encoding is c.addiw.)
 */
#include "test.h"

  .option rvc
  .data
  .balign 16
cdata:
  .dword 0x0123456789abcdef
  .dword 0xfedcba9876543210
  .space 512 - 16

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sd ra, 8(sp)

  // c.li: 6-bit signed immediate.
  TEST_CASE 1
  c.li a0, -32
  EXPECT_EQ a0, -32
  TEST_CASE 2
  c.li a0, 31
  EXPECT_EQ a0, 31
  // c.lui: nzimm[17:12], sign-extended from bit 17.
  TEST_CASE 3
  c.lui a0, 31
  EXPECT_EQ a0, 0x1f000
  TEST_CASE 4
  c.lui a0, 0xfffe0
  EXPECT_EQ a0, 0xfffffffffffe0000
  TEST_CASE 5
  c.lui a0, 1
  EXPECT_EQ a0, 0x1000
  // c.addi / c.addiw.
  TEST_CASE 6
  c.li a0, 5
  c.addi a0, -32
  EXPECT_EQ a0, -27
  TEST_CASE 7
  li a0, 0x7fffffff
  c.addiw a0, 1
  EXPECT_EQ a0, 0xffffffff80000000
  TEST_CASE 8
  li a0, 0x123456780000ffff
  c.addiw a0, 0                    // sext.w
  EXPECT_EQ a0, 0xffff
  TEST_CASE 9
  li a0, 0xffffffff7fffffff
  c.addiw a0, 0
  EXPECT_EQ a0, 0x7fffffff
  // c.mv / c.add (full registers, any of x1..x31).
  TEST_CASE 10
  li t1, 0x8000000000000001
  c.mv t2, t1
  EXPECT_REG t2, t1
  TEST_CASE 11
  li t1, 0x7fffffffffffffff
  c.li t2, 1
  c.add t2, t1
  EXPECT_EQ t2, 0x8000000000000000
  // c.slli / c.srli / c.srai: 6-bit shift amounts.
  TEST_CASE 12
  c.li a0, 1
  c.slli a0, 63
  EXPECT_EQ a0, 0x8000000000000000
  TEST_CASE 13
  c.li t0, 1
  c.slli t0, 32
  EXPECT_EQ t0, 0x100000000
  TEST_CASE 14
  li a0, 0x8000000000000000
  c.srli a0, 63
  EXPECT_EQ a0, 1
  TEST_CASE 15
  li a0, 0x8000000000000000
  c.srli a0, 32
  EXPECT_EQ a0, 0x80000000
  TEST_CASE 16
  li a0, 0x8000000000000000
  c.srai a0, 63
  EXPECT_EQ a0, -1
  TEST_CASE 17
  li a0, 0x8000000000000000
  c.srai a0, 31
  EXPECT_EQ a0, 0xffffffff00000000
  // c.andi: sign-extended 6-bit immediate.
  TEST_CASE 18
  li a0, 0xff00ff00ff00ffff
  c.andi a0, -32
  EXPECT_EQ a0, 0xff00ff00ff00ffe0
  TEST_CASE 19
  li a0, 0xff
  c.andi a0, 31
  EXPECT_EQ a0, 31
  // Register-register ops on x8..x15.
  TEST_CASE 20
  c.li a0, 0
  c.li a1, 1
  c.sub a0, a1
  EXPECT_EQ a0, -1
  TEST_CASE 21
  li a0, 0xff00ff00ff00ff00
  li a1, 0x0ff00ff00ff00ff0
  c.xor a0, a1
  EXPECT_EQ a0, 0xf0f0f0f0f0f0f0f0
  TEST_CASE 22
  li a0, 0xff00ff00ff00ff00
  li a1, 0x0ff00ff00ff00ff0
  c.or a0, a1
  EXPECT_EQ a0, 0xfff0fff0fff0fff0
  TEST_CASE 23
  li a0, 0xff00ff00ff00ff00
  li a1, 0x0ff00ff00ff00ff0
  c.and a0, a1
  EXPECT_EQ a0, 0x0f000f000f000f00
  TEST_CASE 24
  li s0, 0x7fffffff
  li s1, -1
  c.subw s0, s1
  EXPECT_EQ s0, 0xffffffff80000000
  TEST_CASE 25
  li a4, 0x1ffffffff
  li a5, 0x100000001
  c.addw a4, a5
  EXPECT_EQ a4, 0
  TEST_CASE 26
  li a4, 0x7fffffff
  li a5, 1
  c.addw a4, a5
  EXPECT_EQ a4, 0xffffffff80000000

  // Loads and stores, register-based: offsets are unsigned and scaled.
  TEST_CASE 27
  la a1, cdata
  c.lw a0, 0(a1)
  EXPECT_EQ a0, 0xffffffff89abcdef
  TEST_CASE 28
  la a1, cdata
  c.ld a0, 8(a1)
  EXPECT_EQ a0, 0xfedcba9876543210
  TEST_CASE 29
  la a1, cdata
  li a2, 0x1122334455667788
  c.sd a2, 248(a1)                 // largest c.sd offset
  c.ld a3, 248(a1)
  EXPECT_EQ a3, 0x1122334455667788
  TEST_CASE 30
  la a1, cdata
  li a2, 0xffffffff8899aabb
  c.sw a2, 124(a1)                 // largest c.sw offset
  c.lw a3, 124(a1)
  EXPECT_EQ a3, 0xffffffff8899aabb
  ld a3, 120(a1)
  EXPECT_EQ a3, 0x8899aabb00000000

  // sp-based forms and c.addi16sp / c.addi4spn. Work on a scratch frame
  // inside cdata; the real sp is kept in s0... and restored.
  TEST_CASE 31
  mv t0, sp
  la sp, cdata + 256
  c.addi16sp sp, -256
  la a0, cdata
  EXPECT_REG sp, a0
  c.addi16sp sp, 496
  la a0, cdata + 496
  EXPECT_REG sp, a0
  c.addi16sp sp, -512
  la a0, cdata - 16
  EXPECT_REG sp, a0
  mv sp, t0
  TEST_CASE 32
  mv t0, sp
  la sp, cdata
  c.addi4spn a0, sp, 1020          // largest nzuimm
  la a1, cdata + 1020
  EXPECT_REG a0, a1
  c.addi4spn a0, sp, 4
  la a1, cdata + 4
  EXPECT_REG a0, a1
  mv sp, t0
  TEST_CASE 33
  mv t0, sp
  la sp, cdata
  c.ldsp a0, 8(sp)
  EXPECT_EQ a0, 0xfedcba9876543210
  c.lwsp a0, 4(sp)
  EXPECT_EQ a0, 0x01234567
  c.lwsp a0, 12(sp)
  EXPECT_EQ a0, 0xfffffffffedcba98
  li a2, 0x0102030405060708
  c.sdsp a2, 504(sp)               // largest c.sdsp offset
  c.ldsp a3, 504(sp)
  EXPECT_REG a3, a2
  li a2, 0xa0b0c0d0
  c.swsp a2, 252(sp)               // largest c.swsp offset
  c.lwsp a3, 252(sp)
  EXPECT_EQ a3, 0xffffffffa0b0c0d0
  mv sp, t0

  // Control transfer.
  TEST_CASE 34
  c.j 1f
  j fail
1:
  c.j 3f
2:
  c.j 4f
3:
  c.j 2b                           // backward
4:
  TEST_CASE 35
  c.li a0, 0
  c.beqz a0, 1f
  j fail
1:
  c.li a0, 1
  c.beqz a0, 5f                    // not taken
  c.j 6f
5:
  j fail
6:
  TEST_CASE 36
  li a0, 0x100000000               // nonzero only above bit 31
  c.bnez a0, 1f
  j fail
1:
  c.li a0, 0
  c.bnez a0, 5f                    // not taken
  c.j 6f
5:
  j fail
6:
  TEST_CASE 37
  la a1, 1f
  c.jr a1
  j fail
1:
  // c.jalr links pc + 2.
  TEST_CASE 38
  la a1, 1f
2:
  c.jalr a1
3:
  j fail
1:
  la a2, 3b
  EXPECT_REG ra, a2
  // c.ebreak: breakpoint, epc = its address.
  TEST_CASE 39
  TRAP_BEGIN
  c.ebreak
  TRAP_END CAUSE_BREAKPOINT
  // c.nop changes nothing.
  TEST_CASE 40
  c.li a0, 9
  c.nop
  EXPECT_EQ a0, 9

  // HINT encodings (rd = x0 and the like) execute as no-ops, not traps.
  TEST_CASE 41
  c.li a0, 9
  mv a1, sp
  .half 0x0005                     // c.nop 1 (c.addi x0, 1)
  .half 0x4015                     // c.li x0, 5
  .half 0x6005                     // c.lui x0, 1
  .half 0x802a                     // c.mv x0, a0
  .half 0x902a                     // c.add x0, a0
  .half 0x0006                     // c.slli x0, 1
  EXPECT_EQ a0, 9
  EXPECT_EQ x0, 0
  EXPECT_REG sp, a1

  // With C, targets need only 2-byte alignment: a 32-bit JALR and a 32-bit
  // branch to an address that is 2 mod 4.
  TEST_CASE 42
  la a1, half_aligned
  andi a2, a1, 3
  EXPECT_EQ a2, 2
  c.li a0, 0
  .option norvc
  jalr ra, 0(a1)
  .option rvc
  EXPECT_EQ a0, 12
  TEST_CASE 43
  .option norvc
  beq x0, x0, 2f
  .option rvc
  j fail
  .balign 4
  c.nop
2:
  la a1, 2b
  andi a2, a1, 3
  EXPECT_EQ a2, 2

  // Offsets at the ends of their ranges: c.j +2046 / -2048 (CJ format),
  // c.beqz +254 / c.bnez -256 (CB format).
  TEST_CASE 44
  c.j 1f                           // +2046
  .space 2044
1:
  .option norvc
  j 3f
2:
  j 4f
  .option rvc
  .space 2044
3:
  c.j 2b                           // -2048
4:
  TEST_CASE 45
  c.li a0, 0
  c.beqz a0, 1f                    // +254
  .space 252
1:
  c.li a0, 1
  c.j 3f
2:
  c.j 4f
  .space 254
3:
  c.bnez a0, 2b                    // -256
4:

  // The 3-bit register fields name x8..x15: a chain through all eight as
  // rd'/rs1' and rs2' (CA format), and c.addi4spn / c.ld / c.sd with the
  // extremes x8 and x15.
  TEST_CASE 46
  li s0, 1
  li s1, 2
  li a0, 4
  li a1, 8
  li a2, 16
  li a3, 32
  li a4, 64
  li a5, 128
  c.or s0, s1
  c.or s1, a0
  c.or a0, a1
  c.or a1, a2
  c.or a2, a3
  c.or a3, a4
  c.or a4, a5
  c.or a5, s0
  EXPECT_EQ s0, 3
  EXPECT_EQ s1, 6
  EXPECT_EQ a0, 12
  EXPECT_EQ a1, 24
  EXPECT_EQ a2, 48
  EXPECT_EQ a3, 96
  EXPECT_EQ a4, 192
  EXPECT_EQ a5, 131
  TEST_CASE 47
  mv t0, sp
  la sp, cdata
  c.addi4spn s0, sp, 16
  c.addi4spn a5, sp, 24
  li s1, 0x5151
  c.sd s1, 0(a5)                   // cdata + 24
  c.ld a5, 8(s0)                   // cdata + 24
  EXPECT_EQ a5, 0x5151
  li a5, 0x7f7f
  c.sd a5, 0(s0)                   // cdata + 16
  c.ld s0, 0(s0)
  EXPECT_EQ s0, 0x7f7f
  mv sp, t0

  ld ra, 8(sp)
  addi sp, sp, 16
  ret

  .balign 4
  c.nop
half_aligned:
  c.li a0, 12
  c.jr ra
