/*
 * interrupts: software-raised supervisor interrupts (privileged spec 3.1.9,
 * 3.1.7, 4.1.3): mip.SSIP/STIP/SEIP written by M-mode software (mip.MSIP
 * is read-only), the enables (mie, mstatus.MIE/SIE and the rule that
 * interrupts for a more privileged mode are always enabled in a less
 * privileged one, and those delegated to S never taken in M), mcause with
 * bit 63, mepc = the first instruction not executed, the priority order
 * SEI > SSI > STI, direct and vectored mtvec/stvec (exceptions always go to
 * BASE), delegation with mideleg (SSI, STI, SEI) and the sip/sie views,
 * interrupts for M taken before those for S, WFI resuming on a pending
 * enabled interrupt even with MIE = 0.
 *
 * Interrupts are caught by local recording handlers (m_record, s_record):
 * t4/t5/t6 = cause/tval/epc, a7 = mstatus (sstatus) at the trap, a6 = the
 * vector entry used (0 in direct mode); they clear mie (sie) and continue
 * in the handler's mode at the address in mscratch (sscratch).
 */
#include "test.h"

/* Arms the M recording handler (direct mode) to continue at `landing`. */
.macro M_LANDING landing
  la t0, \landing
  csrw mscratch, t0
.endm
.macro S_LANDING landing
  la t0, \landing
  csrw sscratch, t0
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  csrw mie, zero
  csrw mideleg, zero
  csrw mip, zero
  la t0, m_record
  csrw mtvec, t0
  la t0, s_record
  csrw stvec, t0
  M_LANDING unexpected
  S_LANDING unexpected

  // mip.SSIP is writable by M-mode; mip.MSIP is not (it mirrors the CLINT).
  TEST_CASE 1
  li t0, MIP_SSIP
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, MIP_SSIP
  csrc mip, t0
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, 0
  TEST_CASE 2
  li t0, MIP_MSIP
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, MIP_MSIP
  EXPECT_EQ a0, 0
  // mie's S bits are writable.
  TEST_CASE 3
  li t0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw mie, t0
  csrr a0, mie
  EXPECT_EQ a0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrw mie, zero

  // Pending but not enabled in mie: nothing happens, even with MIE = 1.
  TEST_CASE 4
  li t0, MIP_SSIP
  csrs mip, t0
  csrsi mstatus, MSTATUS_MIE
  nop
  nop
  csrci mstatus, MSTATUS_MIE
  // Enabled in mie but MIE = 0 in M: still nothing; setting MIE takes it
  // before the next instruction: mepc = that instruction.
  TEST_CASE 5
  li t0, MIP_SSIP
  csrw mie, t0
  nop
  M_LANDING 1f
  csrsi mstatus, MSTATUS_MIE
2:
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_SOFT
  EXPECT_ADDR t6, 2b
  EXPECT_EQ a6, 0
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a7, t0
  EXPECT_EQ a0, MSTATUS_MPIE | MSTATUS_MPP
  csrr a0, mstatus                    // the handler did not MRET: MIE = 0
  andi a0, a0, MSTATUS_MIE
  EXPECT_EQ a0, 0
  // WFI resumes when an enabled interrupt is pending, even with MIE = 0,
  // and no trap is taken.
  TEST_CASE 6
  M_LANDING unexpected
  li t0, MIP_SSIP
  csrw mie, t0
  wfi
  csrw mie, zero
  li t0, MIP_SSIP
  csrc mip, t0

  // Vectored mtvec: interrupt cause c goes to BASE + 4c; exceptions to BASE.
  TEST_CASE 7
  la t0, m_vectors
  ori t0, t0, 1
  csrw mtvec, t0
  csrr a0, mtvec
  EXPECT_REG a0, t0
  li t0, MIP_SSIP
  csrs mip, t0
  csrw mie, t0
  M_LANDING 1f
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ a6, IRQ_S_SOFT
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_SOFT
  li t0, MIP_SSIP
  csrc mip, t0
  TEST_CASE 8
  M_LANDING 1f
2:
  ecall
  j fail
1:
  EXPECT_EQ a6, 0
  EXPECT_EQ t4, CAUSE_MACHINE_ECALL
  EXPECT_ADDR t6, 2b
  la t0, m_record
  csrw mtvec, t0                      // direct again

  // An interrupt for M (not delegated) is taken in S or U whatever
  // mstatus.MIE says: here at the first instruction after MRET.
  TEST_CASE 9
  li t0, MIP_SSIP
  csrs mip, t0
  csrw mie, t0
  M_LANDING 1f
  ENTER_MODE PRV_S, 2f
