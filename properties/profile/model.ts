/**
 * A profile translated into the model's inputs: its design parameters (Platform.design), the image
 * layout from its section bounds, its reserved ranges, and the symbols a property needs because the
 * profile names them. The model knows nothing of profiles; this is the only place they meet.
 */
import { symbolPhysicalAddress, type ElfFile } from '../../emulator/elf.js';
import {
  cpuStructPart,
  formatRange,
  hex,
  KERNEL_GIGABYTE,
  PlatformError,
  VAS_KERNEL,
  type DesignParameters,
  type ImageLayout,
  type ReservedRange,
} from '../../model/index.js';
import { resolveAddress, UnresolvedAddressError, type AddressExpression, type CpuStructPart, type ImageProfile } from './profile.js';

const part = (p: CpuStructPart): { start: bigint; end: bigint } => cpuStructPart(BigInt(p.offset), BigInt(p.size));

/** The design parameters a profile states (SPEC.md "Design parameters"). */
export function designFromProfile(profile: ImageProfile): DesignParameters {
  const { layout, allocator } = profile;
  return {
    loadOffset: layout.loadOffset,
    cpuStruct: {
      guard: layout.cpuStruct.guard === null ? null : part(layout.cpuStruct.guard),
      stack: part(layout.cpuStruct.stack),
      info: part(layout.cpuStruct.info),
      trapStack: part(layout.cpuStruct.trapStack),
    },
    accessedDirty: layout.accessedDirty,
    earlyTable: { global: layout.earlyTable.global, linearGigapages: layout.earlyTable.linearGigapages },
    frameStateTable: allocator.frameStates !== undefined,
    allocationOrder: allocator.order,
    badFree: allocator.badFree,
    largestLeaf: layout.largestLeaf,
  };
}

/** The symbol an address expression starts with, or undefined for a plain 0x address. */
export function expressionSymbol(expression: AddressExpression): string | undefined {
  return /^0x/i.test(expression) ? undefined : /^[A-Za-z_.$][A-Za-z0-9_.$]*/.exec(expression)?.[0];
}

/** The link address (VA) an expression names in the image. Throws UnresolvedAddressError. */
export function linkAddress(elf: ElfFile, expression: AddressExpression): bigint {
  return resolveAddress(expression, (name) => elf.symbol(name)?.value, elf.fileName);
}

/**
 * The load address (PA) an expression names: through the PT_LOAD segment holding its link address
 * (as symbolPhysicalAddress does for a symbol). Throws UnresolvedAddressError, or RangeError when no
 * segment holds it.
 */
export function loadAddress(elf: ElfFile, expression: AddressExpression): bigint {
  const va = linkAddress(elf, expression);
  const segment = elf.segments.find((s) => va >= s.vaddr && va < s.vaddr + s.memsz);
  if (segment === undefined) {
    const name = expressionSymbol(expression);
    const symbol = name === undefined ? undefined : elf.symbol(name);
    if (symbol !== undefined && va === symbol.value) return symbolPhysicalAddress(elf, symbol);
    throw new RangeError(`${elf.fileName}: ${expression} = ${hex(va)} lies in no PT_LOAD segment, so it has no load address`);
  }
  return va - segment.vaddr + segment.paddr;
}

/**
 * The image layout (load addresses) from the profile's section bounds: pa = va - VAS_KERNEL + ramBase.
 * Throws PlatformError naming the profile field of a missing symbol or one outside VAS_KERNEL's gigabyte.
 */
export function imageLayoutFromProfile(profile: ImageProfile, elf: ElfFile, ramBase: bigint): ImageLayout {
  const pa = (section: 'text' | 'rodata' | 'data' | 'bss', edge: 'start' | 'end'): bigint => {
    const expression = profile.layout[section][edge];
    const field = `profile layout.${section}.${edge} (${expression})`;
    let va: bigint;
    try {
      va = linkAddress(elf, expression);
    } catch (e) {
      if (e instanceof UnresolvedAddressError) throw new PlatformError([{ field, value: 'missing', message: `the ELF has no symbol ${e.symbol}` }]);
      throw e;
    }
    if (va < KERNEL_GIGABYTE.start || va >= KERNEL_GIGABYTE.end) throw new PlatformError([{ field, value: hex(va), message: `must be a link address in ${formatRange(KERNEL_GIGABYTE)}` }]);
    return va - VAS_KERNEL + ramBase;
  };
  const range = (section: 'text' | 'rodata' | 'data' | 'bss') => ({ start: pa(section, 'start'), end: pa(section, 'end') });
  return { text: range('text'), rodata: range('rodata'), data: range('data'), bss: range('bss') };
}

/** The profile's reserved ranges as the platform's. */
export function profileReservedRanges(profile: ImageProfile): ReservedRange[] {
  return profile.layout.reserved.map((r) => ({ name: `profile ${r.name}`, range: { start: r.start, end: r.end } }));
}

/** The symbols the allocator observations read, as the profile names them (the free-list head's, the counter, the frame-state table). */
export function allocatorStateSymbols(profile: ImageProfile): string[] {
  const { allocator } = profile;
  return [expressionSymbol(allocator.freeListHead), allocator.counter, allocator.frameStates?.symbol].filter((s): s is string => s !== undefined);
}

/** The allocator's functions, hooked at entry and return. */
export function allocatorFunctions(profile: ImageProfile): string[] {
  return [profile.allocator.alloc, profile.allocator.free];
}

/** The symbols the layout names (section bounds). */
export function layoutSymbols(profile: ImageProfile): string[] {
  const { layout } = profile;
  const names = [layout.text, layout.rodata, layout.data, layout.bss].flatMap((s) => [expressionSymbol(s.start), expressionSymbol(s.end)]);
  return [...new Set(names.filter((s): s is string => s !== undefined))];
}
