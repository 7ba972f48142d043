/**
 * Rules about page tables (MAP-*, STACK-GUARD). They take flattened tables (LeafRun lists, as `flatten`
 * gives them from observed memory) so the property suite can feed them what it reads out of a machine.
 */
import { formatRange, hex, PAGE_SIZE, rangeContains, rangesOverlap, type Range } from '../address.js';
import { cpuStructMapped, cpuStructPages, DESIGN_CPU_STRUCT, type CpuStructLayout, type DesignParameters } from '../design.js';
import { CPU_STRUCT_GIGABYTE } from '../layout.js';
import { comparableRuns, describeRegion, expectedAddressSpace, expectedFixedRuns, leafFlagsOf, type ExpectedAddressSpace } from '../memory-map.js';
import { ramRange, reservedRangeAt, type Platform } from '../platform.js';
import type { FlatTable } from '../sv39/flatten.js';
import { flagsEqual, formatRun, mergeRuns, runsEqual, type LeafRun } from '../sv39/mapping.js';
import { decodePte, formatFlags } from '../sv39/pte.js';
import { violation, type RuleVerdict } from './rule.js';

/** One hart's final page table as observed: its root, flattened. */
export interface ObservedHart {
  readonly hart: number;
  readonly table: FlatTable;
}

/** The part of `runs` inside `range`, runs cut at its edges. */
export function runsWithin(runs: readonly LeafRun[], range: Range): LeafRun[] {
  return runs.flatMap((run) => {
    const start = run.va > range.start ? run.va : range.start;
    const end = run.va + run.size < range.end ? run.va + run.size : range.end;
    return start < end ? [{ ...run, va: start, pa: run.pa + (start - run.va), size: end - start }] : [];
  });
}

/** The part of `runs` outside `range`. */
export function runsOutside(runs: readonly LeafRun[], range: Range): LeafRun[] {
  return [...runsWithin(runs, { start: 0n, end: range.start }), ...runsWithin(runs, { start: range.end, end: 1n << 64n })];
}

/** The PA of every 4 KiB page the runs map, in VA order. */
export function pagesOf(runs: readonly LeafRun[]): { va: bigint; pa: bigint }[] {
  return runs.flatMap((run) => {
    const pages: { va: bigint; pa: bigint }[] = [];
    for (let offset = 0n; offset < run.size; offset += PAGE_SIZE) pages.push({ va: run.va + offset, pa: run.pa + offset });
    return pages;
  });
}

/** MAP-WX: no run is writable and executable. */
export function noWritableExecutable(runs: readonly LeafRun[]): RuleVerdict {
  const bad = runs.find((r) => r.flags.w && r.flags.x);
  return bad && violation('MAP-WX', `${formatRun(bad)} is writable and executable`);
}

/** MAP-USER: no run has U set. */
export function neverUser(runs: readonly LeafRun[]): RuleVerdict {
  const bad = runs.find((r) => r.flags.u);
  return bad && violation('MAP-USER', `${formatRun(bad)} has U set`);
}

/** MAP-USER on a table's structure: no pointer PTE has U set either (the walk faults on those as reserved). */
export function noUserAnomalies(table: FlatTable): RuleVerdict {
  const bad = table.anomalies.find((a) => {
    if (a.pte === null) return false;
    const { flags } = decodePte(a.pte);
    return flags.u && !flags.r && !flags.x;
  });
  return bad && violation('MAP-USER', `non-leaf PTE at PA ${hex(bad.pteAddr)} (level ${bad.level}, VA ${hex(bad.va)}) has U set`);
}

/**
 * MAP-AD: every run has A set, and D exactly when W; when the design leaves A/D to the hart
 * (accessedDirty 'hardware'), only that no run has D without W (a hart sets D only on a store, which needs W).
 */
export function accessedDirtyPreset(runs: readonly LeafRun[], accessedDirty: DesignParameters['accessedDirty'] = 'preset'): RuleVerdict {
  if (accessedDirty === 'hardware') {
    const dirtyReadOnly = runs.find((r) => r.flags.d && !r.flags.w);
    return dirtyReadOnly && violation('MAP-AD', `${formatRun(dirtyReadOnly)} has D set but W clear`);
  }
  const noA = runs.find((r) => !r.flags.a);
  if (noA) return violation('MAP-AD', `${formatRun(noA)} has A clear`);
  const badD = runs.find((r) => r.flags.d !== r.flags.w);
  return badD && violation('MAP-AD', `${formatRun(badD)} has D ${badD.flags.d ? 'set but W clear' : 'clear but W set'}`);
}

