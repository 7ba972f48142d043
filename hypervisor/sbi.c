// Calls into the SBI firmware (RISC-V SBI specification: a7 = extension id,
// a6 = function id, arguments in a0..a5, error in a0 and value in a1).
#include "defs.h"

#define SBI_EXT_IPI  0x735049      // "sPI"
#define SBI_EXT_HSM  0x48534D      // "HSM"
#define SBI_EXT_SRST 0x53525354    // "SRST"
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_SYSTEM_FAILURE 1
#define SBI_LEGACY_SHUTDOWN 0x08

static struct sbiret sbi_call(u64 ext, u64 fid, u64 a0, u64 a1, u64 a2) {
  register u64 r_a0 __asm__("a0") = a0;
  register u64 r_a1 __asm__("a1") = a1;
  register u64 r_a2 __asm__("a2") = a2;
  register u64 r_a6 __asm__("a6") = fid;
  register u64 r_a7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
  return (struct sbiret){ .error = (i64)r_a0, .value = (i64)r_a1 };
}

// HSM hart_start: the hart begins at start_pa in S-mode, satp = 0, a0 = hartid, a1 = opaque.
struct sbiret sbi_hart_start(u64 hartid, u64 start_pa, u64 opaque) {
  return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start_pa, opaque);
}

// HSM hart_get_status: value = SBI_HSM_STATE_* of hartid.
struct sbiret sbi_hart_get_status(u64 hartid) {
  return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid, 0, 0);
}

// IPI send_ipi: sets sip.SSIP on the harts in the mask (bit i = hart base + i).
struct sbiret sbi_send_ipi(u64 hart_mask, u64 hart_mask_base) {
  return sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0);
}

// sbi_shutdown: SRST system_reset(shutdown, reason) with reason "no reason"
// for code 0 and "system failure" otherwise, falling back to the legacy
// shutdown call. OpenSBI on QEMU virt ends QEMU with status 0 for either
// reason, so for a nonzero code the virt test finisher (identity mapped) is
// first told FAIL with the code, which makes QEMU exit with that status
// (low 16 bits; hw/misc/sifive_test: value = code << 16 | 0x3333).
#define FINISHER_FAIL 0x3333
void sbi_shutdown(u64 code) {
  if (code) *(volatile u32 *)TEST_FINISHER = (u32)((code & 0xffff) << 16) | FINISHER_FAIL;
  bool failure = code != 0;
  sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
           failure ? SBI_SRST_REASON_SYSTEM_FAILURE : SBI_SRST_REASON_NONE, 0);
  sbi_call(SBI_LEGACY_SHUTDOWN, 0, 0, 0, 0);
  for (;;) __asm__ volatile("wfi");
}
