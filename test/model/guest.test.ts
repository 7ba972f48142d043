/** Guests in the model: the VM lifecycle over the allocator, the Sv39x4 flatten, and the guest rules, each shown holding and broken. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alloc,
  allViolations,
  checkRules,
  createVm,
  destroyReclaims,
  destroyVm,
  expectedGStageRuns,
  flattenGStage,
  free,
  freeList,
  freeVmid,
  G_STAGE_LEAF_FLAGS,
  GUEST_RAM_BASE,
  GUEST_RAM_MAX,
  GUEST_RAM_MIN,
  gStageLeavesGuestAccessible,
  gStageMapsExactly,
  gStagePages,
  gStagePtes,
  gStageWalk,
  guestAccessesStayInside,
  guestFramesDisjoint,
  guestRamSizeProblem,
  initHost,
  initKmem,
  KiB,
  linearVa,
  MAX_VMS,
  MiB,
  noStaleGuestTranslations,
  observeKmem,
  pteFor,
  runsEqual,
  VIRT_DEVICES,
  vmFrames,
  vmFreeOrder,
  virtPlatform,
  type HostState,
  type ObservedGuest,
  type Vm,
} from '../../model/index.js';

const platform = virtPlatform({ ramSize: 16n * MiB, harts: 1 });
const start = (): HostState => initHost(initKmem(platform));

function created(host: HostState, ramSize: bigint): { host: HostState; vm: Vm } {
  const next = createVm(host, ramSize);
  if (!next.result.ok) throw new Error(`create ${ramSize}: ${next.result.error}`);
  return { host: next.host, vm: next.result.vm };
}

/** Memory holding exactly the PTEs the hypervisor writes for `vms` (0 elsewhere), with optional overrides. */
function memoryOf(vms: readonly Vm[], overrides: ReadonlyMap<bigint, bigint | undefined> = new Map()) {
  const ptes = new Map<bigint, bigint>();
  for (const vm of vms) for (const [pa, pte] of gStagePtes(vm)) ptes.set(pa, pte);
  return (pa: bigint): bigint | undefined => (overrides.has(pa) ? overrides.get(pa) : (ptes.get(pa) ?? 0n));
}

function observed(vm: Vm, read = memoryOf([vm])): ObservedGuest {
  return { id: vm.id, ramSize: vm.ramSize, table: flattenGStage(read, vm.root) };
}

const hostFrames = (host: HostState) => ({ platform, hostTableFrames: [], cpuStructFrames: [], freeFrames: freeList(host.kmem) });

