/*
 * test.h — the vocabulary of hvspec's RISC-V test programs.
 *
 * Contract with the runtime (runtime.S), which every isa/ program links:
 *  - `_start` (M-mode, 0x8000_0000) sets sp, mtvec = m_trap_handler, opens
 *    PMP entry 15 to all of memory for S/U, sets gp = 1 and calls `test_main`.
 *    Returning from test_main passes. Code lives in section .text.
 *  - Registers owned by the framework: gp = current test number (the fail
 *    code), s10 and s11 = macro scratch, t3..t6 = trap protocol (below). Tests may use
 *    every other register.
 *  - Trap protocol: t3 == 0 means no trap is expected; any trap then fails
 *    with the current test number. With t3 != 0 the handler (M or S) stores
 *    cause, tval and epc in t4, t5, t6, sets t3 = 0 and resumes at the address
 *    in t3 with bit 0 cleared; if bit 0 was set it resumes in the handler's
 *    own mode (M for m_trap_handler, S for s_trap_handler), otherwise in the
 *    mode the trap came from.
 *  - HTIF (as Spike): tohost = 1 passes; (n << 1) | 1 fails test n; device 1
 *    command 1 prints one character.
 *
 * Comments are // or C style: '#' starts preprocessor lines here.
 */
#ifndef HVSPEC_TEST_H
#define HVSPEC_TEST_H

#define TRAP_RESUME t3
#define TRAP_CAUSE  t4
#define TRAP_TVAL   t5
#define TRAP_EPC    t6

/* Privilege levels (privileged spec, table 1.1). */
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* mstatus fields (privileged spec 3.1.6). */
#define MSTATUS_SIE  (1 << 1)
#define MSTATUS_MIE  (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_UBE  (1 << 6)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP  (1 << 8)
#define MSTATUS_MPP  (3 << 11)
#define MSTATUS_FS   (3 << 13)
#define MSTATUS_XS   (3 << 15)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM  (1 << 18)
#define MSTATUS_MXR  (1 << 19)
#define MSTATUS_TVM  (1 << 20)
#define MSTATUS_TW   (1 << 21)
#define MSTATUS_TSR  (1 << 22)

/* Exception codes (privileged spec table 3.6). */
#define CAUSE_MISALIGNED_FETCH    0
#define CAUSE_FETCH_ACCESS        1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT          3
#define CAUSE_MISALIGNED_LOAD     4
#define CAUSE_LOAD_ACCESS         5
#define CAUSE_MISALIGNED_STORE    6
#define CAUSE_STORE_ACCESS        7
#define CAUSE_USER_ECALL          8
#define CAUSE_SUPERVISOR_ECALL    9
#define CAUSE_MACHINE_ECALL       11
#define CAUSE_FETCH_PAGE_FAULT    12
#define CAUSE_LOAD_PAGE_FAULT     13
#define CAUSE_STORE_PAGE_FAULT    15

/* Interrupts: mcause has bit 63 set (privileged spec table 3.6). */
#define INTERRUPT_BIT (1 << 63)
#define IRQ_S_SOFT  1
#define IRQ_M_SOFT  3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT   9
#define IRQ_M_EXT   11
#define MIP_SSIP (1 << IRQ_S_SOFT)
#define MIP_MSIP (1 << IRQ_M_SOFT)
#define MIP_STIP (1 << IRQ_S_TIMER)
#define MIP_MTIP (1 << IRQ_M_TIMER)
#define MIP_SEIP (1 << IRQ_S_EXT)
#define MIP_MEIP (1 << IRQ_M_EXT)

/* PMP configuration byte (privileged spec 3.7.1). */
#define PMP_R     0x01
#define PMP_W     0x02
#define PMP_X     0x04
#define PMP_OFF   0x00
#define PMP_TOR   0x08
#define PMP_NA4   0x10
#define PMP_NAPOT 0x18
#define PMP_L     0x80

/* Sv39 (privileged spec 4.4). */
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define SATP_MODE_SV39 (8 << 60)
#define PAGE_SHIFT 12

/* CSRs clang 14 may not know by name. */
#define CSR_MENVCFG 0x30a
#define CSR_SENVCFG 0x10a

