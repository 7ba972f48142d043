/* M-mode, firmware none, hart 0 (others park). The UART's received-data
 * interrupt reaches hart 0 through PLIC source 10 and context 0 (M-mode):
 * the handler claims, reads the byte, completes, and exits with pass when
 * the byte is 'Z', fail code 2 otherwise. The test feeds the input. */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  bnez a0, park
  la t0, trap
  csrw mtvec, t0
  li t0, UART
  li t1, 1                  /* IER.ERBFI */
  sb t1, 1(t0)
  li t0, PLIC + 4 * UART_IRQ
  li t1, 1                  /* priority 1 */
  sw t1, 0(t0)
  li t0, PLIC_ENABLE_CTX0
  li t1, 1 << UART_IRQ
  sw t1, 0(t0)
  li t0, PLIC_CTX0
  sw zero, 0(t0)            /* threshold 0 */
  li t0, MIP_MEIP
  csrs mie, t0
  csrsi mstatus, MSTATUS_MIE
wait:
  wfi
  j wait
park:
  PARK

  .balign 4
trap:
  csrr t0, mcause
  li t1, 0x800000000000000b
  bne t0, t1, fail
  li t0, PLIC_CTX0
  lw t2, 4(t0)              /* claim */
  li t1, UART_IRQ
  bne t2, t1, fail
  li t1, UART
  lbu t3, 0(t1)             /* RBR */
  sw t2, 4(t0)              /* complete */
  li t1, 'Z'
  bne t3, t1, wrong
  EXIT_PASS
  j park
wrong:
  EXIT_FAIL(2)
  j park
fail:
  EXIT_FAIL(1)
  j park
