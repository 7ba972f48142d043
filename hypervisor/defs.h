// Declarations shared between the hypervisor's files, grouped by file.
#ifndef DEFS_H
#define DEFS_H
#include "types.h"
#include "mem/memlayout.h"

// ---- entry.S, trap.S ----
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _bss_start[], _bss_end[], _end[];
extern char _secondary_entry[], trap_entry[];
extern u64 early_pagetable[];
NORETURN void hart_run_on_cpu_struct(void);  // sp := cpu stack top, sscratch := trap stack top, hart_main()
NORETURN void hart_resume_serving(void);     // the same with hart_serve(): after a reported fault
void recurse(u64 depth);                     // RECURSE_FRAME bytes of stack per level
#define RECURSE_FRAME 256
u64 probe_read(u64 va);
void probe_write(u64 va, u64 value);
void probe_exec(u64 va);
extern char probe_ret[];                     // a `ret`: the one executable target that returns

// ---- main.c: boot facts, set once by the boot hart before secondaries start ----
extern u64 ram_base;       // physical base of RAM (1 GiB aligned)
extern u64 ram_size;       // bytes of RAM
extern u64 boot_hartid;
extern u64 boot_dtb;       // physical address of the device tree blob
u64 kernel_va2pa(u64 va);  // for image addresses
static inline u64 pa2lin(u64 pa) { return pa - ram_base + VAS_RAM; }   // PA -> linear-map VA
static inline u64 lin2pa(u64 va) { return va - VAS_RAM + ram_base; }   // linear-map VA -> PA

// ---- spinlock.c: test-and-set on an AMO (0 free, 1 held), usable from the first instruction ----
void acquire(volatile u32 *lock);
void release(volatile u32 *lock);

// ---- printf.c ----
void printf(const char *fmt, ...);
NORETURN void panic(const char *fmt, ...);
extern volatile u32 panicking;

// ---- uart.c (ns16550, polled) ----
void uart_putc(char c);
int uart_getc(void);       // -1 when no byte is waiting

// ---- sbi.c ----
struct sbiret { i64 error; i64 value; };
struct sbiret sbi_hart_start(u64 hartid, u64 start_pa, u64 opaque);
struct sbiret sbi_hart_get_status(u64 hartid);
#define SBI_HSM_STATE_STOPPED 1
struct sbiret sbi_send_ipi(u64 hart_mask, u64 hart_mask_base);
NORETURN void sbi_shutdown(u64 code);   // exit status `code` (see sbi.c)

// ---- dt.c ----
#define DT_MAX_RESERVED 32
struct range { u64 base, size; };
struct dtinfo {
  u64 ram_base, ram_size;           // the one /memory range
  u64 nharts;                       // /cpus/cpu@* with device_type "cpu"
  u64 hartids[MAX_HARTS];
  u64 nreserved;                    // /reserved-memory children and /memreserve/ entries
  struct range reserved[DT_MAX_RESERVED];
  u64 dtb_size;                     // header totalsize
};
extern struct dtinfo dt;
void dt_parse(u64 dtb_pa);

// ---- mem/kmem.c ----
enum frame_state { FRAME_RESERVED = 0, FRAME_FREE = 1, FRAME_ALLOCATED = 2 };
enum kfree_verdict { KFREE_OK, KFREE_MISALIGNED, KFREE_OUT_OF_RANGE, KFREE_RESERVED, KFREE_DOUBLE_FREE };
extern u64 kmem_freelist, kmem_nfree, kmem_frame_state;
extern volatile u32 kmem_lock;
void kmem_init(void);
void *kalloc(void);
enum kfree_verdict kfree(void *va);
const char *kfree_verdict_name(enum kfree_verdict v);
int frame_state_of(u64 va);        // -1 when va is not a linear-map address of RAM
const char *frame_state_name(int state);

// ---- mem/vmem.c ----
typedef u64 pte_t;
typedef pte_t *pagetable_t;        // linear-map VA of a 4 KiB table
extern u64 hart_root_pa[MAX_HARTS];
pagetable_t kvm_build(u64 index, u64 hartid);
void kvm_install(pagetable_t root);

// ---- cpu struct (main.c): the info page at CPU_INFO ----
#define CPU_MAGIC 0x6876737065634350UL    // "hvspecCP"
struct cpu {
  u64 magic;
  u64 hartid;
  u64 index;               // position in dt.hartids
  u64 root_pa;             // this hart's final root table
  volatile u64 probing;    // a probe instruction is running: a fault is its answer
  volatile u64 command;    // enum command being executed, 0 when idle
};
static inline struct cpu *mycpu(void) { return (struct cpu *)CPU_INFO; }

// ---- console.c ----
enum command { CMD_NONE, CMD_ALLOC, CMD_FREE, CMD_FREE2, CMD_RECURSE, CMD_READ, CMD_WRITE,
               CMD_EXEC, CMD_FRAME, CMD_BATCH, CMD_VM_RUN, CMD_COUNT };
const char *command_name(u64 cmd);
NORETURN void console_loop(void);
NORETURN void mailbox_loop(void);
void command_fault_done(void);     // trap.c: the running command ended in a reported fault
extern u64 console_index;

// ---- mem/guest.c, vm.S, guest/guest.S: VMs (SPEC.md "Guests") ----
struct vm {
  u64 id;                  // console handle, 0 = free slot
  u64 vmid;
  u64 ram_size;            // guest RAM at GUEST_RAM_BASE
  u64 root_pa;             // the Sv39x4 root (16 KiB)
  u64 frames;              // frames held: guest RAM, tables, root
  volatile u64 running;
};
enum vm_error { VM_OK, VM_BAD_SIZE, VM_TOO_MANY_VMS, VM_OUT_OF_MEMORY, VM_NO_ALIGNED_ROOT };
struct host_context { u64 ra, sp, tp, s[12]; };   // vm.S's offsets
extern struct vm vms[];
enum vm_error vm_create(u64 ram_size, struct vm **out);
u64 vm_destroy(struct vm *vm);                 // frames freed
struct vm *vm_by_id(u64 id);
const char *vm_error_name(enum vm_error e);
void vm_run(struct vm *vm, u64 seed, u64 stores, u64 probe_gpa);   // prints the reply
bool guest_trapped(void);                      // the trap being handled came from V = 1
void guest_trap(u64 *regs, u64 *sepc, u64 cause, u64 stval);   // returns to resume the guest
u64 vm_enter(struct host_context *ctx, u64 a0, u64 a1, u64 a2, u64 a3);
NORETURN void vm_leave(struct host_context *ctx, u64 code);
extern char guest_image_start[], guest_image_end[];

// ---- main.c ----
NORETURN void hart_main(void);
NORETURN void hart_serve(void);

// ---- string.c ----
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strlen(const char *s);
#endif
