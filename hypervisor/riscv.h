// CSR access and fences by their privileged-spec names. Only what the
// hypervisor uses; each is one instruction.
#ifndef RISCV_H
#define RISCV_H
#include "types.h"

#define SCAUSE_INTERRUPT (1UL << 63)
// Exception codes (privileged spec, table "Supervisor cause register values").
#define CAUSE_INSTRUCTION_ACCESS_FAULT 1
#define CAUSE_LOAD_ACCESS_FAULT        5
#define CAUSE_STORE_ACCESS_FAULT       7
#define CAUSE_INSTRUCTION_PAGE_FAULT   12
#define CAUSE_LOAD_PAGE_FAULT          13
#define CAUSE_STORE_PAGE_FAULT         15

#define SIP_SSIP (1UL << 1)
#define SIE_SSIE (1UL << 1)

#define CSR_READ(name) ({ u64 v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define CSR_WRITE(name, v) __asm__ volatile("csrw " #name ", %0" : : "r"((u64)(v)) : "memory")
#define CSR_CLEAR(name, v) __asm__ volatile("csrc " #name ", %0" : : "r"((u64)(v)) : "memory")
#define CSR_SET(name, v)   __asm__ volatile("csrs " #name ", %0" : : "r"((u64)(v)) : "memory")

// sfence.vma x0, x0: orders earlier page-table stores before later implicit
// walks and drops every cached translation, global ones included.
static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma zero, zero" : : : "memory"); }
static inline void fence(void) { __asm__ volatile("fence rw, rw" : : : "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" : : : "memory"); }
// cpu_relax: a short pause in a polling loop, so a spinning hart does not
// flood the memory system or (on QEMU) the locks its device models take.
static inline void cpu_relax(void) {
  for (int i = 0; i < 64; i++) __asm__ volatile("nop");
}
static inline u64 read_tp(void) { u64 v; __asm__ volatile("mv %0, tp" : "=r"(v)); return v; }
static inline u64 read_time(void) { u64 v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
#endif
