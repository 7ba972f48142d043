/**
 * Every rule rejects hand-made violations, naming itself, and accepts the model's own machine.
 * Violations are small edits of a correct machine built from the model (test/model/machine.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alloc as kalloc,
  concurrentHistoryLinearizable,
  free as kfree,
  initKmem,
  noStaleTranslations,
  walk,
  type KmemCall,
  accessedDirtyPreset,
  checkRules,
  allViolations,
  CPU_GUARD,
  CPU_STACK,
  earlyTableExact,
  expectedAddressSpace,
  flatten,
  formatViolation,
  framesDisjoint,
  freeListIntact,
  freeVerdictsFollowOrder,
  globalExceptCpuStruct,
  imageReader,
  matchesExpected,
  neverHandedOutTwice,
  neverUser,
  noUserAnomalies,
  noWritableExecutable,
  observeKmem,
  overflowFaultsInGuard,
  pteFor,
  regionsDisjoint,
  RULE_IDS,
  sameOutsideCpuStruct,
  stackGuarded,
  VAS_CPU_STRUCT,
  VAS_RAM,
  virtPlatform,
  withPte,
  type FlatTable,
  type LeafRun,
  type ObservedHart,
  type RuleId,
  type RuleVerdict,
} from '../../model/index.js';
import { cpuStructRuns, modelMachine, observe } from './machine.js';

const platform = virtPlatform();
const machine = modelMachine(platform);
const hart0 = machine.harts[0]!;
const runs0 = hart0.table.runs;
const freeFrames = observeKmem(machine.kmem).freeList.map((va) => va - VAS_RAM + platform.ramBase);

/** Asserts the verdict is a violation of `rule` whose message matches `pattern`. */
function rejects(verdict: RuleVerdict, rule: RuleId, pattern: RegExp): void {
  expect(verdict, `expected ${rule} to be violated`).toBeDefined();
  expect(verdict!.rule).toBe(rule);
  expect(formatViolation(verdict!)).toMatch(new RegExp(`^${rule}: `));
  expect(verdict!.message).toMatch(pattern);
}

const edit = (runs: readonly LeafRun[], va: bigint, change: (r: LeafRun) => LeafRun): LeafRun[] => {
  const index = runs.findIndex((r) => r.va === va);
  if (index < 0) throw new Error(`no run at ${va.toString(16)}`);
  return runs.map((r, i) => (i === index ? change(r) : r));
};
const textVa = 0xffff_ffc0_0020_0000n;
const linearRun = runs0.find((r) => r.va === VAS_RAM)!;
const withRuns = (h: ObservedHart, runs: readonly LeafRun[]): ObservedHart => ({ hart: h.hart, table: { ...h.table, runs } });

it('the model machine satisfies every rule', () => {
  expect(allViolations({ ...observe(machine), stackOverflows: [{ hart: 1, cause: 15, tval: CPU_GUARD.end - 8n }] })).toEqual([]);
});

describe('MAP-WX, MAP-USER, MAP-AD', () => {
  it('MAP-WX rejects writable text', () => {
    expect(noWritableExecutable(runs0)).toBeUndefined();
    rejects(noWritableExecutable(edit(runs0, textVa, (r) => ({ ...r, flags: { ...r.flags, w: true, d: true } }))), 'MAP-WX', /0xffffffc000200000.*writable and executable/);
  });

  it('MAP-USER rejects a U leaf and a U pointer', () => {
    expect(neverUser(runs0)).toBeUndefined();
    rejects(neverUser(edit(runs0, VAS_RAM, (r) => ({ ...r, flags: { ...r.flags, u: true } }))), 'MAP-USER', /0xffffffe000000000.*U set/);
    const image = machine.images[0]!;
    const pointer = withPte(image, image.root + 384n * 8n, imageReader(image)(image.root + 384n * 8n)! | 0x10n);
    const table = flatten(imageReader(pointer), pointer.root);
    expect(noUserAnomalies(hart0.table)).toBeUndefined();
    rejects(noUserAnomalies(table), 'MAP-USER', /non-leaf PTE at PA .* VA 0xffffffe000000000\) has U set/);
    rejects(checkRules({ platform, harts: [{ hart: 0, table }] }), 'MAP-USER', /hart 0: non-leaf/);
    // a leaf with U and a reserved bit is an anomaly too, but not a U pointer
    const leafU = withPte(image, image.root + 384n * 8n, pteFor(0x8000_0000n, { v: true, r: true, u: true }) | (1n << 60n));
    expect(noUserAnomalies(flatten(imageReader(leafU), leafU.root))).toBeUndefined();
  });

  it('MAP-AD rejects A clear, D without W and W without D', () => {
    expect(accessedDirtyPreset(runs0)).toBeUndefined();
    rejects(accessedDirtyPreset(edit(runs0, VAS_RAM, (r) => ({ ...r, flags: { ...r.flags, a: false } }))), 'MAP-AD', /A clear/);
    rejects(accessedDirtyPreset(edit(runs0, textVa, (r) => ({ ...r, flags: { ...r.flags, d: true } }))), 'MAP-AD', /D set but W clear/);
    rejects(accessedDirtyPreset(edit(runs0, VAS_RAM, (r) => ({ ...r, flags: { ...r.flags, d: false } }))), 'MAP-AD', /D clear but W set/);
  });
});

