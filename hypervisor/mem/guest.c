// Guests: VMs whose memory comes from kalloc (SPEC.md "Guests", implemented
// exactly as model/guest.ts states it). A VM is guest RAM at GPA 0x8000_0000,
// one kalloc frame per 4 KiB page, mapped by its own Sv39x4 G-stage table
// (tables from kalloc too, written through the linear map), and a VMID. The
// G-stage table is the only record of a VM's frames: destroy walks it.
#include "../defs.h"
#include "../riscv.h"
#include "gstage.h"

struct vm vms[MAX_VMS];          // slot free when id == 0
u64 vm_next_id = 1;              // console handles: 1, 2, 3, ... never reused
static u64 root_held[ROOT_SEARCH_MAX];

// HFENCE.GVMA x0, vmid: drops this hart's cached G-stage (and combined)
// translations of `vmid` and orders earlier G-stage table stores before later
// implicit walks (privileged spec 1.12, "Hypervisor Memory-Management Fence
// Instructions"). Local to this hart.
static void hfence_gvma_vmid(u64 vmid) {
  __asm__ volatile(".insn r 0x73, 0, 0x31, x0, x0, %0" : : "r"(vmid) : "memory");
}

static void free_frame_pa(u64 pa) {
  if (kfree((void *)pa2lin(pa)) != KFREE_OK) panic("vm: kfree of G-stage frame %p refused", pa);
}

// alloc_root: a 16 KiB aligned run of four frames from a page allocator that
// hands out one frame at a time: kalloc until four of the frames held are
// contiguous and aligned, then kfree the others newest first, so the free
// list is back in its old order without the four. 0 when none is found.
static u64 alloc_root(enum vm_error *error) {
  u64 n = 0;
  for (;;) {
    void *p = kalloc();
    if (!p) { *error = VM_OUT_OF_MEMORY; break; }
    u64 pa = lin2pa((u64)p), base = pa & ~(GSTAGE_ROOT_SIZE - 1);
    root_held[n++] = pa;
    u64 found = 0;
    for (u64 i = 0; i < n; i++)
      if (root_held[i] >= base && root_held[i] < base + GSTAGE_ROOT_SIZE) found++;
    if (found == GSTAGE_ROOT_FRAMES) {
      for (u64 i = n; i-- > 0;)
        if (root_held[i] < base || root_held[i] >= base + GSTAGE_ROOT_SIZE) free_frame_pa(root_held[i]);
      return base;
    }
    if (n == ROOT_SEARCH_MAX) { *error = VM_NO_ALIGNED_ROOT; break; }
  }
  while (n-- > 0) free_frame_pa(root_held[n]);
  return 0;
}

// gstage_slot: the level-0 PTE slot for gpa, allocating the level-1 and
// level-0 tables it still needs (in that order); NULL when kalloc fails.
static pte_t *gstage_slot(u64 root_pa, u64 gpa) {
  pte_t *table = (pte_t *)pa2lin(root_pa);
  for (int level = 2; level > 0; level--) {
    pte_t *pte = &table[GX(level, gpa)];
    if (!(*pte & PTE_V)) {
      void *next = kalloc();
      if (!next) return 0;
      *pte = PA2PTE(lin2pa((u64)next)) | PTE_V;
    }
    table = (pte_t *)pa2lin(PTE2PA(*pte));
  }
  return &table[GX(0, gpa)];
}

// gstage_frame: the frame the table maps gpa's page to (the table is complete: create made it).
static u64 gstage_frame(u64 root_pa, u64 gpa) {
  pte_t *table = (pte_t *)pa2lin(root_pa);
  for (int level = 2; level > 0; level--) table = (pte_t *)pa2lin(PTE2PA(table[GX(level, gpa)]));
  return PTE2PA(table[GX(0, gpa)]);
}

