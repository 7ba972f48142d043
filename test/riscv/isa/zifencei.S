/*
 * zifencei: FENCE.I makes stores to instruction memory visible to later
 * fetches by the same hart (unprivileged spec, "Zifencei"). The program
 * rewrites an instruction of `patch_site`, runs FENCE.I and requires the
 * new instruction to execute, twice, in both directions; then the same in
 * S-mode with Sv39, writing through one virtual alias (or physically from
 * M) and executing through another: FENCE.I orders the hart's own stores
 * and fetches whatever addresses they use.
 */
#include "test.h"
#include "sv39.h"

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

  // Through aliases: TEST_VA(0) -> page_3 writable, TEST_VA(1) -> page_3
  // executable.
  TEST_CASE 5
  la a1, page_3
  li a2, 0x00100513                   // li a0, 1
  sw a2, 0(a1)
  li a2, 0x00008067                   // ret
  sw a2, 4(a1)
  fence.i
  SV39_SETUP
  MAP_TEST_PAGE 3, LEAF_RW_AD
  la t0, page_3
  SET_LEAF l0_test, 0, t0, LEAF_RW_AD
  la t0, page_3
  SET_LEAF l0_test, 1, t0, PTE_V | PTE_R | PTE_X | PTE_A
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li s1, TEST_VA(1)
  jalr ra, 0(s1)
  EXPECT_EQ a0, 1
  TEST_CASE 6
  li a1, TEST_VA(0)
  li a2, 0x00600513                   // li a0, 6
  sw a2, 0(a1)
  fence.i
  jalr ra, 0(s1)
  EXPECT_EQ a0, 6
  RETURN_TO_M
  // A physical store by M, then FENCE.I in S before executing.
  TEST_CASE 7
  la a1, page_3
  li a2, 0x00700513                   // li a0, 7
  sw a2, 0(a1)
  ENTER_MODE PRV_S, 1f
1:
  fence.i
  jalr ra, 0(s1)
  EXPECT_EQ a0, 7
  RETURN_TO_M
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret

  SV39_DATA
  .text
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
