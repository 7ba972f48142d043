/*
 * sv39-tlb: what SFENCE.VMA and satp guarantee (privileged spec 4.1.11,
 * 4.2.1). Only architecturally guaranteed outcomes are checked: after a PTE
 * change and a fence of any of the four forms (rs1 = x0 or the VA, rs2 = x0
 * or the ASID) covering the VA, the new translation is used, including for
 * a 2 MiB leaf fenced by an address inside it and for global (G) leaves;
 * a PTE made valid after a page fault works once fenced; code at a VA
 * remapped to another page runs the new page's code; two fresh ASIDs
 * with different tables each see their own mapping across satp switches
 * without any fence. satp: Sv39 and Bare are accepted, a write with an
 * unsupported MODE changes nothing, ASID bits are WARL from bit 44 up.
 * (Whether a stale entry is used without a fence is not guaranteed either
 * way, so it is not tested here.)
 */
#include "test.h"
#include "sv39.h"

#define SATP_ASID_SHIFT 44

/* Maps TEST_VA(i) in l0_test to page_<p> (RW, A, D, plus extra flags). */
.macro REMAP i, p, extra
  la t0, page_\p
  SET_LEAF l0_test, \i, t0, LEAF_RW_AD | \extra
.endm

  SV39_DATA
  .bss
  .balign 4096
