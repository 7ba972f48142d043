// The bundled guest: copied into guest page 0 (GPA 0x8000_0000) at every run
// and entered there in VS-mode with its MMU off. Position independent (only
// pc-relative and absolute guest-physical addresses), so it runs from the
// copy. Arguments from the host: a0 = guest RAM size, a1 = seed, a2 = number
// of stores, a3 = a GPA to load from at the end (0: none; an odd a3: jump to
// a3 - 1 instead, a fetch there).
//
//   page 0: this code    page 1: its VS-stage root    pages 3..: data
//
// 1. Builds a VS-stage Sv39 root: VA 0x8000_0000 and its alias 0xC000_0000
//    both map the gigabyte at GPA 0x8000_0000 (RWX, A, D), enables vsatp.
// 2. Stores a2 doublewords to data pages picked from the seed, odd ones
//    through the alias, and reads them back; reports the sum (SBI "HVSG" 0).
// 3. Turns its MMU off again (vsatp Bare), loads from a3 if it is not 0 and
//    reports the value (or, for an odd a3, fetches from a3 - 1), then shuts
//    down (SBI SRST, reason = stores made).
#include "../mem/gstage.h"

#define VS_ROOT    (GUEST_RAM_BASE + PGSIZE)
#define DATA_PAGE0 3
#define VS_GIGA    (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define ALIAS_DELTA U64(0x40000000)        // VA 0xC000_0000 - VA 0x8000_0000

	.section .rodata.guest, "a"
	.balign 8
	.globl guest_image_start, guest_image_end
guest_image_start:
	mv	s0, a0			// RAM size
	mv	s1, a1			// seed
	mv	s2, a2			// stores
	mv	s3, a3			// probe GPA
	// 1. VS-stage root: zero it, then entries 2 (VA 0x8000_0000) and 3 (the alias)
	li	t0, VS_ROOT
	li	t1, PGSIZE / 8
1:	sd	zero, 0(t0)
	addi	t0, t0, 8
	addi	t1, t1, -1
	bnez	t1, 1b
	li	t0, VS_ROOT
	li	t1, ((GUEST_RAM_BASE >> PGSHIFT) << PTE_PPN_SHIFT) | VS_GIGA
	sd	t1, 2 * 8(t0)
	sd	t1, 3 * 8(t0)
	li	t2, SATP_MODE_SV39 | (VS_ROOT >> PGSHIFT)
	csrw	satp, t2		// vsatp, as seen from VS-mode
	sfence.vma
	// 2. stores: slot i at data page 3 + (seed + 7 i) mod (pages - 3), offset 8 i mod 2 KiB
	srli	s4, s0, PGSHIFT
	addi	s4, s4, -DATA_PAGE0	// data pages
	li	s5, 0			// sum
	li	s6, 0			// i
2:	bgeu	s6, s2, 4f
	li	t0, 7
	mul	t0, t0, s6
	add	t0, t0, s1
	remu	t0, t0, s4
	addi	t0, t0, DATA_PAGE0
	slli	t0, t0, PGSHIFT
	slli	t1, s6, 3
	andi	t1, t1, 0x7f8		// within the page, 8-byte aligned
	add	t0, t0, t1
	li	t1, GUEST_RAM_BASE
	add	t0, t0, t1		// the slot's GPA = its VA
	xor	t2, t0, s1		// the value: GPA ^ seed
	andi	t3, s6, 1
	beqz	t3, 3f
	li	t1, ALIAS_DELTA
	add	t0, t0, t1		// odd slots through the alias
3:	sd	t2, 0(t0)
	ld	t3, 0(t0)
	add	s5, s5, t3
	addi	s6, s6, 1
	j	2b
4:	mv	a0, s5
	li	a6, SBI_GUEST_REPORT
	li	a7, SBI_EXT_HVSPEC_GUEST
	ecall
	// 3. MMU off, probe, shut down
	csrw	satp, zero
	sfence.vma
	beqz	s3, 5f
	andi	t0, s3, 1
	bnez	t0, 7f
	ld	a0, 0(s3)
	li	a6, SBI_GUEST_REPORT
	li	a7, SBI_EXT_HVSPEC_GUEST
	ecall
5:	li	a0, 0			// SRST type: shutdown
	mv	a1, s6			// reason: the stores made
	li	a6, 0
	li	a7, SBI_EXT_SRST
	ecall
6:	j	6b
7:	andi	s3, s3, -2
	jr	s3			// a fetch from the probe GPA
	.balign 8
guest_image_end:
