// Physical memory manager: every free 4 KiB frame of RAM on one LIFO list,
// linked through the first 8 bytes of each free frame, addressed only through
// the linear map (VAS_RAM), plus a per-frame state byte so that kfree can
// judge any pointer it is given (SPEC.md "The page allocator").
//
// Symbols read by the property suite: kmem_freelist, kmem_nfree, kmem_lock,
// kmem_frame_state, kalloc, kfree.
#include "../defs.h"
#include "../riscv.h"

u64 kmem_freelist;        // linear-map VA of the head frame, 0 when empty
u64 kmem_nfree;           // frames on the list
volatile u32 kmem_lock;   // guards the three words above and the state table
u64 kmem_frame_state;     // linear-map VA of the state table, one byte per frame
u64 kmem_nframes;         // frames of RAM

#define POISON 0x01

static u8 *state_table(void) { return (u8 *)kmem_frame_state; }
static u64 frame_index(u64 va) { return (va - VAS_RAM) >> PGSHIFT; }

// Marks the frames overlapping [pa, pa + size) RESERVED (rounded outward to pages, clipped to RAM).
static void reserve(u64 pa, u64 size) {
  u64 lo = PGROUNDDOWN(pa), hi = PGROUNDUP(pa + size);
  if (lo < ram_base) lo = ram_base;
  if (hi > ram_base + ram_size) hi = ram_base + ram_size;
  for (u64 a = lo; a < hi; a += PGSIZE) state_table()[(a - ram_base) >> PGSHIFT] = FRAME_RESERVED;
}

// kmem_init: called once, by the boot hart, under the early table. Builds the
// state table at _end and the free list in ascending PA order, so the
// highest free frame is at the head.
void kmem_init(void) {
  u64 end_pa = kernel_va2pa((u64)_end);
  kmem_nframes = ram_size >> PGSHIFT;
  u64 table_bytes = PGROUNDUP(kmem_nframes);   // 1 byte per frame, whole pages
  if (end_pa + table_bytes > ram_base + ram_size) panic("kmem: RAM too small for the frame-state table");
  kmem_frame_state = pa2lin(end_pa);
  for (u64 i = 0; i < kmem_nframes; i++) state_table()[i] = FRAME_FREE;

  reserve(ram_base, FIRMWARE_SIZE);                       // OpenSBI
  reserve(ram_base + KERNEL_OFFSET, end_pa - (ram_base + KERNEL_OFFSET));  // the image
  reserve(end_pa, table_bytes);                           // this table
  reserve(boot_dtb, dt.dtb_size);                         // the device tree blob
  for (u64 i = 0; i < dt.nreserved; i++) reserve(dt.reserved[i].base, dt.reserved[i].size);

  kmem_freelist = 0;
  kmem_nfree = 0;
  for (u64 i = 0; i < kmem_nframes; i++) {
    if (state_table()[i] != FRAME_FREE) continue;
    u64 va = VAS_RAM + (i << PGSHIFT);
    *(u64 *)va = kmem_freelist;
    kmem_freelist = va;
    kmem_nfree++;
  }
}

// kalloc: a zeroed frame (linear-map VA), or NULL after printing a report
// when no frame is free. Panics if the head is not marked FREE (the list is corrupt).
void *kalloc(void) {
  acquire(&kmem_lock);
  u64 va = kmem_freelist;
  if (va) {
    if (state_table()[frame_index(va)] != FRAME_FREE) panic("kalloc: head %p is not a free frame", va);
    kmem_freelist = *(u64 *)va;
    kmem_nfree--;
    state_table()[frame_index(va)] = FRAME_ALLOCATED;
  }
  release(&kmem_lock);
  if (!va) {
    printf("KMEM hart=%lu kalloc out-of-memory\n", read_tp());
    return NULL;
  }
  u64 *p = (u64 *)va;
  for (u64 i = 0; i < PGSIZE / 8; i++) p[i] = 0;
  return (void *)va;
}

static enum kfree_verdict kfree_check(u64 va) {
  if (va % PGSIZE) return KFREE_MISALIGNED;
  if (va < VAS_RAM || va - VAS_RAM >= ram_size) return KFREE_OUT_OF_RANGE;
  u8 state = state_table()[frame_index(va)];
  if (state == FRAME_RESERVED) return KFREE_RESERVED;
  if (state == FRAME_FREE) return KFREE_DOUBLE_FREE;
  return KFREE_OK;
}

// kfree: gives back a frame kalloc returned. The first failing check (in the
// order of enum kfree_verdict) is the verdict; a failed kfree prints a report
// line and changes nothing. A freed frame is poisoned except for its link.
enum kfree_verdict kfree(void *p) {
  u64 va = (u64)p;
  acquire(&kmem_lock);
  enum kfree_verdict verdict = kfree_check(va);
  if (verdict == KFREE_OK) {
    for (u64 i = 1; i < PGSIZE / 8; i++) ((u64 *)va)[i] = POISON * 0x0101010101010101UL;
    state_table()[frame_index(va)] = FRAME_FREE;
    *(u64 *)va = kmem_freelist;
    kmem_freelist = va;
    kmem_nfree++;
  }
  release(&kmem_lock);
  if (verdict != KFREE_OK) printf("KMEM hart=%lu kfree va=%p verdict=%s\n", read_tp(), va, kfree_verdict_name(verdict));
  return verdict;
}

const char *kfree_verdict_name(enum kfree_verdict v) {
  static const char *const names[] = { "Ok", "Misaligned", "OutOfRange", "Reserved", "DoubleFree" };
  return v < ARRAY_LEN(names) ? names[v] : "?";
}

// frame_state_of: the state byte of the frame holding linear-map address va, -1 outside RAM.
int frame_state_of(u64 va) {
  if (va < VAS_RAM || va - VAS_RAM >= ram_size) return -1;
  return state_table()[frame_index(va)];
}

const char *frame_state_name(int state) {
  static const char *const names[] = { "RESERVED", "FREE", "ALLOCATED" };
  return state >= 0 && state < (int)ARRAY_LEN(names) ? names[state] : "OUTSIDE";
}
