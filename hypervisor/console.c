// The debug console: a line protocol on the UART (documented in README.md).
// The boot hart reads lines; a command for another hart is handed over
// through that hart's mailbox (below) and an IPI, and the boot hart waits for
// it to finish, so replies come out in command order. Every reply is one
// line "OK|ERR <command> hart=<id> key=value ..." (FAULT lines come from trap.c).
#include "defs.h"
#include "riscv.h"
#include "mem/gstage.h"

#define LINE_MAX        160
#define MAX_TOKENS      40
#define BATCH_MAX_OPS   32
#define BATCH_MAX_HELD  256
#define REPLY_TIMEOUT_TICKS 200000000UL   // 20 s at 10 MHz

// A mailbox per hart index. The boot hart writes command and args, then
// state POSTED (release) and sends an IPI; the owner executes and sets DONE
// (release); the boot hart reads the results and sets IDLE.
// For a batch the owner reports READY and spins until batch_go reaches its
// sequence number, so all harts start the operations together.
enum mailbox_state { MB_IDLE, MB_POSTED, MB_READY, MB_DONE };
struct mailbox {
  volatile u32 state;
  u64 command;
  u64 arg[4];
  u64 allocs, frees, failed;     // batch results
  u64 nheld;
  u64 held[BATCH_MAX_HELD];      // batch: frames allocated and not yet freed
};
struct mailbox mailboxes[MAX_HARTS];
u64 console_index;               // index of the boot hart, which runs the console

struct batch_op { char kind; u64 count; };   // 'a' = kalloc, 'f' = kfree the newest held frame
static struct batch_op batch_ops[BATCH_MAX_OPS];
static u64 batch_nops;
static volatile u64 batch_go;

static const char *const command_names[CMD_COUNT] = {
  "none", "alloc", "free", "free2", "recurse", "read", "write", "exec", "frame", "batch", "vm-run",
};
const char *command_name(u64 cmd) { return cmd < CMD_COUNT ? command_names[cmd] : "corrupt"; }

// ---- executing, on the chosen hart ----

static void batch_run(struct mailbox *mb) {
  mb->allocs = mb->frees = mb->failed = mb->nheld = 0;
  __atomic_store_n(&mb->state, MB_READY, __ATOMIC_RELEASE);
  while (__atomic_load_n(&batch_go, __ATOMIC_ACQUIRE) != mb->arg[0]) {
  }
  for (u64 i = 0; i < batch_nops; i++) {
    for (u64 n = 0; n < batch_ops[i].count; n++) {
      if (batch_ops[i].kind == 'a') {
        void *p = kalloc();
        if (p) mb->held[mb->nheld++] = (u64)p, mb->allocs++;
        else mb->failed++;
      } else if (mb->nheld > 0 && kfree((void *)mb->held[mb->nheld - 1]) == KFREE_OK) {
        mb->nheld--, mb->frees++;
      } else {
        mb->failed++;
      }
    }
  }
}

