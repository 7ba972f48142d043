/*
 * Harness self-test: a program that must be reported as failing test 3
 * (exit code 3), so the QEMU harness cannot pass vacuously.
 */
#include "test.h"

  .text
  .globl test_main
test_main:
  TEST_CASE 1
  li a0, 1
  EXPECT_EQ a0, 1
  TEST_CASE 3
  li a0, 2
  EXPECT_EQ a0, 3             // deliberately wrong
  ret
