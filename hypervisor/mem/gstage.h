// The guest side of the address vocabulary (SPEC.md "Guests"): guest-physical
// RAM, the Sv39x4 G-stage table (privileged spec 1.12, "Guest Physical
// Address Translation"), hgatp, and the hypervisor-extension CSR numbers
// (clang 14 rejects the H extension, so CSRs are numbers and HFENCE.GVMA an
// .insn encoding).
#ifndef GSTAGE_H
#define GSTAGE_H
#include "memlayout.h"

#define GUEST_RAM_BASE   U64(0x80000000)   // where a virt-board guest expects RAM
#define GUEST_RAM_MIN    U64(0x8000)       // 32 KiB: image, VS root, stack, 5 data pages
#define GUEST_RAM_MAX    U64(0x4000000)    // 64 MiB
#define MAX_VMS          4                 // VMIDs 1..MAX_VMS
#define GSTAGE_ROOT_SIZE U64(0x4000)       // Sv39x4 root: 2048 PTEs, 16 KiB aligned
#define GSTAGE_ROOT_FRAMES 4
#define GSTAGE_ROOT_PTES 2048
#define ROOT_SEARCH_MAX  64                // frames held while looking for an aligned root
// Every guest RAM leaf: U (G-stage accesses are checked as U-mode), A, D since W.
#define GSTAGE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
// GX(level, gpa): the G-stage index; 11 bits (GPA 40..30) at the root.
#define GX(level, gpa) ((level) == 2 ? (((gpa) >> PXSHIFT(2)) & U64(0x7ff)) : PX(level, gpa))

#define HGATP_MODE_SV39X4 (U64(8) << 60)
#define HGATP_VMID_SHIFT  44
#define MAKE_HGATP(root_pa, vmid) (HGATP_MODE_SV39X4 | ((u64)(vmid) << HGATP_VMID_SHIFT) | ((root_pa) >> PGSHIFT))

#define CSR_HSTATUS  0x600
#define CSR_HEDELEG  0x602
#define CSR_HIDELEG  0x603
#define CSR_HTVAL    0x643
#define CSR_HVIP     0x645
#define CSR_HGATP    0x680
#define CSR_VSSTATUS 0x200
#define CSR_VSTVEC   0x205
#define CSR_VSATP    0x280
#define HSTATUS_SPV  (U64(1) << 7)
#define HSTATUS_SPVP (U64(1) << 8)
#define SSTATUS_SPP  (U64(1) << 8)
#define SSTATUS_SPIE (U64(1) << 5)
#define CAUSE_VS_ECALL 10

// SBI calls a guest makes: SRST shutdown ends its run; the firmware-specific
// extension "HVSG" (EID in 0x0A000000-0x0AFFFFFF) function 0 reports a value.
#define SBI_EXT_SRST        U64(0x53525354)
#define SBI_EXT_HVSPEC_GUEST U64(0x0A565347)
#define SBI_GUEST_REPORT    0
#define SBI_ERR_NOT_SUPPORTED (-2)
#endif
