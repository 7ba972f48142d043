/*
 * zifencei: FENCE.I makes stores to instruction memory visible to later
 * fetches by the same hart (unprivileged spec, "Zifencei"). The program
 * rewrites an instruction of `patch_site`, runs FENCE.I and requires the
 * new instruction to execute, twice, in both directions.
 */
#include "test.h"

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // Before patching: patch_site returns 1.
  TEST_CASE 1
  call patch_site
  EXPECT_EQ a0, 1
  // Store `li a0, 2` (addi a0, x0, 2 = 0x00200513) over `li a0, 1`.
  TEST_CASE 2
  la a1, patch_site
  li a2, 0x00200513
  sw a2, 0(a1)
  fence.i
  call patch_site
  EXPECT_EQ a0, 2
  // And back to `li a0, 1` (0x00100513).
  TEST_CASE 3
  la a1, patch_site
  li a2, 0x00100513
  sw a2, 0(a1)
  fence.i
  call patch_site
  EXPECT_EQ a0, 1
  // A 16-bit instruction: c.li a0, 3 (0x450d) over the first half of a
  // `c.li a0, 1; c.nop` pair.
  TEST_CASE 4
  call patch_site_c
  EXPECT_EQ a0, 1
  la a1, patch_site_c
  li a2, 0x450d
  sh a2, 0(a1)
  fence.i
  call patch_site_c
  EXPECT_EQ a0, 3
  mv ra, s0
  ret

  .balign 4
patch_site:
  li a0, 1
  ret

  .option rvc
  .balign 4
patch_site_c:
  c.li a0, 1
  c.nop
  ret
