// ns16550 UART at UART0, polled. OpenSBI has already programmed baud rate and
// line control (it is its console), so only data and status registers are used.
// Register offsets: RBR/THR 0, LSR 5 (LSR.DR bit 0, LSR.THRE bit 5).
#include "defs.h"

#define UART_RBR 0
#define UART_THR 0
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

static inline volatile u8 *uart_reg(u64 off) { return (volatile u8 *)(UART0 + off); }

void uart_putc(char c) {
  while ((*uart_reg(UART_LSR) & LSR_THRE) == 0) {
  }
  *uart_reg(UART_THR) = (u8)c;
}

int uart_getc(void) {
  if ((*uart_reg(UART_LSR) & LSR_DR) == 0) return -1;
  return *uart_reg(UART_RBR);
}
