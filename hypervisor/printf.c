// Formatted output to the UART, one whole call under one lock so lines from
// different harts never interleave. Formats: %d %u %x (with l), %s, %c, %p
// (0x-prefixed hex). panic() prints "PANIC hart=<tp> ..." and shuts down
// with a failure status.
#include "defs.h"
#include "riscv.h"

static volatile u32 print_lock;
volatile u32 panicking;

static void print_unsigned(u64 v, unsigned base) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (n > 0) uart_putc(buf[--n]);
}

static void vprintf(const char *fmt, __builtin_va_list ap) {
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      uart_putc(*p);
      continue;
    }
    p++;
    bool is_long = false;
    if (*p == 'l') is_long = true, p++;
    switch (*p) {
    case 'd': {
      i64 v = is_long ? __builtin_va_arg(ap, i64) : __builtin_va_arg(ap, int);
      if (v < 0) uart_putc('-'), v = -v;
      print_unsigned((u64)v, 10);
      break;
    }
    case 'u': print_unsigned(is_long ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned), 10); break;
    case 'x': print_unsigned(is_long ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned), 16); break;
    case 'p': uart_putc('0'), uart_putc('x'), print_unsigned((u64)__builtin_va_arg(ap, void *), 16); break;
    case 'c': uart_putc((char)__builtin_va_arg(ap, int)); break;
    case 's': {
      const char *s = __builtin_va_arg(ap, const char *);
      for (s = s ? s : "(null)"; *s; s++) uart_putc(*s);
      break;
    }
    case '%': uart_putc('%'); break;
    case 0: return;
    default: uart_putc('%'), uart_putc(*p); break;
    }
  }
}

void printf(const char *fmt, ...) {
  __builtin_va_list ap;
  bool locked = !panicking;
  if (locked) acquire(&print_lock);
  __builtin_va_start(ap, fmt);
  vprintf(fmt, ap);
  __builtin_va_end(ap);
  if (locked) release(&print_lock);
}

// panic: one line "PANIC hart=<id> <message>", then an SBI failure shutdown
// (QEMU exits with status 1). Other harts' output is cut off from here on.
void panic(const char *fmt, ...) {
  __builtin_va_list ap;
  panicking = 1;
  __builtin_va_start(ap, fmt);
  uart_putc('\n');
  vprintf("PANIC hart=", ap);
  print_unsigned(read_tp(), 10);
  uart_putc(' ');
  vprintf(fmt, ap);
  uart_putc('\n');
  __builtin_va_end(ap);
  sbi_shutdown(1);
}
