/**
 * The model side of the KMEM model-based test: the model allocator (model/kmem.ts) continued from
 * the booted machine's observed state, plus what the program itself holds. The real side is the
 * booted hypervisor driven through its console. `step` runs one console line on the real side and
 * checks, in order: the rules the step's observations can break (KMEM-NO-DOUBLE-FREE from the shadow
 * allocator, TLB-DISCIPLINE in strict mode, KMEM-INTEGRITY on the free list), then the reply against
 * the model's.
 */
import {
  formatRange,
  freeListIntact,
  hex,
  imageEnd,
  kernelVa,
  kmemFromObserved,
  linearVa,
  noStaleTranslations,
  ramEnd,
  reservedRanges,
  CPU_GUARD,
  CPU_STRUCT_MAPPED,
  VAS_CPU_STRUCT,
  type KmemState,
  type Platform,
  type Violation,
} from '../../model/index.js';
import type { ElfFile } from '../../emulator/elf.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import { readKmem } from '../observe/memory.js';

export interface KmemTestModel {
  readonly platform: Platform;
  kmem: KmemState;
  /** Hart ids, as the console names them. */
  readonly harts: readonly number[];
  /** The hart that runs the console (the boot hart). */
  readonly consoleHart: number;
  /** Frames the program holds (linear-map VAs), oldest first. */
  held: bigint[];
  /** Frames the program freed (most recent last), for double frees when it holds nothing. */
  freed: bigint[];
  /** One VA per reserved range (firmware, image, state table, blob, blob reservations). */
  readonly reserved: readonly bigint[];
  /** Fixed probe targets; held frames are targets too. */
  readonly probeTargets: readonly ProbeTarget[];
  /** 8-byte values the program wrote into held frames, by VA (kalloc zeroes a frame). */
  readonly contents: Map<bigint, bigint>;
}

/** A VA the probe commands touch, and what the model says each access does there. */
export interface ProbeTarget {
  readonly name: string;
  readonly va: bigint;
  /** 'fault' or the value a read returns ('any' when the model does not fix it). */
  readonly read: 'fault' | bigint | 'any';
  readonly write: 'fault' | 'ok' | 'never';
  readonly exec: 'fault' | 'ok' | 'never';
  /** Faults here may be reported as stack overflows (the guard page). */
  readonly guard?: boolean;
}

export interface KmemReal {
  readonly booted: BootedHypervisor;
  /** "> line" and "< reply" lines, in order. */
  readonly transcript: string[];
}

/** A step broke a rule (or the model-based comparison). */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly violation: Violation | { readonly rule: 'KMEM-REPLY'; readonly message: string },
    readonly hart?: number,
  ) {
    super(`${violation.rule}: ${violation.message}`);
  }
}

export const hx = (v: bigint): string => `0x${v.toString(16)}`;

/** The 8 bytes of the image at link VA `va`, little-endian, or undefined outside its file bytes. */
export function imageWord(elf: ElfFile, va: bigint): bigint | undefined {
  for (const s of elf.segments) {
    if (va >= s.vaddr && va + 8n <= s.vaddr + BigInt(s.data.length)) {
      const off = Number(va - s.vaddr);
      return new DataView(s.data.buffer, s.data.byteOffset + off, 8).getBigUint64(0, true);
    }
  }
  return undefined;
}

/** The fixed probe targets of a platform (all harmless: nothing written outside held frames). */
export function probeTargets(platform: Platform, elf: ElfFile): ProbeTarget[] {
  const { image, ramBase } = platform;
  const text = kernelVa(image.text.start, ramBase);
  const rodata = kernelVa(image.rodata.start, ramBase);
  const probeRet = elf.symbol('probe_ret')?.value;
  const word = (va: bigint): bigint | 'any' => imageWord(elf, va) ?? 'any';
  return [
    { name: 'null page', va: 0n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'text', va: text, read: word(text), write: 'fault', exec: 'never' },
    { name: 'rodata', va: rodata, read: word(rodata), write: 'fault', exec: 'fault' },
    ...(probeRet === undefined ? [] : [{ name: 'probe_ret', va: probeRet, read: word(probeRet), write: 'fault', exec: 'ok' } as const]),
    { name: 'guard page', va: CPU_GUARD.start + 0x800n, read: 'fault', write: 'fault', exec: 'fault', guard: true },
    { name: 'above the cpu struct', va: CPU_STRUCT_MAPPED.end, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'cpu struct gigabyte', va: VAS_CPU_STRUCT + 0x10_0000n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'RAM identity', va: ramBase, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'after the image', va: kernelVa(imageEnd(platform), ramBase) + 0x1000n, read: 'fault', write: 'fault', exec: 'fault' },
    { name: 'last word of RAM', va: linearVa(ramEnd(platform) - 8n, ramBase), read: 'any', write: 'never', exec: 'fault' },
  ];
}

/** The model continued from the machine right after boot. */
export function initialModel(booted: BootedHypervisor): KmemTestModel {
  const { platform, machine, image } = booted;
  const observed = readKmem(machine, image.elf, platform);
  return {
    platform,
    kmem: kmemFromObserved(platform, observed),
    harts: Array.from({ length: platform.harts }, (_, h) => h),
    consoleHart: booted.bootHart ?? platform.bootHart,
    held: [],
    freed: [],
    reserved: reservedRanges(platform).map((r) => linearVa(r.range.start, ramBase(platform))),
    probeTargets: probeTargets(platform, image.elf),
    contents: new Map(),
  };
}

const ramBase = (platform: Platform): bigint => platform.ramBase;

/** hart position -> hart id. */
export function hartAt(m: Readonly<KmemTestModel>, position: number): number {
  return m.harts[position % m.harts.length]!;
}

/** The rules every step's observations must satisfy; throws StepFailure at the first broken one. */
export function checkAfterStep(m: KmemTestModel, r: KmemReal): void {
  const { booted } = r;
  const double = booted.shadow.violation;
  if (double) throw new StepFailure(double);
  if (booted.strictTlb) {
    const stale = noStaleTranslations(booted.stale);
    if (stale) throw new StepFailure(stale, booted.stale[0]?.use.hart);
  }
  const observed = readKmem(booted.machine, booted.image.elf, m.platform);
  const integrity = freeListIntact(m.platform, observed, booted.shadow.ownedFrames());
  if (integrity) throw new StepFailure(integrity);
}

/**
 * Sends `line`, records it and the reply, checks the step's rules, then compares the reply with
 * `expected` (exact lines, or a checker returning the problem).
 */
export function step(m: KmemTestModel, r: KmemReal, line: string, expected: readonly string[] | ((reply: readonly string[]) => string | undefined), finalLines = 1): string[] {
  const reply = r.booted.command(line, finalLines);
  r.transcript.push(`> ${line}`, ...reply.map((l) => `< ${l}`));
  const panic = reply.find((l) => l.startsWith('PANIC ') || l.startsWith('TIMEOUT'));
  checkAfterStep(m, r);
  const problem =
    typeof expected === 'function'
      ? expected(reply)
      : reply.length === expected.length && reply.every((l, i) => l === expected[i])
        ? undefined
        : `expected ${expected.map((l) => JSON.stringify(l)).join(', ')}`;
  if (problem !== undefined || panic !== undefined) {
    throw new StepFailure({ rule: 'KMEM-REPLY', message: `"${line}" answered ${reply.map((l) => JSON.stringify(l)).join(', ') || 'nothing'}; ${problem ?? 'a panic or timeout is never a right answer'}` });
  }
  return reply;
}

/** Re-reads the allocator into the model after a step whose free-list order the model does not fix (batches). */
export function resyncModel(m: KmemTestModel, r: KmemReal): void {
  m.kmem = kmemFromObserved(m.platform, readKmem(r.booted.machine, r.booted.image.elf, m.platform));
}

export { formatRange, hex };
