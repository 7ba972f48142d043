/*
 * sv39-ad: the accessed and dirty bits (privileged spec 4.3.1, 4.3.2 step
 * 7). An implementation either sets A (and D for stores) itself or raises
 * a page fault when they are clear (Svade); both are allowed, so each case
 * accepts either, but the first case fixes which one this hart does and
 * every later case must behave the same way (s9 = 1: hardware updates,
 * 0: faults). In both modes: a load never sets D, a faulting access changes
 * no bit, software setting the bits (then SFENCE.VMA) makes the access
 * work, and superpage leaves behave like 4 KiB ones.
 */
#include "test.h"
#include "sv39.h"

#define RW_NO_AD (PTE_V | PTE_R | PTE_W)

/* a2 = the PTE at table[index] (read through the identity map). */
.macro READ_PTE table, index
  la a2, \table + (\index) * 8
  ld a2, 0(a2)
.endm

/* Fails unless (a2 & (A|D)) == bits. */
.macro EXPECT_AD bits
  andi a3, a2, PTE_A | PTE_D
  EXPECT_EQ a3, \bits
.endm

  SV39_DATA

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  SV39_SETUP
  la a1, page_0
  li a0, 0x1234
  sd a0, 0(a1)
  la a1, page_3
  li a0, 0x07700513                   // addi a0, x0, 0x77
  sw a0, 0(a1)
  li a0, 0x00008067                   // ret
  sw a0, 4(a1)
  fence.i
  MAP_TEST_PAGE 0, RW_NO_AD
  MAP_TEST_PAGE 1, RW_NO_AD | PTE_A
  MAP_TEST_PAGE 2, RW_NO_AD
  MAP_TEST_PAGE 3, PTE_V | PTE_R | PTE_X
  la t0, page_0
  SET_LEAF l0_test, 4, t0, PTE_V | PTE_R
  li t0, SUPERPAGE_PA
  SET_LEAF l1_test, 1, t0, RW_NO_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  // A load with A = 0 either sets A (not D) or faults, changing nothing.
  TEST_CASE 1
  li s9, 1                            // assume hardware updating
  li a1, TEST_VA(0)
  li a0, 0
  la t3, 2f                           // trap armed: a fault is allowed
  ld a0, 0(a1)
  li t3, 0
  EXPECT_EQ a0, 0x1234
  READ_PTE l0_test, 0
  EXPECT_AD PTE_A
  j 3f
2:
  li s9, 0                            // faulting (Svade)
  EXPECT_EQ t4, CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 0
  EXPECT_AD 0
  // Software sets A; after SFENCE.VMA the load works.
  ori a2, a2, PTE_A
  la a3, l0_test
  sd a2, 0(a3)
  sfence.vma
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x1234
3:
  // A store with A = 1, D = 0: sets D, or faults.
  TEST_CASE 2
  li a1, TEST_VA(1) + 8
  li a0, 0x55
  beqz s9, 2f
  sd a0, 0(a1)
  READ_PTE l0_test, 1
  EXPECT_AD PTE_A | PTE_D
  j 3f
2:
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 1
  EXPECT_AD PTE_A
  ori a2, a2, PTE_D
  la a3, l0_test + 8
  sd a2, 0(a3)
  sfence.vma
  sd a0, 0(a1)
3:
  RETURN_TO_M
  TEST_CASE 3                         // the store reached page_1
  la a1, page_1
  ld a0, 8(a1)
  EXPECT_EQ a0, 0x55
  // A store with A = D = 0 sets both, or faults changing neither.
  TEST_CASE 4
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(2) + 16
  beqz s9, 2f
  sd a1, 0(a1)
  READ_PTE l0_test, 2
  EXPECT_AD PTE_A | PTE_D
  j 3f
2:
  TRAP_BEGIN
  sd a1, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 2
  EXPECT_AD 0
3:
  // A fetch with A = 0 sets A, or faults.
  TEST_CASE 5
  li a1, TEST_VA(3)
  li a0, 0
  beqz s9, 2f
  jalr ra, 0(a1)
  EXPECT_EQ a0, 0x77
  READ_PTE l0_test, 3
  EXPECT_AD PTE_A
  j 3f
2:
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 3
  EXPECT_AD 0
3:
  // A store without W faults in both modes and sets no bit.
  TEST_CASE 6
  li a1, TEST_VA(4)
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 4
  EXPECT_AD 0
  // An AMO needs A and D like a store.
  TEST_CASE 7
  la a3, l0_test + 4 * 8
  la t0, page_2
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, RW_NO_AD | PTE_A
  sd t0, 0(a3)
  sfence.vma
  li a1, TEST_VA(4) + 24
  li a0, 5
  beqz s9, 2f
  amoadd.d a0, a0, (a1)
  READ_PTE l0_test, 4
  EXPECT_AD PTE_A | PTE_D
  j 3f
2:
  TRAP_BEGIN
  amoadd.d a0, a0, (a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l0_test, 4
  EXPECT_AD PTE_A
3:
  // A 2 MiB leaf: a load sets A on the level-1 PTE, or faults.
  TEST_CASE 8
  li a1, SUPER_VA + 0x3000
  beqz s9, 2f
  ld a0, 0(a1)
  READ_PTE l1_test, 1
  EXPECT_AD PTE_A
  sd a0, 8(a1)
  READ_PTE l1_test, 1
  EXPECT_AD PTE_A | PTE_D
  j 3f
2:
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  READ_PTE l1_test, 1
  EXPECT_AD 0
3:
  // A load first (the translation may now be cached with D = 0), then a
  // store: D must still be set by the store (or the store faults).
  TEST_CASE 9
  li a1, TEST_VA(5)
  beqz s9, 2f
  la t0, page_1
  SET_LEAF l0_test, 5, t0, RW_NO_AD
  sfence.vma
  ld a0, 0(a1)
  READ_PTE l0_test, 5
  EXPECT_AD PTE_A
  sd a0, 0(a1)
  READ_PTE l0_test, 5
  EXPECT_AD PTE_A | PTE_D
  j 3f
2:
  la t0, page_1
  SET_LEAF l0_test, 5, t0, RW_NO_AD | PTE_A
  sfence.vma
  ld a0, 0(a1)
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  READ_PTE l0_test, 5
  EXPECT_AD PTE_A
3:
  RETURN_TO_M
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret
