/*
 * h-translate: two-stage address translation (privileged spec 1.12, 8.5).
 * The G-stage (Sv39x4, 16 KiB root) maps guest-physical memory with 1 GiB,
 * 2 MiB and 4 KiB leaves; the VS-stage (Sv39) maps guest virtual addresses
 * with 1 GiB, 2 MiB and 4 KiB leaves onto them, so every page size is used at
 * each stage. Checked: HLV/HSV through both stages from M-mode, plain loads
 * and stores from VS-mode, guest-page faults for fetch, load and store with
 * the exact mtval2 (GPA >> 2), mtval (the guest virtual address) and
 * mstatus.GVA, a guest-page fault on an implicit VS-stage PTE read (mtval2 =
 * that PTE's GPA >> 2), VS-stage page faults, hstatus.SPVP, HLVX, every
 * HFENCE.GVMA and HFENCE.VVMA form, SFENCE.VMA in VS-mode, and MPRV with MPV.
 * A and D are preset in every leaf, so no walk writes a PTE.
 */
#include "hyp.h"

/* Physical layout (RAM from 0x8000_0000; the program is far below 0x8010_0000). */
#define G_ROOT   0x80100000   /* 16 KiB, 16 KiB aligned */
#define G_L1     0x80104000
#define G_L0     0x80105000
#define VS_ROOT  0x80110000
#define VS_L1    0x80111000
#define VS_L0    0x80112000
#define PAGE_2M  0x80200000   /* the G-stage 2 MiB leaf's page */
#define PAGE_RW  0x80300000   /* G-stage 4 KiB leaves: read/write, read-only, no U */
#define PAGE_RO  0x80301000
#define PAGE_NOU 0x80302000
#define PAGE_NEW 0x80304000   /* where remapped entries point */

/* Guest-physical addresses. */
#define GPA_2M   0x100000000  /* -> PAGE_2M (G 2 MiB) */
#define GPA_RW   0x100200000  /* -> PAGE_RW (G 4 KiB) */
#define GPA_RO   0x100201000
#define GPA_NOU  0x100202000
#define GPA_NONE 0x100203000  /* G-stage invalid */

/* Guest virtual addresses (VS-stage). */
#define GVA_1G   0x40000000   /* VS 1 GiB -> GPA_2M */
#define GVA_2M   0x00200000   /* VS 2 MiB -> GPA_RW.. */
#define GVA_4K   0x00400000   /* VS 4 KiB -> GPA 0x8030_0000 = PAGE_RW (G 1 GiB) */
#define GVA_PTEFAULT 0x00600000 /* its level-0 table is at GPA_NONE */
#define GVA_NONE 0x00800000   /* VS-stage invalid */

#define G_LEAF   (PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
#define G_RW     (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
#define G_RO     (PTE_V | PTE_R | PTE_U | PTE_A)
#define G_NOU    (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define VS_LEAF  (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define PTE(pa, flags) ((((pa) >> 12) << 10) | (flags))

/* Stores the 64-bit value at the physical address. */
.macro PUT addr, value
  li a6, \addr
  li a7, \value
  sd a7, 0(a6)
.endm

/* The last trap's mtval2 must be `value`. */
.macro EXPECT_MTVAL2 value
  la s11, trap_mtval2
  ld s11, 0(s11)
  li s10, \value
  FAIL_IF_NE s11, s10
.endm

