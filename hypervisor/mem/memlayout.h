// The named address vocabulary of the hypervisor: the virtual memory map of
// the design (shared/design/memory-management.txt, fixed in SPEC.md), the
// layout of the per-hart cpu struct, Sv39 address arithmetic and the QEMU virt
// device addresses. Included by C and assembly, so constants use U64().
// Nothing else in the hypervisor spells a raw address, shift or mask.
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define U64(x) x
#else
#define U64(x) x##UL
#endif

// ---- Page sizes (Sv39) ----
#define PGSHIFT        12
#define PGSIZE         U64(0x1000)              // 4 KiB page
#define MEGAPAGE       U64(0x200000)            // 2 MiB, a level-1 leaf
#define GIGAPAGE       U64(0x40000000)          // 1 GiB, a level-2 leaf
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

// ---- Virtual address spaces (VAS_*) ----
#define VAS_KERNEL     U64(0xffffffc000000000)  // kernel image: va = VAS_KERNEL + (pa - ram base)
#define VAS_CPU_STRUCT U64(0xffffffc040000000)  // this hart's cpu struct (same VA on every hart)
#define VAS_RAM        U64(0xffffffe000000000)  // linear map of all RAM: va = pa - ram base + VAS_RAM

// The image is loaded 2 MiB into RAM; the firmware (OpenSBI) owns the 2 MiB below it.
#define FIRMWARE_SIZE  U64(0x200000)
#define KERNEL_OFFSET  U64(0x200000)

// ---- cpu struct layout (offsets from VAS_CPU_STRUCT) ----
// guard (unmapped) | stack, 4 pages, grows down | cpu info | trap stack, 2 pages
#define CPU_GUARD_OFF      U64(0x0000)
#define CPU_STACK_OFF      U64(0x1000)
#define CPU_STACK_PAGES    4
#define CPU_INFO_OFF       U64(0x5000)
#define CPU_TRAPSTACK_OFF  U64(0x6000)
#define CPU_TRAPSTACK_PAGES 2
#define CPU_STRUCT_PAGES   7                    // mapped pages: stack + info + trap stack
#define CPU_STACK_TOP      (VAS_CPU_STRUCT + CPU_STACK_OFF + CPU_STACK_PAGES * PGSIZE)
#define CPU_TRAPSTACK_TOP  (VAS_CPU_STRUCT + CPU_TRAPSTACK_OFF + CPU_TRAPSTACK_PAGES * PGSIZE)
#define CPU_INFO           (VAS_CPU_STRUCT + CPU_INFO_OFF)

// ---- Sv39 (privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System") ----
#define PTE_V  (1 << 0)
#define PTE_R  (1 << 1)
#define PTE_W  (1 << 2)
#define PTE_X  (1 << 3)
#define PTE_U  (1 << 4)
#define PTE_G  (1 << 5)
#define PTE_A  (1 << 6)
#define PTE_D  (1 << 7)
#define PTE_LEAF_MASK (PTE_R | PTE_W | PTE_X)   // a valid PTE with any of these is a leaf
#define PTE_PPN_SHIFT 10
#define PTE_PPN_BITS  44

#define PX_BITS        9
#define PX_MASK        U64(0x1ff)
#define PXSHIFT(level) (PGSHIFT + PX_BITS * (level))
#define PX(level, va)  ((((U64(0) + (va))) >> PXSHIFT(level)) & PX_MASK)  // VPN[level] of va
#define LEVELSIZE(level) (U64(1) << PXSHIFT(level))                        // bytes a leaf at level maps
#define PA2PTE(pa)     ((((pa)) >> PGSHIFT) << PTE_PPN_SHIFT)
#define PTE2PA(pte)    ((((pte) >> PTE_PPN_SHIFT) & ((U64(1) << PTE_PPN_BITS) - 1)) << PGSHIFT)
#define SATP_MODE_SV39 (U64(8) << 60)
#define MAKE_SATP(root_pa) (SATP_MODE_SV39 | ((root_pa) >> PGSHIFT))

// Early boot table flags (SPEC.md, "The early boot table"): gigapage leaves only.
#define EARLY_FLAGS_DEV  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)          // 0 -> 0, never X
#define EARLY_FLAGS_RWX  (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)  // identity, kernel
#define EARLY_FLAGS_RAM  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)          // VAS_RAM
#define EARLY_MAX_RAM_GIGAPAGES 16                // 16 GiB, the largest RAM supported

// ---- QEMU virt board devices (identity mapped, never executable) ----
#define TEST_FINISHER      U64(0x100000)
#define TEST_FINISHER_SIZE U64(0x1000)
#define CLINT              U64(0x2000000)
#define CLINT_SIZE         U64(0x10000)
#define PLIC               U64(0xc000000)
#define PLIC_SIZE          U64(0x600000)
#define UART0              U64(0x10000000)
#define UART0_SIZE         U64(0x1000)                 // 0x100 of registers, one 4 KiB page

// ---- Limits ----
#define MAX_HARTS      8
#define MIN_RAM        U64(0x1000000)                 // 16 MiB
#define MAX_RAM        (EARLY_MAX_RAM_GIGAPAGES * GIGAPAGE)
#define BOOT_STACK_SIZE U64(0x2000)                   // per hart, before the cpu struct exists

#endif
