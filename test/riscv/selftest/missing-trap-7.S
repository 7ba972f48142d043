/*
 * Harness self-test: an instruction bracketed by TRAP_BEGIN/TRAP_END that
 * does not trap in test 7 must end the run as "test 7 failed"; so must a
 * trap with another cause (test 6 checks that one passes when right).
 */
#include "test.h"

  .text
  .globl test_main
test_main:
  TEST_CASE 6
  TRAP_BEGIN
  ecall
  TRAP_END CAUSE_MACHINE_ECALL
  TEST_CASE 7
  TRAP_BEGIN
  addi a0, a0, 1              // does not trap
  TRAP_END CAUSE_ILLEGAL_INSTRUCTION
  ret