static void execute(struct mailbox *mb) {
  struct cpu *c = mycpu();
  u64 id = c->hartid, va = mb->arg[0];
  c->command = mb->command;
  switch (mb->command) {
  case CMD_ALLOC: {
    void *p = kalloc();
    if (p) printf("OK alloc hart=%lu va=%p pa=%p nfree=%lu\n", id, p, lin2pa((u64)p), kmem_nfree);
    else printf("ERR alloc hart=%lu reason=out-of-memory nfree=%lu\n", id, kmem_nfree);
    break;
  }
  case CMD_FREE: {
    enum kfree_verdict v = kfree((void *)va);
    printf("%s free hart=%lu va=%p verdict=%s nfree=%lu\n", v == KFREE_OK ? "OK" : "ERR", id, va,
           kfree_verdict_name(v), kmem_nfree);
    break;
  }
  case CMD_FREE2: {
    enum kfree_verdict first = kfree((void *)va), second = kfree((void *)va);
    printf("%s free2 hart=%lu va=%p first=%s second=%s nfree=%lu\n",
           first == KFREE_OK && second == KFREE_OK ? "OK" : "ERR", id, va, kfree_verdict_name(first),
           kfree_verdict_name(second), kmem_nfree);
    break;
  }
  case CMD_RECURSE:
    recurse(va);
    printf("OK recurse hart=%lu depth=%lu frame=%d\n", id, va, RECURSE_FRAME);
    break;
  case CMD_READ: {
    c->probing = 1;
    u64 value = probe_read(va);
    c->probing = 0;
    printf("OK read hart=%lu va=%p value=%p\n", id, va, value);
    break;
  }
  case CMD_WRITE:
    c->probing = 1;
    probe_write(va, mb->arg[1]);
    c->probing = 0;
    printf("OK write hart=%lu va=%p value=%p\n", id, va, mb->arg[1]);
    break;
  case CMD_EXEC:
    c->probing = 1;
    probe_exec(va);
    c->probing = 0;
    printf("OK exec hart=%lu va=%p\n", id, va);
    break;
  case CMD_BATCH:
    batch_run(mb);
    break;
  case CMD_VM_RUN: {
    struct vm *vm = vm_by_id(va);
    if (!vm) printf("ERR vm-run hart=%lu vm=%lu reason=no-such-vm\n", id, va);
    else if (vm->running) printf("ERR vm-run hart=%lu vm=%lu reason=running\n", id, va);
    else vm_run(vm, mb->arg[1], mb->arg[2], mb->arg[3]);
    break;
  }
  default:
    panic("mailbox: unknown command %lu", mb->command);
  }
  c->command = CMD_NONE;
}

// command_fault_done: trap.c reported a fault as the answer of the running command.
void command_fault_done(void) {
  struct cpu *c = mycpu();
  c->command = CMD_NONE;
  if (c->index != console_index && c->index < MAX_HARTS)
    __atomic_store_n(&mailboxes[c->index].state, MB_DONE, __ATOMIC_RELEASE);
}

// mailbox_loop: a secondary's life after boot. Sleeps in wfi; the IPI that
// follows a post sets sip.SSIP, which wakes wfi even with interrupts
// disabled (sie.SSIE is set, sstatus.SIE is not, so no trap is taken).
void NORETURN mailbox_loop(void) {
  struct mailbox *mb = &mailboxes[mycpu()->index];
  CSR_SET(sie, SIE_SSIE);
  for (;;) {
    CSR_CLEAR(sip, SIP_SSIP);
    if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_POSTED) {
      execute(mb);
      __atomic_store_n(&mb->state, MB_DONE, __ATOMIC_RELEASE);
    } else {
      wfi();
    }
  }
}

// ---- parsing and dispatch, on the boot hart ----

static u64 me(void) { return mycpu()->hartid; }

