/* Addresses and numbers of QEMU's virt board and of the SBI, for the board
 * test programs (see emulator/board/virt-map.ts and the SBI spec v1.0). */
#define FINISHER        0x100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333
#define CLINT_MSIP      0x2000000
#define CLINT_MTIMECMP  0x2004000
#define CLINT_MTIME     0x200bff8
#define PLIC            0xc000000
#define PLIC_ENABLE_CTX0 (PLIC + 0x2000)
#define PLIC_CTX0       (PLIC + 0x200000)
#define UART            0x10000000
#define UART_IRQ        10

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_STIP (1 << 5)
#define MIP_MTIP (1 << 7)
#define MIP_MEIP (1 << 11)
#define MSTATUS_MIE (1 << 3)
#define SSTATUS_SIE (1 << 1)

#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_IPI  0x735049
#define SBI_EXT_HSM  0x48534d
#define SBI_EXT_SRST 0x53525354

/* Ends the run through the test finisher: pass, or fail with `code`. */
#define EXIT_PASS        li t0, FINISHER; li t1, FINISHER_PASS; sw t1, 0(t0)
#define EXIT_FAIL(code)  li t0, FINISHER; li t1, ((code) << 16) | FINISHER_FAIL; sw t1, 0(t0)

/* A hart with nothing left to do waits forever (mie = 0: nothing wakes it). */
#define PARK  1: wfi; j 1b