// free_gstage: every frame of the table rooted at root_pa back through kfree,
// walked by GPA: each lower table after the frames and tables below it, then
// the root's four frames ascending. Returns the frames freed.
static u64 free_gstage(u64 root_pa) {
  u64 freed = 0;
  pte_t *root = (pte_t *)pa2lin(root_pa);
  for (u64 i = 0; i < GSTAGE_ROOT_PTES; i++) {
    if (!(root[i] & PTE_V)) continue;
    pte_t *l1 = (pte_t *)pa2lin(PTE2PA(root[i]));
    for (u64 j = 0; j < PGSIZE / sizeof(pte_t); j++) {
      if (!(l1[j] & PTE_V)) continue;
      pte_t *l0 = (pte_t *)pa2lin(PTE2PA(l1[j]));
      for (u64 k = 0; k < PGSIZE / sizeof(pte_t); k++)
        if (l0[k] & PTE_V) free_frame_pa(PTE2PA(l0[k])), freed++;
      free_frame_pa(lin2pa((u64)l0)), freed++;
    }
    free_frame_pa(lin2pa((u64)l1)), freed++;
  }
  for (u64 f = 0; f < GSTAGE_ROOT_FRAMES; f++) free_frame_pa(root_pa + f * PGSIZE), freed++;
  return freed;
}

// vm_free_vmid: the lowest VMID no live VM holds (destroy fences it first), 0 if none.
static u64 vm_free_vmid(void) {
  for (u64 vmid = 1; vmid <= MAX_VMS; vmid++) {
    bool used = false;
    for (u64 s = 0; s < MAX_VMS; s++) used |= vms[s].id != 0 && vms[s].vmid == vmid;
    if (!used) return vmid;
  }
  return 0;
}

struct vm *vm_by_id(u64 id) {
  for (u64 s = 0; s < MAX_VMS; s++)
    if (id != 0 && vms[s].id == id) return &vms[s];
  return 0;
}

const char *vm_error_name(enum vm_error e) {
  static const char *const names[] = { "ok", "bad-size", "too-many-vms", "out-of-memory", "no-aligned-root" };
  return names[e];
}

// vm_create: a VM of ram_size bytes; on VM_OUT_OF_MEMORY everything taken is freed again.
enum vm_error vm_create(u64 ram_size, struct vm **out) {
  if (ram_size % PGSIZE || ram_size < GUEST_RAM_MIN || ram_size > GUEST_RAM_MAX) return VM_BAD_SIZE;
  struct vm *slot = 0;
  for (u64 s = 0; s < MAX_VMS && !slot; s++)
    if (vms[s].id == 0) slot = &vms[s];
  u64 vmid = vm_free_vmid();
  if (!slot || !vmid) return VM_TOO_MANY_VMS;
  enum vm_error error = VM_OK;
  u64 root = alloc_root(&error);
  if (!root) return error;
  u64 frames = GSTAGE_ROOT_FRAMES, tables_before;
  for (u64 gpa = GUEST_RAM_BASE; gpa < GUEST_RAM_BASE + ram_size; gpa += PGSIZE) {
    tables_before = kmem_nfree;
    pte_t *slot_pte = gstage_slot(root, gpa);
    void *frame = slot_pte ? kalloc() : 0;
    if (!frame) {
      hfence_gvma_vmid(vmid);
      free_gstage(root);
      return VM_OUT_OF_MEMORY;
    }
    frames += tables_before - kmem_nfree;
    *slot_pte = PA2PTE(lin2pa((u64)frame)) | GSTAGE_LEAF;
  }
  *slot = (struct vm){ .id = vm_next_id++, .vmid = vmid, .ram_size = ram_size, .root_pa = root, .frames = frames, .running = 0 };
  *out = slot;
  return VM_OK;
}

// vm_destroy: HFENCE.GVMA for the VMID before any frame can be reused, then
// every frame back through kfree; the VMID is free once the slot is.
u64 vm_destroy(struct vm *vm) {
  hfence_gvma_vmid(vm->vmid);
  u64 freed = free_gstage(vm->root_pa);
  *vm = (struct vm){ 0 };
  return freed;
}

// ---- running a guest on this hart ----

struct guest_run {
  struct host_context host;
  struct vm *vm;
  u64 reports;
  u64 exit_cause;      // 0 while running; CAUSE_VS_ECALL for a shutdown, else the trap's scause
  u64 exit_reason, exit_stval, exit_gpa, exit_pc;
};
static struct guest_run runs[MAX_HARTS];

bool guest_trapped(void) { return (CSR_READ(0x600) & HSTATUS_SPV) != 0; }