2:
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_SOFT
  EXPECT_ADDR t6, 2b
  srli a0, a7, 11
  andi a0, a0, 3
  EXPECT_EQ a0, PRV_S
  TEST_CASE 10
  li t0, MIP_SSIP
  csrw mie, t0
  M_LANDING 1f
  ENTER_MODE PRV_U, 2f
2:
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_SOFT
  EXPECT_ADDR t6, 2b
  srli a0, a7, 11
  andi a0, a0, 3
  EXPECT_EQ a0, PRV_U
  li t0, MIP_SSIP
  csrc mip, t0

  // sip/sie show only delegated interrupts (read-only zero otherwise).
  TEST_CASE 11
  li t0, MIP_SSIP
  csrs mip, t0
  csrw mie, t0
  csrr a0, sip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, 0
  csrr a0, sie
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, 0
  csrw mie, zero
  li t0, MIP_SSIP
  csrs sie, t0                        // not delegated: no effect
  csrr a0, mie
  EXPECT_EQ a0, 0
  TEST_CASE 12
  li t0, MIP_SSIP
  csrw mideleg, t0
  csrr a0, mideleg
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, MIP_SSIP
  csrr a0, sip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, MIP_SSIP
  csrs sie, t0                        // delegated: sie.SSIE is mie.SSIE
  csrr a0, mie
  EXPECT_EQ a0, MIP_SSIP
  // A delegated interrupt is never taken in M, even with MIE = 1.
  TEST_CASE 13
  M_LANDING unexpected
  csrsi mstatus, MSTATUS_MIE
  nop
  nop
  csrci mstatus, MSTATUS_MIE
  // In S it waits for sstatus.SIE, then goes to stvec (vectored here).
  TEST_CASE 14
  la t0, s_vectors
  ori t0, t0, 1
  csrw stvec, t0
  csrr a0, stvec
  EXPECT_REG a0, t0
  li t0, MSTATUS_SIE
  csrc mstatus, t0
  S_LANDING 1f
  M_LANDING back_in_m                 // the ECALL that ends case 16
  ENTER_MODE PRV_S, 2f
2:
  nop
  csrsi sstatus, MSTATUS_SIE
3:
  j fail
1:
  EXPECT_EQ a6, IRQ_S_SOFT
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_SOFT
  EXPECT_ADDR t6, 3b
  andi a0, a7, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
  EXPECT_EQ a0, MSTATUS_SPP | MSTATUS_SPIE
  csrr a0, scause
  EXPECT_EQ a0, INTERRUPT_BIT | IRQ_S_SOFT
  // S clears the pending bit through sip.
  TEST_CASE 15
  li t0, MIP_SSIP
  csrc sip, t0
  csrr a0, sip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, 0
  // In U a delegated interrupt is taken whatever SIE says: S sets
  // sip.SSIP and SRETs to U with SIE = 0.
  TEST_CASE 16
  li t0, MIP_SSIP
  csrs sie, t0
  csrs sip, t0
  li t0, MSTATUS_SPP | MSTATUS_SPIE
  csrc sstatus, t0
  S_LANDING 1f
  la t0, 2f
  csrw sepc, t0
  sret
2:
  j fail
1:
  EXPECT_EQ a6, IRQ_S_SOFT
  EXPECT_ADDR t6, 2b
  andi a0, a7, MSTATUS_SPP
  EXPECT_EQ a0, 0
  li t0, MIP_SSIP
  csrc sip, t0
  ecall                               // to m_record, then back_in_m
  j fail
back_in_m:
  EXPECT_EQ t4, CAUSE_SUPERVISOR_ECALL
  TEST_CASE 17
  csrr a0, mip
  andi a0, a0, MIP_SSIP
  EXPECT_EQ a0, 0
  csrw mideleg, zero
  csrw mie, zero

  // STIP and SEIP set by M and delegated reach S as causes 5 and 9 (stvec
  // direct here); S cannot clear them through sip (only SSIP is writable
  // there).
  TEST_CASE 18
  la t0, s_record
  csrw stvec, t0
  li t0, MIP_STIP | MIP_SEIP
  csrw mideleg, t0
  li t0, MIP_STIP
  csrs mip, t0
  csrw mie, t0
  li t0, MSTATUS_SIE
  csrc mstatus, t0
  S_LANDING 1f
  M_LANDING back_in_m_2
  ENTER_MODE PRV_S, 2f
