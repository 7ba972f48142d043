// Trap handling. The hypervisor runs with interrupts disabled, so every trap
// is an exception. After boot, a fault while a console command runs is that
// command's answer: one FAULT line, then the hart serves commands again on a
// fresh stack (hart_resume_serving). Anything else panics.
#include "defs.h"
#include "riscv.h"

struct trapframe {
  u64 x[32];    // x[2] = interrupted sp
  u64 sepc;
  u64 early;    // 1: sscratch was 0 (before the cpu struct, or a trap inside this handler)
};

static bool in_guard_page(u64 va) { return va >= VAS_CPU_STRUCT + CPU_GUARD_OFF && va < VAS_CPU_STRUCT + CPU_STACK_OFF; }

static const char *fault_kind(struct cpu *c, u64 cause, u64 stval) {
  if (c->probing) return "probe";
  if ((cause == CAUSE_LOAD_PAGE_FAULT || cause == CAUSE_STORE_PAGE_FAULT) && in_guard_page(stval)) return "stack-overflow";
  return "unexpected";
}

// Returns only when the trap came from a guest that is to continue (guest_trap).
void trap_handler(struct trapframe *tf) {
  u64 cause = CSR_READ(scause), stval = CSR_READ(stval);
  if (!tf->early && guest_trapped()) {
    guest_trap(tf->x, &tf->sepc, cause, stval);
    return;
  }
  if (tf->early || (cause & SCAUSE_INTERRUPT))
    panic("trap cause=%lx stval=%p pc=%p sp=%p early=%lu", cause, stval, tf->sepc, tf->x[2], tf->early);
  struct cpu *c = mycpu();
  if (c->command == CMD_NONE && !c->probing)
    panic("trap outside any command: cause=%lu stval=%p pc=%p sp=%p", cause, stval, tf->sepc, tf->x[2]);
  // A corrupt magic means the fault came too late: something overwrote the info page first.
  printf("FAULT hart=%lu cause=%lu stval=%p pc=%p kind=%s cmd=%s%s\n", c->hartid, cause, stval, tf->sepc,
         fault_kind(c, cause, stval), command_name(c->command), c->magic == CPU_MAGIC ? "" : " cpu-info=corrupt");
  c->probing = 0;
  command_fault_done();
  hart_resume_serving();
}