root_b:  .space 4096                  // a second address space
l1_b:    .space 4096
l0_b:    .space 4096

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // Each data page starts with its own number + 0x100.
  .irp p, 0,1,2,3
  la a1, page_\p
  li a0, 0x100 + \p
  sd a0, 0(a1)
  .endr
  SV39_SETUP

  // satp: Sv39 with the root's PPN reads back.
  TEST_CASE 1
  csrr a0, satp
  srli a1, a0, 60
  EXPECT_EQ a1, 8
  la a2, root_s
  srli a2, a2, 12
  slli a1, a0, 20
  srli a1, a1, 20
  EXPECT_REG a1, a2
  // ASID: the implemented bits are the low ones (0 to 16 of them); s8 =
  // the largest ASID.
  TEST_CASE 2
  li t0, 0xffff << SATP_ASID_SHIFT
  csrs satp, t0
  csrr a0, satp
  srli s8, a0, SATP_ASID_SHIFT
  li t0, 0xffff
  and s8, s8, t0
  addi a1, s8, 1
  and a1, a1, s8                      // 2^k - 1 has no bit in common with 2^k
  EXPECT_EQ a1, 0
  li t0, 0xffff << SATP_ASID_SHIFT
  csrc satp, t0
  sfence.vma
  // A write with an unsupported MODE leaves satp as it was (1 and 7 are
  // reserved, 12 and 13 too, 15 is custom and unimplemented here).
  TEST_CASE 3
  csrr a2, satp
  .irp mode, 1, 7, 12, 13, 15
  li t0, (\mode << 60) | 0x12345
  csrw satp, t0
  csrr a0, satp
  EXPECT_REG a0, a2
  .endr
  TEST_CASE 4
  csrw satp, zero                     // Bare is supported
  csrr a0, satp
  EXPECT_EQ a0, 0
  csrw satp, a2
  sfence.vma

  // The four SFENCE.VMA forms, each after a remap of TEST_VA(0).
  TEST_CASE 5
  REMAP 0, 0, 0
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(0)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x100
  REMAP 0, 1, 0
  sfence.vma x0, x0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x101
  TEST_CASE 6
  REMAP 0, 2, 0
  sfence.vma a1, x0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  TEST_CASE 7
  REMAP 0, 3, 0
  li a2, 0                            // the current ASID
  sfence.vma x0, a2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x103
  TEST_CASE 8
  REMAP 0, 0, 0
  sfence.vma a1, a2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x100
  // An address inside a 2 MiB leaf fences that leaf.
  TEST_CASE 9
  li a1, SUPER_VA + 0x10
  sd a1, 0(a1)                        // PA SUPERPAGE_PA + 0x10
  li t0, SUPERPAGE_PA + 0x200000
  SET_LEAF l1_test, 1, t0, LEAF_RW_AD
  li a3, SUPER_VA + 0x1ff000
  sfence.vma a3, x0
  ld a0, 0(a1)                        // PA SUPERPAGE_PA + 0x200010: zero
  EXPECT_EQ a0, 0
  // A PTE made valid after a fault works once fenced.
  TEST_CASE 10
  la a3, l0_test + 5 * 8
  sd zero, 0(a3)
  sfence.vma
  li a1, TEST_VA(5)
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  REMAP 5, 2, 0
  sfence.vma a1, x0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  RETURN_TO_M

  // Code: after a remap and a fence, the same VA runs the new page's code
  // (whatever was cached for the old one).
  TEST_CASE 11
  la a1, page_2
  li a0, 0x02200513                   // li a0, 0x22
  sw a0, 64(a1)
  li a0, 0x00008067                   // ret
  sw a0, 68(a1)
  la a1, page_3
  li a0, 0x03300513                   // li a0, 0x33
  sw a0, 64(a1)
  li a0, 0x00008067
  sw a0, 68(a1)
  fence.i
  la t0, page_2
  SET_LEAF l0_test, 7, t0, PTE_V | PTE_R | PTE_X | PTE_A
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li s1, TEST_VA(7) + 64
  jalr ra, 0(s1)
  EXPECT_EQ a0, 0x22
  jalr ra, 0(s1)
  EXPECT_EQ a0, 0x22
  la t0, page_3
  SET_LEAF l0_test, 7, t0, PTE_V | PTE_R | PTE_X | PTE_A
  sfence.vma s1, x0
  jalr ra, 0(s1)
  EXPECT_EQ a0, 0x33
  RETURN_TO_M

  // Two address spaces: root_s and root_b share the identity leaf, and
  // TEST_VA(5) is page_2 in root_s but page_3 in root_b. Both ASIDs fresh
  // (fenced once), so satp switches need no fence. Needs 2 ASIDs.
  TEST_CASE 12
  li a0, 2
  bltu s8, a0, no_asids
  li t0, 0x80000000
  SET_LEAF root_b, 2, t0, LEAF_RWX_AD
  SET_POINTER root_b, 1, l1_b
  SET_POINTER l1_b, 0, l0_b
  la t0, page_3
  SET_LEAF l0_b, 5, t0, LEAF_RW_AD
  SATP_USE root_s, 1
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(5)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  SATP_USE root_b, 2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x103
  SATP_USE root_s, 1
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  SATP_USE root_b, 2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x103
  // ASID-specific fences after changing root_b's leaf, both forms.
  TEST_CASE 13
  la t0, page_1
  SET_LEAF l0_b, 5, t0, LEAF_RW_AD
  li a2, 2
  sfence.vma x0, a2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x101
  TEST_CASE 14
  la t0, page_0
  SET_LEAF l0_b, 5, t0, LEAF_RW_AD
  sfence.vma a1, a2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x100
  // A global leaf, identical in both spaces (as G requires): a change
  // fenced with rs2 = x0 is seen from either ASID.
  TEST_CASE 15
  la t0, page_1
  SET_LEAF l0_b, 6, t0, LEAF_RW_AD | PTE_G
  REMAP 6, 1, PTE_G
  sfence.vma x0, x0
  li a1, TEST_VA(6)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x101
  SATP_USE root_s, 1
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x101
  TEST_CASE 16
  la t0, page_2
  SET_LEAF l0_b, 6, t0, LEAF_RW_AD | PTE_G
  REMAP 6, 2, PTE_G
  sfence.vma a1, x0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  SATP_USE root_b, 2
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x102
  RETURN_TO_M
no_asids:
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret
