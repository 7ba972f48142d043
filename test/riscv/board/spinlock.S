/* M-mode, firmware none. Harts 0..nharts-1 each add 1 to `counter`
 * `iterations` times inside an amoswap spin lock (the increment itself is a
 * plain load and store, so only the lock keeps it exact); hart 0 waits for
 * all and passes iff counter = nharts * iterations. The test sets nharts
 * and iterations. */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  la t0, nharts
  ld s1, 0(t0)
  bgeu a0, s1, park
  la t0, iterations
  ld s0, 0(t0)
  la s2, lock
  la s3, counter
  li t1, 1
next:
  .globl acquire
acquire:
  amoswap.w.aq t2, t1, (s2)
  bnez t2, acquire
  .globl critical
critical:
  ld t3, 0(s3)
  addi t3, t3, 1
  sd t3, 0(s3)
  amoswap.w.rl zero, zero, (s2)
  addi s0, s0, -1
  bnez s0, next
  la t4, done
  amoadd.d zero, t1, (t4)
  bnez a0, park
wait:
  ld t5, 0(t4)
  bne t5, s1, wait
  la t0, iterations
  ld t6, 0(t0)
  mul t6, t6, s1
  ld t3, 0(s3)
  bne t3, t6, fail
  EXIT_PASS
park:
  PARK
fail:
  EXIT_FAIL(1)
  j park

  .data
  .globl nharts, iterations, lock, counter, done
  .balign 8
nharts:     .dword 2
iterations: .dword 100
counter:    .dword 0
done:       .dword 0
lock:       .word 0
