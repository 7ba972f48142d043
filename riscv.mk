# Shared toolchain settings for every RISC-V image the project builds
# (test/riscv and hypervisor). Included by their Makefiles; the one place
# that says how RISC-V code is compiled.
#
# Images are committed and CI rebuilds them from another folder, so the
# outputs must not depend on where the checkout lives or when it was built:
#  - sources are named by relative paths and -ffile-prefix-map strips the cwd;
#  - no build id, no timestamps; lld output is deterministic for equal inputs;
#  - the symbol table is kept (the property suite reads symbols).

CC      := clang
LD      := ld.lld
OBJDUMP := llvm-objdump

RISCV_TARGET := --target=riscv64-unknown-elf -march=rv64imac -mabi=lp64 -mcmodel=medany

RISCV_CFLAGS := $(RISCV_TARGET) -std=c17 -O2 -g0 \
	-ffreestanding -fno-builtin -nostdlib -nostdinc \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-mno-relax \
	-Wall -Wextra -Werror \
	-ffile-prefix-map=$(CURDIR)=.

RISCV_ASFLAGS := $(RISCV_TARGET) -g0 -mno-relax -ffile-prefix-map=$(CURDIR)=.

RISCV_LDFLAGS := -nostdlib --build-id=none -z noexecstack --no-relax