describe('MAP-GLOBAL', () => {
  it('rejects a non-global linear map and a global cpu-struct page', () => {
    expect(globalExceptCpuStruct(runs0)).toBeUndefined();
    rejects(globalExceptCpuStruct(edit(runs0, VAS_RAM, (r) => ({ ...r, flags: { ...r.flags, g: false } }))), 'MAP-GLOBAL', /0xffffffe000000000.*not global/);
    rejects(globalExceptCpuStruct(edit(runs0, CPU_STACK.start, (r) => ({ ...r, flags: { ...r.flags, g: true } }))), 'MAP-GLOBAL', /cpu struct .*0xffffffc040001000.* is global/);
  });

  it('rejects G on a pointer PTE on the path to the cpu struct', () => {
    const image = machine.images[1]!;
    const entry = image.root + 257n * 8n;
    const pathG = withPte(image, entry, imageReader(image)(entry)! | 0x20n);
    const table = flatten(imageReader(pathG), pathG.root);
    rejects(globalExceptCpuStruct(table.runs), 'MAP-GLOBAL', /cpu struct/);
    rejects(checkRules({ platform, harts: [{ hart: 1, table }] }), 'MAP-GLOBAL', /^hart 1: cpu struct/);
  });
});

describe('MAP-DISJOINT', () => {
  it('accepts the machine', () => {
    expect(framesDisjoint(machine.harts, freeFrames)).toBeUndefined();
  });

  it('rejects overlapping expected regions', () => {
    const space = expectedAddressSpace(platform, 0);
    const clash = { ...space, regions: [...space.regions, { ...space.regions[0]!, name: 'clash', va: space.regions[0]!.va + 0x800n }] };
    expect(regionsDisjoint(space)).toBeUndefined();
    rejects(regionsDisjoint(clash), 'MAP-DISJOINT', /hart 0: device test-finisher .* overlaps clash/);
  });

  it('rejects two harts sharing a cpu-struct frame, and one hart using a frame twice', () => {
    const h1 = machine.harts[1]!;
    const stolen = runs0.find((r) => r.va === CPU_STACK.start)!.pa;
    const shared = withRuns(h1, edit(h1.table.runs, CPU_STACK.start, (r) => ({ ...r, pa: stolen })));
    rejects(framesDisjoint([hart0, shared], freeFrames), 'MAP-DISJOINT', new RegExp(`frame 0x${stolen.toString(16)} is both hart 0's cpu-struct page .* and hart 1's cpu-struct page`));
    const frames = runs0.filter((r) => r.va >= VAS_CPU_STRUCT && r.va < VAS_RAM).map((r) => r.pa);
    const twice = withRuns(hart0, [...runs0.filter((r) => r.va < VAS_CPU_STRUCT || r.va >= VAS_RAM), ...cpuStructRuns([frames[0]!, frames[0]!, ...frames.slice(2)])].sort((a, b) => (a.va < b.va ? -1 : 1)));
    rejects(framesDisjoint([twice], []), 'MAP-DISJOINT', /is both hart 0's cpu-struct page/);
  });

  it('allows harts to share lower-level tables (only roots must differ)', () => {
    const h1 = machine.harts[1]!;
    const sharedLower: FlatTable = { ...h1.table, tableFrames: [h1.table.root, ...hart0.table.tableFrames.slice(1)] };
    expect(framesDisjoint([hart0, { hart: 1, table: sharedLower }], freeFrames)).toBeUndefined();
  });

  it('rejects a shared root, a cpu frame used as a table, a table or cpu frame on the free list, overlapping runs', () => {
    const h1 = machine.harts[1]!;
    rejects(framesDisjoint([hart0, { hart: 1, table: { ...h1.table, root: hart0.table.root } }], []), 'MAP-DISJOINT', /root table and hart 1's root table/);
    const cpuFrame = runs0.find((r) => r.va === CPU_STACK.start)!.pa;
    const table: FlatTable = { ...hart0.table, tableFrames: [...hart0.table.tableFrames, cpuFrame] };
    rejects(framesDisjoint([{ hart: 0, table }], []), 'MAP-DISJOINT', /page-table frame .* of hart 0 is also hart 0's cpu-struct page/);
    rejects(framesDisjoint(machine.harts, [hart0.table.tableFrames[1]!]), 'MAP-DISJOINT', /on the free list but is a page-table frame of hart 0/);
    rejects(framesDisjoint(machine.harts, [cpuFrame]), 'MAP-DISJOINT', /on the free list but is hart 0's cpu-struct page/);
    const overlap = withRuns(hart0, [runs0[0]!, { ...runs0[0]!, va: runs0[0]!.va + 0x800n }, ...runs0.slice(1)]);
    rejects(framesDisjoint([overlap], []), 'MAP-DISJOINT', /overlaps .* in VA/);
    rejects(checkRules({ ...observe(machine), kmem: { freeList: [VAS_RAM + (cpuFrame - platform.ramBase)], terminated: true } }), 'MAP-DISJOINT', /free list/);
  });
});

describe('MAP-SHARED and MAP-EXACT', () => {
  it('MAP-SHARED rejects a hart whose shared part differs', () => {
    expect(sameOutsideCpuStruct(machine.harts)).toBeUndefined();
    expect(sameOutsideCpuStruct([])).toBeUndefined();
    const h2 = machine.harts[2]!;
    rejects(sameOutsideCpuStruct([hart0, withRuns(h2, h2.table.runs.filter((r) => r.va !== textVa))]), 'MAP-SHARED', /hart 2 differs from hart 0: missing VA \[0xffffffc000200000/);
  });

  it('MAP-EXACT rejects a leftover identity map, a missing device, a wrong PA, wrong page sizes', () => {
    expect(matchesExpected(platform, 0, runs0)).toBeUndefined();
    const identity = { ...linearRun, va: platform.ramBase, flags: { ...linearRun.flags, x: true } };
    rejects(matchesExpected(platform, 0, [...runs0, identity].sort((a, b) => (a.va < b.va ? -1 : 1))), 'MAP-EXACT', /hart 0: unexpected VA \[0x80000000, 0x90000000\)/);
    rejects(matchesExpected(platform, 0, runs0.slice(1)), 'MAP-EXACT', /missing VA \[0x100000, 0x101000\)/);
    rejects(matchesExpected(platform, 0, edit(runs0, textVa, (r) => ({ ...r, pa: r.pa + 0x1000n }))), 'MAP-EXACT', /expected VA \[0xffffffc000200000.* -> PA 0x80200000.*observed .*PA 0x80201000/);
    const small = [...runs0.filter((r) => r !== linearRun), ...Array.from({ length: 128 }, (_, i) => ({ ...linearRun, va: linearRun.va + BigInt(i) * 0x20_0000n, pa: linearRun.pa + BigInt(i) * 0x20_0000n, size: 0x20_0000n }))];
    expect(matchesExpected(platform, 0, small)).toBeUndefined(); // the same leaves, unmerged, are still exact
    rejects(matchesExpected(platform, 0, [...runs0.filter((r) => r !== linearRun), { ...linearRun, pageSize: 0x1000n }]), 'MAP-EXACT', /256 MiB in 4 KiB pages/);
    rejects(matchesExpected(platform, 4, runs0), 'MAP-EXACT', /hart 4, but the platform's harts are 0 to 3/);
    rejects(checkRules({ platform, harts: [{ hart: 7, table: hart0.table }] }), 'MAP-EXACT', /hart 7/);
    const early = machine.earlyTable.runs;
    expect(matchesExpected(platform, 0, early)).toBeDefined();
  });

  it('MAP-EXACT checks the cpu struct: 7 pages, 4 KiB, RW- not global, in RAM, not reserved, guard unmapped', () => {
    const others = runs0.filter((r) => r.va < VAS_CPU_STRUCT || r.va >= VAS_RAM);
    const frames = runs0.filter((r) => r.va >= VAS_CPU_STRUCT && r.va < VAS_RAM).map((r) => r.pa);
    const withCpu = (cpu: LeafRun[]) => [...others, ...cpu].sort((a, b) => (a.va < b.va ? -1 : 1));
    const cpu = cpuStructRuns(frames);
    expect(matchesExpected(platform, 0, withCpu(cpu))).toBeUndefined();
    rejects(matchesExpected(platform, 0, withCpu(cpu.slice(0, 6))), 'MAP-EXACT', /cpu struct maps \[0xffffffc040001000, 0xffffffc040007000\), expected .* \(7 pages\)/);
    rejects(matchesExpected(platform, 0, withCpu(cpu.slice(1))), 'MAP-EXACT', /0xffffffc040001000 should be mapped next/);
    rejects(matchesExpected(platform, 0, withCpu([{ ...cpu[0]!, va: CPU_GUARD.start }, ...cpu])), 'MAP-EXACT', /cpu struct VA \[0xffffffc040000000/);
    rejects(matchesExpected(platform, 0, withCpu([...cpu, { ...cpu[0]!, va: CPU_STACK.start + 0x7000n }])), 'MAP-EXACT', /nothing more should be mapped/);
    rejects(matchesExpected(platform, 0, withCpu(cpu.map((r, i) => (i === 2 ? { ...r, flags: { ...r.flags, x: true } } : r)))), 'MAP-EXACT', /flags rwx--ad, expected rw---ad/);
    rejects(matchesExpected(platform, 0, withCpu([{ ...cpu[0]!, size: 0x7000n, pageSize: 0x7000n }])), 'MAP-EXACT', /pages of 0x7000/);
    rejects(matchesExpected(platform, 0, withCpu(cpuStructRuns([0x9000_0000n, ...frames.slice(1)]))), 'MAP-EXACT', /0xffffffc040001000 -> 0x90000000 is outside RAM/);
    rejects(matchesExpected(platform, 0, withCpu(cpuStructRuns([0x8000_1000n, ...frames.slice(1)]))), 'MAP-EXACT', /-> 0x80001000 is in the reserved firmware/);
  });
});

describe('STACK-GUARD', () => {
  it('rejects a mapped guard page, an unmapped or read-only stack page', () => {
    expect(stackGuarded(runs0)).toBeUndefined();
    const stack = runs0.find((r) => r.va === CPU_STACK.start)!;
    rejects(stackGuarded([...runs0, { ...stack, va: CPU_GUARD.start }]), 'STACK-GUARD', /guard page .* is mapped/);
    rejects(stackGuarded(runs0.filter((r) => r.va !== CPU_STACK.start + 0x2000n)), 'STACK-GUARD', /stack byte 0xffffffc040003000 is unmapped/);
    rejects(stackGuarded(edit(runs0, CPU_STACK.start + 0x1000n, (r) => ({ ...r, flags: { ...r.flags, w: false, d: false } }))), 'STACK-GUARD', /not writable/);
  });

  it('rejects an overflow that faults outside the guard or with another cause', () => {
    expect(overflowFaultsInGuard([{ hart: 0, cause: 15, tval: CPU_GUARD.start }, { hart: 1, cause: 13, tval: CPU_GUARD.end - 1n }])).toBeUndefined();
    rejects(overflowFaultsInGuard([{ hart: 3, cause: 15, tval: CPU_GUARD.end }]), 'STACK-GUARD', /hart 3: stack overflow faulted at 0xffffffc040001000, outside the guard/);
    rejects(overflowFaultsInGuard([{ hart: 2, cause: 7, tval: CPU_GUARD.start }]), 'STACK-GUARD', /hart 2: .*scause 7/);
  });
});

describe('BOOT-EARLY', () => {
  const early = machine.earlyTable;
  it('rejects a root outside .bss, a pointer, a malformed entry, a missing or extra gigapage', () => {
    expect(earlyTableExact(platform, early)).toBeUndefined();
    rejects(earlyTableExact(platform, { ...early, root: 0x8100_0000n }), 'BOOT-EARLY', /root 0x81000000 is not a page-aligned frame in .bss/);
    rejects(earlyTableExact(platform, { ...early, tableFrames: [early.root, 0x8100_0000n] }), 'BOOT-EARLY', /next-level table at 0x81000000/);
    rejects(earlyTableExact(platform, { ...early, anomalies: [{ va: 0n, level: 2, pteAddr: early.root, pte: 4n, reason: 'write-without-read' }] }), 'BOOT-EARLY', /malformed: write-without-read/);
    rejects(earlyTableExact(platform, { ...early, runs: early.runs.slice(1) }), 'BOOT-EARLY', /missing VA \[0x0, 0x40000000\)/);
    const big = virtPlatform({ ramSize: 2n * 1024n * 1024n * 1024n });
    rejects(earlyTableExact(big, modelMachine(platform).earlyTable), 'BOOT-EARLY', /expected VA \[0xffffffe000000000, 0xffffffe080000000\)/);
  });

  it('rejects an executable VAS_RAM gigapage written by hand', () => {
    const image = machine.early;
    const bad = withPte(image, image.root + 384n * 8n, pteFor(0x8000_0000n, { v: true, r: true, w: true, x: true, a: true, d: true, g: true }));
    rejects(earlyTableExact(platform, flatten(imageReader(bad), bad.root)), 'BOOT-EARLY', /rwx-gad/);
  });
});

describe('KMEM-INTEGRITY', () => {
  const kmem = observeKmem(machine.kmem);
  const inUse = machine.harts.flatMap((h) => [...h.table.tableFrames, ...h.table.runs.filter((r) => r.va >= VAS_CPU_STRUCT && r.va < VAS_RAM).map((r) => r.pa)]);
  const list = kmem.freeList;
  it('accepts the model allocator', () => {
    expect(freeListIntact(platform, kmem, inUse)).toBeUndefined();
  });

  it('rejects a cycle, a repeat, bad addresses, reserved or in-use frames, a wrong count', () => {
    rejects(freeListIntact(platform, { freeList: list.slice(0, 5), terminated: false }), 'KMEM-INTEGRITY', /did not end after 5 entries/);
    rejects(freeListIntact(platform, { freeList: [list[0]!, list[1]!, list[0]!], terminated: true }), 'KMEM-INTEGRITY', /entry #2 .* repeats entry #0/);
    rejects(freeListIntact(platform, { freeList: [list[0]! + 8n], terminated: true }), 'KMEM-INTEGRITY', /not page aligned/);
    rejects(freeListIntact(platform, { freeList: [0x8fff_f000n], terminated: true }), 'KMEM-INTEGRITY', /0x8ffff000 is outside the linear map/);
    rejects(freeListIntact(platform, { freeList: [VAS_RAM + 0x1000n], terminated: true }), 'KMEM-INTEGRITY', /frame 0x80001000 is in the reserved firmware/);
    rejects(freeListIntact(platform, { freeList: [VAS_RAM + (inUse[0]! - platform.ramBase)], terminated: true }, inUse), 'KMEM-INTEGRITY', /is in use/);
    rejects(freeListIntact(platform, { ...kmem, nfree: kmem.nfree! + 1n }), 'KMEM-INTEGRITY', /kmem_nfree is \d+ but the free list has/);
  });

  it('rejects a frame-state table that disagrees with the platform or the list', () => {
    const states = Uint8Array.from(kmem.frameStates!);
    const variant = (index: number, code: number) => {
      const copy = Uint8Array.from(states);
      copy[index] = code;
      return { ...kmem, frameStates: copy };
    };
    const headIndex = Number((list[0]! - VAS_RAM) / 0x1000n);
    rejects(freeListIntact(platform, { ...kmem, frameStates: states.slice(1) }), 'KMEM-INTEGRITY', /65535 entries for 65536 frames/);
    rejects(freeListIntact(platform, variant(0, 7)), 'KMEM-INTEGRITY', /frame 0x80000000 has state byte 7/);
    rejects(freeListIntact(platform, variant(0, 1)), 'KMEM-INTEGRITY', /0x80000000 is in the reserved firmware but its state is FREE/);
    rejects(freeListIntact(platform, variant(headIndex, 0)), 'KMEM-INTEGRITY', /marked RESERVED but no reserved range covers it/);
    rejects(freeListIntact(platform, variant(headIndex, 2)), 'KMEM-INTEGRITY', /on the free list but its state is ALLOCATED/);
    rejects(freeListIntact(platform, { ...variant(headIndex, 1), freeList: list.slice(1), nfree: BigInt(list.length - 1) }), 'KMEM-INTEGRITY', /FREE but not on the free list/);
  });
});

describe('KMEM-NO-DOUBLE-FREE and KMEM-FREE-VERDICT', () => {
  const a = VAS_RAM + 0xfff_f000n;
  const b = VAS_RAM + 0xfff_e000n;
  it('rejects a frame handed out twice, an accepted double free, a frame in use at the start handed out', () => {
    expect(neverHandedOutTwice(platform, [{ kind: 'alloc', va: a }, { kind: 'free', va: a, verdict: 'Ok' }, { kind: 'alloc', va: a }, { kind: 'alloc', va: null }])).toBeUndefined();
    rejects(neverHandedOutTwice(platform, [{ kind: 'alloc', va: a }, { kind: 'alloc', va: b }, { kind: 'alloc', va: a }]), 'KMEM-NO-DOUBLE-FREE', /#2 kalloc\(\) = 0xffffffe00ffff000 handed out frame 0x8ffff000 again; it was handed out by #0/);
    rejects(neverHandedOutTwice(platform, [{ kind: 'alloc', va: a }, { kind: 'free', va: a }, { kind: 'free', va: a, verdict: 'Ok' }]), 'KMEM-NO-DOUBLE-FREE', /#2 kfree\(0xffffffe00ffff000\) = Ok accepted frame 0x8ffff000, which was not allocated/);
    // a rejected free leaves the frame allocated, so handing it out again is still a violation
    rejects(neverHandedOutTwice(platform, [{ kind: 'alloc', va: a }, { kind: 'free', va: a, verdict: 'Reserved' }, { kind: 'alloc', va: a }]), 'KMEM-NO-DOUBLE-FREE', /again/);
    rejects(neverHandedOutTwice(platform, [{ kind: 'alloc', va: a }], [0x8fff_f000n]), 'KMEM-NO-DOUBLE-FREE', /in use when the history began/);
  });

  it('rejects a verdict that is not the first applicable one', () => {
    const states = observeKmem(machine.kmem).frameStates!;
    const top = VAS_RAM + (observeKmem(machine.kmem).freeList[0]! - VAS_RAM);
    expect(freeVerdictsFollowOrder(platform, states, [{ kind: 'alloc', va: top }, { kind: 'free', va: top, verdict: 'Ok' }, { kind: 'free', va: top, verdict: 'DoubleFree' }, { kind: 'alloc', va: null }])).toBeUndefined();
    rejects(freeVerdictsFollowOrder(platform, states, [{ kind: 'free', va: VAS_RAM + 0x800n, verdict: 'Reserved' }]), 'KMEM-FREE-VERDICT', /#0 kfree\(0xffffffe000000800\) = Reserved, expected Misaligned/);
    rejects(freeVerdictsFollowOrder(platform, states, [{ kind: 'alloc', va: top }, { kind: 'free', va: top, verdict: 'Ok' }, { kind: 'free', va: top, verdict: 'Ok' }]), 'KMEM-FREE-VERDICT', /#2 .* = Ok, expected DoubleFree/);
  });
});

describe('the combined check', () => {
  it('reports the first failing rule in RULES order, by ID, with the hart', () => {
    const h1 = machine.harts[1]!;
    const bad = withRuns(h1, edit(h1.table.runs, textVa, (r) => ({ ...r, flags: { ...r.flags, w: true, d: true } })));
    const obs = { ...observe(machine), harts: [hart0, bad, ...machine.harts.slice(2)] };
    const verdict = checkRules(obs);
    rejects(verdict, 'MAP-WX', /^hart 1: VA \[0xffffffc000200000/);
    expect(allViolations(obs).map((v) => v.rule)).toEqual(['MAP-WX', 'MAP-SHARED', 'MAP-EXACT']);
    expect(RULE_IDS.indexOf('MAP-WX')).toBeLessThan(RULE_IDS.indexOf('MAP-EXACT'));
  });

  it('checks the early table, the allocator and histories when given, and nothing when given nothing', () => {
    expect(checkRules({ platform })).toBeUndefined();
    rejects(checkRules({ platform, earlyTable: { ...machine.earlyTable, runs: [] } }), 'BOOT-EARLY', /missing/);
    rejects(checkRules({ platform, kmem: { freeList: [], terminated: false } }), 'KMEM-INTEGRITY', /did not end/);
    const a = VAS_RAM + 0xfff_f000n;
    rejects(checkRules({ platform, history: [{ kind: 'alloc', va: a }, { kind: 'alloc', va: a }] }), 'KMEM-NO-DOUBLE-FREE', /again/);
    rejects(checkRules({ platform, history: [{ kind: 'free', va: a, verdict: 'Ok' }], frameStatesAtStart: observeKmem(machine.kmem).frameStates! }), 'KMEM-NO-DOUBLE-FREE', /not allocated/);
    expect(checkRules({ platform, history: [{ kind: 'free', va: a, verdict: 'Ok' }], inUseAtStart: [0x8fff_f000n], frameStatesAtStart: new Uint8Array(65536).fill(2) })).toBeUndefined();
    rejects(checkRules({ platform, history: [{ kind: 'free', va: a, verdict: 'Misaligned' }], inUseAtStart: [0x8fff_f000n], frameStatesAtStart: new Uint8Array(65536).fill(2) }), 'KMEM-FREE-VERDICT', /expected Ok/);
    rejects(checkRules({ platform, stackOverflows: [{ hart: 0, cause: 15, tval: 0n }] }), 'STACK-GUARD', /outside the guard/);
    // an outstanding kalloc from the history is in use, so it may not be on the free list
    rejects(checkRules({ platform, history: [{ kind: 'alloc', va: a }], kmem: { freeList: [a], terminated: true } }), 'KMEM-INTEGRITY', /in use/);
    expect(checkRules({ platform, history: [{ kind: 'alloc', va: a }, { kind: 'free', va: a }], kmem: { freeList: [a], terminated: true } })).toBeUndefined();
  });
});

describe('STACK-GUARD at run time: nothing outside the stack is written before the fault', () => {
  it('rejects a store outside the stack before the first fault (cpu info under the stack)', () => {
    const inside = [CPU_STACK.end - 8n, CPU_STACK.start];
    expect(overflowFaultsInGuard([{ hart: 0, cause: 15, tval: CPU_GUARD.end - 8n, storesBeforeFault: inside }])).toBeUndefined();
    rejects(overflowFaultsInGuard([{ hart: 1, cause: 15, tval: CPU_GUARD.end - 8n, storesBeforeFault: [...inside, CPU_STACK.end + 0x10n] }]), 'STACK-GUARD', /hart 1: before its overflow faulted it stored to 0xffffffc040005010, outside its stack/);
  });
});

describe('KMEM-CONCURRENT', () => {
  const f = VAS_RAM + 0xfff_f000n;
  const g = VAS_RAM + 0xfff_e000n;
  const alloc = (hart: number, call: number, ret: number, va: bigint | null): KmemCall => ({ hart, kind: 'alloc', call, ret, va });
  const free = (hart: number, call: number, ret: number, va: bigint, verdict?: KmemCall['verdict']): KmemCall => ({ hart, kind: 'free', call, ret, va, ...(verdict ? { verdict } : {}) });

  it('accepts sequential and overlapping histories that have a legal order', () => {
    expect(concurrentHistoryLinearizable(platform, [alloc(0, 0, 1, f), free(0, 2, 3, f, 'Ok'), alloc(1, 4, 5, f), alloc(2, 4, 6, null)])).toBeUndefined();
    // hart 1's kalloc overlaps hart 0's kfree of the same frame: free first, then alloc, is legal
    expect(concurrentHistoryLinearizable(platform, [alloc(0, 0, 1, f), free(0, 2, 10, f, 'Ok'), alloc(1, 5, 15, f)])).toBeUndefined();
    expect(concurrentHistoryLinearizable(platform, [alloc(0, 0, 1, f), free(0, 2, 3, f), free(1, 2, 4, f, 'DoubleFree')])).toBeUndefined();
    expect(concurrentHistoryLinearizable(platform, [free(0, 0, 1, f, 'Ok')], [0x8fff_f000n])).toBeUndefined();
  });

  it('rejects a frame owned by two harts at once, a free of a free frame accepted, a misordered timing', () => {
    rejects(concurrentHistoryLinearizable(platform, [alloc(0, 0, 2, f), alloc(1, 3, 5, f), alloc(0, 1, 2, g)]), 'KMEM-CONCURRENT', /frame 0x8ffff000: no order .*hart 0 kalloc\(\) = 0xffffffe00ffff000 \[0, 2\]; hart 1 kalloc\(\) = 0xffffffe00ffff000 \[3, 5\]/);
    rejects(concurrentHistoryLinearizable(platform, [free(0, 0, 1, f, 'Ok')]), 'KMEM-CONCURRENT', /frame 0x8ffff000/);
    // the free returned before the alloc was called, so the alloc cannot be ordered first
    rejects(concurrentHistoryLinearizable(platform, [free(0, 0, 1, f, 'Ok'), alloc(1, 2, 3, f)]), 'KMEM-CONCURRENT', /frame 0x8ffff000/);
    rejects(concurrentHistoryLinearizable(platform, [alloc(0, 5, 4, f)]), 'KMEM-CONCURRENT', /returns before it is called/);
  });

  it('rejects wrong state-independent verdicts', () => {
    expect(concurrentHistoryLinearizable(platform, [free(0, 0, 1, VAS_RAM + 0x800n, 'Misaligned'), free(0, 2, 3, VAS_RAM, 'Reserved'), free(1, 0, 1, 0x1000n)])).toBeUndefined();
    rejects(concurrentHistoryLinearizable(platform, [free(0, 0, 1, VAS_RAM - 0x800n, 'OutOfRange')]), 'KMEM-CONCURRENT', /kfree\(0xffffffdffffff800\) = OutOfRange \[0, 1\], expected Misaligned/);
    rejects(concurrentHistoryLinearizable(platform, [free(0, 0, 1, f, 'Reserved')]), 'KMEM-CONCURRENT', /only Ok or DoubleFree fit/);
    rejects(checkRules({ platform, concurrentCalls: [alloc(0, 0, 1, f), alloc(1, 0, 1, f)] }), 'KMEM-CONCURRENT', /no order/);
  });

  it('accepts any widening of a sequential model history (its own order still fits)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat({ max: 3 }), fc.nat({ max: 30 }), fc.nat({ max: 30 })), { maxLength: 60 }), (steps) => {
        let state = initKmem(platform);
        const live: bigint[] = [];
        const calls: KmemCall[] = [];
        steps.forEach(([isAlloc, pick, hart, early, late], i) => {
          const t = i * 10;
          if (isAlloc || live.length === 0) {
            const r = kalloc(state);
            state = r.state;
            if (r.result.ok) live.push(r.result.va);
            calls.push(alloc(hart, t - early, t + late, r.result.ok ? r.result.va : null));
          } else {
            const va = live.splice(pick % live.length, 1)[0]!;
            const r = kfree(state, va);
            state = r.state;
            calls.push(free(hart, t - early, t + late, va, r.verdict));
          }
        });
        expect(concurrentHistoryLinearizable(platform, calls)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});

describe('TLB-DISCIPLINE', () => {
  const image = machine.images[0]!;
  const read = imageReader(image);
  const use = (va: bigint, pa: bigint, root = image.root) => ({ hart: 0, va, access: 'load' as const, privilege: 'S' as const, pa, root });
  it('accepts uses that match a fresh walk, rejects a PA the table no longer gives and an unmapped VA', () => {
    const ok = use(VAS_RAM + 0x1234n, 0x8000_1234n);
    expect(noStaleTranslations([{ use: ok, fresh: walk(read, image.root, ok.va, 'load', 'S', false, false) }])).toBeUndefined();
    const moved = use(VAS_RAM + 0x1234n, 0x9000_1234n);
    rejects(noStaleTranslations([{ use: moved, fresh: walk(read, image.root, moved.va, 'load', 'S', false, false) }]), 'TLB-DISCIPLINE', /hart 0 load of 0xffffffe000001234 .* used PA 0x90001234, but the current table maps it to 0x80001234/);
    const identity = use(platform.ramBase, platform.ramBase);
    rejects(checkRules({ platform, translations: [{ use: identity, fresh: walk(read, image.root, identity.va, 'load', 'S', false, false) }] }), 'TLB-DISCIPLINE', /faults there \(invalid, step 3\)/);
  });

  it('judges the access by the leaf the use reports: it must permit it as the current table does', () => {
    // the linear map of 256 MiB: RW- G A D (0xe7) in 2 MiB megapages
    const va = VAS_RAM + 0x1234n;
    const freshLoad = walk(read, image.root, va, 'load', 'S', false, false);
    const check = (access: 'load' | 'store', extra: { flags?: number; sum?: boolean; mxr?: boolean }) =>
      noStaleTranslations([{ use: { ...use(va, 0x8000_1234n), access, ...extra }, fresh: walk(read, image.root, va, access, 'S', false, false) }]);
    expect(check('load', { flags: 0xe7 })).toBeUndefined();
    expect(check('load', {})).toBeUndefined();
    // an entry with more rights or another A/D reaches the same frame with the same verdict for this access
    expect(check('load', { flags: 0xef })).toBeUndefined();
    expect(check('load', { flags: 0xe7 & ~0x80 })).toBeUndefined();
    // an entry cached before W was granted refuses a store the current table permits
    rejects(check('store', { flags: 0xe7 & ~0x84 }), 'TLB-DISCIPLINE', /store of 0xffffffe000001234 .* used PA 0x80001234 through a leaf with flags 0x63 r---ga-, which refuses it, but the current table's leaf 0xe7 rw--gad permits it: a stale translation$/);
    // an execute-only entry refuses a load unless MXR is set
    rejects(check('load', { flags: 0xc9 }), 'TLB-DISCIPLINE', /flags 0xc9 --x--ad, which refuses it/);
    expect(check('load', { flags: 0xc9, mxr: true })).toBeUndefined();
    // a user entry refuses S-mode unless SUM is set
    rejects(check('load', { flags: 0xd3 }), 'TLB-DISCIPLINE', /which refuses it/);
    expect(check('load', { flags: 0xd3, sum: true })).toBeUndefined();
    // the PA is compared first
    rejects(noStaleTranslations([{ use: { ...use(va, 0x9000_1234n), flags: 0 }, fresh: freshLoad }]), 'TLB-DISCIPLINE', /maps it to 0x80001234/);
  });
});
