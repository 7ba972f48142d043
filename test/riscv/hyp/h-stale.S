/*
 * h-stale: a hypervisor that changes a G-stage leaf and forgets HFENCE.GVMA.
 * What the load in between reads is up to the implementation (privileged
 * spec 1.12, 8.3.2: the old or the new translation), so the verdict does not
 * depend on it; the emulator's strict TLB mode must report that load as a
 * stale G-stage translation (test/emulator/hyp.test.ts), and after the fence
 * the new mapping must be used.
 */
#include "hyp.h"

#define G_ROOT   0x80100000
#define G_L1     0x80104000
#define G_L0     0x80105000
#define PAGE_OLD 0x80300000
#define PAGE_NEW 0x80304000
#define GPA_PAGE 0x100200000
#define G_RW     (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
#define PTE(pa, flags) ((((pa) >> 12) << 10) | (flags))

.macro PUT addr, value
  li a6, \addr
  li a7, \value
  sd a7, 0(a6)
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

  PUT G_ROOT + 4 * 8, PTE(G_L1, PTE_V)
  PUT G_L1 + 1 * 8, PTE(G_L0, PTE_V)
  PUT G_L0, PTE(PAGE_OLD, G_RW)
  PUT PAGE_OLD, 0x1111
  PUT PAGE_NEW, 0x2222
  li a0, HGATP_MODE_SV39X4 | (G_ROOT >> 12)
  csrw CSR_HGATP, a0
  csrw CSR_VSATP, zero
  HFENCE_GVMA zero, zero

  TEST_CASE 2
  li a2, GPA_PAGE
  HLV_D a1, a2
  EXPECT_EQ a1, 0x1111
  // The forgotten fence: remap, then load with no HFENCE.GVMA (either value is allowed).
  PUT G_L0, PTE(PAGE_NEW, G_RW)
  HLV_D a1, a2
  TEST_CASE 3
  HFENCE_GVMA zero, zero
  HLV_D a1, a2
  EXPECT_EQ a1, 0x2222

  csrw CSR_HGATP, zero
  HFENCE_GVMA zero, zero
  mv ra, s0
  ret
