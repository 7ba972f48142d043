// Boot sequence in C. The boot hart (any hart id) arrives in kmain() under
// the early table, on its boot stack, with tp = hart id:
//   device tree -> kmem -> its own final table -> cpu struct stack ->
//   start each secondary in turn (SBI HSM) -> ready line -> console.
// A secondary arrives in secondary_main() the same way, builds and installs
// its own table and serves its mailbox. Secondaries start one at a time, so
// the frames every hart receives do not depend on timing.
#include "defs.h"
#include "riscv.h"

u64 ram_base, ram_size, boot_hartid, boot_dtb;   // written by entry.S before kmain
static volatile u64 hart_up[MAX_HARTS];           // by index: hart reached hart_main
#define HART_START_TIMEOUT_TICKS 200000000UL      // 20 s at QEMU virt's 10 MHz timebase (hosts can be slow)

// kernel_va2pa: physical address of an image address (SPEC.md: va = VAS_KERNEL + pa - ram base).
u64 kernel_va2pa(u64 va) { return va - VAS_KERNEL + ram_base; }

static u64 index_of_hart(u64 hartid) {
  for (u64 i = 0; i < dt.nharts; i++)
    if (dt.hartids[i] == hartid) return i;
  panic("hart %lu is not under /cpus in the device tree", hartid);
}

// Build and install this hart's final table, then continue on its cpu struct.
static NORETURN void enter_final_table(u64 index, u64 hartid) {
  pagetable_t root = kvm_build(index, hartid);
  kvm_install(root);
  hart_run_on_cpu_struct();
}

void NORETURN kmain(u64 hartid) {
  printf("hvspec-hv boot hart=%lu dtb=%p\n", hartid, boot_dtb);
  u64 early_ram_size = ram_size;
  dt_parse(boot_dtb);
  if (dt.ram_base != ram_base || dt.ram_size != early_ram_size)
    panic("device tree memory %p+%lx differs from the early read %p+%lx", dt.ram_base, dt.ram_size, ram_base, early_ram_size);
  if (ram_size < MIN_RAM) panic("too little RAM: %lx bytes, need at least %lx", ram_size, MIN_RAM);
  if (ram_size > MAX_RAM) panic("too much RAM: %lx bytes, at most %lx supported", ram_size, MAX_RAM);
  if (ram_size % PGSIZE) panic("RAM size %lx is not a multiple of 4 KiB", ram_size);
  if (ram_base + ram_size > (1UL << 38)) panic("RAM %p+%lx does not fit the identity-mappable range", ram_base, ram_size);
  kmem_init();
  console_index = index_of_hart(hartid);
  enter_final_table(console_index, hartid);
}

void NORETURN secondary_main(u64 hartid, u64 index) {
  if (index >= dt.nharts || dt.hartids[index] != hartid) panic("secondary: hart %lu started as index %lu", hartid, index);
  enter_final_table(index, hartid);
}

// Waits until the firmware reports hart `hartid` STOPPED (SBI HSM hart_get_status):
// a hart may still be finishing its own firmware boot when we get here, and
// hart_start fails (SBI_ERR_ALREADY_AVAILABLE) unless the hart is STOPPED.
static void wait_until_stopped(u64 hartid) {
  u64 deadline = read_time() + HART_START_TIMEOUT_TICKS;
  struct sbiret r;
  while ((r = sbi_hart_get_status(hartid)).error || r.value != SBI_HSM_STATE_STOPPED) {
    cpu_relax();
    if (read_time() > deadline) panic("hart %lu never became STOPPED (HSM status %ld, error %ld)", hartid, r.value, r.error);
  }
}

#define HART_START_ATTEMPTS 3

// start_hart: starts hart `index` and waits until it runs hart_main. A hart
// that reaches _entry instead (the firmware's boot lottery let it through
// late, see entry.S) gives itself back with hart_stop; seeing it STOPPED
// again, we start it again.
static void start_hart(u64 index) {
  u64 hartid = dt.hartids[index];
  for (int attempt = 1; attempt <= HART_START_ATTEMPTS; attempt++) {
    wait_until_stopped(hartid);
    fence();   // the early table and boot facts are visible before the hart runs
    struct sbiret r = sbi_hart_start(hartid, kernel_va2pa((u64)_secondary_entry), index);
    if (r.error) panic("SBI hart_start(%lu) failed: error %ld", hartid, r.error);
    u64 deadline = read_time() + HART_START_TIMEOUT_TICKS;
    while (!__atomic_load_n(&hart_up[index], __ATOMIC_ACQUIRE)) {
      cpu_relax();
      struct sbiret status = sbi_hart_get_status(hartid);
      if (!status.error && status.value == SBI_HSM_STATE_STOPPED) break;
      if (read_time() > deadline) panic("hart %lu did not come up (HSM status %ld)", hartid, status.value);
    }
    if (__atomic_load_n(&hart_up[index], __ATOMIC_ACQUIRE)) return;
    printf("hvspec-hv hart %lu entered the image at _entry and gave itself back; starting it again\n", hartid);
  }
  panic("hart %lu stopped again after %d hart_start calls", hartid, HART_START_ATTEMPTS);
}

// Boot hart only: start the other harts one after the other.
static void start_secondaries(void) {
  for (u64 i = 0; i < dt.nharts; i++)
    if (i != console_index) start_hart(i);
}

// hart_main: first code on the cpu struct stack, final table installed.
void NORETURN hart_main(void) {
  struct cpu *c = mycpu();
  if (c->magic != CPU_MAGIC || c->hartid != read_tp()) panic("cpu info page is wrong");
  if (c->index == console_index) {
    start_secondaries();
#ifndef HVSPEC_NO_CONSOLE
    printf("hvspec-hv ready harts=%lu boot=%lu ram_base=%p ram_size=%p nfree=%lu head=%p\n", dt.nharts,
           c->hartid, ram_base, ram_size, kmem_nfree, kmem_freelist);
#endif
  } else {
    __atomic_store_n(&hart_up[c->index], 1, __ATOMIC_RELEASE);
  }
  hart_serve();
}

#ifdef HVSPEC_NO_CONSOLE
// idle_poll: one look at the UART, discarding input. Kept out of line so the
// idle loop makes a call (and so touches its stack) on every iteration, as an
// idle loop that does real work would.
__attribute__((noinline)) static void idle_poll(void) { (void)uart_getc(); }

// idle_loop: the boot hart's life after boot in the console-free build: it
// prints nothing and serves nothing, it only polls.
static void NORETURN idle_loop(void) {
  for (;;) {
    idle_poll();
    cpu_relax();
  }
}
#endif

// hart_serve: the console on the boot hart, the mailbox loop elsewhere. Also
// where a hart resumes, on a fresh stack, after a reported fault.
void NORETURN hart_serve(void) {
#ifdef HVSPEC_NO_CONSOLE
  if (mycpu()->index == console_index) idle_loop();
#else
  if (mycpu()->index == console_index) console_loop();
#endif
  mailbox_loop();
}