describe('the VM lifecycle (model/guest.ts)', () => {
  it('creates a VM from the top of the free list: a 16 KiB aligned root, then tables and frames by GPA', () => {
    const before = start();
    const { host, vm } = created(before, 64n * KiB);
    expect(vm).toMatchObject({ id: 1, vmid: 1, ramSize: 64n * KiB });
    expect(vm.root % 0x4000n).toBe(0n);
    expect(vm.frames).toHaveLength(16);
    expect(vm.tables.map((t) => t.level)).toEqual([1, 0]);
    // 4 root + 2 tables + 16 frames taken; the frames skipped while looking for the root went back
    expect(host.kmem.nfree).toBe(before.kmem.nfree - 22);
    expect(new Set(vmFrames(vm)).size).toBe(22);
    // the frames popped above the aligned root are back on the list, in their old order
    const skipped = freeList(before.kmem).filter((pa) => pa > vm.root + 0x3000n);
    expect(freeList(host.kmem).slice(0, skipped.length)).toEqual(skipped.filter((pa) => !vmFrames(vm).includes(pa)));
    // kalloc hands out frames top down, so GPA order is descending PA order: one run per page
    expect(expectedGStageRuns(vm)).toHaveLength(16);
    expect(vm.frames.every((pa, i) => i === 0 || pa < vm.frames[i - 1]!)).toBe(true);
  });

  it('refuses bad sizes, a fifth VM, and reuses the lowest free VMID once destroyed; handles are never reused', () => {
    let host = start();
    expect(createVm(host, 0x1001n).result).toEqual({ ok: false, error: 'BadSize' });
    expect(guestRamSizeProblem(0x1001n)).toMatch(/multiple of 4 KiB/);
    expect(guestRamSizeProblem(GUEST_RAM_MIN - 0x1000n)).toMatch(/below/);
    expect(guestRamSizeProblem(GUEST_RAM_MAX + 0x1000n)).toMatch(/above/);
    expect(guestRamSizeProblem(GUEST_RAM_MIN)).toBeUndefined();
    const ids: number[] = [];
    for (let i = 0; i < MAX_VMS; i++) {
      const c = created(host, GUEST_RAM_MIN);
      host = c.host;
      ids.push(c.vm.vmid);
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(freeVmid(host.vms)).toBeUndefined();
    expect(createVm(host, GUEST_RAM_MIN).result).toEqual({ ok: false, error: 'TooManyVms' });
    const d = destroyVm(host, 2);
    if ('error' in d) throw new Error(d.error);
    const again = created(d.host, GUEST_RAM_MIN);
    expect(again.vm).toMatchObject({ id: 5, vmid: 2 });
    expect(destroyVm(again.host, 2)).toEqual({ host: again.host, error: 'NoSuchVm' });
  });

  it('destroy frees every frame in vmFreeOrder and leaves the input state unchanged (persistent)', () => {
    const before = start();
    const { host, vm } = created(before, 3n * MiB);
    expect(vm.tables.filter((t) => t.level === 0)).toHaveLength(2);
    const d = destroyVm(host, vm.id);
    if ('error' in d) throw new Error(d.error);
    expect(d.freed).toEqual(vmFreeOrder(vm));
    expect(d.host.kmem.nfree).toBe(before.kmem.nfree);
    expect(freeList(d.host.kmem).slice(0, d.freed.length)).toEqual([...d.freed].reverse());
    expect(host.vms).toHaveLength(1);
    expect(destroyReclaims(d.host.kmem, observeKmem(d.host.kmem), d.freed)).toBeUndefined();
  });

  it('fails with OutOfMemory at every point of a create and frees what it took', () => {
    // leave n frames free, for n around what a 32 KiB VM needs (4 root + 2 tables + 8 frames)
    for (let n = 0; n <= 15; n++) {
      let kmem = initKmem(platform);
      const held: bigint[] = [];
      while (kmem.nfree > n) {
        const a = alloc(kmem);
        if (!a.result.ok) throw new Error('unreachable');
        kmem = a.state;
        held.push(a.result.pa);
      }
      const c = createVm(initHost(kmem), GUEST_RAM_MIN);
      if (n >= 14 && c.result.ok) continue;
      expect(c.result, `n=${n}`).toEqual({ ok: false, error: 'OutOfMemory' });
      expect(c.host.kmem.nfree, `n=${n}`).toBe(n);
    }
  });

  it('fails with OutOfMemory when the root fits but a table or frame does not, freeing what it took in destroy order', () => {
    let kmem = initKmem(platform);
    const all: bigint[] = [];
    for (let a = alloc(kmem); a.result.ok; a = alloc(kmem)) {
      kmem = a.state;
      all.push(a.result.pa);
    }
    const group = all.find((pa) => pa % 0x4000n === 0n)!;
    for (const extra of [0, 1, 2, 3]) {
      let k = kmem;
      for (const pa of [group, group + 0x1000n, group + 0x2000n, group + 0x3000n, ...all.filter((pa) => pa < group).slice(0, extra)]) k = free(k, linearVa(pa, platform.ramBase)).state;
      const c = createVm(initHost(k), GUEST_RAM_MIN);
      expect(c.result, `extra=${extra}`).toEqual({ ok: false, error: 'OutOfMemory' });
      expect(c.host.kmem.nfree).toBe(4 + extra);
    }
  });

  it('gives up on a root after ROOT_SEARCH_MAX frames with no aligned four among them', () => {
    // a free list of every other frame: never four contiguous
    let kmem = initKmem(platform);
    const all: bigint[] = [];
    for (;;) {
      const a = alloc(kmem);
      if (!a.result.ok) break;
      kmem = a.state;
      all.push(a.result.pa);
    }
    for (const pa of all.filter((_, i) => i % 2 === 0).slice(0, 100)) kmem = free(kmem, linearVa(pa, platform.ramBase)).state;
    const c = createVm(initHost(kmem), GUEST_RAM_MIN);
    expect(c.result).toEqual({ ok: false, error: 'NoAlignedRoot' });
    expect(freeList(c.host.kmem)).toEqual(freeList(kmem));
  });

  it('interleaves with kalloc and kfree: every frame is owned once, and destroying all returns the allocator to its free count', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ op: fc.constant('create' as const), pages: fc.integer({ min: 8, max: 700 }) }), fc.record({ op: fc.constant('destroy' as const), which: fc.nat() }), fc.record({ op: fc.constant('alloc' as const) }), fc.record({ op: fc.constant('free' as const), which: fc.nat() })), { maxLength: 14 }), (ops) => {
        let host = start();
        const mine: bigint[] = [];
        for (const op of ops) {
          if (op.op === 'create') host = createVm(host, BigInt(op.pages) * 0x1000n).host;
          else if (op.op === 'destroy' && host.vms.length > 0) host = destroyVm(host, host.vms[op.which % host.vms.length]!.id).host;
          else if (op.op === 'alloc') {
            const a = alloc(host.kmem);
            if (a.result.ok) mine.push(a.result.pa);
            host = { ...host, kmem: a.state };
          } else if (op.op === 'free' && mine.length > 0) {
            const [pa] = mine.splice(op.which % mine.length, 1);
            host = { ...host, kmem: free(host.kmem, linearVa(pa!, platform.ramBase)).state };
          }
          const owned = [...mine, ...host.vms.flatMap(vmFrames)];
          expect(new Set(owned).size).toBe(owned.length);
          expect(host.kmem.nallocated).toBe(owned.length);
          const read = memoryOf(host.vms);
          const guests = host.vms.map((vm) => observed(vm, read));
          expect(guestFramesDisjoint(guests, hostFrames(host))).toBeUndefined();
          for (const g of guests) expect(gStageMapsExactly(g)).toBeUndefined();
        }
        for (const vm of host.vms) host = destroyVm(host, vm.id).host;
        expect(host.kmem.nfree + mine.length).toBe(start().kmem.nfree);
      }),
      { seed: 0x6e57, numRuns: 40 },
    );
  });
});

