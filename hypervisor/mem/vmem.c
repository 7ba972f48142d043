// Virtual memory manager: builds this hart's final Sv39 table, exactly the
// map of SPEC.md ("The final per-hart address space"), and installs it.
// Tables and cpu-struct frames come from kalloc and are written through the
// linear map. Leaves carry A, and D exactly when writable (so no hardware
// A/D update is ever needed, Svade); non-leaf PTEs carry V only.
#include "../defs.h"
#include "../riscv.h"

u64 hart_root_pa[MAX_HARTS];   // by hart index: PA of each hart's root table

#define PERM_TEXT   (PTE_R | PTE_X | PTE_G)
#define PERM_RODATA (PTE_R | PTE_G)
#define PERM_DATA   (PTE_R | PTE_W | PTE_G)
#define PERM_RAM    (PTE_R | PTE_W | PTE_G)
#define PERM_DEVICE (PTE_R | PTE_W | PTE_G)
#define PERM_CPU    (PTE_R | PTE_W)          // this hart's own: not global

static bool is_leaf(pte_t pte) { return (pte & PTE_V) && (pte & PTE_LEAF_MASK); }

static pagetable_t table_alloc(void) {
  void *page = kalloc();
  if (!page) panic("vmem: out of memory for a page table");
  return page;
}

// walk: the PTE slot for va at leaf_level (2 = gigapage, 1 = megapage, 0 = page),
// allocating the tables on the way. Panics if a larger leaf already covers va.
static pte_t *walk(pagetable_t root, u64 va, int leaf_level) {
  pagetable_t table = root;
  for (int level = 2; level > leaf_level; level--) {
    pte_t *pte = &table[PX(level, va)];
    if (is_leaf(*pte)) panic("vmem: %p already mapped by a level-%d leaf", va, level);
    if (!(*pte & PTE_V)) {
      pagetable_t next = table_alloc();
      *pte = PA2PTE(lin2pa((u64)next)) | PTE_V;
    }
    table = (pagetable_t)pa2lin(PTE2PA(*pte));
  }
  return &table[PX(leaf_level, va)];
}

// map_leaf: one leaf of LEVELSIZE(level) bytes; panics on remap.
static void map_leaf(pagetable_t root, u64 va, u64 pa, int level, u64 perm) {
  pte_t *pte = walk(root, va, level);
  if (*pte & PTE_V) panic("vmem: remap of %p", va);
  *pte = PA2PTE(pa) | perm | PTE_V | PTE_A | ((perm & PTE_W) ? PTE_D : 0);
}

// map_region: [va, va + size) -> [pa, ...) with the largest leaves that VA
// alignment, PA alignment and the remaining length allow. All three page aligned.
static void map_region(pagetable_t root, u64 va, u64 pa, u64 size, u64 perm) {
  if ((va | pa | size) % PGSIZE) panic("vmem: unaligned region %p -> %p size %lx", va, pa, size);
  while (size > 0) {
    int level = 2;
    while (level > 0 && ((va | pa) % LEVELSIZE(level) || size < LEVELSIZE(level))) level--;
    map_leaf(root, va, pa, level, perm);
    va += LEVELSIZE(level), pa += LEVELSIZE(level), size -= LEVELSIZE(level);
  }
}

static void map_image(pagetable_t root, char *start, char *end, u64 perm) {
  map_region(root, (u64)start, kernel_va2pa((u64)start), (u64)(end - start), perm);
}

// map_cpu_struct: this hart's 7 frames at VAS_CPU_STRUCT, guard page left
// unmapped; fills the cpu info page. Allocation order: stack (low to high),
// info, trap stack.
static void map_cpu_struct(pagetable_t root, u64 index, u64 hartid) {
  for (u64 off = CPU_STACK_OFF; off < CPU_STACK_OFF + CPU_STACK_PAGES * PGSIZE; off += PGSIZE)
    map_leaf(root, VAS_CPU_STRUCT + off, lin2pa((u64)table_alloc()), 0, PERM_CPU);
  struct cpu *info = (struct cpu *)table_alloc();
  map_leaf(root, VAS_CPU_STRUCT + CPU_INFO_OFF, lin2pa((u64)info), 0, PERM_CPU);
  for (u64 off = CPU_TRAPSTACK_OFF; off < CPU_TRAPSTACK_OFF + CPU_TRAPSTACK_PAGES * PGSIZE; off += PGSIZE)
    map_leaf(root, VAS_CPU_STRUCT + off, lin2pa((u64)table_alloc()), 0, PERM_CPU);
  info->magic = CPU_MAGIC;
  info->hartid = hartid;
  info->index = index;
  info->root_pa = lin2pa((u64)root);
}

// kvm_build: the final table of hart `index`. Order of kalloc calls: root,
// then tables as needed for text, rodata, data+bss, linear map, devices
// (test finisher, CLINT, PLIC, UART), then the cpu struct.
pagetable_t kvm_build(u64 index, u64 hartid) {
  pagetable_t root = table_alloc();
  map_image(root, _text_start, _text_end, PERM_TEXT);
  map_image(root, _rodata_start, _rodata_end, PERM_RODATA);
  map_image(root, _data_start, _end, PERM_DATA);
  map_region(root, VAS_RAM, ram_base, ram_size, PERM_RAM);
  map_region(root, TEST_FINISHER, TEST_FINISHER, TEST_FINISHER_SIZE, PERM_DEVICE);
  map_region(root, CLINT, CLINT, CLINT_SIZE, PERM_DEVICE);
  map_region(root, PLIC, PLIC, PLIC_SIZE, PERM_DEVICE);
  map_region(root, UART0, UART0, UART0_SIZE, PERM_DEVICE);
  map_cpu_struct(root, index, hartid);
  hart_root_pa[index] = lin2pa((u64)root);
  return root;
}

// kvm_install: switch this hart to root. The first sfence.vma orders the
// table stores before the walks the new satp causes; the second drops every
// translation cached from the early table, whose entries are global (an
// ASID-only flush would keep them). Privileged spec, "Supervisor
// Address Translation and Protection (satp) Register" and "SFENCE.VMA".
void kvm_install(pagetable_t root) {
  sfence_vma_all();
  CSR_WRITE(satp, MAKE_SATP(lin2pa((u64)root)));
  sfence_vma_all();
}
