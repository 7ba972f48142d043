/*
 * sv39-loop-guest: the emulator benchmark as a guest. M-mode builds a
 * G-stage (Sv39x4 through hgatp, 16 KiB root, VMID 1) and a VS-stage (Sv39
 * through vsatp) that both map the first 2 MiB of RAM identity with 4 KiB
 * pages, enters VS-mode (MPV = 1, MPP = S) and runs the same workload()
 * (bench/workload.c) for the same iterations as sv39-loop, so every fetch,
 * load and store goes through two-stage translation. Passes only if the
 * checksum is sv39-loop's (QEMU's value), printed in hex.
 */
#include "hyp.h"

#define BENCH_ITERATIONS 2000000
#define BENCH_CHECKSUM   0x7f8eb3012ce64755

// G-stage leaves must have U (8.5.1); VS-stage leaves are supervisor pages. A and D are
// preset so no walk writes a PTE.
#define G_LEAF  (PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
#define VS_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* Points entry `index` of table `table` at table `next` (a non-leaf PTE). */
.macro LINK table, index, next
  la t0, \table
  la t1, \next
  srli t1, t1, PAGE_SHIFT
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, (\index * 8)(t0)
.endm

/* Fills the 512 entries of level-0 table `table` with identity leaves from 0x8000_0000. */
.macro FILL_L0 table, flags
  la t0, \table
  li t1, 0x80000000 >> PAGE_SHIFT
  slli t1, t1, 10
  ori t1, t1, \flags
  li t2, 512
  li t4, 1 << 10              // one page in PTE.PPN units
1:
  sd t1, 0(t0)
  add t1, t1, t4
  addi t0, t0, 8
  addi t2, t2, -1
  bnez t2, 1b
.endm

  .text
  .globl test_main
test_main:
  // G-stage: GPA 0x8000_0000 >> 30 = root entry 2 (of 2048); level 1 entry 0.
  LINK g_root, 2, g_l1
  LINK g_l1, 0, g_l0
  FILL_L0 g_l0, G_LEAF
  // VS-stage: GVA 0x8000_0000 -> root entry 2; its tables are guest-physical = physical here.
  LINK vs_root, 2, vs_l1
  LINK vs_l1, 0, vs_l0
  FILL_L0 vs_l0, VS_LEAF

  la t0, g_root
  srli t0, t0, PAGE_SHIFT
  li t1, HGATP_MODE_SV39X4 | (1 << 44)   // VMID 1 (hgatp.VMID is bits 57:44)
  or t0, t0, t1
  csrw CSR_HGATP, t0
  la t0, vs_root
  srli t0, t0, PAGE_SHIFT
  li t1, SATP_MODE_SV39
  or t0, t0, t1
  csrw CSR_VSATP, t0
  HFENCE_GVMA x0, x0
  HFENCE_VVMA x0, x0
  li gp, 2                    // a wrong checksum fails test 2
  ENTER_VIRTUAL PRV_S, guest_entry

guest_entry:
  li a0, BENCH_ITERATIONS
  call workload
  mv s0, a0
  call print_hex
  li a0, '\n'
  call putchar
  li t0, BENCH_CHECKSUM
  bne s0, t0, fail
  j pass

  .bss
  .balign 16384
g_root:
  .space 16384
g_l1:
  .space 4096
g_l0:
  .space 4096
vs_root:
  .space 4096
vs_l1:
  .space 4096
vs_l0:
  .space 4096
