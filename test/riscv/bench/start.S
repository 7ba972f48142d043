/*
 * sv39-loop: the emulator benchmark. M-mode maps the first 2 MiB of RAM
 * (everything the program uses) with 4 KiB Sv39 pages, identity, enters
 * S-mode with paging on, runs workload() (bench/workload.c) for
 * BENCH_ITERATIONS iterations and passes only if the checksum equals
 * BENCH_CHECKSUM, the value QEMU computed. The checksum is printed in hex.
 * Instruction count: see README.md.
 */
#include "test.h"

// sv39-loop-long (the Makefile) overrides both: the same program run longer, so the
// QEMU comparison can time the difference of two run lengths without QEMU's start-up.
#ifndef BENCH_ITERATIONS
#define BENCH_ITERATIONS 2000000
#define BENCH_CHECKSUM   0x7f8eb3012ce64755
#endif

  .text
  .globl test_main
test_main:
  // Level 2 (root): entry 2 covers VA 0x8000_0000..0xBFFF_FFFF -> level 1.
  la t0, page_table_root
  la t1, page_table_l1
  srli t1, t1, PAGE_SHIFT
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, (2 * 8)(t0)
  // Level 1: entry 0 covers 0x8000_0000..0x801F_FFFF -> level 0.
  la t0, page_table_l1
  la t1, page_table_l0
  srli t1, t1, PAGE_SHIFT
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, 0(t0)
  // Level 0: 512 leaves, VA = PA, RWX with A and D preset so the walker
  // never has to update them.
  la t0, page_table_l0
  li t1, 0x80000000 >> PAGE_SHIFT
  slli t1, t1, 10
  ori t1, t1, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  li t2, 512
  li t4, 1 << 10              // one page in PTE.PPN units
1:
  sd t1, 0(t0)
  add t1, t1, t4
  addi t0, t0, 8
  addi t2, t2, -1
  bnez t2, 1b

  la t0, page_table_root
  srli t0, t0, PAGE_SHIFT
  li t1, SATP_MODE_SV39
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  li gp, 2                    // a wrong checksum fails test 2
  ENTER_MODE PRV_S, supervisor_entry

supervisor_entry:
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
  .balign 4096
page_table_root:
  .space 4096
page_table_l1:
  .space 4096
page_table_l0:
  .space 4096
