/*
 * pmp: physical memory protection (privileged spec 3.7): NAPOT, TOR and NA4
 * regions; R/W/X checked for S and U loads, stores, AMOs and fetches
 * (access faults: cause 5, 7, 1 with tval = the address); the lowest-
 * numbered matching entry decides; an entry matching only part of an
 * access fails it whatever its permissions; with no matching entry M
 * succeeds and S/U fail; MPRV makes M's loads checked as MPP's; a locked
 * entry binds M too and ignores writes to its pmpcfg byte and pmpaddr (and
 * a locked TOR entry also the pmpaddr below it). Lock bits stick until
 * reset, so those cases come last, followed only by the AMO cases QEMU
 * 7.2 gets wrong (see test/riscv-qemu.test.ts).
 *
 * Entry 15 is the runtime's catch-all granting S/U everything; the cases
 * use entries 0..3 and 14.
 */
#include "test.h"

#define NAPOT_4K(base) (((base) >> 2) | 0x1ff)
#define CFG(entry, bits) ((bits) << (8 * (entry)))

  .bss
  .balign 8192                        // NAPOT regions are aligned to their size
region:                               // three pages the cases protect
  .space 3 * 4096

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  csrw pmpcfg0, zero

  // Entry 0: NAPOT over region's first page, no permissions. S loads,
  // stores and AMOs fault with tval = the address; M is not affected.
  TEST_CASE 1
  la a1, region
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, CFG(0, PMP_NAPOT)
  csrw pmpcfg0, t0
  ld a0, 8(a1)                        // M: allowed
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 8
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 2
  la a1, region + 4092
  TRAP_BEGIN
  sw a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 3
  la a1, region + 64
  TRAP_BEGIN
  lr.d a0, (a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  // The next page is outside entry 0: entry 15 allows it.
  TEST_CASE 4
  la a1, region + 4096
  ld a0, 0(a1)
  sd a0, 0(a1)
  RETURN_TO_M
  // U is checked the same way.
  TEST_CASE 5
  ENTER_MODE PRV_U, 1f
1:
  la a1, region + 16
  TRAP_BEGIN
  lbu a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M

  // Read-only: loads pass, stores and AMOs fault.
  TEST_CASE 6
  li t0, CFG(0, PMP_NAPOT | PMP_R)
  csrw pmpcfg0, t0
  la a1, region
  li a0, 0x77
  sd a0, 0(a1)
  ENTER_MODE PRV_S, 1f
1:
  la a1, region
  ld a0, 0(a1)
  EXPECT_EQ a0, 0x77
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M

  // Priority: entry 0 (R, first page) wins over entry 1 (RW, both pages).
  TEST_CASE 7
  la a1, region
  srli t0, a1, 2
  ori t0, t0, 0x3ff                   // NAPOT 8 KiB
  csrw pmpaddr1, t0
  li t0, CFG(0, PMP_NAPOT | PMP_R) | CFG(1, PMP_NAPOT | PMP_R | PMP_W)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 4096
  sd a0, 0(a1)                        // entry 1: allowed
  la a1, region + 24
  TRAP_BEGIN
  sd a0, 0(a1)                        // entry 0: read-only
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M

  // TOR: entry 3 covers [pmpaddr2, pmpaddr3) = the first page; entry 2
  // itself is OFF and only lends its address.
  TEST_CASE 8
  la a1, region
  srli t0, a1, 2
  csrw pmpaddr2, t0
  la a1, region + 4096
  srli t0, a1, 2
  csrw pmpaddr3, t0
  li t0, CFG(3, PMP_TOR)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region
  TRAP_BEGIN
  ld a0, 0(a1)                        // first byte inside
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 9
  la a1, region + 4088
  TRAP_BEGIN
  ld a0, 0(a1)                        // last dword inside
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 10
  la a1, region + 4096
  ld a0, 0(a1)                        // top is exclusive
  la a1, region - 8
  ld a0, 0(a1)                        // below the bottom
  RETURN_TO_M

  // NA4: exactly four bytes.
  TEST_CASE 11
  la a1, region + 16
  srli t0, a1, 2
  csrw pmpaddr0, t0
  li t0, CFG(0, PMP_NA4)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 16
  TRAP_BEGIN
  lw a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  TEST_CASE 12
  la a1, region + 12
  lw a0, 0(a1)
  lw a0, 8(a1)
  RETURN_TO_M
  // An access that entry 0 matches only in part fails, even with RWX.
  TEST_CASE 13
  li t0, CFG(0, PMP_NA4 | PMP_R | PMP_W | PMP_X)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 16
  lw a0, 0(a1)                        // whole access inside: allowed
  TRAP_BEGIN
  ld a0, 0(a1)                        // bytes 16..23, entry covers 16..19
  TRAP_END CAUSE_LOAD_ACCESS
  RETURN_TO_M

  // X: fetching from a region without X faults (cause 1, tval = epc =
  // the target).
  TEST_CASE 14
  la a1, pmp_code_page
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_W)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, pmp_code_page
  TRAP_BEGIN
  jalr ra, 0(a1)
  TRAP_END_ANY_EPC CAUSE_FETCH_ACCESS
  FAIL_IF_NE t5, a1
  FAIL_IF_NE t6, a1
  ld a0, 0(a1)                        // R is still allowed
  RETURN_TO_M
  TEST_CASE 15
  li t0, CFG(0, PMP_NAPOT | PMP_X)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, pmp_code_page
  jalr ra, 0(a1)                      // returns a0 = 0x5a
  EXPECT_EQ a0, 0x5a
  RETURN_TO_M

  // No matching entry: M succeeds, S and U fail. Entry 14 (TOR from 0)
  // keeps everything below `region` usable; entry 15 is turned off.
  TEST_CASE 16
  csrw pmpcfg0, zero
  la a1, region
  srli t0, a1, 2
  csrw pmpaddr14, t0
  li t0, CFG(6, PMP_TOR | PMP_R | PMP_W | PMP_X)
  csrw pmpcfg2, t0                    // entry 14 on, entry 15 off
  la a1, region + 4096
  ld a0, 0(a1)                        // M, no match: allowed
  ENTER_MODE PRV_S, 1f
