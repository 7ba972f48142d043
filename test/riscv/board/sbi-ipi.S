/* S-mode payload (builtin SBI or OpenSBI), two or more harts. The boot hart
 * starts one other hart, which enables sie.SSIE and waits in WFI; the boot
 * hart sends it an IPI with SBI send_ipi, waits for its handler (scause =
 * supervisor software interrupt, then clears sip.SSIP), prints "ipi ok";
 * then sets an SBI timer 1000 ticks ahead, waits in WFI for the supervisor
 * timer interrupt, prints "timer ok" and shuts down with reason 0 (1 on
 * any mismatch). */
#include "board.h"
  .section .text.init
  .globl _start
_start:
  mv s0, a0
  seqz s1, s0               /* the other hart: 1 if we are 0, else 0 */
  mv a0, s1
  la a1, receiver
  li a2, 0
  li a6, 0
  li a7, SBI_EXT_HSM
  ecall
  bnez a0, fail
  la t1, ready
1:ld t2, 0(t1)
  beqz t2, 1b
  li a0, 1
  mv a1, s1
  li a6, 0
  li a7, SBI_EXT_IPI
  ecall
  bnez a0, fail
  la t1, got_ipi
2:ld t2, 0(t1)
  beqz t2, 2b
  la a0, ipi_message
  call print
  la t0, boot_trap
  csrw stvec, t0
  rdtime a0
  addi a0, a0, 1000
  li a6, 0
  li a7, SBI_EXT_TIME
  ecall
  bnez a0, fail
  li t0, MIP_STIP
  csrs sie, t0
  csrsi sstatus, SSTATUS_SIE
  la t1, got_timer
3:wfi
  ld t2, 0(t1)
  beqz t2, 3b
  la a0, timer_message
  call print
  li a1, 0
  j shutdown
fail:
  li a1, 1
shutdown:
  li a0, 0
  li a6, 0
  li a7, SBI_EXT_SRST
  ecall
4:wfi
  j 4b

/* print(a0 = string): legacy console_putchar per byte. */
print:
  mv t3, a0
5:lbu a0, 0(t3)
  beqz a0, 6f
  li a7, SBI_LEGACY_PUTCHAR
  ecall
  addi t3, t3, 1
  j 5b
6:ret

  .balign 4
boot_trap:                  /* the interrupted loop uses t1 and t2: use t4, t5 only */
  csrr t4, scause
  li t5, 0x8000000000000005
  bne t4, t5, fail
  li a0, -1                 /* no further timer: clears sip.STIP */
  li a6, 0
  li a7, SBI_EXT_TIME
  ecall
  la t4, got_timer
  li t5, 1
  sd t5, 0(t4)
  sret

  .balign 4
receiver:
  la t0, receiver_trap
  csrw stvec, t0
  li t0, MIP_SSIP
  csrs sie, t0
  csrsi sstatus, SSTATUS_SIE
  la t0, ready
  li t1, 1
  amoswap.d zero, t1, (t0)
7:wfi
  j 7b

  .balign 4
receiver_trap:
  csrr t4, scause
  li t5, 0x8000000000000001
  bne t4, t5, 8f
  li t4, MIP_SSIP
  csrc sip, t4
  la t4, got_ipi
  li t5, 1
  sd t5, 0(t4)
8:sret

  .section .rodata
ipi_message:   .asciz "ipi ok\n"
timer_message: .asciz "timer ok\n"

  .data
  .globl ready, got_ipi, got_timer
  .balign 8
ready:     .dword 0
got_ipi:   .dword 0
got_timer: .dword 0
