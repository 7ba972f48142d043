/*
 * priv: privilege transitions and mstatus (privileged spec 3.1.6, 3.3.2):
 * what a trap does to MIE/MPIE/MPP, what MRET and SRET do (xIE = xPIE,
 * xPIE = 1, xPP = U, MPRV cleared when leaving M), MRET/SRET/WFI/SFENCE.VMA
 * and satp access from the wrong mode or under TSR/TW/TVM, the sstatus
 * view of mstatus, and MPP's WARL legalisation.
 */
#include "test.h"

/* From M, enters `mode` at the next instruction with mtvec pointing at a
 * handler that stays in M-mode: a trap then lands at `landing` with
 * a0 = mstatus and a1 = mcause as the trap left them, and mtvec restored. */
.macro ENTER_RECORDING mode, landing
  la t0, 8980f
  csrw mtvec, t0
  la t0, \landing
  csrw mscratch, t0
  ENTER_MODE \mode, 8981f
  .balign 4
8980:
  csrr a0, mstatus
  csrr a1, mcause
  la t0, m_trap_handler
  csrw mtvec, t0
  csrr t0, mscratch
  jr t0
8981:
.endm

/* a0 = (mstatus >> shift) & mask. */
.macro FIELD reg, shift, mask
  srli \reg, \reg, \shift
  andi \reg, \reg, \mask
.endm

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  // A trap from M with MIE = 1: MPIE = 1, MIE = 0, MPP = M; the MRET that
  // resumes sets MIE = MPIE = 1, MPIE = 1 and MPP = U.
  TEST_CASE 1
  csrw mie, zero
  csrsi mstatus, MSTATUS_MIE
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  csrr a0, mstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a0, a1
  EXPECT_EQ a0, MSTATUS_MIE | MSTATUS_MPIE
  // With MIE = 0: the trap saves MPIE = 0; MRET leaves MIE = 0, MPIE = 1.
  TEST_CASE 2
  csrci mstatus, MSTATUS_MIE
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  csrr a0, mstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  and a0, a0, a1
  EXPECT_EQ a0, MSTATUS_MPIE
  // Seen from inside the trap: a trap from S records MPP = S, MPIE = old MIE
  // (here 0 since MRET into S left MPIE... MIE as set below), MIE = 0.
  TEST_CASE 3
  li t0, MSTATUS_MPIE
  csrs mstatus, t0                    // MRET makes MIE = 1 in S
  ENTER_RECORDING PRV_S, 1f
  ecall
  j fail
1:
  EXPECT_EQ a1, CAUSE_SUPERVISOR_ECALL
  mv a2, a0
  FIELD a2, 11, 3
  EXPECT_EQ a2, PRV_S
  mv a2, a0
  FIELD a2, 7, 1                      // MPIE = MIE while in S = 1
  EXPECT_EQ a2, 1
  mv a2, a0
  FIELD a2, 3, 1                      // MIE = 0
  EXPECT_EQ a2, 0
  TEST_CASE 4
  li t0, MSTATUS_MPIE
  csrc mstatus, t0                    // MRET makes MIE = 0 in U
  ENTER_RECORDING PRV_U, 1f
  ecall
  j fail
1:
  EXPECT_EQ a1, CAUSE_USER_ECALL
  mv a2, a0
  FIELD a2, 11, 3
  EXPECT_EQ a2, PRV_U
  mv a2, a0
  FIELD a2, 7, 1
  EXPECT_EQ a2, 0
  // An illegal instruction in U is recorded the same way.
  TEST_CASE 5
  ENTER_RECORDING PRV_U, 1f
  csrr a0, mstatus
  j fail
1:
  EXPECT_EQ a1, CAUSE_ILLEGAL_INSTRUCTION
  mv a2, a0
  FIELD a2, 11, 3
  EXPECT_EQ a2, PRV_U

  // MRET to M keeps MPRV.
  TEST_CASE 6
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  csrr a0, mstatus
  li a2, MSTATUS_MPRV
  and a2, a0, a2
  EXPECT_EQ a2, MSTATUS_MPRV
  li t0, MSTATUS_MPRV
  csrc mstatus, t0

  // SRET from S: privilege = SPP, SIE = SPIE, SPIE = 1, SPP = U.
  TEST_CASE 7
  ENTER_MODE PRV_S, 1f
1:
  li t0, MSTATUS_SPP | MSTATUS_SIE
  csrc sstatus, t0                    // SPP = U
  li t0, MSTATUS_SPIE
  csrs sstatus, t0
  la t0, 2f
  csrw sepc, t0
  sret
2:
  TRAP_BEGIN                          // in U now: sstatus is illegal
  csrr a0, sstatus
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M
  csrr a0, mstatus
  li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  and a0, a0, a1
  EXPECT_EQ a0, MSTATUS_SIE | MSTATUS_SPIE
  // SRET from S with SPP = S stays in S; SPIE = 0 gives SIE = 0.
  TEST_CASE 8
  ENTER_MODE PRV_S, 1f
