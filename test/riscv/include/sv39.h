/*
 * sv39.h — page tables shared by the sv39-* programs (privileged spec 4.4).
 *
 * SV39_SETUP (M-mode) builds, in .bss:
 *  - root_s: VA 0x8000_0000..0xBFFF_FFFF identity, one 1 GiB leaf, RWX+A+D,
 *    not U, so S runs the program and edits the tables in place; root_u is
 *    the same with U set, for U-mode cases (S may not execute U pages).
 *  - In both roots, VA 0x4000_0000 (root index 1) -> l1_test:
 *      l1_test[0] -> l0_test, whose entries the cases fill (TEST_VA(i) =
 *        0x4000_0000 + i * 4 KiB, usually mapped to page_i);
 *      l1_test[1] is a 2 MiB leaf VA 0x4020_0000 -> PA SUPERPAGE_PA.
 *  - root index 0: a 1 GiB leaf VA 0 -> PA 0x8000_0000 (GIGA_VA(sym) is the
 *    alias of a program symbol there).
 * then sets satp = Sv39(root_s), ASID 0, and runs SFENCE.VMA.
 * Cases switch to S (or U with SATP_USE root_u) with ENTER_MODE.
 */
#ifndef HVSPEC_SV39_H
#define HVSPEC_SV39_H

#define TEST_VA(i)     (0x40000000 + (i) * 4096)
#define SUPER_VA       0x40200000
#define SUPERPAGE_PA   0x80400000
#define GIGA_VA(pa)    ((pa) - 0x80000000)
#define LEAF_RWX_AD    (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define LEAF_RW_AD     (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

/* s10 = the PTE for physical address in `pa_reg` with `flags` (<= 0x3ff). */
.macro MAKE_PTE pa_reg, flags
  srli s10, \pa_reg, 12
  slli s10, s10, 10
  ori s10, s10, \flags
.endm

/* table[index] = leaf for the physical address in pa_reg. Clobbers s10, s11. */
.macro SET_LEAF table, index, pa_reg, flags
  MAKE_PTE \pa_reg, \flags
  la s11, \table + (\index) * 8
  sd s10, 0(s11)
.endm

/* table[index] = pointer to the table `next`. Clobbers t0, s10, s11. */
.macro SET_POINTER table, index, next
  la t0, \next
  MAKE_PTE t0, PTE_V
  la s11, \table + (\index) * 8
  sd s10, 0(s11)
.endm

/* l0_test[i] = leaf TEST_VA(i) -> page_i with flags; no fence. */
.macro MAP_TEST_PAGE i, flags
  la t0, page_\i
  SET_LEAF l0_test, \i, t0, \flags
.endm

/* satp = Sv39 with the given root table and ASID; clobbers t0, t1. */
.macro SATP_USE root, asid
  la t0, \root
  srli t0, t0, 12
  li t1, SATP_MODE_SV39 | ((\asid) << 44)
  or t0, t0, t1
  csrw satp, t0
.endm

.macro SV39_SETUP
  li t0, 0x80000000
  SET_LEAF root_s, 2, t0, LEAF_RWX_AD
  SET_LEAF root_u, 2, t0, LEAF_RWX_AD | PTE_U
  SET_LEAF root_s, 0, t0, LEAF_RW_AD
  SET_LEAF root_u, 0, t0, LEAF_RW_AD | PTE_U
  SET_POINTER root_s, 1, l1_test
  SET_POINTER root_u, 1, l1_test
  SET_POINTER l1_test, 0, l0_test
  li t0, SUPERPAGE_PA
  SET_LEAF l1_test, 1, t0, LEAF_RW_AD
  SATP_USE root_s, 0
  sfence.vma
.endm

/* The tables and the four data pages. */
.macro SV39_DATA
  .bss
  .balign 4096
  .globl root_s, root_u, l1_test, l0_test, page_0, page_1, page_2, page_3
root_s:  .space 4096
root_u:  .space 4096
l1_test: .space 4096
l0_test: .space 4096
page_0:  .space 4096
page_1:  .space 4096
page_2:  .space 4096
page_3:  .space 4096
.endm

#endif
