/* M-mode, firmware none, hart 0. Ends the run through the test finisher:
 * pass when `exit_code` is 0, otherwise fail with that code (the test sets it). */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  bnez a0, park
  la t0, exit_code
  lwu t2, 0(t0)
  beqz t2, pass
  slli t2, t2, 16
  li t1, FINISHER_FAIL
  or t1, t1, t2
  li t0, FINISHER
  sw t1, 0(t0)
  j park
pass:
  EXIT_PASS
park:
  PARK

  .data
  .globl exit_code
  .balign 8
exit_code: .dword 0