1:
  li t0, MSTATUS_SPP
  csrs sstatus, t0
  li t0, MSTATUS_SPIE | MSTATUS_SIE
  csrc sstatus, t0
  la t0, 2f
  csrw sepc, t0
  sret
2:
  csrr a0, sstatus                    // legal: still S
  li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  and a0, a0, a1
  EXPECT_EQ a0, MSTATUS_SPIE
  RETURN_TO_M
  // SRET is legal in M and returns to SPP.
  TEST_CASE 9
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  csrr a0, sstatus                    // in S
  TRAP_BEGIN
  csrr a0, mstatus
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M

  // xRET from a less privileged mode is illegal; so are TSR-trapped SRET,
  // TW-trapped WFI and TVM-trapped satp/SFENCE.VMA in S.
  TEST_CASE 10
  ENTER_MODE PRV_S, 1f
1:
  TRAP_BEGIN
  mret
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  RETURN_TO_M
  TEST_CASE 11
  ENTER_MODE PRV_U, 1f
1:
  TRAP_BEGIN
  mret
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  TEST_CASE 12
  TRAP_BEGIN
  sret
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  // WFI in U with S-mode present is illegal (no time limit here).
  TEST_CASE 13
  TRAP_BEGIN
  wfi
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  TEST_CASE 14
  TRAP_BEGIN
  sfence.vma
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M
  TEST_CASE 15
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  ENTER_MODE PRV_S, 1f
1:
  TRAP_BEGIN
  sret
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  RETURN_TO_M
  li t0, MSTATUS_TSR
  csrc mstatus, t0
  TEST_CASE 16
  li t0, MSTATUS_TW
  csrs mstatus, t0
  ENTER_MODE PRV_S, 1f
1:
  TRAP_BEGIN
  wfi
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  RETURN_TO_M
  li t0, MSTATUS_TW
  csrc mstatus, t0
  TEST_CASE 17
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  ENTER_MODE PRV_S, 1f
1:
  TRAP_BEGIN
  csrr a0, satp
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  TEST_CASE 18
  TRAP_BEGIN
  csrw satp, zero
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  TEST_CASE 19
  TRAP_BEGIN
  sfence.vma
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  EXPECT_TVAL_INSN32
  TEST_CASE 20
  TRAP_BEGIN
  sfence.vma a0, a1
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  RETURN_TO_M
  li t0, MSTATUS_TVM
  csrc mstatus, t0
  // Without TVM, S may use satp and SFENCE.VMA; TVM does not affect M.
  TEST_CASE 21
  ENTER_MODE PRV_S, 1f
1:
  csrr a0, satp
  sfence.vma
  RETURN_TO_M
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  csrr a0, satp
  sfence.vma
  li t0, MSTATUS_TVM
  csrc mstatus, t0

  // sstatus is a view of mstatus: it shows and writes only the S fields.
  TEST_CASE 22
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  csrc mstatus, t0
  li t0, MSTATUS_MPIE | MSTATUS_TW
  csrs mstatus, t0
  // Write the S fields and every M-only field through sstatus (other
  // WARL fields such as UXL are left alone).
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  csrs sstatus, t0                    // sets SIE SPIE SPP SUM MXR only
  csrr a0, mstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  and a2, a0, a1
  EXPECT_EQ a2, MSTATUS_MPIE | MSTATUS_TW
  li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  and a2, a0, a1
  EXPECT_REG a2, a1
  TEST_CASE 23
  csrr a0, sstatus
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  and a2, a0, a1
  EXPECT_EQ a2, 0
  srli a2, a0, 32                     // UXL = 2 is visible in sstatus
  andi a2, a2, 3
  EXPECT_EQ a2, 2
  TEST_CASE 24
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  csrc sstatus, t0
  csrr a0, mstatus
  li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  and a2, a0, a1
  EXPECT_EQ a2, 0
  li a1, MSTATUS_MPIE | MSTATUS_TW
  and a2, a0, a1
  EXPECT_REG a2, a1
  li t0, MSTATUS_TW
  csrc mstatus, t0

  // Cases QEMU 7.2 gets wrong (see test/riscv-qemu.test.ts) come last.
  // MRET into S or U clears MPRV (privileged spec 1.12,
  // 3.1.6.1: "If y != M, xRET also sets MPRV = 0"); QEMU 7.2 leaves it.
  TEST_CASE 25
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  ENTER_RECORDING PRV_S, 1f
  ecall
  j fail
1:
  li a2, MSTATUS_MPRV
  and a2, a0, a2
  EXPECT_EQ a2, 0
  // SRET (here from M to S) clears MPRV too.
  TEST_CASE 26
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  RETURN_TO_M
  csrr a0, mstatus
  li a1, MSTATUS_MPRV
  and a0, a0, a1
  EXPECT_EQ a0, 0
  // MPP is WARL over {U, S, M}: writing the reserved value 2 must leave a
  // legal value; QEMU 7.2 keeps 2.
  TEST_CASE 27
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, 2 << 11
  csrs mstatus, t0
  csrr a0, mstatus
  FIELD a0, 11, 3
  li a1, 2
  beq a0, a1, fail_near
  mv ra, s0
  ret

fail_near:
  j fail
