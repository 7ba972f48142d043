/*
 * Harness self-test: an unexpected trap (an illegal instruction outside
 * TRAP_BEGIN/TRAP_END) in test 5 must end the run as "test 5 failed".
 */
#include "test.h"

  .text
  .globl test_main
test_main:
  TEST_CASE 4
  li a0, 1
  EXPECT_EQ a0, 1
  TEST_CASE 5
  .word 0x00000000            // illegal, and no trap is expected
  ret