/* The last trap's mstatus.GVA must be `gva` (0 or 1). */
.macro EXPECT_GVA gva
  la s11, trap_mstatus
  ld s11, 0(s11)
  srli s11, s11, 38
  andi s11, s11, 1
  li s10, \gva
  FAIL_IF_NE s11, s10
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  USE_HYP_M_HANDLER

  TEST_CASE 1
  csrr a0, misa
  andi a0, a0, MISA_H
  EXPECT_EQ a0, MISA_H

  // G-stage tables.
  PUT G_ROOT + 2 * 8, PTE(0x80000000, G_LEAF)
  PUT G_ROOT + 4 * 8, PTE(G_L1, PTE_V)
  PUT G_L1 + 0 * 8, PTE(PAGE_2M, G_LEAF)
  PUT G_L1 + 1 * 8, PTE(G_L0, PTE_V)
  PUT G_L0 + 0 * 8, PTE(PAGE_RW, G_RW)
  PUT G_L0 + 1 * 8, PTE(PAGE_RO, G_RO)
  PUT G_L0 + 2 * 8, PTE(PAGE_NOU, G_NOU)
  // VS-stage tables (guest-physical = physical below 0xC000_0000).
  PUT VS_ROOT + 2 * 8, PTE(0x80000000, VS_LEAF)
  PUT VS_ROOT + 1 * 8, PTE(GPA_2M, VS_LEAF)
  PUT VS_ROOT + 0 * 8, PTE(VS_L1, PTE_V)
  PUT VS_L1 + 1 * 8, PTE(GPA_RW, VS_LEAF)
  PUT VS_L1 + 2 * 8, PTE(VS_L0, PTE_V)
  PUT VS_L1 + 3 * 8, PTE(GPA_NONE, PTE_V)
  PUT VS_L0 + 0 * 8, PTE(PAGE_RW, VS_LEAF)
  // Data.
  PUT PAGE_2M + 0x10, 0x2020202020202020
  PUT PAGE_RW, 0x4040404040404040
  PUT PAGE_RO, 0x5050505050505050
  PUT PAGE_NEW, 0x6060606060606060
  la a0, plain
  li a1, 0x1010101010101010
  sd a1, 0(a0)

  li a0, HGATP_MODE_SV39X4 | (G_ROOT >> 12)
  csrw CSR_HGATP, a0
  csrw CSR_VSATP, zero
  li a0, HSTATUS_SPVP
  csrw CSR_HSTATUS, a0
  HFENCE_GVMA zero, zero

  // HLV through the G-stage alone (VS-stage Bare): 1 GiB, 2 MiB and 4 KiB G-stage leaves.
  TEST_CASE 2
  la a2, plain
  HLV_D a1, a2
  EXPECT_EQ a1, 0x1010101010101010
  TEST_CASE 3
  li a2, GPA_2M + 0x10
  HLV_D a1, a2
  EXPECT_EQ a1, 0x2020202020202020
  TEST_CASE 4
  li a2, GPA_RW
  HLV_D a1, a2
  EXPECT_EQ a1, 0x4040404040404040
  li a0, 0x4141
  HSV_H a0, a2
  HLV_HU a1, a2
  EXPECT_EQ a1, 0x4141
  li a6, PAGE_RW
  lhu a1, 0(a6)
  EXPECT_EQ a1, 0x4141

  // Guest-page faults: mtval = the guest address, mtval2 = GPA >> 2, GVA = 1.
  TEST_CASE 5
  li a2, GPA_RO + 8
  TRAP_BEGIN
  HSV_D a0, a2
  TRAP_END CAUSE_STORE_GUEST_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 (GPA_RO + 8) >> 2
  TEST_CASE 6
  li a2, GPA_NOU + 0x10
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 (GPA_NOU + 0x10) >> 2
  TEST_CASE 7
  li a2, GPA_NONE + 8
  TRAP_BEGIN
  HLV_W a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  EXPECT_MTVAL2 (GPA_NONE + 8) >> 2
  // A guest-physical address of 41 bits or more.
  TEST_CASE 8
  li a2, 1 << 41
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  EXPECT_MTVAL2 (1 << 39)
  // The read-only G-stage page is readable.
  TEST_CASE 10
  li a2, GPA_RO
  HLV_D a1, a2
  EXPECT_EQ a1, 0x5050505050505050

  // An instruction fetch in VS-mode from a G-stage page without X.
  TEST_CASE 11
  la t3, 1f
  ori t3, t3, 1
  li s11, MSTATUS_MPP
  csrc mstatus, s11
  li s11, (PRV_S << 11) | MSTATUS_MPV
  csrs mstatus, s11
  li s11, GPA_RW + 0x40
  csrw mepc, s11
  mret
  j fail
