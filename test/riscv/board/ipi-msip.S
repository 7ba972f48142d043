/* M-mode, firmware none, two harts (others park). Hart 1 enables the
 * machine software interrupt and waits in WFI; hart 0 waits until hart 1 is
 * ready, writes its msip, and passes once hart 1's handler has run (which
 * clears msip and checks mcause). */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  li t0, 1
  beqz a0, sender
  bne a0, t0, park
  la t1, trap
  csrw mtvec, t1
  li t1, MIP_MSIP
  csrs mie, t1
  csrsi mstatus, MSTATUS_MIE
  la t1, ready
  amoswap.d zero, t0, (t1)
receive:
  wfi
  j receive

sender:
  la t1, ready
1:ld t2, 0(t1)
  beqz t2, 1b
  li t1, CLINT_MSIP + 4
  sw t0, 0(t1)
  la t1, received
2:ld t2, 0(t1)
  beqz t2, 2b
  EXIT_PASS
park:
  PARK

  .balign 4
trap:
  csrr t2, mcause
  li t3, 0x8000000000000003
  bne t2, t3, fail
  li t2, CLINT_MSIP + 4
  sw zero, 0(t2)
  la t2, received
  li t3, 1
  sd t3, 0(t2)
  mret
fail:
  EXIT_FAIL(1)
  j park

  .data
  .balign 8
  .globl ready, received
ready:    .dword 0
received: .dword 0