describe('flattenGStage (model/sv39/flatten-g-stage.ts)', () => {
  it('reads back exactly the runs the model expects, and agrees with gStageWalk page by page', () => {
    const { vm } = created(start(), 5n * MiB);
    const read = memoryOf([vm]);
    const flat = flattenGStage(read, vm.root);
    expect(flat.runs.length).toBe(expectedGStageRuns(vm).length);
    flat.runs.forEach((r, i) => expect(runsEqual(r, expectedGStageRuns(vm)[i]!)).toBe(true));
    expect([...flat.tableFrames].sort()).toEqual(vmFrames(vm).filter((pa) => !vm.frames.includes(pa)).sort());
    const pages = gStagePages(flat.runs);
    expect(pages).toHaveLength(vm.frames.length);
    for (const { gpa, pa } of pages.filter((_, i) => i % 97 === 0)) {
      const t = gStageWalk(read, vm.root, gpa, { reported: 'load', checked: 'load', executeForRead: false }, false, 'fault');
      expect(t.kind === 'translation' && t.pa).toBe(pa);
    }
    expect(() => flattenGStage(read, vm.root + 0x1000n)).toThrow(/16 KiB aligned/);
  });

  it('reports malformed PTEs as anomalies and skips them', () => {
    const { vm } = created(start(), GUEST_RAM_MIN);
    const l0 = vm.tables.find((t) => t.level === 0)!.pa;
    const l1 = vm.tables.find((t) => t.level === 1)!.pa;
    const cases: [bigint, bigint | undefined, string][] = [
      [l0 + 8n, undefined, 'pte-access'],
      [l0 + 8n, pteFor(vm.frames[1]!, { v: true, w: true, u: true }), 'write-without-read'],
      [l0 + 8n, pteFor(vm.frames[1]!, { v: true, r: true, u: true }) | (1n << 60n), 'reserved-bits'],
      [l0 + 8n, pteFor(vm.frames[1]!, { v: true, a: true }), 'reserved-bits'],
      [l0 + 8n, pteFor(vm.frames[1]!, { v: true }), 'non-leaf-at-level-0'],
      [l1 + 8n * 1n, pteFor(vm.frames[1]!, { v: true, r: true, u: true }), 'misaligned-superpage'],
    ];
    for (const [pa, value, reason] of cases) {
      const flat = flattenGStage(memoryOf([vm], new Map([[pa, value]])), vm.root);
      expect(flat.anomalies.map((a) => a.reason), reason).toEqual([reason]);
      expect(gStageMapsExactly({ id: 1, ramSize: vm.ramSize, table: flat })?.rule).toBe('GUEST-EXACT');
    }
    // two root entries sharing one lower table: the table frame is listed once
    const shared = flattenGStage(memoryOf([vm], new Map([[vm.root + 3n * 8n, pteFor(l1, { v: true })]])), vm.root);
    expect(shared.tableFrames.filter((pa) => pa === l1)).toHaveLength(1);
    expect(shared.runs).toHaveLength(2 * expectedGStageRuns(vm).length);
    // a megapage leaf is a run of one 2 MiB page
    const mega = flattenGStage(memoryOf([vm], new Map([[l1 + 8n, pteFor(0x8040_0000n, { v: true, r: true, u: true, a: true })]])), vm.root);
    expect(mega.runs.some((r) => r.pageSize === 2n * MiB)).toBe(true);
  });
});