/** MAP-GLOBAL: effective G on every run outside the cpu struct's gigabyte, and on none inside it. */
export function globalExceptCpuStruct(runs: readonly LeafRun[]): RuleVerdict {
  const cpuGlobal = runsWithin(runs, CPU_STRUCT_GIGABYTE).find((r) => r.flags.g);
  if (cpuGlobal) return violation('MAP-GLOBAL', `cpu struct ${formatRun(cpuGlobal)} is global (G on its leaf or on a PTE of its path)`);
  const notGlobal = runsOutside(runs, CPU_STRUCT_GIGABYTE).find((r) => !r.flags.g);
  return notGlobal && violation('MAP-GLOBAL', `${formatRun(notGlobal)} is outside the cpu struct but not global`);
}

/** MAP-DISJOINT on an expected address space: its regions are pairwise disjoint in VA. */
export function regionsDisjoint(space: ExpectedAddressSpace): RuleVerdict {
  const { regions } = space;
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i]!;
      const b = regions[j]!;
      if (rangesOverlap({ start: a.va, end: a.va + a.size }, { start: b.va, end: b.va + b.size })) {
        return violation('MAP-DISJOINT', `hart ${space.hart}: ${describeRegion(a)} overlaps ${describeRegion(b)} in VA`);
      }
    }
  }
  return undefined;
}

/**
 * MAP-DISJOINT on observed tables: within each hart runs are sorted and VA-disjoint; roots are distinct;
 * every cpu-struct page has its own frame across all harts; no cpu-struct frame is a page-table frame;
 * and no frame the tables use is on the free list (`freeFrames`, PAs).
 */
export function framesDisjoint(harts: readonly ObservedHart[], freeFrames: readonly bigint[]): RuleVerdict {
  const fail = (message: string): RuleVerdict => violation('MAP-DISJOINT', message);
  for (const { hart, table } of harts) {
    for (let i = 1; i < table.runs.length; i++) {
      const prev = table.runs[i - 1]!;
      const run = table.runs[i]!;
      if (run.va < prev.va + prev.size) return fail(`hart ${hart}: ${formatRun(run)} overlaps ${formatRun(prev)} in VA`);
    }
  }
  const owner = new Map<bigint, string>();
  const claim = (pa: bigint, what: string): RuleVerdict => {
    const previous = owner.get(pa);
    if (previous !== undefined) return fail(`frame ${hex(pa)} is both ${previous} and ${what}`);
    owner.set(pa, what);
    return undefined;
  };
  for (const { hart, table } of harts) {
    const bad = claim(table.root, `hart ${hart}'s root table`);
    if (bad) return bad;
  }
  for (const { hart, table } of harts) {
    for (const { va, pa } of pagesOf(runsWithin(table.runs, CPU_STRUCT_GIGABYTE))) {
      const bad = claim(pa, `hart ${hart}'s cpu-struct page at VA ${hex(va)}`);
      if (bad) return bad;
    }
  }
  const tableOwner = new Map<bigint, string>();
  for (const { hart, table } of harts) {
    for (const frame of table.tableFrames) {
      if (frame === table.root) continue;
      // Harts may share lower-level tables (the contract asks only for separate roots).
      const what = owner.get(frame);
      if (what !== undefined) return fail(`page-table frame ${hex(frame)} of hart ${hart} is also ${what}`);
      tableOwner.set(frame, `a page-table frame of hart ${hart}`);
    }
  }
  for (const pa of freeFrames) {
    const what = owner.get(pa) ?? tableOwner.get(pa);
    if (what !== undefined) return fail(`frame ${hex(pa)} is on the free list but is ${what}`);
  }
  return undefined;
}