1:
  ld a0, -8(sp)                       // S, entry 14: allowed
  la a1, region + 4096
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  TEST_CASE 17
  ENTER_MODE PRV_U, 1f
1:
  la a1, region + 8
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  li t0, CFG(7, PMP_NAPOT | PMP_R | PMP_W | PMP_X)
  csrw pmpcfg2, t0                    // the runtime's catch-all again

  // MPRV: M's loads and stores are checked as MPP's (here S).
  TEST_CASE 18
  la a1, region
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, CFG(0, PMP_NAPOT)
  csrw pmpcfg0, t0
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_S << 11) | MSTATUS_MPRV
  csrs mstatus, t0
  la a1, region + 40
  TRAP_BEGIN
  ld a0, 0(a1)
  TRAP_END CAUSE_LOAD_ACCESS
  FAIL_IF_NE t5, a1
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  ld a0, 0(a1)                        // MPRV off: M again, allowed

  // Lock: a locked entry binds M-mode too.
  TEST_CASE 19
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_L)
  csrw pmpcfg0, t0
  la a1, region + 8
  ld a0, 0(a1)
  TRAP_BEGIN
  sd a0, 0(a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  // Its pmpcfg byte and pmpaddr ignore writes; other bytes still change.
  TEST_CASE 20
  csrr a2, pmpaddr0
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_W | PMP_X) | CFG(1, PMP_NAPOT | PMP_R)
  csrw pmpcfg0, t0
  csrr a0, pmpcfg0
  andi a3, a0, 0xff
  EXPECT_EQ a3, PMP_NAPOT | PMP_R | PMP_L
  srli a3, a0, 8
  andi a3, a3, 0xff
  EXPECT_EQ a3, PMP_NAPOT | PMP_R
  csrw pmpaddr0, zero
  csrr a0, pmpaddr0
  EXPECT_REG a0, a2
  TEST_CASE 21
  la a1, region + 8
  TRAP_BEGIN
  sd a0, 0(a1)                        // still read-only for M
  TRAP_END CAUSE_STORE_ACCESS
  // A locked TOR entry also locks the pmpaddr below it.
  TEST_CASE 22
  la a1, region + 4096
  srli t0, a1, 2
  csrw pmpaddr2, t0
  addi t0, t0, 1024                   // + 4 KiB
  csrw pmpaddr3, t0
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_L) | CFG(3, PMP_TOR | PMP_R | PMP_L)
  csrw pmpcfg0, t0
  csrr a2, pmpaddr2
  csrw pmpaddr2, zero
  csrr a0, pmpaddr2
  EXPECT_REG a0, a2
  la a1, region + 4096 + 16
  ld a0, 0(a1)
  TRAP_BEGIN
  sd a0, 0(a1)                        // M, locked TOR, read-only
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1

  // AMOs report store/AMO access faults, also where R is missing or only W
  // is (privileged spec: AMOs raise store/AMO exceptions). QEMU 7.2 reports
  // a load access fault when R is missing. Entry 4, NAPOT over the third
  // page.
  TEST_CASE 23
  la a1, region + 8192
  srli t0, a1, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr4, t0
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_L) | CFG(3, PMP_TOR | PMP_R | PMP_L) | CFG(4, PMP_NAPOT)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 8192 + 64
  TRAP_BEGIN
  amoadd.d a0, a0, (a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  TEST_CASE 24
  li t0, CFG(0, PMP_NAPOT | PMP_R | PMP_L) | CFG(3, PMP_TOR | PMP_R | PMP_L) | CFG(4, PMP_NAPOT | PMP_R)
  csrw pmpcfg0, t0
  ENTER_MODE PRV_S, 1f
1:
  la a1, region + 8192 + 8
  TRAP_BEGIN
  amoswap.w a0, a0, (a1)
  TRAP_END CAUSE_STORE_ACCESS
  FAIL_IF_NE t5, a1
  RETURN_TO_M
  mv ra, s0
  ret

  .balign 4096
pmp_code_page:
  li a0, 0x5a
  ret
  .balign 4096