describe('the guest rules (model/rules/guest.ts)', () => {
  const two = (() => {
    const a = created(start(), GUEST_RAM_MIN);
    const b = created(a.host, 48n * KiB);
    return { host: b.host, vms: [a.vm, b.vm] };
  })();

  it('GUEST-DISJOINT: a frame shared by two VMs, a host table or cpu-struct frame, a free or reserved frame, a frame outside RAM', () => {
    const [a, b] = two.vms as [Vm, Vm];
    const leafOf = (vm: Vm, i: number) => vm.tables.find((t) => t.level === 0)!.pa + BigInt(i) * 8n;
    const remapped = (pa: bigint) => memoryOf(two.vms, new Map([[leafOf(b, 0), pteFor(pa, { v: true, ...G_STAGE_LEAF_FLAGS })]]));
    const guests = (pa: bigint) => [observed(a, remapped(pa)), observed(b, remapped(pa))];
    const ok = hostFrames(two.host);
    expect(guestFramesDisjoint(two.vms.map((vm) => observed(vm)), ok)).toBeUndefined();
    expect(guestFramesDisjoint(guests(a.frames[3]!), ok)?.message).toMatch(/vm 2's GPA 0x80000000 is host frame .* also vm 1's GPA 0x80003000/);
    expect(guestFramesDisjoint(guests(0x9000_0000n), ok)?.message).toMatch(/outside RAM/);
    expect(guestFramesDisjoint(guests(0x8020_0000n), ok)?.message).toMatch(/hypervisor's image/);
    const host = freeList(two.host.kmem)[0]!;
    expect(guestFramesDisjoint(guests(host), ok)?.message).toMatch(/on the free list/);
    expect(guestFramesDisjoint([observed(a)], { ...ok, freeFrames: [], hostTableFrames: [a.root] })?.message).toMatch(/G-stage table frame .* host page-table frame/);
    expect(guestFramesDisjoint([observed(a)], { ...ok, freeFrames: [], cpuStructFrames: [a.frames[0]!] })?.message).toMatch(/cpu-struct frame/);
    // the combined check reaches it through checkRules
    expect(checkRules({ platform, guests: guests(a.frames[3]!) })?.rule).toBe('GUEST-DISJOINT');
  });

  it('GUEST-EXACT: one page short, one page extra, a hole', () => {
    const [a] = two.vms as [Vm];
    const l0 = a.tables.find((t) => t.level === 0)!.pa;
    expect(gStageMapsExactly(observed(a))).toBeUndefined();
    expect(gStageMapsExactly(observed(a, memoryOf([a], new Map([[l0 + 7n * 8n, 0n]]))))?.message).toMatch(/GPA 0x80007000-0x80008000 of its RAM is not mapped/);
    expect(gStageMapsExactly(observed(a, memoryOf([a], new Map([[l0 + 3n * 8n, 0n]]))))?.message).toMatch(/0x80003000-0x80004000 of its RAM is not mapped/);
    const extra = memoryOf([a], new Map([[l0 + 8n * 8n, pteFor(0x8070_0000n, { v: true, ...G_STAGE_LEAF_FLAGS })]]));
    expect(gStageMapsExactly(observed(a, extra))?.message).toMatch(/GPA 0x80008000-0x80009000 is mapped, outside its RAM/);
  });

  it('GUEST-G-STAGE-FLAGS: no U, no A, D without W, a device mapped (unless passed through)', () => {
    const [a] = two.vms as [Vm];
    const l0 = a.tables.find((t) => t.level === 0)!.pa;
    const with1 = (flags: Parameters<typeof pteFor>[1], pa = a.frames[1]!) => observed(a, memoryOf([a], new Map([[l0 + 8n, pteFor(pa, { v: true, ...flags })]])));
    expect(gStageLeavesGuestAccessible(observed(a), VIRT_DEVICES)).toBeUndefined();
    expect(gStageLeavesGuestAccessible(with1({ r: true, w: true, x: true, a: true, d: true }), VIRT_DEVICES)?.message).toMatch(/lacks U/);
    expect(gStageLeavesGuestAccessible(with1({ r: true, w: true, u: true, d: true }), VIRT_DEVICES)?.message).toMatch(/lacks A/);
    expect(gStageLeavesGuestAccessible(with1({ r: true, u: true, a: true, d: true }), VIRT_DEVICES)?.message).toMatch(/D without W/);
    expect(gStageLeavesGuestAccessible(with1({ r: true, w: true, u: true, a: true }), VIRT_DEVICES)?.message).toMatch(/D clear with W/);
    const uart = with1({ ...G_STAGE_LEAF_FLAGS }, 0x1000_0000n);
    expect(gStageLeavesGuestAccessible(uart, VIRT_DEVICES)?.message).toMatch(/maps the host's uart/);
    expect(gStageLeavesGuestAccessible(uart, VIRT_DEVICES, ['uart'])).toBeUndefined();
    expect(checkRules({ platform, guests: [uart] })?.rule).toBe('GUEST-DISJOINT');
    expect(allViolations({ platform, guests: [uart] }).map((v) => v.rule)).toContain('GUEST-G-STAGE-FLAGS');
  });

  it('GUEST-RECLAIM: a leaked frame, a frame left off, a double free, another count or order', () => {
    const [a] = two.vms as [Vm];
    const d = destroyVm(two.host, a.id);
    if ('error' in d) throw new Error(d.error);
    const good = observeKmem(d.host.kmem);
    expect(destroyReclaims(d.host.kmem, good, d.freed)).toBeUndefined();
    const leaked = { ...good, freeList: good.freeList.slice(1), nfree: good.nfree! - 1n };
    expect(destroyReclaims(d.host.kmem, leaked, d.freed)?.message).toMatch(/was not returned \(leaked\)/);
    const states = Uint8Array.from(good.frameStates!);
    states[Number((d.freed[0]! - platform.ramBase) >> 12n)] = 2;
    expect(destroyReclaims(d.host.kmem, { ...good, frameStates: states }, d.freed)?.message).toMatch(/leaked/);
    const twice = { ...good, freeList: [good.freeList[0]!, ...good.freeList] };
    expect(destroyReclaims(d.host.kmem, twice, d.freed)?.message).toMatch(/on the free list twice/);
    expect(destroyReclaims(d.host.kmem, { ...good, nfree: good.nfree! + 1n }, d.freed)?.message).toMatch(/kmem_nfree is/);
    const swapped = { ...good, freeList: [good.freeList[1]!, good.freeList[0]!, ...good.freeList.slice(2)] };
    expect(destroyReclaims(d.host.kmem, swapped, d.freed)?.message).toMatch(/free list entry #0/);
    const longer = { ...good, freeList: [...good.freeList, linearVa(0x8020_0000n, platform.ramBase)], nfree: undefined };
    expect(destroyReclaims(d.host.kmem, longer, d.freed)?.message).toMatch(/the model says the list ends/);
    const shorter = { ...good, freeList: good.freeList.slice(0, -1), nfree: undefined };
    expect(destroyReclaims(d.host.kmem, shorter, [])?.message).toMatch(/is missing/);
    expect(checkRules({ platform, guestDestroys: [{ expected: d.host.kmem, observed: leaked, frames: d.freed }] })?.rule).toBe('GUEST-RECLAIM');
  });

  it('HFENCE-DISCIPLINE: a use reaching another page, or one the current table faults on', () => {
    const [a] = two.vms as [Vm];
    const read = memoryOf([a]);
    const walk = (gpa: bigint) => gStageWalk(read, a.root, gpa, { reported: 'load', checked: 'load', executeForRead: false }, false, 'update');
    const use = (gpa: bigint, pa: bigint) => ({ hart: 0, vmid: a.vmid, gpa, pa, fresh: walk(gpa) });
    expect(noStaleGuestTranslations([use(GUEST_RAM_BASE + 0x10n, a.frames[0]! + 0x10n)])).toBeUndefined();
    expect(noStaleGuestTranslations([use(GUEST_RAM_BASE, a.frames[1]!)])?.message).toMatch(/maps it to .*stale/);
    expect(noStaleGuestTranslations([use(GUEST_RAM_BASE + GUEST_RAM_MIN, a.frames[1]!)])?.message).toMatch(/faults there \(invalid\)/);
    expect(checkRules({ platform, guestTranslations: [use(GUEST_RAM_BASE, a.frames[1]!)] })?.rule).toBe('HFENCE-DISCIPLINE');
  });

  it('GUEST-ISOLATION: an access outside the VM\'s frames, also one straddling its last byte', () => {
    const [a, b] = two.vms as [Vm, Vm];
    const g = observed(a);
    expect(guestAccessesStayInside(g, [{ kind: 'store', pa: a.frames[2]!, size: 8 }, { kind: 'fetch', pa: a.frames[0]! + 0xffcn, size: 4 }])).toBeUndefined();
    expect(guestAccessesStayInside(g, [{ kind: 'load', pa: b.frames[0]!, size: 8 }])?.message).toMatch(/vm 1 made a load of 8 bytes at host .* outside its own frames/);
    const last = a.frames.reduce((m, pa) => (pa > m ? pa : m));
    const straddles = a.frames.includes(last + 0x1000n) ? [] : [{ kind: 'store' as const, pa: last + 0xffcn, size: 8 }];
    for (const s of straddles) expect(guestAccessesStayInside(g, [s])?.rule).toBe('GUEST-ISOLATION');
    expect(checkRules({ platform, guestAccesses: [{ guest: g, accesses: [{ kind: 'load', pa: b.frames[0]!, size: 8 }] }] })?.rule).toBe('GUEST-ISOLATION');
  });
});
