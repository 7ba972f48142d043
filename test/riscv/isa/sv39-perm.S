/*
 * sv39-perm: Sv39 access rights (privileged spec 4.3.1 mstatus.SUM/MXR,
 * 3.1.6.3 MPRV, 4.3.2 step 5): U pages from S (faults unless SUM; never
 * executable by S), non-U pages from U, MXR making X-only pages readable,
 * MPRV translating M's loads and stores as MPP's privilege (not its
 * fetches), page faults delegated to S with stval = the VA, and SUM, MXR
 * and privilege changes taking effect at once, without a fence.
 */
#include "test.h"
#include "sv39.h"

  SV39_DATA

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  SV39_SETUP
  la a1, page_0
  li a0, 0x1010
  sd a0, 0(a1)
  la a1, page_1
  li a0, 0x2020
  sd a0, 0(a1)
  la a1, page_2
  li a0, 0xabcd
  sw a0, 4(a1)
  // page_3 holds `li a0, 0x77; ret`.
  la a1, page_3
  li a0, 0x07700513
  sw a0, 0(a1)
  li a0, 0x00008067
  sw a0, 4(a1)
  fence.i
  MAP_TEST_PAGE 0, LEAF_RW_AD | PTE_U           // user data
  MAP_TEST_PAGE 1, LEAF_RW_AD                   // supervisor data
  MAP_TEST_PAGE 2, PTE_V | PTE_X | PTE_A | PTE_U // user execute-only
  la t0, page_3
  SET_LEAF l0_test, 3, t0, PTE_V | PTE_R | PTE_X | PTE_A | PTE_U  // user code
  la t0, page_3
  SET_LEAF l0_test, 4, t0, PTE_V | PTE_X | PTE_A  // supervisor execute-only
  sfence.vma

  // S and a U page: loads and stores fault unless SUM; fetches always.
  TEST_CASE 1
  li t0, MSTATUS_SUM | MSTATUS_MXR
  csrc mstatus, t0
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(0)
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  TEST_CASE 2
  TRAP_BEGIN
  sd a0, 8(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  addi a2, a1, 8
  FAIL_IF_NE t5, a2
  TEST_CASE 3
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  li a1, TEST_VA(0)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x1010
  sd a0, 8(a1)
  TEST_CASE 4
  li a1, TEST_VA(3)
  TRAP_BEGIN
  jalr ra, 0(a1)                      // S never executes U pages
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  // MXR: an X-only page becomes readable (with SUM for a U one).
  TEST_CASE 5
  li a1, TEST_VA(4)
  TRAP_BEGIN
  lw a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  lw a0, 0(a1)
  EXPECT_EQ a0, 0x07700513
  TEST_CASE 6
  li a1, TEST_VA(2)
  lw a0, 4(a1)
  EXPECT_EQ a0, 0xabcd
  TEST_CASE 7
  TRAP_BEGIN
  sw a0, 0(a1)                        // MXR grants reads only
  TRAP_END CAUSE_STORE_PAGE_FAULT
  li t0, MSTATUS_SUM | MSTATUS_MXR
  csrc sstatus, t0
  TEST_CASE 8
  li a1, TEST_VA(2)
  TRAP_BEGIN
  lw a0, 0(a1)                        // U page, no SUM: fault even with X
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  // S runs supervisor code through the test mapping.
  TEST_CASE 9
  li a1, TEST_VA(4)
  li a0, 0
  jalr ra, 0(a1)
  EXPECT_EQ a0, 0x77
  RETURN_TO_M

  // U: U pages work, non-U pages fault whatever SUM says.
  TEST_CASE 10
  SATP_USE root_u, 0
  sfence.vma
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  ENTER_MODE PRV_U, 1f
1:
  li a1, TEST_VA(0)
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x1010
  sd a0, 16(a1)
  li a1, TEST_VA(3)
  li a0, 0
  jalr ra, 0(a1)
  EXPECT_EQ a0, 0x77
  TEST_CASE 11
  li a1, TEST_VA(1)
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  TEST_CASE 12
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  TEST_CASE 13
  li a1, TEST_VA(4)
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  FAIL_IF_NE t6, a1
  RETURN_TO_M
  li t0, MSTATUS_SUM
  csrc mstatus, t0
  SATP_USE root_s, 0
  sfence.vma

  // MPRV: M's loads/stores use MPP's privilege and translation.
  TEST_CASE 14
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_S << 11) | MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TEST_VA(1)
  ld a0, 0(a1)                        // as S: TEST_VA(1) -> page_1
  EXPECT_EQ a0, 0x2020
  li a0, 0x3030
  sd a0, 8(a1)
  TEST_CASE 15
  li a1, TEST_VA(0)
  TRAP_BEGIN
  ld a0, 0(a1)                        // as S without SUM: U page faults
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  li t0, MSTATUS_MPRV                 // the trap made MPP = M; clear MPRV
  csrc mstatus, t0
  la a1, page_1
  ld a0, 8(a1)
  EXPECT_EQ a0, 0x3030
  TEST_CASE 16
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_U << 11) | MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TEST_VA(0)
  ld a0, 0(a1)                        // as U: the U page (root_s maps it U)
  EXPECT_EQ a0, 0x1010
  li a1, TEST_VA(1)
  TRAP_BEGIN
  ld a0, 0(a1)                        // as U: supervisor page faults
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  // MPRV with MPP = M changes nothing: physical.
  TEST_CASE 17
  li t0, MSTATUS_MPP | MSTATUS_MPRV
  csrs mstatus, t0
  la a1, page_0
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x1010
  li t0, MSTATUS_MPRV
  csrc mstatus, t0

  // Delegated page faults: S sees scause and stval = the VA.
  TEST_CASE 18
  li t0, (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT) | (1 << CAUSE_FETCH_PAGE_FAULT)
  csrw medeleg, t0
  la t0, s_trap_handler
  csrw stvec, t0
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(5) + 0x123
  TRAP_BEGIN
  lb a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a1
  csrr a0, stval
  EXPECT_REG a0, a1
  csrr a0, scause
  EXPECT_EQ a0, CAUSE_LOAD_PAGE_FAULT
  TEST_CASE 19
  li a1, TEST_VA(5) + 0x456
  TRAP_BEGIN
  sh a0, 0(a1)
  TRAP_END CAUSE_STORE_PAGE_FAULT
  FAIL_IF_NE t5, a1
  TEST_CASE 20
  li a1, TEST_VA(5) + 0x100
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_PAGE_FAULT
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  csrw medeleg, zero

  // Permission inputs that are not in the PTE take effect at once, with
  // no fence, even for a translation just used: SUM, MXR, the privilege.
  TEST_CASE 21
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  ENTER_MODE PRV_S, 1f
1:
  li a1, TEST_VA(0)
  ld a0, 0(a1)                        // U page with SUM
  li t0, MSTATUS_SUM
  csrc sstatus, t0
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  TEST_CASE 22
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  li a1, TEST_VA(4)
  lw a0, 0(a1)                        // X-only page with MXR
  li t0, MSTATUS_MXR
  csrc sstatus, t0
  TRAP_BEGIN
  lw a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  RETURN_TO_M
  // S uses a supervisor page; U then faults on the same VA.
  TEST_CASE 23
  SATP_USE root_u, 0
  sfence.vma
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_S << 11) | MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TEST_VA(1)
  ld a0, 0(a1)                        // M as S through root_u: allowed
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  ENTER_MODE PRV_U, 1f
1:
  li a1, TEST_VA(1)
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  RETURN_TO_M
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret
