/*
 * runtime.S — start-up, trap handlers and HTIF reporting shared by every
 * test program (contract in include/test.h).
 */
#include "test.h"

  .section .text.init, "ax"
  .globl _start
_start:
  la sp, stack_top
  la t0, m_trap_handler
  csrw mtvec, t0
  // PMP entry 15 (lowest priority) grants S and U all of memory; without a
  // matching entry they could do nothing (privileged spec 3.7.1). PMP tests
  // use entries 0..14 and may clear this one.
  li t0, -1
  csrw pmpaddr15, t0
  li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
  csrw pmpcfg2, t0
  li t3, 0
  li gp, 1
  call test_main
  j pass

  .text
/*
 * Machine-mode trap handler (mtvec direct). Uses only t3..t6: t3 says
 * where to resume (0 = trap not expected); see test.h.
 */
  .balign 4
  .globl m_trap_handler
m_trap_handler:
  beqz t3, m_unexpected
  andi t4, t3, 1
  beqz t4, 1f
  li t4, MSTATUS_MPP          // resume in M-mode
  csrs mstatus, t4
1:
  andi t3, t3, -2
  csrr t6, mepc
  csrw mepc, t3
  csrr t4, mcause
  csrr t5, mtval
  li t3, 0
  mret
m_unexpected:
  csrr t4, mcause
  csrr t5, mtval
  csrr t6, mepc
  li t3, MSTATUS_MPRV         // so the tohost store below is physical
  csrc mstatus, t3
  j fail

/* Supervisor-mode trap handler (stvec direct); the same protocol as above. */
  .balign 4
  .globl s_trap_handler
s_trap_handler:
  beqz t3, s_unexpected
  andi t4, t3, 1
  beqz t4, 1f
  li t4, MSTATUS_SPP          // resume in S-mode
  csrs sstatus, t4
1:
  andi t3, t3, -2
  csrr t6, sepc
  csrw sepc, t3
  csrr t4, scause
  csrr t5, stval
  li t3, 0
  sret
s_unexpected:
  csrr t4, scause
  csrr t5, stval
  csrr t6, sepc
  j fail

/* Ends the run: tohost = (gp << 1) | 1, i.e. test gp failed. First prints
 * "FAIL <gp> <t4> <t5> <t6>" (test number, then cause, tval and epc of
 * the last trap) to help whoever reads the log. */
  .globl fail
fail:
  mv s10, t4
  mv s11, t5
  la a0, fail_message
  call print_string
  mv a0, gp
  call print_hex
  mv a0, s10
  call print_space_hex
  mv a0, s11
  call print_space_hex
  mv a0, t6
  call print_space_hex
  li a0, '\n'
  call putchar
  slli t0, gp, 1
  ori t0, t0, 1
  la t1, tohost
  sd t0, 0(t1)
1:
  j 1b

  .globl print_space_hex
print_space_hex:
  addi sp, sp, -16
  sd ra, 8(sp)
  sd a0, 0(sp)
  li a0, ' '
  call putchar
  ld a0, 0(sp)
  call print_hex
  ld ra, 8(sp)
  addi sp, sp, 16
  ret

/* print_string(a0): prints the NUL-terminated string at a0. */
  .globl print_string
print_string:
  addi sp, sp, -16
  sd ra, 8(sp)
  sd s0, 0(sp)
  mv s0, a0
1:
  lbu a0, 0(s0)
  beqz a0, 2f
  call putchar
  addi s0, s0, 1
  j 1b
2:
  ld s0, 0(sp)
  ld ra, 8(sp)
  addi sp, sp, 16
  ret

/* Ends the run: tohost = 1, i.e. every test passed. */
  .globl pass
pass:
  li t0, 1
  la t1, tohost
  sd t0, 0(t1)
1:
  j 1b

/* putchar(a0): prints the low byte of a0 through HTIF device 1 command 1,
 * waiting for the host to clear tohost. Clobbers t0, t1. */
  .globl putchar
putchar:
  la t0, tohost
1:
  ld t1, 0(t0)
  bnez t1, 1b
  li t1, (1 << 56) | (1 << 48)
  andi a0, a0, 0xff
  or t1, t1, a0
  sd t1, 0(t0)
2:
  ld t1, 0(t0)
  bnez t1, 2b
  sd zero, 8(t0)              // fromhost: acknowledge the host's reply
  ret

/* print_hex(a0): prints a0 as 16 hex digits. Clobbers a0..a2, t0, t1. */
  .globl print_hex
print_hex:
  addi sp, sp, -16
  sd ra, 8(sp)
  mv a1, a0
  li a2, 60
1:
  srl a0, a1, a2
  andi a0, a0, 15
  li t0, 10
  blt a0, t0, 2f
  addi a0, a0, 'a' - '0' - 10
2:
  addi a0, a0, '0'
  call putchar
  addi a2, a2, -4
  bgez a2, 1b
  ld ra, 8(sp)
  addi sp, sp, 16
  ret

  .section .rodata
fail_message:
  .asciz "FAIL "

/* HTIF mailboxes, 8 bytes each and alone in their section (see link.ld). */
  .section .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost:
  .dword 0
  .size tohost, 8
  .globl fromhost
fromhost:
  .dword 0
  .size fromhost, 8

  .bss
  .balign 16
stack:
  .space 8192
  .globl stack_top
stack_top:
