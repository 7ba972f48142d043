/**
 * Reading a running machine from the outside: physical memory, the image's symbols, each hart's page
 * table (flattened with the model), the allocator's free list and frame-state table, and diffs of
 * memory. Nothing here asks the hypervisor anything.
 */
import { symbolPhysicalAddress, type ElfFile } from '../../emulator/elf.js';
import type { VirtMachine } from '../../emulator/board/machine.js';
import {
  FRAME_STATE_CODE,
  flatten,
  hex,
  kernelVa,
  linearPa,
  linearVa,
  PAGE_SIZE,
  VAS_RAM,
  type FlatTable,
  type ObservedHart,
  type ObservedKmem,
  type Platform,
  type Range,
  type ReadPhys,
  type Violation,
} from '../../model/index.js';
import { loadAddress } from '../profile/model.js';
import { DEFAULT_PROFILE, UnresolvedAddressError, type ImageProfile } from '../profile/profile.js';

/** The symbols the observations use (hypervisor/README.md "Symbols the property suite can read"). */
export const KMEM_SYMBOLS = ['kmem_freelist', 'kmem_nfree', 'kmem_frame_state', 'kalloc', 'kfree'] as const;

/** What the suite reads each symbol for (a skip for a missing symbol says so). */
export const SYMBOL_PURPOSE: Readonly<Record<string, string>> = {
  kalloc: 'hooked at its entry and return to see every kalloc',
  kfree: 'hooked at its entry and return to see every kfree',
  kmem_freelist: "the free list's head",
  kmem_nfree: 'the free count',
  kmem_frame_state: 'the frame-state table',
  recurse: "where the console's stack overflow begins, so its stores are watched from there",
  probe_ret: "the text address the console's exec probe returns through",
};

/** Why `property` cannot run on `image`: the symbols it needs that the image lacks, each with what it is read for. */
export function missingSymbolsReason(image: string, property: string, missing: readonly string[]): string {
  const each = missing.map((name) => `no symbol ${name}${SYMBOL_PURPOSE[name] ? ` (${SYMBOL_PURPOSE[name]})` : ''}`);
  return `${image}: ${each.join(' and ')}, so ${property} cannot check its rules (a --symbols file maps other names; see properties/README.md "Image contract")`;
}

/**
 * What was read out of the machine is no state the model can be in (an allocator whose free list
 * and frame states no model state gives, say), so it cannot be observed further: the case fails
 * with `violation`, which names the rule and the observation that contradicts it.
 */
export class ContradictsModel extends Error {
  override readonly name = 'ContradictsModel';
  constructor(readonly violation: Violation) {
    super(`${violation.rule}: ${violation.message}`);
  }
}

/** The image lacks a symbol an observation needs: the property is skipped, naming it. */
export class MissingSymbolError extends Error {
  override readonly name = 'MissingSymbolError';
  constructor(
    readonly symbol: string,
    readonly image: string,
  ) {
    super(`${image}: no symbol ${symbol} (the property suite reads it; see properties/README.md "Image contract")`);
  }
}

/** A symbol's link address (a VA for the hypervisor). */
export function symbolVa(elf: ElfFile, name: string): bigint {
  const symbol = elf.symbol(name);
  if (symbol === undefined) throw new MissingSymbolError(name, elf.fileName);
  return symbol.value;
}

/** A symbol's load address (physical, through the segment that holds it). */
export function symbolPa(elf: ElfFile, name: string): bigint {
  const symbol = elf.symbol(name);
  if (symbol === undefined) throw new MissingSymbolError(name, elf.fileName);
  return symbolPhysicalAddress(elf, symbol);
}

/**
 * `pc` as `name+0xoffset`: the nearest named symbol at or below it in the kernel's text (assembly
 * labels have no size, so the nearest is taken), or undefined outside the text.
 */
export function textSymbol(elf: ElfFile, platform: Platform, pc: bigint): string | undefined {
  const lo = kernelVa(platform.image.text.start, platform.ramBase);
  const hi = kernelVa(platform.image.text.end, platform.ramBase);
  if (pc < lo || pc >= hi) return undefined;
  const symbol = elf.symbols.filter((s) => s.value <= pc && s.value >= lo && /^[A-Za-z_]/.test(s.name)).reduce<(typeof elf.symbols)[number] | undefined>((best, s) => (best === undefined || s.value > best.value ? s : best), undefined);
  return symbol && `${symbol.name}+0x${(pc - symbol.value).toString(16)}`;
}

/** The model's ReadPhys over the machine's RAM: 8-byte little-endian words; anything outside RAM reads as an access fault. */
export function physicalReader(machine: VirtMachine): ReadPhys {
  const ram = machine.bus.ram;
  return (pa) => {
    const at = Number(pa);
    if (pa % 8n !== 0n || !ram.contains(at, 8)) return undefined;
    return machine.readPhysicalU64(at);
  };
}

export const SATP_MODE_SV39 = 8n;

/** The root a satp value names, or undefined when translation is off (MODE Bare). */
export function satpRoot(satp: bigint): bigint | undefined {
  return satp >> 60n === SATP_MODE_SV39 ? (satp & ((1n << 44n) - 1n)) << 12n : undefined;
}

/** Hart h's current table (from its satp), flattened; undefined when its MMU is off. */
export function readHartTable(machine: VirtMachine, hart: number): FlatTable | undefined {
  const root = satpRoot(machine.readCsr(hart, 'satp'));
  return root === undefined ? undefined : flatten(physicalReader(machine), root);
}

/**
 * The tables of the harts that translate (a hart whose MMU is off has none: BOOT-COMPLETES judges
 * that from satp, so an observation never fails on it).
 */
export function readTranslatingHartTables(machine: VirtMachine): ObservedHart[] {
  return machine.harts.flatMap((_, hart) => {
    const table = readHartTable(machine, hart);
    return table === undefined ? [] : [{ hart, table }];
  });
}

/** Every hart's current table; throws naming a hart whose MMU is off. */
export function readAllHartTables(machine: VirtMachine): ObservedHart[] {
  return machine.harts.map((_, hart) => {
    const table = readHartTable(machine, hart);
    if (table === undefined) throw new Error(`hart ${hart} has satp = ${hex(machine.readCsr(hart, 'satp'))}: translation is off, so it has no final table`);
    return { hart, table };
  });
}

/** The allocator's state as a profile describes it (the bundled hypervisor's by default). */
type AllocatorProfile = ImageProfile['allocator'];

/** A profile address expression's load address; a missing symbol is a MissingSymbolError (the property is skipped naming it). */
function allocatorAddress(elf: ElfFile, expression: string): bigint {
  try {
    return loadAddress(elf, expression);
  } catch (e) {
    if (e instanceof UnresolvedAddressError) throw new MissingSymbolError(e.symbol, elf.fileName);
    throw e;
  }
}

/**
 * The allocator as memory holds it: the free-list head (the profile's freeListHead, kmem_freelist by
 * default) followed through the next pointer at nextOffset in each free page (read through the
 * linear map's PA; PAs when the allocator speaks PAs, turned into linear-map VAs for the model), the
 * counter and the frame-state table when the profile names them. The walk gives up
 * (terminated = false) after more entries than RAM has frames (a cycle) or at a pointer outside the
 * linear map of RAM.
 */
export function readKmem(machine: VirtMachine, elf: ElfFile, platform: Platform, allocator: AllocatorProfile = DEFAULT_PROFILE.allocator): ObservedKmem {
  const frames = Number(platform.ramSize / PAGE_SIZE);
  const freeList: bigint[] = [];
  const u64 = ramU64Reader(machine);
  const asVa = (pointer: bigint): bigint => (allocator.returns === 'pa' && pointer !== 0n ? linearVa(pointer, platform.ramBase) : pointer);
  let va = asVa(u64(allocatorAddress(elf, allocator.freeListHead)));
  const next = BigInt(allocator.nextOffset);
  let terminated = true;
  while (va !== 0n) {
    freeList.push(va);
    const pa = linearPa(va, platform.ramBase);
    if (freeList.length > frames || va < VAS_RAM || va % 8n !== 0n || pa + next + 8n > platform.ramBase + platform.ramSize) {
      terminated = false;
      break;
    }
    va = asVa(u64(pa + next));
  }
  return {
    freeList,
    terminated,
    ...(allocator.counter === undefined ? {} : { nfree: u64(allocatorAddress(elf, allocator.counter)) }),
    ...(allocator.frameStates === undefined ? {} : { frameStates: readFrameStates(machine, elf, platform, allocator) }),
  };
}

/**
 * The frame-state table the profile's frameStates symbol points to (one byte per frame), in the
 * model's codes (FRAME_STATE_CODE; a byte the profile gives no meaning stays out of range). A pointer
 * whose table is not in the linear map of RAM contradicts KMEM-INTEGRITY (there is no table to agree
 * with): ContradictsModel.
 */
export function readFrameStates(machine: VirtMachine, elf: ElfFile, platform: Platform, allocator: AllocatorProfile = DEFAULT_PROFILE.allocator): Uint8Array {
  const encoding = allocator.frameStates;
  if (encoding === undefined) throw new RangeError(`readFrameStates: the profile names no frame-state table`);
  const frames = Number(platform.ramSize / PAGE_SIZE);
  const tableVa = ramU64Reader(machine)(allocatorAddress(elf, encoding.symbol));
  const tablePa = linearPa(tableVa, platform.ramBase);
  if (tableVa >= VAS_RAM && tablePa >= platform.ramBase && tablePa + BigInt(frames) <= platform.ramBase + platform.ramSize) {
    const bytes = machine.readPhysical(tablePa, frames);
    const same = encoding.free === FRAME_STATE_CODE.FREE && encoding.allocated === FRAME_STATE_CODE.ALLOCATED && encoding.reserved === FRAME_STATE_CODE.RESERVED;
    if (same) return bytes;
    const toModel = new Uint8Array(256).fill(255);
    toModel[encoding.free] = FRAME_STATE_CODE.FREE;
    toModel[encoding.allocated] = FRAME_STATE_CODE.ALLOCATED;
    toModel[encoding.reserved] = FRAME_STATE_CODE.RESERVED;
    return bytes.map((b) => toModel[b]!);
  }
  throw new ContradictsModel({ rule: 'KMEM-INTEGRITY', message: `${encoding.symbol} is ${hex(tableVa)}, so its ${frames}-byte frame-state table is not in the linear map of RAM ${hex(VAS_RAM)}..${hex(VAS_RAM + platform.ramSize)}` });
}

/** 8-byte little-endian RAM reads without allocating (the free-list walk makes one per free frame). */
function ramU64Reader(machine: VirtMachine): (pa: bigint) => bigint {
  const { bus } = machine;
  return (pa) => {
    if (!bus.ram.contains(Number(pa), 8) || !bus.read(Number(pa), 8)) throw new ContradictsModel({ rule: 'KMEM-INTEGRITY', message: `the allocator's word at ${hex(pa)} (a symbol's load address) is outside RAM` });
    return (BigInt(bus.value[1]! >>> 0) << 32n) | BigInt(bus.value[0]! >>> 0);
  };
}

/** Half-open byte ranges where `after` differs from `before` (both read from `base`). */
export function changedRanges(before: Uint8Array, after: Uint8Array, base: bigint): Range[] {
  if (before.length !== after.length) throw new RangeError(`changedRanges: ${before.length} bytes before, ${after.length} after`);
  const ranges: Range[] = [];
  let start = -1;
  for (let i = 0; i <= before.length; i++) {
    const differs = i < before.length && before[i] !== after[i];
    if (differs && start < 0) start = i;
    if (!differs && start >= 0) {
      ranges.push({ start: base + BigInt(start), end: base + BigInt(i) });
      start = -1;
    }
  }
  return ranges;
}

/** One write seen by a physical write watch. */
export interface PhysicalWrite {
  readonly pa: bigint;
  readonly size: number;
  /** The writing hart, or -1 for a device or the host. */
  readonly hart: number;
  /** The machine's clock (summed instret) when it happened. */
  readonly time: number;
}

/** Records every write to RAM until the returned function is called, which returns them. */
export function recordWrites(machine: VirtMachine, range: Range = { start: BigInt(machine.bus.ram.base), end: BigInt(machine.bus.ram.base + machine.bus.ram.size) }): () => PhysicalWrite[] {
  const writes: PhysicalWrite[] = [];
  const stop = machine.watchPhysicalWrites(Number(range.start), Number(range.end), (pa, size, hart) => {
    writes.push({ pa: BigInt(pa), size, hart, time: machineClock(machine) });
  });
  return () => {
    stop();
    return writes;
  };
}

/**
 * A clock that is exact inside hooks: instructions retired summed over all harts (harts run one at a
 * time, so it only grows). machine.steps is updated only between slices.
 */
export function machineClock(machine: VirtMachine): number {
  let t = 0;
  for (const hart of machine.harts) t += hart.instret;
  return t;
}
