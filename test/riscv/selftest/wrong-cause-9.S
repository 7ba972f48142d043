/*
 * Harness self-test: a trap with a different cause than TRAP_END expects,
 * in test 9, must end the run as "test 9 failed".
 */
#include "test.h"

  .text
  .globl test_main
test_main:
  TEST_CASE 9
  TRAP_BEGIN
  ebreak                      // a breakpoint, not the ecall expected
  TRAP_END CAUSE_MACHINE_ECALL
  ret
