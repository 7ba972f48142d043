/**
 * The hypervisor's virtual memory map (design: "Virtual memory map"; decisions: SPEC.md "Addresses",
 * "Final per-hart page table"). Constants only; the per-platform map is in memory-map.ts.
 */
import { GIGAPAGE_SIZE, MiB, PAGE_SIZE, type Range } from './address.js';

/** Kernel image: va = VAS_KERNEL + (pa - ramBase). */
export const VAS_KERNEL = 0xffff_ffc0_0000_0000n;
/** Per-hart cpu struct (stack and cpu info); the same VA on every hart, backed by each hart's own frames. */
export const VAS_CPU_STRUCT = 0xffff_ffc0_4000_0000n;
/** Linear map of all RAM: va = pa - ramBase + VAS_RAM. */
export const VAS_RAM = 0xffff_ffe0_0000_0000n;

/** OpenSBI owns [ramBase, ramBase + FIRMWARE_SIZE). */
export const FIRMWARE_SIZE = 2n * MiB;
/** The image is loaded at ramBase + KERNEL_LOAD_OFFSET and linked at VAS_KERNEL + KERNEL_LOAD_OFFSET. */
export const KERNEL_LOAD_OFFSET = 0x20_0000n;

/**
 * The cpu struct's layout, as page offsets from VAS_CPU_STRUCT (SPEC.md):
 *   +0x0000 guard page, unmapped: a stack overflow faults here first
 *   +0x1000 .. +0x5000 stack (4 pages); initial sp = +0x5000, grows down toward the guard
 *   +0x5000 cpu info page (hart id, ...), above the stack
 *   +0x6000 .. +0x8000 trap stack (2 pages); its top (+0x8000) is what sscratch holds
 */
export const CPU_GUARD: Range = { start: VAS_CPU_STRUCT, end: VAS_CPU_STRUCT + 0x1000n };
export const CPU_STACK: Range = { start: VAS_CPU_STRUCT + 0x1000n, end: VAS_CPU_STRUCT + 0x5000n };
export const CPU_INFO: Range = { start: VAS_CPU_STRUCT + 0x5000n, end: VAS_CPU_STRUCT + 0x6000n };
export const CPU_TRAP_STACK: Range = { start: VAS_CPU_STRUCT + 0x6000n, end: VAS_CPU_STRUCT + 0x8000n };
/** Initial sp: the top of the stack. */
export const CPU_STACK_TOP = CPU_STACK.end;
/** Trap-stack top, the value sscratch holds. */
export const CPU_TRAP_STACK_TOP = CPU_TRAP_STACK.end;
/** Everything mapped in the cpu struct: stack, cpu info and trap stack, contiguous. */
export const CPU_STRUCT_MAPPED: Range = { start: CPU_STACK.start, end: CPU_TRAP_STACK.end };
/** 7 pages: 4 stack + 1 cpu info + 2 trap stack. */
export const CPU_STRUCT_PAGES = Number((CPU_STRUCT_MAPPED.end - CPU_STRUCT_MAPPED.start) / PAGE_SIZE);
/** The cpu struct's gigabyte: nothing in it but CPU_STRUCT_MAPPED may be mapped. */
export const CPU_STRUCT_GIGABYTE: Range = { start: VAS_CPU_STRUCT, end: VAS_CPU_STRUCT + GIGAPAGE_SIZE };
/** The kernel image's gigabyte: nothing in it but the image's sections may be mapped. */
export const KERNEL_GIGABYTE: Range = { start: VAS_KERNEL, end: VAS_KERNEL + GIGAPAGE_SIZE };

/** The VA of image byte `pa`. */
export function kernelVa(pa: bigint, ramBase: bigint): bigint {
  return VAS_KERNEL + (pa - ramBase);
}

/** The linear-map VA of RAM byte `pa`. */
export function linearVa(pa: bigint, ramBase: bigint): bigint {
  return VAS_RAM + (pa - ramBase);
}

/** The RAM byte a linear-map VA names. */
export function linearPa(va: bigint, ramBase: bigint): bigint {
  return va - VAS_RAM + ramBase;
}
