/* M-mode, firmware none, hart 0 (others park). Machine timer interrupts
 * through the CLINT, twice: first while spinning (mtime advances with
 * executed instructions), then while waiting in WFI (the board skips time to
 * the deadline). Each time the handler checks mcause and that mtime has
 * reached mtimecmp. Passes after both. */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  bnez a0, park
  la t0, trap
  csrw mtvec, t0
  li s0, 0                 /* interrupts seen */
  li s1, CLINT_MTIME
  li s2, CLINT_MTIMECMP
  ld t0, 0(s1)
  addi t0, t0, 50
  sd t0, 0(s2)
  li t0, MIP_MTIP
  csrs mie, t0
  csrsi mstatus, MSTATUS_MIE
spin:
  beqz s0, spin
  ld t0, 0(s1)
  li t1, 1000
  add t0, t0, t1
  sd t0, 0(s2)
sleep:
  wfi
  li t0, 2
  bne s0, t0, sleep
  EXIT_PASS
park:
  PARK

  .balign 4
trap:
  csrr t0, mcause
  li t1, 0x8000000000000007
  bne t0, t1, fail
  ld t0, 0(s1)
  ld t1, 0(s2)
  bltu t0, t1, fail
  li t0, -1
  sd t0, 0(s2)             /* lowers MTIP */
  addi s0, s0, 1
  mret
fail:
  EXIT_FAIL(1)
  j park