/* Starts test case n (1..255): later failures report n. The exit code of
 * QEMU is (tohost >> 1) & 0xff, so n must fit in 8 bits and not be 0. */
.macro TEST_CASE n
  .if (\n < 1) || (\n > 255)
    .error "test numbers must be 1..255"
  .endif
  li gp, \n
.endm

/* Fails the current test unless a == b (registers). A conditional branch
 * reaches only +-4 KiB, so the jump to `fail` is a JAL. */
.macro FAIL_IF_NE a, b
  beq \a, \b, 8993f
  j fail
8993:
.endm

/* Fails the current test unless reg == imm. */
.macro EXPECT_EQ reg, imm
  li s11, \imm
  FAIL_IF_NE \reg, s11
.endm

/* Fails the current test unless reg == the address of sym. */
.macro EXPECT_ADDR reg, sym
  la s11, \sym
  FAIL_IF_NE \reg, s11
.endm

/* Fails the current test unless reg != 0. */
.macro EXPECT_NONZERO reg
  bnez \reg, 8992f
  j fail
8992:
.endm

/* Fails the current test unless reg1 == reg2. */
.macro EXPECT_REG reg1, reg2
  FAIL_IF_NE \reg1, \reg2
.endm

/* Test n: rd = op(rs1 = a, rs2 = b) must equal expected. Operands go in
 * a1, a2 and the result in a0, so aliasing cases are written out apart. */
.macro TEST_RR n, op, expected, a, b
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a0, a1, a2
  EXPECT_EQ a0, \expected
.endm

/* Test n: rd = op(rs1 = a, imm) must equal expected. */
.macro TEST_RI n, op, expected, a, imm
  TEST_CASE \n
  li a1, \a
  \op a0, a1, \imm
  EXPECT_EQ a0, \expected
.endm

/*
 * TRAP_BEGIN / TRAP_END bracket one instruction that must trap:
 *     TRAP_BEGIN
 *     ld a0, 0(a1)
 *     TRAP_END CAUSE_LOAD_ACCESS
 * TRAP_END checks the cause and that epc is the bracketed instruction;
 * then EXPECT_EQ TRAP_TVAL, imm / FAIL_IF_NE TRAP_TVAL, reg /
 * EXPECT_TVAL_INSN32 check tval.
 */
.macro TRAP_BEGIN
  la t3, 8997f
8996:
.endm

.macro TRAP_END cause
  j fail
8997:
  li s11, \cause
  FAIL_IF_NE t4, s11
  la s11, 8996b
  FAIL_IF_NE t6, s11
.endm

/* As TRAP_END, but epc is not checked (fetch faults: epc is the target). */
.macro TRAP_END_ANY_EPC cause
  j fail
8997:
  li s11, \cause
  FAIL_IF_NE t4, s11
.endm

/* After a trap: fails unless tval holds the 32-bit instruction at epc (the
 * illegal-instruction rule, privileged spec 3.1.16). Reads the instruction
 * through epc, so the code must be readable in the current mode. */
.macro EXPECT_TVAL_INSN32
  lwu s11, 0(t6)
  FAIL_IF_NE t5, s11
.endm

/* Switches from M-mode to privilege `mode` (PRV_S or PRV_U) at label `to`:
 * sets mstatus.MPP and mepc, then MRET (which also sets MIE = MPIE). */
.macro ENTER_MODE mode, to
  li s11, MSTATUS_MPP
  csrc mstatus, s11
  li s11, (\mode << 11)
  csrs mstatus, s11
  la s11, \to
  csrw mepc, s11
  mret
.endm

/* From S or U, returns to M-mode at the next instruction (via ecall; the
 * ecall must not be delegated to S). Clobbers t3..t6. */
.macro RETURN_TO_M
  la t3, 8995f
  ori t3, t3, 1
  ecall
8995:
.endm

/* From U, returns to S-mode at the next instruction (ecall delegated to S,
 * stvec = s_trap_handler). */
.macro RETURN_TO_S
  la t3, 8994f
  ori t3, t3, 1
  ecall
8994:
.endm

#endif