static bool parse_number(const char *s, u64 *out) {
  u64 v = 0, base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
  if (*s == 0) return false;
  for (; *s; s++) {
    u64 d;
    if (*s >= '0' && *s <= '9') d = (u64)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = (u64)(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = (u64)(*s - 'A' + 10);
    else if (*s == '_') continue;
    else return false;
    if (v > (~0UL - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

static bool hart_index(u64 hartid, u64 *index) {
  for (u64 i = 0; i < dt.nharts; i++)
    if (dt.hartids[i] == hartid) return *index = i, true;
  return false;
}

// Waits until mailbox i reaches state `until`; false after REPLY_TIMEOUT_TICKS.
static bool wait_state(u64 i, u32 until) {
  u64 deadline = read_time() + REPLY_TIMEOUT_TICKS;
  while (__atomic_load_n(&mailboxes[i].state, __ATOMIC_ACQUIRE) != until) {
    cpu_relax();
    if (read_time() > deadline) return false;
  }
  return true;
}

static bool post(u64 i, const char *name) {
  struct mailbox *mb = &mailboxes[i];
  if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != MB_IDLE) {
    printf("ERR %s hart=%lu reason=busy\n", name, dt.hartids[i]);
    return false;
  }
  __atomic_store_n(&mb->state, MB_POSTED, __ATOMIC_RELEASE);
  sbi_send_ipi(1, dt.hartids[i]);
  return true;
}

// run_on: executes mb's command on hart i and waits for it (inline on the console hart).
static void run_on(u64 i, u64 cmd, const u64 *args) {
  struct mailbox *mb = &mailboxes[i];
  if (i == console_index) {
    mb->command = cmd, memcpy(mb->arg, args, sizeof mb->arg);
    execute(mb);
    return;
  }
  if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_IDLE) mb->command = cmd, memcpy(mb->arg, args, sizeof mb->arg);
  if (!post(i, command_name(cmd))) return;
  if (!wait_state(i, MB_DONE)) {
    printf("ERR %s hart=%lu reason=timeout\n", command_name(cmd), dt.hartids[i]);
    return;   // stays non-idle: later commands for this hart answer busy
  }
  __atomic_store_n(&mb->state, MB_IDLE, __ATOMIC_RELEASE);
}

// "batch <hart,hart,...> <op> ...", op = aN (N kallocs) or fN (N kfrees of the newest held frames).
static void cmd_batch(int argc, char **argv) {
  u64 indexes[MAX_HARTS], n = 0, allocs = 0;
  if (argc < 3) { printf("ERR batch hart=%lu reason=bad-arguments\n", me()); return; }
  for (char *s = argv[1]; *s;) {
    char *comma = s;
    while (*comma && *comma != ',') comma++;
    bool last = *comma == 0;
    *comma = 0;
    u64 id, i;
    if (!parse_number(s, &id)) { printf("ERR batch hart=%lu reason=bad-number arg=%s\n", me(), s); return; }
    if (!hart_index(id, &i)) { printf("ERR batch hart=%lu reason=no-such-hart\n", id); return; }
    for (u64 k = 0; k < n; k++)
      if (indexes[k] == i) { printf("ERR batch hart=%lu reason=hart-listed-twice\n", id); return; }
    indexes[n++] = i;
    s = last ? comma : comma + 1;
  }
  batch_nops = 0;
  for (int a = 2; a < argc; a++) {
    u64 count;
    if ((argv[a][0] != 'a' && argv[a][0] != 'f') || !parse_number(argv[a] + 1, &count) || batch_nops == BATCH_MAX_OPS)
      { printf("ERR batch hart=%lu reason=bad-op arg=%s\n", me(), argv[a]); return; }
    batch_ops[batch_nops++] = (struct batch_op){ argv[a][0], count };
    if (argv[a][0] == 'a') allocs += count;
  }
  if (allocs > BATCH_MAX_HELD) { printf("ERR batch hart=%lu reason=more-than-%d-allocs\n", me(), BATCH_MAX_HELD); return; }

  u64 seq = batch_go + 1;
  for (u64 k = 0; k < n; k++) mailboxes[indexes[k]].arg[0] = seq;
  for (u64 k = 0; k < n; k++) {
    u64 i = indexes[k];
    if (i == console_index) continue;
    mailboxes[i].command = CMD_BATCH;
    if (!post(i, "batch") || !wait_state(i, MB_READY)) {
      __atomic_store_n(&batch_go, seq, __ATOMIC_RELEASE);   // release whoever is waiting
      { printf("ERR batch hart=%lu reason=not-ready\n", dt.hartids[i]); return; }
    }
  }
  __atomic_store_n(&batch_go, seq, __ATOMIC_RELEASE);       // all start together
  for (u64 k = 0; k < n; k++)
    if (indexes[k] == console_index) mailboxes[console_index].command = CMD_BATCH, execute(&mailboxes[console_index]);
  for (u64 k = 0; k < n; k++) {
    u64 i = indexes[k];
    if (i != console_index && !wait_state(i, MB_DONE)) { printf("ERR batch hart=%lu reason=timeout\n", dt.hartids[i]); return; }
  }
  for (u64 k = 0; k < n; k++) {
    struct mailbox *mb = &mailboxes[indexes[k]];
    printf("OK batch hart=%lu allocs=%lu frees=%lu failed=%lu held=%lu\n", dt.hartids[indexes[k]], mb->allocs,
           mb->frees, mb->failed, mb->nheld);
    __atomic_store_n(&mb->state, MB_IDLE, __ATOMIC_RELEASE);
  }
  // No head here: which frame ends up first depends on how the harts interleaved.
  printf("OK batch hart=%lu harts=%lu nfree=%lu\n", me(), n, kmem_nfree);
}

// "vm-run-together <hart> <vm> <seed> <stores> <probe-gpa> ...": several VMs at once, each on its
// own hart (the others posted first, then the console hart's own run inline). Each run answers as
// vm-run does, in whatever order they end; one line closes the command.
static void cmd_vm_run_together(int argc, char **argv) {
  u64 idx[MAX_HARTS], args[MAX_HARTS][4], n = 0;
  if (argc < 6 || (argc - 1) % 5 != 0 || (u64)(argc - 1) / 5 > dt.nharts)
    { printf("ERR vm-run-together hart=%lu reason=bad-arguments\n", me()); return; }
  for (int a = 1; a < argc; a += 5, n++) {
    u64 hartid, i;
    for (int k = 0; k < 5; k++)
      if (!parse_number(argv[a + k], k == 0 ? &hartid : &args[n][k - 1]))
        { printf("ERR vm-run-together hart=%lu reason=bad-number arg=%s\n", me(), argv[a + k]); return; }
    if (!hart_index(hartid, &i)) { printf("ERR vm-run-together hart=%lu reason=no-such-hart\n", hartid); return; }
    struct vm *vm = vm_by_id(args[n][0]);
    if (!vm) { printf("ERR vm-run-together hart=%lu vm=%lu reason=no-such-vm\n", hartid, args[n][0]); return; }
    if (vm->running) { printf("ERR vm-run-together hart=%lu vm=%lu reason=running\n", hartid, args[n][0]); return; }
    for (u64 k = 0; k < n; k++) {
      if (idx[k] == i) { printf("ERR vm-run-together hart=%lu reason=hart-listed-twice\n", hartid); return; }
      if (args[k][0] == args[n][0]) { printf("ERR vm-run-together hart=%lu vm=%lu reason=vm-listed-twice\n", hartid, args[n][0]); return; }
    }
    if (i != console_index && __atomic_load_n(&mailboxes[i].state, __ATOMIC_ACQUIRE) != MB_IDLE)
      { printf("ERR vm-run-together hart=%lu reason=busy\n", hartid); return; }
    idx[n] = i;
  }
  for (u64 k = 0; k < n; k++) {
    if (idx[k] == console_index) continue;
    mailboxes[idx[k]].command = CMD_VM_RUN, memcpy(mailboxes[idx[k]].arg, args[k], sizeof mailboxes[idx[k]].arg);
    post(idx[k], "vm-run");   // idle, checked above: cannot answer busy
  }
  for (u64 k = 0; k < n; k++)
    if (idx[k] == console_index) mailboxes[console_index].command = CMD_VM_RUN, memcpy(mailboxes[console_index].arg, args[k], sizeof mailboxes[console_index].arg), execute(&mailboxes[console_index]);
  for (u64 k = 0; k < n; k++) {
    if (idx[k] == console_index) continue;
    if (!wait_state(idx[k], MB_DONE)) { printf("ERR vm-run-together hart=%lu reason=timeout\n", dt.hartids[idx[k]]); return; }
    __atomic_store_n(&mailboxes[idx[k]].state, MB_IDLE, __ATOMIC_RELEASE);
  }
  printf("OK vm-run-together hart=%lu runs=%lu\n", me(), n);
}

// A command that targets one hart: "<name> <hart> [number ...]".
struct hart_command { const char *name; enum command cmd; int nargs; };
static const struct hart_command hart_commands[] = {
  { "alloc", CMD_ALLOC, 0 }, { "free", CMD_FREE, 1 },   { "free2", CMD_FREE2, 1 }, { "recurse", CMD_RECURSE, 1 },
  { "read", CMD_READ, 1 },   { "write", CMD_WRITE, 2 }, { "exec", CMD_EXEC, 1 },
  { "vm-run", CMD_VM_RUN, 4 },   // vm-run <hart> <vm> <seed> <stores> <probe-gpa, 0 = none>
};

static void cmd_on_hart(const struct hart_command *hc, int argc, char **argv) {
  u64 hartid, i, args[4] = { 0, 0, 0, 0 };
  if (argc != 2 + hc->nargs) { printf("ERR %s hart=%lu reason=bad-arguments\n", hc->name, me()); return; }
  if (!parse_number(argv[1], &hartid)) { printf("ERR %s hart=%lu reason=bad-number arg=%s\n", hc->name, me(), argv[1]); return; }
  for (int a = 0; a < hc->nargs; a++)
    if (!parse_number(argv[2 + a], &args[a]))
      { printf("ERR %s hart=%lu reason=bad-number arg=%s\n", hc->name, me(), argv[2 + a]); return; }
  if (!hart_index(hartid, &i)) { printf("ERR %s hart=%lu reason=no-such-hart\n", hc->name, hartid); return; }
  run_on(i, hc->cmd, args);
}

static void cmd_harts(void) {
  printf("OK harts hart=%lu n=%lu boot=%lu ids=", me(), dt.nharts, dt.hartids[console_index]);
  for (u64 i = 0; i < dt.nharts; i++) printf(i ? ",%lu" : "%lu", dt.hartids[i]);
  printf("\n");
}

// vm-create <ram-size>: a VM from kalloc'd frames (mem/guest.c).
static void cmd_vm_create(u64 ram_size) {
  struct vm *vm;
  enum vm_error e = vm_create(ram_size, &vm);
  if (e != VM_OK) { printf("ERR vm-create hart=%lu ram=%p reason=%s nfree=%lu\n", me(), ram_size, vm_error_name(e), kmem_nfree); return; }
  printf("OK vm-create hart=%lu vm=%lu vmid=%lu ram=%p root=%p frames=%lu nfree=%lu\n", me(), vm->id, vm->vmid, vm->ram_size,
         vm->root_pa, vm->frames, kmem_nfree);
}

static void cmd_vm_destroy(u64 id) {
  struct vm *vm = vm_by_id(id);
  if (!vm) { printf("ERR vm-destroy hart=%lu vm=%lu reason=no-such-vm\n", me(), id); return; }
  if (vm->running) { printf("ERR vm-destroy hart=%lu vm=%lu reason=running\n", me(), id); return; }
  u64 vmid = vm->vmid, freed = vm_destroy(vm);
  printf("OK vm-destroy hart=%lu vm=%lu vmid=%lu freed=%lu nfree=%lu\n", me(), id, vmid, freed, kmem_nfree);
}

// vm-list: "vms=<id>/<vmid>/<ram>/<root>,..." in slot order, "vms=none" when there are none.
static void cmd_vm_list(void) {
  u64 n = 0;
  for (u64 s = 0; s < MAX_VMS; s++) n += vms[s].id != 0;
  printf("OK vm-list hart=%lu n=%lu vms=%s", me(), n, n ? "" : "none");
  for (u64 s = 0, k = 0; s < MAX_VMS; s++)
    if (vms[s].id) printf("%s%lu/%lu/%p/%p", k++ ? "," : "", vms[s].id, vms[s].vmid, vms[s].ram_size, vms[s].root_pa);
  printf("\n");
}

static void dispatch(int argc, char **argv) {
  const char *name = argv[0];
  u64 v;
  for (u64 k = 0; k < ARRAY_LEN(hart_commands); k++)
    if (strcmp(name, hart_commands[k].name) == 0) { cmd_on_hart(&hart_commands[k], argc, argv); return; }
  if (strcmp(name, "batch") == 0) { cmd_batch(argc, argv); return; }
  if (strcmp(name, "vm-run-together") == 0) { cmd_vm_run_together(argc, argv); return; }
  if (strcmp(name, "stat") == 0 && argc == 1)
    { printf("OK stat hart=%lu nfree=%lu head=%p frames=%lu\n", me(), kmem_nfree, kmem_freelist, ram_size >> PGSHIFT); return; }
  if (strcmp(name, "frame") == 0 && argc == 2 && parse_number(argv[1], &v))
    { printf("OK frame hart=%lu va=%p state=%s\n", me(), v, frame_state_name(frame_state_of(v))); return; }
  if (strcmp(name, "harts") == 0 && argc == 1) { cmd_harts(); return; }
  if (strcmp(name, "vm-create") == 0 && argc == 2 && parse_number(argv[1], &v)) { cmd_vm_create(v); return; }
  if (strcmp(name, "vm-destroy") == 0 && argc == 2 && parse_number(argv[1], &v)) { cmd_vm_destroy(v); return; }
  if (strcmp(name, "vm-list") == 0 && argc == 1) { cmd_vm_list(); return; }
  if (strcmp(name, "poweroff") == 0 && argc == 2 && parse_number(argv[1], &v)) {
    printf("OK poweroff hart=%lu code=%lu\n", me(), v);
    sbi_shutdown(v);
  }
  if (strcmp(name, "help") == 0 && argc == 1)
    { printf("OK help hart=%lu commands=alloc,free,free2,recurse,read,write,exec,batch,stat,frame,harts,vm-create,vm-run,vm-run-together,vm-destroy,vm-list,poweroff,help\n", me()); return; }
  static const char *const known[] = { "stat", "frame", "harts", "vm-create", "vm-destroy", "vm-list", "poweroff", "help" };
  for (u64 k = 0; k < ARRAY_LEN(known); k++)
    if (strcmp(name, known[k]) == 0) { printf("ERR %s hart=%lu reason=bad-arguments\n", name, me()); return; }
  for (char *p = argv[0]; *p; p++)
    if (*p < 0x21 || *p > 0x7e || *p == '=') *p = '?';   // keep the reply one parseable line
  printf("ERR unknown hart=%lu reason=unknown-command word=%s\n", me(), argv[0]);
}

static int tokenize(char *line, char **argv) {
  int argc = 0;
  for (char *p = line; *p;) {
    while (*p == ' ' || *p == '\t') *p++ = 0;
    if (!*p) break;
    if (argc == MAX_TOKENS) return -1;
    argv[argc++] = p;
    while (*p && *p != ' ' && *p != '\t') p++;
  }
  return argc;
}

// read_line: blocks for one line; false when it was longer than LINE_MAX - 1.
static bool read_line(char *line) {
  int n = 0, c;
  bool fits = true;
  for (;;) {
    while ((c = uart_getc()) < 0) cpu_relax();
    if (c == '\n' || c == '\r') break;
    if (n < LINE_MAX - 1) line[n++] = (char)c;
    else fits = false;
  }
  line[n] = 0;
  return fits;
}

void NORETURN console_loop(void) {
  char line[LINE_MAX];
  char *argv[MAX_TOKENS];
  for (;;) {
    bool fits = read_line(line);
    int argc = tokenize(line, argv);
    if (!fits || argc < 0) printf("ERR unknown hart=%lu reason=line-too-long\n", me());
    else if (argc > 0) dispatch(argc, argv);
  }
}