/** MAP-SHARED: outside the cpu struct's gigabyte all harts map the same runs as the first (A/D aside when the hart sets them). */
export function sameOutsideCpuStruct(harts: readonly ObservedHart[], design: Pick<DesignParameters, 'accessedDirty'> = { accessedDirty: 'preset' }): RuleVerdict {
  const [first, ...rest] = harts;
  if (first === undefined) return undefined;
  const reference = mergeRuns(runsOutside(comparableRuns(design, first.table.runs), CPU_STRUCT_GIGABYTE));
  for (const { hart, table } of rest) {
    const runs = mergeRuns(runsOutside(comparableRuns(design, table.runs), CPU_STRUCT_GIGABYTE));
    const diff = firstDifference(reference, runs);
    if (diff) return violation('MAP-SHARED', `hart ${hart} differs from hart ${first.hart}: ${diff}`);
  }
  return undefined;
}

/** The first difference between two run lists (both sorted and merged), in words; undefined when equal. */
export function firstDifference(expected: readonly LeafRun[], observed: readonly LeafRun[]): string | undefined {
  const n = Math.max(expected.length, observed.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const o = observed[i];
    if (e !== undefined && o !== undefined && runsEqual(e, o)) continue;
    if (o === undefined) return `missing ${formatRun(e!)}`;
    if (e === undefined) return `unexpected ${formatRun(o)}`;
    if (o.va > e.va) return `missing ${formatRun(e)} (next observed: ${formatRun(o)})`;
    if (o.va < e.va) return `unexpected ${formatRun(o)} (next expected: ${formatRun(e)})`;
    return `expected ${formatRun(e)}, observed ${formatRun(o)}`;
  }
  return undefined;
}

/**
 * MAP-EXACT: outside the cpu struct the runs equal expectedAddressSpace's exactly; inside, the cpu
 * struct's shape holds (see cpuStructShape).
 */
export function matchesExpected(platform: Platform, hart: number, runs: readonly LeafRun[]): RuleVerdict {
  if (!Number.isInteger(hart) || hart < 0 || hart >= platform.harts) {
    return violation('MAP-EXACT', `observed a table for hart ${hart}, but the platform's harts are 0 to ${platform.harts - 1}`);
  }
  const expected = expectedFixedRuns(expectedAddressSpace(platform, hart));
  const comparable = comparableRuns(platform.design, runs);
  const diff = firstDifference(expected, mergeRuns(runsOutside(comparable, CPU_STRUCT_GIGABYTE)));
  if (diff) return violation('MAP-EXACT', `hart ${hart}: ${diff}`);
  const shape = cpuStructShape(platform, runsWithin(mergeRuns(comparable), CPU_STRUCT_GIGABYTE));
  return shape === undefined ? undefined : violation('MAP-EXACT', `hart ${hart}: ${shape}`);
}

/**
 * The cpu struct as the design lays it out (platform.design.cpuStruct; SPEC.md's: exactly
 * [VAS_CPU_STRUCT + 0x1000, + 0x8000) mapped, in 7 4 KiB pages): its mapped parts and nothing else,
 * in 4 KiB pages, RW- (A D unless the hart sets them), not global, not U; each frame in RAM and
 * outside every reserved range. `cpuRuns` come as comparableRuns gives them. Returns what is wrong, or undefined.
 */
export function cpuStructShape(platform: Platform, cpuRuns: readonly LeafRun[]): string | undefined {
  const { cpuStruct, accessedDirty } = platform.design;
  const flags = leafFlagsOf({ r: true, w: true, x: false }, false, accessedDirty);
  const mapped = cpuStructMapped(cpuStruct);
  const pages = cpuStructPages(cpuStruct);
  const expectedText = `${mapped.map(formatRange).join(' and ')} (${pages} pages)`;
  let part = 0;
  let next = mapped[0]!.start;
  for (const run of cpuRuns) {
    if (part < mapped.length && next === mapped[part]!.end) {
      part += 1;
      if (part < mapped.length) next = mapped[part]!.start;
    }
    const inside = part < mapped.length && rangeContains(mapped[part]!, { start: run.va, end: run.va + run.size });
    if (run.va !== next || !inside) {
      return `cpu struct ${formatRun(run)} where ${part < mapped.length ? `${hex(next)} should be mapped next` : 'nothing more should be mapped'} (expected ${expectedText})`;
    }
    if (run.pageSize !== PAGE_SIZE) return `cpu struct ${formatRun(run)} uses pages of ${hex(run.pageSize)}, not 4 KiB`;
    if (!flagsEqual(run.flags, flags)) return `cpu struct ${formatRun(run)} has flags ${formatFlags(run.flags)}, expected ${formatFlags(flags)}`;
    next = run.va + run.size;
  }
  if (part < mapped.length && next === mapped[part]!.end) part += 1;
  if (part < mapped.length) {
    const upTo = { start: mapped[0]!.start, end: next };
    return `cpu struct maps ${cpuRuns.length === 0 ? 'nothing' : formatRange(upTo)}, expected ${expectedText}`;
  }
  const ram = ramRange(platform);
  for (const { va, pa } of pagesOf(cpuRuns)) {
    if (pa < ram.start || pa >= ram.end) return `cpu struct page ${hex(va)} -> ${hex(pa)} is outside RAM ${formatRange(ram)}`;
    const reserved = reservedRangeAt(platform, pa);
    if (reserved) return `cpu struct page ${hex(va)} -> ${hex(pa)} is in the reserved ${reserved.name} ${formatRange(reserved.range)}`;
  }
  return undefined;
}

