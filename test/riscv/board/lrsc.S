/* M-mode, firmware none. Harts 0..nharts-1 each add 1 to `counter`
 * `iterations` times with an lr.d/sc.d loop; failed SCs are counted in
 * `sc_failures`. Hart 0 waits for all and passes iff counter =
 * nharts * iterations. `lrsc_lr` and `lrsc_sc` label the pair. */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  la t0, nharts
  ld s1, 0(t0)
  bgeu a0, s1, park
  la t0, iterations
  ld s0, 0(t0)
  la s3, counter
  la s4, sc_failures
  li t1, 1
next:
  .globl lrsc_lr
lrsc_lr:
  lr.d t3, (s3)
  addi t3, t3, 1
  .globl lrsc_sc
lrsc_sc:
  sc.d t5, t3, (s3)
  beqz t5, counted
  amoadd.d zero, t1, (s4)
  j next
counted:
  addi s0, s0, -1
  bnez s0, next
  la t4, done
  amoadd.d zero, t1, (t4)
  bnez a0, park
wait:
  ld t2, 0(t4)
  bne t2, s1, wait
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
  .globl nharts, iterations, counter, done, sc_failures
  .balign 8
nharts:      .dword 2
iterations:  .dword 100
counter:     .dword 0
done:        .dword 0
sc_failures: .dword 0
