/*
 * h-warl: WARL fields of the hypervisor CSRs where QEMU 7.2 departs from the
 * manual (privileged spec 1.12, 8.2): hgatp keeps its value when written with
 * an unsupported MODE (8.2.10); hstatus.VSXL is read-only 2 on a hart with
 * only XLEN 64 and VGEIN is read-only 0 with GEILEN = 0 (8.2.1); hgatp's VMID
 * field is discoverable by writing ones (14 bits here), and PPN[1:0] read 0
 * (16 KiB root); htimedelta is a read/write CSR and VS-mode's `time` is
 * `time` + htimedelta (8.2.7).
 */
#include "hyp.h"

  .option norvc
  .text
  .globl test_main
test_main:
  mv s0, ra
  USE_HYP_M_HANDLER

  TEST_CASE 1
  csrr a0, misa
  andi a0, a0, MISA_H
  EXPECT_EQ a0, MISA_H

  // An unsupported hgatp MODE (9 = Sv48x4, absent) leaves hgatp unchanged.
  TEST_CASE 2
  li a0, HGATP_MODE_SV39X4 | 0x80100
  csrw CSR_HGATP, a0
  li a2, (9 << 60) | 0x80200
  csrw CSR_HGATP, a2
  csrr a1, CSR_HGATP
  EXPECT_REG a1, a0

  // VMID: 14 bits written as ones read back as ones; PPN[1:0] read zero.
  TEST_CASE 3
  li a2, HGATP_MODE_SV39X4 | ((1 << 60) - 1)
  csrw CSR_HGATP, a2
  csrr a1, CSR_HGATP
  li a0, HGATP_MODE_SV39X4 | (0x3fff << 44) | ((1 << 44) - 4)
  EXPECT_REG a1, a0
  csrw CSR_HGATP, zero

  // hstatus: VSXL stays 2 and VGEIN 0 when written with ones.
  TEST_CASE 4
  li a0, -1
  csrw CSR_HSTATUS, a0
  csrr a1, CSR_HSTATUS
  srli a2, a1, 32
  andi a2, a2, 3
  EXPECT_EQ a2, 2
  li a2, 0x3f << 12
  and a2, a1, a2
  EXPECT_EQ a2, 0
  csrw CSR_HSTATUS, zero

  // htimedelta is read/write, and VS-mode's time is time + htimedelta.
  TEST_CASE 5
  li a0, 1 << 40
  csrw CSR_HTIMEDELTA, a0
  csrr a1, CSR_HTIMEDELTA
  EXPECT_REG a1, a0
  li a0, 2
  csrw mcounteren, a0
  csrw CSR_HCOUNTEREN, a0
  csrr s1, time
  ENTER_VIRTUAL PRV_S, 1f
1:
  csrr s2, time
  RETURN_TO_M
  sub s2, s2, s1
  li a0, 1 << 40
  sltu s2, s2, a0
  EXPECT_EQ s2, 0
  csrw CSR_HTIMEDELTA, zero
  csrw mcounteren, zero
  csrw CSR_HCOUNTEREN, zero

  mv ra, s0
  ret