/**
 * STACK-GUARD on a table: the guard page is unmapped and every stack byte is writable, so descending
 * stores fault first in the guard. A layout without a guard (`cpu.guard` null) has the page below the
 * stack checked instead: the design asks for it to be unmapped.
 */
export function stackGuarded(runs: readonly LeafRun[], cpu: CpuStructLayout = DESIGN_CPU_STRUCT): RuleVerdict {
  const guardRange = cpu.guard ?? { start: cpu.stack.start - PAGE_SIZE, end: cpu.stack.start };
  const guard = runsWithin(runs, guardRange)[0];
  if (guard) return violation('STACK-GUARD', `the ${cpu.guard === null ? 'page below the stack' : 'guard page'} ${formatRange(guardRange)} is mapped: ${formatRun(guard)}`);
  const CPU_STACK = cpu.stack;
  let next = CPU_STACK.start;
  for (const run of runsWithin(runs, CPU_STACK)) {
    if (run.va !== next) break;
    if (!run.flags.w) return violation('STACK-GUARD', `stack ${formatRun(run)} is not writable, so an overflow would fault above the guard`);
    next = run.va + run.size;
  }
  return next === CPU_STACK.end ? undefined : violation('STACK-GUARD', `stack byte ${hex(next)} is unmapped, so an overflow would fault above the guard page`);
}

/** The first trap a hart took while overflowing its stack, and what it stored before. */
export interface StackOverflowFault {
  readonly hart: number;
  /** scause. */
  readonly cause: number;
  /** stval: the faulting address. */
  readonly tval: bigint;
  /** VAs the hart stored to from the start of the overflowing recursion up to that trap, when observed. */
  readonly storesBeforeFault?: readonly bigint[];
}

/**
 * STACK-GUARD at run time: an overflow's first fault is a load or store page fault inside the guard
 * page, and until then the hart stored only inside its stack.
 */
export function overflowFaultsInGuard(faults: readonly StackOverflowFault[], cpu: CpuStructLayout = DESIGN_CPU_STRUCT): RuleVerdict {
  const CPU_STACK = cpu.stack;
  const CPU_GUARD = cpu.guard ?? { start: cpu.stack.start - PAGE_SIZE, end: cpu.stack.start };
  for (const f of faults) {
    if (f.cause !== 15 && f.cause !== 13) return violation('STACK-GUARD', `hart ${f.hart}: stack overflow trapped with scause ${f.cause}, not a store (15) or load (13) page fault`);
    if (f.tval < CPU_GUARD.start || f.tval >= CPU_GUARD.end) return violation('STACK-GUARD', `hart ${f.hart}: stack overflow faulted at ${hex(f.tval)}, outside the guard page ${formatRange(CPU_GUARD)}`);
    const stray = f.storesBeforeFault?.find((va) => va < CPU_STACK.start || va >= CPU_STACK.end);
    if (stray !== undefined) {
      return violation('STACK-GUARD', `hart ${f.hart}: before its overflow faulted it stored to ${hex(stray)}, outside its stack ${formatRange(CPU_STACK)}`);
    }
  }
  return undefined;
}