2:
  li t0, MIP_STIP
  csrc sip, t0                        // read-only in sip: no effect
  csrr a0, sip
  andi a0, a0, MIP_STIP
  EXPECT_EQ a0, MIP_STIP
  csrsi sstatus, MSTATUS_SIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_TIMER
  EXPECT_EQ a6, 0
  ecall                               // to M: clear STIP, raise SEIP
  j fail
back_in_m_2:
  EXPECT_EQ t4, CAUSE_SUPERVISOR_ECALL
  TEST_CASE 19
  li t0, MIP_STIP
  csrc mip, t0
  li t0, MIP_SEIP
  csrs mip, t0
  csrw mie, t0
  S_LANDING 1f
  M_LANDING back_in_m_3
  ENTER_MODE PRV_S, 2f
2:
  csrsi sstatus, MSTATUS_SIE
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_EXT
  ecall
  j fail
back_in_m_3:
  li t0, MIP_SEIP
  csrc mip, t0
  // In U both a delegated interrupt (SSI, for S) and one for M (STI, not
  // delegated) are enabled; the one for the more privileged mode is taken
  // first, whatever their codes (3.1.9).
  TEST_CASE 20
  li t0, MIP_SSIP
  csrw mideleg, t0
  li t0, MIP_SSIP | MIP_STIP
  csrs mip, t0
  csrw mie, t0
  M_LANDING 1f
  S_LANDING unexpected
  ENTER_MODE PRV_U, 2f
2:
  j fail
1:
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_TIMER
  li t0, MIP_SSIP | MIP_STIP
  csrc mip, t0
  csrw mideleg, zero
  csrw mie, zero
  la t0, s_trap_handler
  csrw stvec, t0

  // Priority among the S interrupts taken in M: SEI, then SSI, then STI
  // (privileged spec 3.1.9). QEMU 7.2 takes the lowest-numbered pending
  // interrupt instead (SSI first; see test/riscv-qemu.test.ts), so these
  // cases come last.
  la t0, m_vectors
  ori t0, t0, 1
  csrw mtvec, t0
  TEST_CASE 21
  li t0, MIP_SSIP | MIP_STIP | MIP_SEIP
  csrs mip, t0
  csrr a0, mip
  and a0, a0, t0
  EXPECT_REG a0, t0
  csrw mie, t0
  M_LANDING 1f
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ a6, IRQ_S_EXT
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_EXT
  TEST_CASE 22
  li t0, MIP_SEIP
  csrc mip, t0
  li t0, MIP_SSIP | MIP_STIP
  csrw mie, t0
  M_LANDING 1f
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ a6, IRQ_S_SOFT
  TEST_CASE 23
  li t0, MIP_SSIP
  csrc mip, t0
  li t0, MIP_STIP
  csrw mie, t0
  M_LANDING 1f
  csrsi mstatus, MSTATUS_MIE
  j fail
1:
  EXPECT_EQ a6, IRQ_S_TIMER
  EXPECT_EQ t4, INTERRUPT_BIT | IRQ_S_TIMER
  li t0, MIP_STIP
  csrc mip, t0

  csrw mie, zero
  la t0, m_trap_handler
  csrw mtvec, t0
  mv ra, s0
  ret

unexpected:
  j fail

/* Vector tables: entry c jumps to a stub that sets a6 = c. */
  .balign 256
m_vectors:
  .irp c, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j m_vector_\c
  .endr
  .irp c, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
m_vector_\c:
  li a6, \c
  j m_record_vectored
  .endr

  .balign 256
s_vectors:
  .irp c, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j s_vector_\c
  .endr
  .irp c, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
s_vector_\c:
  li a6, \c
  j s_record_vectored
  .endr

  .balign 4
m_record:
  li a6, 0
m_record_vectored:
  csrr t4, mcause
  csrr t5, mtval
  csrr t6, mepc
  csrr a7, mstatus
  csrw mie, zero
  csrr t3, mscratch
  jr t3

  .balign 4
s_record:
  li a6, 0
s_record_vectored:
  csrr t4, scause
  csrr t5, stval
  csrr t6, sepc
  csrr a7, sstatus
  csrw sie, zero
  csrr t3, sscratch
  li s11, 0
  jr t3
