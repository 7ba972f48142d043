// Supervisor trap entry (stvec, direct mode) and the probe/recursion helpers
// whose faults the console reports.
//
// sscratch holds this hart's trap-stack top (CPU_TRAPSTACK_TOP) once the cpu
// struct is mapped, 0 before. Swapping it with sp on entry means a trap taken
// with a bad sp (a stack overflow into the guard page) still runs on a good
// stack. Privileged spec: "Supervisor Scratch Register (sscratch)".
#include "mem/memlayout.h"

#define TF_SIZE (34 * 8)		// x1..x31 (x0 slot unused), sepc, and the early flag

	.text
	.align 2
	.globl trap_entry
trap_entry:
	csrrw	sp, sscratch, sp	// sp = trap-stack top, sscratch = interrupted sp
	bnez	sp, 1f
	csrrw	sp, sscratch, sp	// no trap stack yet: stay on the current one
	addi	sp, sp, -TF_SIZE
	sd	t0, 5*8(sp)
	addi	t0, sp, TF_SIZE
	sd	t0, 2*8(sp)
	li	t0, 1
	sd	t0, 33*8(sp)		// early = 1
	j	2f
1:	addi	sp, sp, -TF_SIZE
	sd	t0, 5*8(sp)
	csrr	t0, sscratch
	sd	t0, 2*8(sp)		// the interrupted sp
	sd	zero, 33*8(sp)		// early = 0
	csrw	sscratch, zero		// a trap inside the handler is fatal (early path)
2:	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	.irp	n, 6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, \n*8(sp)
	.endr
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	mv	a0, sp
	call	trap_handler		// returns only to resume a guest (guest.c); else panics or resumes serving
	// Back into the guest at tf->sepc, with its registers as the handler left them.
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	addi	t0, sp, TF_SIZE
	csrw	sscratch, t0		// the trap stack for the guest's next trap
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	.irp	n, 5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, \n*8(sp)
	.endr
	ld	sp, 2*8(sp)
	sret

// recurse(depth): depth nested calls, RECURSE_FRAME (256) bytes of stack each.
// Each level fills its whole frame with its depth, from the top down, as a
// prologue saving registers would: stores only ever descend, so the first
// one below the stack faults (in the guard page), and whatever is mapped
// below the stack is overwritten right up to the guard.
	.globl recurse
recurse:
	beqz	a0, 2f
	addi	sp, sp, -256
	addi	t0, sp, 248
1:	sd	a0, 0(t0)
	addi	t0, t0, -8
	bgeu	t0, sp, 1b
	sd	ra, 248(sp)
	addi	a0, a0, -1
	call	recurse
	ld	ra, 248(sp)
	addi	sp, sp, 256
2:	ret

// probe_read(va) -> the 8 bytes at va; probe_write(va, value); probe_exec(va)
// jumps to va. A fault is reported by trap.c (kind=probe).
	.globl probe_read
probe_read:
	ld	a0, 0(a0)
	ret
	.globl probe_write
probe_write:
	sd	a1, 0(a0)
	ret
	.globl probe_exec
probe_exec:
	jr	a0			// a returning target returns to our caller
	.globl probe_ret
probe_ret:
	ret
