/* S-mode payload (builtin SBI or OpenSBI). The boot hart starts every other
 * hart with HSM hart_start (hart ids upward until the firmware answers
 * SBI_ERR_INVALID_PARAM), each with opaque = 0x100 + its id. A started hart
 * checks a0, a1 and satp = 0, counts itself in `arrived`, and stops with
 * hart_stop. The boot hart waits until every started hart reads STOPPED
 * through hart_get_status, prints "hsm ok <harts>" and shuts down with
 * reason 0, or 1 (system failure) on any mismatch. */
#include "board.h"
#define SBI_ERR_INVALID_PARAM -3
  .section .text.init
  .globl _start
_start:
  mv s0, a0                 /* boot hart */
  li s1, 0                  /* harts started */
  li s2, 0                  /* candidate id */
start_next:
  li t0, 8
  beq s2, t0, all_started
  beq s2, s0, skip
  mv a0, s2
  la a1, secondary
  addi a2, s2, 0x100
  li a6, 0
  li a7, SBI_EXT_HSM
  ecall
  li t0, SBI_ERR_INVALID_PARAM
  beq a0, t0, all_started
  bnez a0, fail
  addi s1, s1, 1
skip:
  addi s2, s2, 1
  j start_next
all_started:
  la t1, arrived
1:ld t2, 0(t1)
  bne t2, s1, 1b
  li s3, 0
status_next:
  beq s3, s2, statuses_done
  beq s3, s0, 3f
2:mv a0, s3
  li a6, 2
  li a7, SBI_EXT_HSM
  ecall
  bnez a0, fail
  li t0, 1                  /* STOPPED */
  bne a1, t0, 2b
3:addi s3, s3, 1
  j status_next
statuses_done:
  mv a0, s0
  li a6, 2
  li a7, SBI_EXT_HSM
  ecall
  bnez a0, fail
  bnez a1, fail             /* the boot hart itself is STARTED */
  la t0, bad
  ld t0, 0(t0)
  bnez t0, fail
  la s4, message
4:lbu a0, 0(s4)
  beqz a0, 5f
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  addi s4, s4, 1
  j 4b
5:addi a0, s1, '1'
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  li a0, '\n'
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  li a1, 0
  j shutdown
fail:
  li a1, 1
shutdown:
  li a0, 0
  li a6, 0
  li a7, SBI_EXT_SRST
  ecall
6:wfi
  j 6b

  .balign 4
secondary:
  addi t0, a0, 0x100
  bne a1, t0, secondary_bad
  csrr t0, satp
  bnez t0, secondary_bad
  j secondary_arrive
secondary_bad:
  la t1, bad
  li t0, 1
  amoswap.d zero, t0, (t1)
secondary_arrive:
  la t1, arrived
  li t0, 1
  amoadd.d zero, t0, (t1)
  li a6, 1
  li a7, SBI_EXT_HSM
  ecall
  j secondary_bad           /* hart_stop returned */

  .section .rodata
message: .asciz "hsm ok "

  .data
  .globl arrived, bad
  .balign 8
arrived: .dword 0
bad:     .dword 0
