// Entering and leaving a guest. vm_enter saves the host's callee-saved state
// (and tp, the hart id) in a struct host_context and srets into the guest with
// the CSRs guest.c prepared (hgatp, hstatus.SPV = 1, sstatus.SPP = 1, sepc);
// every other register is zeroed so no host value reaches the guest. A trap
// from the guest enters trap_entry as any trap does; when guest.c decides the
// run is over it calls vm_leave on the trap stack, which restores the saved
// state and returns `code` from vm_enter.
#include "mem/memlayout.h"

#define HC_RA  0
#define HC_SP  8
#define HC_TP  16
#define HC_S0  24                        // s0..s11 follow, 8 bytes each

	.text
// u64 vm_enter(struct host_context *ctx, u64 a0, u64 a1, u64 a2, u64 a3)
	.globl vm_enter
vm_enter:
	sd	ra, HC_RA(a0)
	sd	sp, HC_SP(a0)
	sd	tp, HC_TP(a0)
	sd	s0, HC_S0 + 0*8(a0)
	sd	s1, HC_S0 + 1*8(a0)
	sd	s2, HC_S0 + 2*8(a0)
	sd	s3, HC_S0 + 3*8(a0)
	sd	s4, HC_S0 + 4*8(a0)
	sd	s5, HC_S0 + 5*8(a0)
	sd	s6, HC_S0 + 6*8(a0)
	sd	s7, HC_S0 + 7*8(a0)
	sd	s8, HC_S0 + 8*8(a0)
	sd	s9, HC_S0 + 9*8(a0)
	sd	s10, HC_S0 + 10*8(a0)
	sd	s11, HC_S0 + 11*8(a0)
	mv	a0, a1
	mv	a1, a2
	mv	a2, a3
	mv	a3, a4
	.irp	n, 1,2,3,4,5,6,7,8,9,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	li	x\n, 0
	.endr
	sret

// void vm_leave(struct host_context *ctx, u64 code): never returns to its caller.
	.globl vm_leave
vm_leave:
	ld	ra, HC_RA(a0)
	ld	sp, HC_SP(a0)
	ld	tp, HC_TP(a0)
	ld	s0, HC_S0 + 0*8(a0)
	ld	s1, HC_S0 + 1*8(a0)
	ld	s2, HC_S0 + 2*8(a0)
	ld	s3, HC_S0 + 3*8(a0)
	ld	s4, HC_S0 + 4*8(a0)
	ld	s5, HC_S0 + 5*8(a0)
	ld	s6, HC_S0 + 6*8(a0)
	ld	s7, HC_S0 + 7*8(a0)
	ld	s8, HC_S0 + 8*8(a0)
	ld	s9, HC_S0 + 9*8(a0)
	ld	s10, HC_S0 + 10*8(a0)
	ld	s11, HC_S0 + 11*8(a0)
	li	t0, CPU_TRAPSTACK_TOP
	csrw	sscratch, t0		// trap_entry cleared it; the next trap gets the trap stack again
	mv	a0, a1
	ret
