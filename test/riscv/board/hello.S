/* S-mode payload (builtin SBI or OpenSBI): prints "hello from hart <a0>"
 * with the legacy console_putchar call, then SRST system_reset(shutdown,
 * reason = `exit_reason`, 0 unless the test sets it). */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  mv s0, a0
  la s1, message
1:lbu a0, 0(s1)
  beqz a0, 2f
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  addi s1, s1, 1
  j 1b
2:addi a0, s0, '0'
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  li a0, '\n'
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  la t0, exit_reason
  lwu a1, 0(t0)
  li a0, 0
  li a6, 0
  li a7, SBI_EXT_SRST
  ecall
3:wfi
  j 3b

  .section .rodata
message: .asciz "hello from hart "

  .data
  .globl exit_reason
  .balign 8
exit_reason: .dword 0
