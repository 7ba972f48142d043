// Fixed-width types for a freestanding C17 build (no libc headers).
#ifndef TYPES_H
#define TYPES_H
typedef unsigned char      u8;
typedef unsigned short     u16;
typedef unsigned int       u32;
typedef unsigned long      u64;
typedef long               i64;
typedef u64                uintptr;
typedef __SIZE_TYPE__      size_t;
typedef _Bool              bool;
#define true  1
#define false 0
#define NULL  ((void *)0)
#define NORETURN __attribute__((noreturn))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#endif
