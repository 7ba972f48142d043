/*
 * sv39-walk: the Sv39 translation walk (privileged spec 4.3.2, 4.4) seen
 * from S-mode: 4 KiB, 2 MiB and 1 GiB leaves (low and kernel-style high
 * VAs), loads, stores and fetches through them, and every way a walk fails
 * with a page fault whose tval is the virtual address: V = 0, W without R,
 * a pointer at level 0, reserved PTE bits 63..54, a misaligned 2 MiB or
 * 1 GiB superpage, a non-canonical VA, and a missing X/R/W permission;
 * fetches, loads and stores crossing into an unmapped page (tval = the
 * faulting portion); PMP checking the walk's own accesses and the
 * translated address (access faults with tval = the VA).
 * Page faults are not delegated here: M records them and resumes S.
 */
#include "test.h"
#include "sv39.h"

/* Test body: a load from va in S must raise a load page fault, tval = va. */
.macro EXPECT_LOAD_FAULT va
  li a1, \va
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
.endm

.macro EXPECT_STORE_FAULT va
  li a1, \va
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
.endm

  SV39_DATA
  .data
  .balign 8
known:
  .dword 0x600dcafe0000beef

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  SV39_SETUP
  // 4 KiB leaves: TEST_VA(0) -> page_0, TEST_VA(1) -> page_2.
  MAP_TEST_PAGE 0, LEAF_RW_AD
  la t0, page_2
  SET_LEAF l0_test, 1, t0, LEAF_RW_AD
  la a1, page_0
  li a0, 0x1111
  sd a0, 16(a1)
  la a1, page_2
  li a0, 0x2222
  sd a0, 24(a1)
  li a0, SUPERPAGE_PA + 0x1238
  li a1, 0x3333
  sd a1, 0(a0)
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  TEST_CASE 1
  li a1, TEST_VA(0)
  ld a0, 16(a1)
  EXPECT_EQ a0, 0x1111
  li a0, 0x4444
  sd a0, 32(a1)
  TEST_CASE 2
  li a1, TEST_VA(1)
  ld a0, 24(a1)
  EXPECT_EQ a0, 0x2222
  // 2 MiB leaf: offsets up to 2 MiB - 1 pass straight through.
  TEST_CASE 3
  li a1, SUPER_VA + 0x1238
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x3333
  li a1, SUPER_VA + 0x1ff000
  li a0, 0x5555
  sd a0, 0(a1)
  // 1 GiB leaf at VA 0 -> PA 0x8000_0000.
  TEST_CASE 4
  la a1, known
  li t0, 0x80000000
  sub a1, a1, t0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x600dcafe0000beef
  RETURN_TO_M
  // Stores went to the physical pages the leaves name.
  TEST_CASE 5
  la a1, page_0
  ld a0, 32(a1)
  EXPECT_EQ a0, 0x4444
  li a1, SUPERPAGE_PA + 0x1ff000
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x5555

  // A kernel-style high VA: root index 256 (VA 0xFFFF_FFC0_0000_0000) as a
  // 1 GiB leaf onto RAM, as the hypervisor's design maps its image.
  TEST_CASE 6
  li t0, 0x80000000
  SET_LEAF root_s, 256, t0, LEAF_RW_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  la a1, known
  li t0, 0xffffffc000000000 - 0x80000000
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x600dcafe0000beef

  // Walk failures, each a page fault with tval = the VA.
  TEST_CASE 7                         // V = 0 at level 0
  EXPECT_LOAD_FAULT TEST_VA(2) + 8
  TEST_CASE 8
  EXPECT_STORE_FAULT TEST_VA(2) + 16
  TEST_CASE 9                         // V = 0 at level 2 (root index 4)
  EXPECT_LOAD_FAULT 0x100000000 + 0x40
  TEST_CASE 10                        // non-canonical: bit 39 != bit 38
  EXPECT_LOAD_FAULT 0x0000008000000000
  TEST_CASE 11
  EXPECT_STORE_FAULT 0xffffff7fc0000000
  TEST_CASE 12
  EXPECT_LOAD_FAULT 0x8000000040000000
  RETURN_TO_M
  // W without R is reserved.
  TEST_CASE 13
  la t0, page_2
  SET_LEAF l0_test, 2, t0, PTE_V | PTE_W | PTE_A | PTE_D
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(2)
  TEST_CASE 14
  EXPECT_STORE_FAULT TEST_VA(2) + 8
  RETURN_TO_M
  // W+X without R is reserved too.
  TEST_CASE 15
  la t0, page_2
  SET_LEAF l0_test, 2, t0, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_STORE_FAULT TEST_VA(2) + 8
  RETURN_TO_M
  // A pointer (V, no R/W/X) at level 0 has no next level.
  TEST_CASE 16
  la t0, page_2
  SET_LEAF l0_test, 2, t0, PTE_V
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(2)
  RETURN_TO_M
  // Misaligned superpages: a 2 MiB leaf whose PPN[0] != 0 (l1_test[2],
  // VA 0x4040_0000) and a 1 GiB leaf whose PPN[1] != 0 (root index 3).
  TEST_CASE 17
  li t0, SUPERPAGE_PA + 0x1000
  SET_LEAF l1_test, 2, t0, LEAF_RW_AD
  li t0, 0x80200000
  SET_LEAF root_s, 3, t0, LEAF_RW_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT 0x40400000 + 0x10
  TEST_CASE 18
  EXPECT_STORE_FAULT 0xc0000000 + 0x20
  RETURN_TO_M
  // The same leaves aligned work.
  TEST_CASE 19
  li t0, SUPERPAGE_PA
  SET_LEAF l1_test, 2, t0, LEAF_RW_AD
  li t0, 0x80000000
  SET_LEAF root_s, 3, t0, LEAF_RW_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, 0x40400000 + 0x1238
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x3333
  la a1, known
  li t0, 0xc0000000 - 0x80000000
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x600dcafe0000beef
  RETURN_TO_M

  // Fetch: through an X leaf the code runs; without X it faults with
  // cause 12, tval = epc = the VA.
  TEST_CASE 20
  la a1, page_3
  li a0, 0x07700513                   // addi a0, x0, 0x77
  sw a0, 0(a1)
  li a0, 0x00008067                   // ret
  sw a0, 4(a1)
  fence.i
  MAP_TEST_PAGE 3, PTE_V | PTE_R | PTE_X | PTE_A
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(3)
  li a0, 0
  jalr ra, 0(a1)
  EXPECT_EQ a0, 0x77
  RETURN_TO_M
  TEST_CASE 21
  MAP_TEST_PAGE 3, LEAF_RW_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(3)
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  FAIL_IF_NE t6, a1
  TEST_CASE 22                        // fetch from an invalid page
  li a1, TEST_VA(2) + 0x40
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  // X-only: loads fault (MXR = 0); R-only: stores fault.
  TEST_CASE 23
  MAP_TEST_PAGE 3, PTE_V | PTE_X | PTE_A
  MAP_TEST_PAGE 0, PTE_V | PTE_R | PTE_A
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(3) + 8
  TEST_CASE 24
  EXPECT_STORE_FAULT TEST_VA(0) + 8
  TEST_CASE 25
  li a1, TEST_VA(0) + 8
  TRAP_BEGIN
  amoadd.d a0, a0, (a1)               // AMOs need W: store page fault
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  TEST_CASE 26
  li a1, TEST_VA(0) + 16
  ld a0, 0(a1)                        // R is enough for loads
  EXPECT_EQ a0, 0x1111
  RETURN_TO_M

  // Reserved PTE bits 63..54 (with neither Svpbmt nor Svnapot) fault.
  TEST_CASE 27
  la t0, page_2
  MAKE_PTE t0, LEAF_RW_AD
  li t1, 1 << 54
  or s10, s10, t1
  la s11, l0_test + 2 * 8
  sd s10, 0(s11)
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(2)
  RETURN_TO_M
  TEST_CASE 28
  la t0, page_2
  MAKE_PTE t0, LEAF_RW_AD
  li t1, 1 << 61                      // PBMT = 1 without Svpbmt
  or s10, s10, t1
  la s11, l0_test + 2 * 8
  sd s10, 0(s11)
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(2)
  RETURN_TO_M
  TEST_CASE 29
  la t0, page_2
  MAKE_PTE t0, LEAF_RW_AD
  li t1, 1 << 63                      // N without Svnapot
  or s10, s10, t1
  la s11, l0_test + 2 * 8
  sd s10, 0(s11)
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  EXPECT_LOAD_FAULT TEST_VA(2)
  RETURN_TO_M

  // A 32-bit instruction crossing from an executable page into an unmapped
  // one: fetch page fault, epc = the instruction, tval = the start of the
  // unmapped page (the portion that faulted; privileged spec 3.1.16).
  TEST_CASE 30
  la a1, page_3
  li a0, 0x0513                       // low half of addi a0, x0, 0x77
  li t0, 4094
  add t0, a1, t0
  sh a0, 0(t0)
  fence.i
  MAP_TEST_PAGE 3, PTE_V | PTE_R | PTE_X | PTE_A
  la s11, l0_test + 4 * 8
  sd zero, 0(s11)
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(3) + 4094
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t6, a1
  li a2, TEST_VA(4)
  FAIL_IF_NE t5, a2
  RETURN_TO_M

  // A misaligned load or store crossing into an unmapped page: page fault
  // with tval = the address of the portion that faulted (3.1.16), i.e.
  // the start of the unmapped page. (The fetch case is case 31.)
  TEST_CASE 31
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(3) + 4092
  li a2, TEST_VA(4)
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a2
  RETURN_TO_M
  TEST_CASE 32
  MAP_TEST_PAGE 3, LEAF_RW_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(3) + 4094
  li a2, TEST_VA(4)
  TRAP_BEGIN
  sw a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a2
  RETURN_TO_M

  // A misaligned load/store across a page boundary whose two VA pages map
  // to physical pages in the opposite order: each part goes through its own
  // translation (TEST_VA(5) -> page_2, TEST_VA(6) -> page_0).
  TEST_CASE 33
  la t0, page_2
  SET_LEAF l0_test, 5, t0, LEAF_RW_AD
  la t0, page_0
  SET_LEAF l0_test, 6, t0, LEAF_RW_AD
  sfence.vma
  la a1, page_2
  li a0, 0x44332211
  li t0, 4092
  add t0, a1, t0
  sw a0, 0(t0)                        // last 4 bytes of page_2
  la a1, page_0
  li a0, 0x88776655
  sw a0, 0(a1)                        // first 4 bytes of page_0
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(6) - 4
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x8877665544332211
  TEST_CASE 34
  li a1, TEST_VA(6) - 2
  li a0, 0xddccbbaa
  sw a0, 0(a1)
  RETURN_TO_M
  la a1, page_2
  li t0, 4094
  add t0, a1, t0
  lhu a0, 0(t0)
  EXPECT_EQ a0, 0xbbaa
  la a1, page_0
  lhu a0, 0(a1)
  EXPECT_EQ a0, 0xddcc
  // The same for a fetch: a 32-bit instruction whose halves sit in two
  // physical pages in the opposite order (addi a0, x0, 0x55; then ret).
  TEST_CASE 35
  la a1, page_2
  li t0, 4094
  add t0, a1, t0
  li a0, 0x0513                       // low half of 0x05500513
  sh a0, 0(t0)
  la a1, page_0
  li a0, 0x0550                       // high half
  sh a0, 0(a1)
  li a0, 0x8082                       // c.jr ra
  sh a0, 2(a1)
  fence.i
  la t0, page_2
  SET_LEAF l0_test, 5, t0, LEAF_RWX_AD
  la t0, page_0
  SET_LEAF l0_test, 6, t0, LEAF_RWX_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(6) - 2
  li a0, 0
  jalr ra, 0(a1)
  EXPECT_EQ a0, 0x55
  RETURN_TO_M

  // The walk's own memory accesses are checked by PMP as S-mode accesses:
  // with l0_test inaccessible, a load through it is a load access fault
  // (the original access type) with tval = the VA.
  TEST_CASE 36
  MAP_TEST_PAGE 0, LEAF_RW_AD
  la a1, l0_test
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, PMP_NAPOT
  csrw pmpcfg0, t0
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(0) + 8
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 37
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  // PMP denying the translated physical address: an access fault whose
  // tval is still the virtual address.
  TEST_CASE 38
  la t0, page_1
  SET_LEAF l0_test, 7, t0, LEAF_RW_AD
  la a1, page_1
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, PMP_NAPOT
  csrw pmpcfg0, t0
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(7) + 8
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 39
  li a1, TEST_VA(7) + 16
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  TEST_CASE 40
  la t0, page_1
  SET_LEAF l0_test, 7, t0, LEAF_RWX_AD
  sfence.vma
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(7) + 0x20
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_ACCESS
  FAIL_IF_NE t5, a1
  FAIL_IF_NE t6, a1
  RETURN_TO_M
  csrw pmpcfg0, zero
  sfence.vma

  // M-mode is never translated: satp stays Sv39 while M reads physically.
  TEST_CASE 41
  la a1, known
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x600dcafe0000beef
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret
