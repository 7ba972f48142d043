// Boot hart entry, the early gigapage table, the satp switch and the
// secondary hart entry. Runs before any C code, with the MMU off, so every
// address here is formed pc-relatively (lla) and is a physical address until
// the jump into the VAS_KERNEL alias.
//
// Contract (SBI boot protocol, "Hart State Management" for secondaries):
// entered in S-mode, satp = 0, sstatus.SIE = 0, a0 = hart id, a1 = device
// tree blob (boot hart) or opaque (secondary: the hart's index in dt.hartids).
#include "mem/memlayout.h"

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

	.section .text.entry, "ax"
	.globl _entry
_entry:
	// Only one hart may boot. A firmware may let a second hart reach the
	// image entry (OpenSBI's boot lottery has races under load); it must
	// not zero .bss under the first, so it hands itself back to the
	// firmware (HSM hart_stop), from where hart_start can start it later.
	lla	t0, boot_lottery
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, entry_lost_lottery
	mv	tp, a0			// tp holds the hart id until the cpu struct is mapped
	mv	s0, a0			// s0 = hart id
	mv	s1, a1			// s1 = dtb (PA)
	csrw	sie, zero
	csrw	sscratch, zero		// 0: no trap stack yet (see trap.S)
	lla	t0, early_trap
	csrw	stvec, t0

	// RAM base = where we were loaded minus KERNEL_OFFSET; must be 1 GiB aligned.
	lla	t0, _entry
	li	t1, KERNEL_OFFSET
	sub	s2, t0, t1
	li	t1, GIGAPAGE - 1
	and	t1, s2, t1
	lla	a0, msg_base_unaligned
	bnez	t1, early_panic

	// Zero .bss (it holds the early table and the boot stacks).
	lla	t0, _bss_start
	lla	t1, _bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	// RAM size from the device tree's /memory node.
	mv	a0, s1
	call	early_fdt_memory	// a0 = base, a1 = size (0 when not found)
	mv	s3, a1
	mv	t0, a0
	lla	a0, msg_no_memory
	beqz	s3, early_panic
	lla	a0, msg_base_mismatch
	bne	t0, s2, early_panic

	// Publish the boot facts for C (physical stores; same memory as their VAs).
	lla	t0, ram_base
	sd	s2, 0(t0)
	lla	t0, ram_size
	sd	s3, 0(t0)
	lla	t0, boot_hartid
	sd	s0, 0(t0)
	lla	t0, boot_dtb
	sd	s1, 0(t0)

	// Build the early table (SPEC.md "The early boot table").
	lla	a0, early_pagetable
	mv	a1, s2
	mv	a2, s3
	call	early_table_build

	// Switch satp; pc survives through the identity gigapage.
	mv	a0, s2
	call	early_satp_switch_to_kernel_alias
	// Now executing at VAS_KERNEL + offset; lla yields virtual addresses.
	lla	sp, boot_stack_top
	lla	t0, trap_entry
	csrw	stvec, t0
	mv	a0, s0
	call	kmain
	j	early_hang

entry_lost_lottery:
	li	a7, 0x48534D		// SBI HSM
	li	a6, 1			// hart_stop: does not return on success
	ecall
	j	early_hang

// Secondary hart: started by sbi_hart_start(hartid, PA of _secondary_entry, index).
	.globl _secondary_entry
_secondary_entry:
	mv	tp, a0
	mv	s0, a0			// hart id
	mv	s1, a1			// index
	csrw	sie, zero
	csrw	sscratch, zero
	lla	t0, early_trap
	csrw	stvec, t0
	lla	t0, ram_base
	ld	a0, 0(t0)
	call	early_satp_switch_to_kernel_alias
	// sp = boot_stacks + (index + 1) * BOOT_STACK_SIZE
	lla	sp, boot_stacks
	addi	t0, s1, 1
	li	t1, BOOT_STACK_SIZE
	mul	t0, t0, t1
	add	sp, sp, t0
	lla	t0, trap_entry
	csrw	stvec, t0
	mv	a0, s0
	mv	a1, s1
	call	secondary_main
	j	early_hang

// early_satp_switch_to_kernel_alias(a0 = ram base): satp := early table,
// then continue at the caller's return address in the VAS_KERNEL alias.
// Called and returning with the MMU off -> on; ra is rebased.
early_satp_switch_to_kernel_alias:
	lla	t0, early_pagetable
	srli	t0, t0, PGSHIFT
	li	t1, SATP_MODE_SV39
	or	t0, t0, t1
	sfence.vma zero, zero		// order the table stores before any walk
	csrw	satp, t0
	sfence.vma zero, zero
	li	t1, VAS_KERNEL
	sub	t1, t1, a0		// alias offset = VAS_KERNEL - ram base
	add	ra, ra, t1
	lla	t0, 1f
	add	t0, t0, t1
	jr	t0			// leave the identity mapping
1:	ret

// early_table_build(a0 = table (PA, zeroed), a1 = ram base, a2 = ram size)
// Writes exactly the entries of SPEC.md; a leaf, uses t registers only.
early_table_build:
	// 0x0 -> 0x0, for the serial console: R W, never X
	li	t0, EARLY_FLAGS_DEV
	sd	t0, 0(a0)
	// ram base -> ram base (identity) and VAS_KERNEL -> ram base: R W X
	srli	t2, a1, PGSHIFT
	slli	t2, t2, PTE_PPN_SHIFT
	ori	t2, t2, EARLY_FLAGS_RWX
	srli	t1, a1, PXSHIFT(2)
	andi	t1, t1, PX_MASK
	slli	t1, t1, 3
	add	t1, a0, t1
	sd	t2, 0(t1)
	li	t1, PX(2, VAS_KERNEL) * 8
	add	t1, a0, t1
	sd	t2, 0(t1)
	// VAS_RAM + i GiB -> ram base + i GiB for i < ceil(size / 1 GiB): R W
	li	t3, GIGAPAGE - 1
	add	t3, a2, t3
	srli	t3, t3, PXSHIFT(2)
	li	t4, EARLY_MAX_RAM_GIGAPAGES
	bleu	t3, t4, 1f
	mv	t3, t4			// more RAM than supported: C code panics
1:	li	t1, PX(2, VAS_RAM) * 8
	add	t1, a0, t1
	srli	t2, a1, PGSHIFT
	slli	t2, t2, PTE_PPN_SHIFT
	ori	t2, t2, EARLY_FLAGS_RAM
	li	t4, PA2PTE(GIGAPAGE)
2:	sd	t2, 0(t1)
	addi	t1, t1, 8
	add	t2, t2, t4
	addi	t3, t3, -1
	bnez	t3, 2b
	ret

// be32(a reg) -> rd: big-endian 32-bit load, byte by byte (no alignment assumed).
.macro BE32 rd, base, off, tmp
	lbu	\rd, \off(\base)
	lbu	\tmp, \off+1(\base)
	slli	\rd, \rd, 8
	or	\rd, \rd, \tmp
	lbu	\tmp, \off+2(\base)
	slli	\rd, \rd, 8
	or	\rd, \rd, \tmp
	lbu	\tmp, \off+3(\base)
	slli	\rd, \rd, 8
	or	\rd, \rd, \tmp
.endm

// early_fdt_memory(a0 = dtb) -> a0 = base, a1 = size of the first reg entry of
// the first depth-1 node named "memory" or "memory@..."; a1 = 0 if none or if
// the blob's magic is wrong. Assumes the root's #address-cells = #size-cells
// = 2 (QEMU virt); dt.c re-reads the tree with the real cell sizes and panics
// if the answer differs. Devicetree spec, "Flattened Devicetree (DTB) Format".
early_fdt_memory:
	BE32	t0, a0, 0, t6
	li	t1, 0xd00dfeed
	bne	t0, t1, 9f
	BE32	t0, a0, 8, t6		// off_dt_struct
	add	a2, a0, t0		// a2 = token cursor
	BE32	t0, a0, 12, t6		// off_dt_strings
	add	a3, a0, t0		// a3 = strings block
	li	a4, 0			// a4 = depth
	li	a5, 0			// a5 = inside a memory node at depth 2
1:	BE32	t0, a2, 0, t6
	addi	a2, a2, 4
	li	t1, FDT_BEGIN_NODE
	beq	t0, t1, 2f
	li	t1, FDT_END_NODE
	beq	t0, t1, 5f
	li	t1, FDT_PROP
	beq	t0, t1, 6f
	li	t1, FDT_NOP
	beq	t0, t1, 1b
	j	9f			// FDT_END or garbage: not found
2:	// FDT_BEGIN_NODE: name follows, NUL terminated, padded to 4
	addi	a4, a4, 1
	li	t1, 2
	bne	a4, t1, 4f
	lla	t2, str_memory		// compare name with "memory"
	mv	t3, a2
3:	lbu	t4, 0(t2)
	beqz	t4, 31f
	lbu	t5, 0(t3)
	bne	t4, t5, 4f
	addi	t2, t2, 1
	addi	t3, t3, 1
	j	3b
31:	lbu	t5, 0(t3)		// "memory" must end the name or precede '@'
	beqz	t5, 32f
	li	t4, '@'
	bne	t5, t4, 4f