1:
  EXPECT_EQ t4, CAUSE_FETCH_GUEST_PAGE_FAULT
  EXPECT_EQ t6, GPA_RW + 0x40
  EXPECT_MTVAL2 (GPA_RW + 0x40) >> 2
  EXPECT_GVA 1

  // Both stages: VS-stage Sv39.
  li a0, SATP_MODE_SV39 | (VS_ROOT >> 12)
  csrw CSR_VSATP, a0
  HFENCE_VVMA zero, zero
  TEST_CASE 12   // VS 1 GiB, G 2 MiB
  li a2, GVA_1G + 0x10
  HLV_D a1, a2
  EXPECT_EQ a1, 0x2020202020202020
  TEST_CASE 13   // VS 2 MiB, G 4 KiB
  li a2, GVA_2M
  HLV_D a1, a2
  li a3, 0x4040404040404141
  FAIL_IF_NE a1, a3
  TEST_CASE 14   // VS 4 KiB, G 1 GiB
  li a2, GVA_4K
  HLV_D a1, a2
  FAIL_IF_NE a1, a3
  TEST_CASE 15   // a G-stage fault after a VS-stage 2 MiB leaf: mtval the GVA, mtval2 the GPA
  li a2, GVA_2M + 0x3008
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 (GPA_NONE + 8) >> 2
  TEST_CASE 16   // ... for a store to the read-only page
  li a2, GVA_2M + 0x1000
  TRAP_BEGIN
  HSV_W a1, a2
  TRAP_END CAUSE_STORE_GUEST_PAGE_FAULT
  EXPECT_MTVAL2 GPA_RO >> 2
  TEST_CASE 17   // an implicit VS-stage PTE read the G-stage refuses: mtval2 = that PTE's GPA >> 2
  li a2, GVA_PTEFAULT + 0x18
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 GPA_NONE >> 2
  // VS-mode itself: code at 0x8000_0000 through VS 1 GiB and G 1 GiB leaves.
  ENTER_VIRTUAL PRV_S, 1f