// guest_trap: a trap taken from the guest running on this hart. An SBI call
// is served and the guest resumes after it; anything else ends the run.
void guest_trap(u64 *regs, u64 *sepc, u64 cause, u64 stval) {
  struct cpu *c = mycpu();
  struct guest_run *run = &runs[c->index];
  __asm__ volatile("mv tp, %0" : : "r"(c->hartid));   // KMEM/PANIC lines name the hart by tp
  if (cause == CAUSE_VS_ECALL) {
    u64 eid = regs[17], fid = regs[16];
    *sepc += 4;
    if (eid == SBI_EXT_HVSPEC_GUEST && fid == SBI_GUEST_REPORT) {
      printf("GUEST vm=%lu hart=%lu report=%p\n", run->vm->id, c->hartid, regs[10]);
      run->reports++;
      regs[10] = 0;
      return;
    }
    if (eid == SBI_EXT_SRST && fid == 0 && regs[10] == 0) {
      run->exit_cause = CAUSE_VS_ECALL, run->exit_reason = regs[11];
      vm_leave(&run->host, 0);
    }
    regs[10] = (u64)SBI_ERR_NOT_SUPPORTED;
    return;
  }
  run->exit_cause = cause, run->exit_stval = stval, run->exit_pc = *sepc;
  run->exit_gpa = (CSR_READ(0x643) << 2) | (stval & 3);
  vm_leave(&run->host, 1);
}

// vm_run: runs vm on this hart from a fresh copy of the guest image until it
// shuts down or faults. HFENCE.GVMA for its VMID before entering (whatever a
// previous holder of the VMID left cached on this hart goes) and after it
// exits (so no hart keeps the VMID's translations once a run has ended).
void vm_run(struct vm *vm, u64 seed, u64 stores, u64 probe_gpa) {
  struct cpu *c = mycpu();
  struct guest_run *run = &runs[c->index];
  u64 image = (u64)(guest_image_end - guest_image_start);
  if (image > PGSIZE) panic("vm: guest image of %lu bytes does not fit its page", image);
  memcpy((void *)pa2lin(gstage_frame(vm->root_pa, GUEST_RAM_BASE)), guest_image_start, image);
  *run = (struct guest_run){ .vm = vm };
  vm->running = 1;
  u64 sie = CSR_READ(sie);
  CSR_WRITE(sie, 0);                     // no HS interrupt while the guest runs (V = 1 enables them all)
  fence();
  CSR_WRITE(0x680, MAKE_HGATP(vm->root_pa, vm->vmid));
  hfence_gvma_vmid(vm->vmid);
  CSR_WRITE(0x602, 0);                   // hedeleg: every guest trap comes here
  CSR_WRITE(0x603, 0);                   // hideleg
  CSR_WRITE(0x645, 0);                   // hvip
  CSR_WRITE(0x200, 0);                   // vsstatus
  CSR_WRITE(0x280, 0);                   // vsatp: the guest starts with its MMU off
  CSR_SET(0x600, HSTATUS_SPV | HSTATUS_SPVP);
  CSR_CLEAR(sstatus, SSTATUS_SPIE);
  CSR_SET(sstatus, SSTATUS_SPP);         // sret goes to VS-mode
  CSR_WRITE(sepc, GUEST_RAM_BASE);
  u64 faulted = vm_enter(&run->host, vm->ram_size, seed, stores, probe_gpa);
  CSR_WRITE(0x680, 0);
  hfence_gvma_vmid(vm->vmid);
  CSR_CLEAR(0x600, HSTATUS_SPV | HSTATUS_SPVP);
  CSR_WRITE(sie, sie);
  vm->running = 0;
  if (!faulted)
    printf("OK vm-run hart=%lu vm=%lu exit=shutdown reason=%lu reports=%lu\n", c->hartid, vm->id, run->exit_reason, run->reports);
  else
    printf("ERR vm-run hart=%lu vm=%lu exit=fault cause=%lu gpa=%p stval=%p pc=%p reports=%lu\n", c->hartid, vm->id,
           run->exit_cause, run->exit_gpa, run->exit_stval, run->exit_pc, run->reports);
}
