/*
 * clint: machine software and timer interrupts through the CLINT at
 * 0x0200_0000, where both QEMU's spike and virt boards put it (msip at +0,
 * mtimecmp at +0x4000, mtime at +0xbff8; privileged spec 3.1.9, 3.2.1):
 * mtime advances; mip.MSIP follows msip and mip.MTIP follows
 * mtime >= mtimecmp (neither writable through mip); the interrupts are
 * taken with causes 3 and 7, MSI before MTI; WFI wakes on the timer; the
 * time CSR, where implemented, shadows mtime.
 */
#include "test.h"

#define CLINT_MSIP     0x02000000
#define CLINT_MTIMECMP 0x02004000
#define CLINT_MTIME    0x0200bff8
#define TM             (1 << 1)      /* mcounteren.TM */

/* a0 = mip & bit */
.macro MIP_BIT bit
  csrr a0, mip
  andi a0, a0, \bit
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  csrw mie, zero
  li s1, CLINT_MSIP
  li s2, CLINT_MTIMECMP
  li s3, CLINT_MTIME
  li t0, -1
  sd t0, 0(s2)                        // no timer interrupt for now
  sw zero, 0(s1)
  la t0, m_record
  csrw mtvec, t0

  // mtime advances.
  TEST_CASE 1
  ld a0, 0(s3)
  li a2, 2000000
1:
  ld a1, 0(s3)
  bne a1, a0, 2f
  addi a2, a2, -1
  bnez a2, 1b
  j fail
2:
  bltu a1, a0, fail_near
  // msip drives mip.MSIP; CSR writes to MSIP do not.
  TEST_CASE 2
  MIP_BIT MIP_MSIP
  EXPECT_EQ a0, 0
  li t0, 1
  sw t0, 0(s1)
  MIP_BIT MIP_MSIP
  EXPECT_EQ a0, MIP_MSIP
  li t0, MIP_MSIP
  csrc mip, t0
  MIP_BIT MIP_MSIP
  EXPECT_EQ a0, MIP_MSIP
  sw zero, 0(s1)
  MIP_BIT MIP_MSIP
  EXPECT_EQ a0, 0
  // mtimecmp drives mip.MTIP (a level, not an edge).
  TEST_CASE 3
  MIP_BIT MIP_MTIP
  EXPECT_EQ a0, 0
  sd zero, 0(s2)
  MIP_BIT MIP_MTIP
  EXPECT_EQ a0, MIP_MTIP
  li t0, MIP_MTIP
  csrc mip, t0
  MIP_BIT MIP_MTIP
  EXPECT_EQ a0, MIP_MTIP
  li t0, -1
  sd t0, 0(s2)
  MIP_BIT MIP_MTIP
  EXPECT_EQ a0, 0

  // Machine software interrupt: cause 3.
  TEST_CASE 4
  li t0, MIP_MSIP
  csrw mie, t0
  li t0, 1
  sw t0, 0(s1)
  la t0, 1f
  csrw mscratch, t0
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_M_SOFT
  sw zero, 0(s1)
  // Machine timer interrupt: cause 7.
  TEST_CASE 5
  li t0, MIP_MTIP
  csrw mie, t0
  sd zero, 0(s2)
  la t0, 1f
  csrw mscratch, t0
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_M_TIMER
  li t0, -1
  sd t0, 0(s2)
  // Both pending: MSI is taken before MTI.
  TEST_CASE 6
  li t0, 1
  sw t0, 0(s1)
  sd zero, 0(s2)
  li t0, MIP_MSIP | MIP_MTIP
  csrw mie, t0
  la t0, 1f
  csrw mscratch, t0
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_M_SOFT
  sw zero, 0(s1)
  li t0, MIP_MSIP | MIP_MTIP
  csrw mie, t0
  la t0, 1f
  csrw mscratch, t0
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_M_TIMER
  li t0, -1
  sd t0, 0(s2)
  // WFI with the timer enabled in mie (MIE = 0) returns once mtime
  // reaches mtimecmp; no trap is taken.
  TEST_CASE 7
  la t0, unexpected
  csrw mscratch, t0
  ld a0, 0(s3)
  addi a0, a0, 100
  sd a0, 0(s2)
  li t0, MIP_MTIP
  csrw mie, t0
  wfi
1:
  MIP_BIT MIP_MTIP                    // WFI may also return early
  beqz a0, 1b
  ld a1, 0(s3)
  ld a0, 0(s2)
  bltu a1, a0, fail_near
  csrw mie, zero
  li t0, -1
  sd t0, 0(s2)
  la t0, m_trap_handler
  csrw mtvec, t0

  // The time CSR is a read-only shadow of mtime; the privileged spec also
  // lets M-mode software emulate it, in which case reading it traps as an
  // illegal instruction (QEMU's spike machine does that). Either is
  // accepted, but consistently: s4 = 1 if time is implemented. If it is,
  // mtime before <= time <= mtime after, in M and, with mcounteren.TM, in S.
  TEST_CASE 8
  li s4, 1
  ld a2, 0(s3)
  la t3, 2f
  rdtime a0
  li t3, 0
  ld a3, 0(s3)
  bltu a0, a2, fail_near
  bltu a3, a0, fail_near
  j 3f
2:
  li s4, 0
  EXPECT_EQ t4, CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
3:
  TEST_CASE 9
  li t0, TM
  csrw mcounteren, t0
  ENTER_MODE PRV_S, 1f
1:
  beqz s4, 2f
  ld a2, 0(s3)
  rdtime a0
  ld a3, 0(s3)
  bltu a0, a2, fail_near
  bltu a3, a0, fail_near
  j 3f
2:
  TRAP_BEGIN
  rdtime a0
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
3:
  RETURN_TO_M
  csrw mcounteren, zero
  mv ra, s0
  ret

fail_near:
  j fail
unexpected:
  j fail

/* Records t4 = mcause, t6 = mepc, clears mie and continues in M at
 * mscratch (MIE stays 0, as the trap left it). */
  .balign 4
m_record:
  csrr t4, mcause
  csrr t6, mepc
  csrw mie, zero
  csrr t3, mscratch
  jr t3
