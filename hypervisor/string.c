// The few C library routines the compiler and the hypervisor rely on.
#include "defs.h"

void *memset(void *dst, int c, size_t n) {
  u8 *d = dst;
  for (size_t i = 0; i < n; i++) d[i] = (u8)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  u8 *d = dst;
  const u8 *s = src;
  for (size_t i = 0; i < n; i++) d[i] = s[i];
  return dst;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || *a == 0) return (u8)*a - (u8)*b;
  }
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