1:
  TEST_CASE 20
  li a2, GVA_1G + 0x10
  ld a1, 0(a2)
  EXPECT_EQ a1, 0x2020202020202020
  li a2, GVA_4K
  ld a1, 0(a2)
  li a3, 0x4040404040404141
  FAIL_IF_NE a1, a3
  TEST_CASE 21   // a store guest-page fault from VS-mode goes to M with MPV = 1
  li a2, GVA_2M + 0x1008
  TRAP_BEGIN
  sd a1, 0(a2)
  TRAP_END CAUSE_STORE_GUEST_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 (GPA_RO + 8) >> 2
  EXPECT_GVA 1
  la s11, trap_mstatus
  ld s11, 0(s11)
  srli s11, s11, 39
  andi s11, s11, 1
  EXPECT_EQ s11, 1
  TEST_CASE 22   // SFENCE.VMA in VS-mode orders the guest's own page-table change
  li a6, VS_L0
  li a7, PTE(PAGE_NEW, VS_LEAF)
  sd a7, 0(a6)
  sfence.vma
  li a2, GVA_4K
  ld a1, 0(a2)
  EXPECT_EQ a1, 0x6060606060606060
  li a7, PTE(PAGE_RW, VS_LEAF)
  sd a7, 0(a6)
  sfence.vma a2, zero
  ld a1, 0(a2)
  li a3, 0x4040404040404141
  FAIL_IF_NE a1, a3
  RETURN_TO_M

  // HFENCE.GVMA in its four forms, after remapping the G-stage 4 KiB leaf (VS-stage Bare).
  csrw CSR_VSATP, zero
  li s1, G_L0
  li s2, PTE(PAGE_NEW, G_RW)
  li s3, PTE(PAGE_RW, G_RW)
  li s4, GPA_RW
  li s5, GPA_RW >> 2
  li s6, 0x6060606060606060
  li s7, 0x4040404040404141
  HLV_D a1, s4    // (fill any cache)
  TEST_CASE 23
  sd s2, 0(s1)
  HFENCE_GVMA zero, zero
  HLV_D a1, s4
  FAIL_IF_NE a1, s6
  TEST_CASE 24
  sd s3, 0(s1)
  HFENCE_GVMA s5, zero
  HLV_D a1, s4
  FAIL_IF_NE a1, s7
  TEST_CASE 25
  sd s2, 0(s1)
  HFENCE_GVMA zero, zero   // vmid 0 is the only VMID here: x0 and a register holding 0 agree
  li a4, 0
  HFENCE_GVMA zero, a4
  HLV_D a1, s4
  FAIL_IF_NE a1, s6
  TEST_CASE 26
  sd s3, 0(s1)
  HFENCE_GVMA s5, a4
  HLV_D a1, s4
  FAIL_IF_NE a1, s7

  // HFENCE.VVMA in its four forms, after remapping the VS-stage 4 KiB leaf.
  li a0, SATP_MODE_SV39 | (VS_ROOT >> 12)
  csrw CSR_VSATP, a0
  li s1, VS_L0
  li s2, PTE(PAGE_NEW, VS_LEAF)
  li s3, PTE(PAGE_RW, VS_LEAF)
  li s4, GVA_4K
  HLV_D a1, s4
  TEST_CASE 27
  sd s2, 0(s1)
  HFENCE_VVMA zero, zero
  HLV_D a1, s4
  FAIL_IF_NE a1, s6
  TEST_CASE 28
  sd s3, 0(s1)
  HFENCE_VVMA s4, zero
  HLV_D a1, s4
  FAIL_IF_NE a1, s7
  TEST_CASE 29
  sd s2, 0(s1)
  li a4, 0
  HFENCE_VVMA zero, a4
  HLV_D a1, s4
  FAIL_IF_NE a1, s6
  TEST_CASE 30
  sd s3, 0(s1)
  HFENCE_VVMA s4, a4
  HLV_D a1, s4
  FAIL_IF_NE a1, s7

  // MPRV with MPV = 1 and MPP = S: M-mode loads translate as VS-mode's.
  TEST_CASE 31
  li a0, MSTATUS_MPP
  csrc mstatus, a0
  li a0, MSTATUS_MPRV | MSTATUS_MPV | (PRV_S << 11)
  csrs mstatus, a0
  li a2, GVA_1G + 0x10
  ld a1, 0(a2)
  li a0, MSTATUS_MPRV | MSTATUS_MPV
  csrc mstatus, a0
  EXPECT_EQ a1, 0x2020202020202020

  // Last, where QEMU 7.2 departs from the manual. A VS-stage page fault of an HLV
  // from M-mode is a page fault (QEMU 7.2 raises a load access fault, cause 5).
  TEST_CASE 40   // a VS-stage page fault: mtval2 = 0, GVA = 1
  li a2, GVA_NONE
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  FAIL_IF_NE t5, a2
  EXPECT_MTVAL2 0
  TEST_CASE 41   // SPVP = 0: HLV accesses as VU, and the VS leaves have no U
  csrw CSR_HSTATUS, zero
  li a2, GVA_4K
  TRAP_BEGIN
  HLV_D a1, a2
  TRAP_END CAUSE_LOAD_PAGE_FAULT
  li a0, HSTATUS_SPVP
  csrw CSR_HSTATUS, a0

  // HLVX needs X at the G-stage too (QEMU 7.2 checks it only at the VS-stage), and a
  // guest-page fault of an HLV from M-mode sets mstatus.GVA (QEMU 7.2 sets GVA only for
  // traps from V = 1).
  csrw CSR_VSATP, zero
  HFENCE_VVMA zero, zero
  TEST_CASE 42
  li a2, GPA_RW
  TRAP_BEGIN
  HLVX_WU a1, a2
  TRAP_END CAUSE_LOAD_GUEST_PAGE_FAULT
  EXPECT_MTVAL2 GPA_RW >> 2
  TEST_CASE 43
  li a2, GPA_RO + 8
  TRAP_BEGIN
  HSV_D a0, a2
  TRAP_END CAUSE_STORE_GUEST_PAGE_FAULT
  EXPECT_GVA 1

  csrw CSR_HGATP, zero
  csrw CSR_VSATP, zero
  csrw CSR_HSTATUS, zero
  HFENCE_GVMA zero, zero
  mv ra, s0
  ret

  .data
  .balign 8
plain: .dword 0