32:	li	a5, 1
4:	lbu	t4, 0(a2)		// skip the name
	addi	a2, a2, 1
	bnez	t4, 4b
	addi	a2, a2, 3
	andi	a2, a2, -4
	j	1b
5:	// FDT_END_NODE
	li	t1, 2
	bne	a4, t1, 51f
	li	a5, 0
51:	addi	a4, a4, -1
	j	1b
6:	// FDT_PROP: len, nameoff, value
	BE32	t0, a2, 0, t6		// len
	BE32	t1, a2, 4, t6		// nameoff
	addi	a2, a2, 8
	beqz	a5, 7f
	li	t2, 2
	bne	a4, t2, 7f
	add	t1, a3, t1		// property name == "reg"?
	lla	t2, str_reg
61:	lbu	t4, 0(t2)
	lbu	t5, 0(t1)
	bne	t4, t5, 7f
	beqz	t4, 8f
	addi	t2, t2, 1
	addi	t1, t1, 1
	j	61b
7:	add	a2, a2, t0		// skip the value, padded to 4
	addi	a2, a2, 3
	andi	a2, a2, -4
	j	1b
8:	li	t1, 16			// two cells of address, two of size
	bltu	t0, t1, 9f
	BE32	t1, a2, 0, t6
	BE32	t2, a2, 4, t6
	slli	t1, t1, 32
	or	a0, t1, t2
	BE32	t1, a2, 8, t6
	BE32	t2, a2, 12, t6
	slli	t1, t1, 32
	or	a1, t1, t2
	ret
9:	li	a0, 0
	li	a1, 0
	ret

// early_panic(a0 = message): print "PANIC early <message>" on the UART
// (identity address: works with the MMU off and under the early table), then
// power off with status 1, as panic() does.
early_panic:
	mv	s4, a0
	lla	a0, msg_panic_prefix
	call	early_puts
	mv	a0, s4
	call	early_puts
	li	t0, TEST_FINISHER	// exit status 1 on QEMU (see sbi_shutdown in sbi.c)
	li	t1, 0x13333
	sw	t1, 0(t0)
	li	a0, 0			// SRST: shutdown
	li	a1, 1			//       reason: system failure
	li	a6, 0
	li	a7, 0x53525354
	ecall
early_hang:
	wfi
	j	early_hang

// early_puts(a0 = NUL-terminated string): polled ns16550 output.
early_puts:
	li	t0, UART0
1:	lbu	t1, 0(a0)
	beqz	t1, 3f
2:	lbu	t2, 5(t0)		// LSR
	andi	t2, t2, 0x20		// THRE
	beqz	t2, 2b
	sb	t1, 0(t0)		// THR
	addi	a0, a0, 1
	j	1b
3:	ret

// A trap before C code or before trap_entry is installed: report and stop.
	.align 2
early_trap:
	lla	a0, msg_early_trap
	j	early_panic

// hart_run_on_cpu_struct: called once the final table is installed. Moves
// onto this hart's cpu struct stack and points sscratch at its trap stack.
	.text
	.globl hart_run_on_cpu_struct
hart_run_on_cpu_struct:
	li	sp, CPU_STACK_TOP
	li	t0, CPU_TRAPSTACK_TOP
	csrw	sscratch, t0
	call	hart_main
	j	early_hang

// hart_resume_serving: after a reported fault (trap.c), serve commands again
// on a fresh stack; the trap stack is given back through sscratch.
	.globl hart_resume_serving
hart_resume_serving:
	li	sp, CPU_STACK_TOP
	li	t0, CPU_TRAPSTACK_TOP
	csrw	sscratch, t0
	call	hart_serve
	j	early_hang

	.section .rodata
str_memory:		.asciz "memory"
str_reg:		.asciz "reg"
msg_panic_prefix:	.asciz "PANIC early "
msg_base_unaligned:	.asciz "image not loaded at a 1 GiB aligned RAM base + 2 MiB\n"
msg_no_memory:		.asciz "no /memory node with a reg property in the device tree\n"
msg_base_mismatch:	.asciz "device tree RAM base differs from the load address - 2 MiB\n"
msg_early_trap:		.asciz "trap before the trap handler was installed\n"

	.data
	.align 2
	.globl boot_lottery
boot_lottery:				// 0 until the first hart enters _entry
	.word 0

	.bss
	.align 12
	.globl early_pagetable
early_pagetable:
	.space 4096
	.globl boot_stacks
boot_stacks:				// one BOOT_STACK_SIZE stack per secondary index (grows down from index+1)
	.space BOOT_STACK_SIZE * MAX_HARTS
	.space BOOT_STACK_SIZE		// the boot hart's
	.globl boot_stack_top
boot_stack_top:
