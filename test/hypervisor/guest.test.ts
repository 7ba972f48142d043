/**
 * The hypervisor's guests on our emulator, judged by the model: vm-create / vm-run / vm-destroy /
 * vm-list through the debug console, each VM's G-stage table read out of memory and compared with
 * model/guest.ts (root, frames, ptdump runs), the guest rules after every step, the allocator after
 * a destroy against destroyVm, and (strict TLB mode) every guest translation against a fresh
 * G-stage walk while VMIDs are reused on one hart.
 */
import { describe, expect, it } from 'vitest';
import {
  createVm,
  destroyVm,
  expectedGStageRuns,
  GUEST_RAM_BASE,
  initHost,
  kmemFromObserved,
  MiB,
  runsEqual,
  type CheckedGuestTranslation,
  type HostState,
} from '../../model/index.js';
import { BootedHypervisor } from '../../properties/harness/hypervisor.js';
import { loadImage } from '../../properties/harness/image.js';
import { expectedGuestReport, GuestObserver, judgeGuests, lastReply, observeGuests, printedLines, replyField } from '../../properties/observe/guest.js';
import { readKmem } from '../../properties/observe/memory.js';
import { HYPERVISOR } from '../properties/support.js';

function boot(): { booted: BootedHypervisor; guestStale: CheckedGuestTranslation[] } {
  const booted = new BootedHypervisor(loadImage(HYPERVISOR), { harts: 2, bootHart: 0, ramSize: 32n * MiB, firmware: 'builtin', ad: 'hardware' }, { strictTlb: true }).boot();
  // the observer's list is the one its listener fills, for the whole test
  return { booted, guestStale: GuestObserver.of(booted).stale };
}

const one = lastReply;
const printed = printedLines;
const field = (reply: string, key: string): string => replyField(reply, key) ?? `(no ${key} in "${reply}")`;
const judge = (booted: BootedHypervisor, extra: Parameters<typeof judgeGuests>[1] = {}) => judgeGuests(booted, extra);
const expectedReport = expectedGuestReport;

describe('guests (hypervisor/mem/guest.c) on the emulator', () => {
  it('create, run and destroy follow the model exactly, and every guest rule holds after each step', () => {
    const { booted, guestStale } = boot();
    let host: HostState = initHost(kmemFromObserved(booted.platform, readKmem(booted.machine, booted.image.elf, booted.platform)));
    for (const ramSize of [0x10000n, 0x9000n, 0x21_3000n]) {
      const reply = one(booted, `vm-create ${ramSize}`);
      const model = createVm(host, ramSize);
      if (!model.result.ok) throw new Error(model.result.error);
      host = model.host;
      const vm = model.result.vm;
      expect(reply).toBe(`OK vm-create hart=0 vm=${vm.id} vmid=${vm.vmid} ram=0x${ramSize.toString(16)} root=0x${vm.root.toString(16)} frames=${vm.frames.length + vm.tables.length + 4} nfree=${host.kmem.nfree}`);
      const observed = observeGuests(booted).find((g) => g.id === vm.id)!;
      const want = expectedGStageRuns(vm);
      expect(observed.table.runs.length).toBe(want.length);
      observed.table.runs.forEach((r, i) => expect(runsEqual(r, want[i]!), `run ${i}`).toBe(true));
      expect(judge(booted)).toEqual([]);
    }
    // run each VM on each hart; the report is the checksum of what the guest stored and read back
    for (const vm of host.vms) {
      for (const hart of [1, 0]) {
        const seed = BigInt(vm.id * 11 + hart);
        const lines = printed(booted, `vm-run ${hart} ${vm.id} ${seed} 40 0`);
        expect(lines).toEqual([`GUEST vm=${vm.id} hart=${hart} report=0x${expectedReport(vm.ramSize, seed, 40n).toString(16)}`, `OK vm-run hart=${hart} vm=${vm.id} exit=shutdown reason=40 reports=1`]);
      }
    }
    // a load one byte past its RAM is a guest-page fault that ends the run (nothing is mapped there)
    const [first] = host.vms;
    const end = GUEST_RAM_BASE + first!.ramSize;
    expect(one(booted, `vm-run 1 ${first!.id} 1 1 0x${end.toString(16)}`)).toMatch(new RegExp(`^ERR vm-run hart=1 vm=${first!.id} exit=fault cause=21 gpa=0x${end.toString(16)} `));
    expect(judge(booted)).toEqual([]);
    // destroy in creation order, then reuse VMIDs on hart 1 three times over
    for (const vm of [...host.vms]) {
      const d = destroyVm(host, vm.id);
      if ('error' in d) throw new Error(d.error);
      host = d.host;
      expect(one(booted, `vm-destroy ${vm.id}`)).toBe(`OK vm-destroy hart=0 vm=${vm.id} vmid=${vm.vmid} freed=${d.freed.length} nfree=${host.kmem.nfree}`);
      const observed = readKmem(booted.machine, booted.image.elf, booted.platform);
      expect(judge(booted, { guestDestroys: [{ expected: host.kmem, observed, frames: d.freed }] })).toEqual([]);
    }
    for (let k = 0; k < 3; k++) {
      const id = field(one(booted, 'vm-create 0x8000'), 'vm');
      expect(booted.command(`vm-run 1 ${id} ${k} 12 0`).at(-1)).toMatch(/^OK vm-run .* exit=shutdown/);
      expect(one(booted, `vm-destroy ${id}`)).toMatch(/^OK vm-destroy /);
    }
    expect(guestStale).toEqual([]);
    expect(judge(booted, { guestTranslations: guestStale })).toEqual([]);
    expect(one(booted, 'vm-list')).toBe('OK vm-list hart=0 n=0 vms=none');
  });

  it('vm-run-together runs several VMs at once, each on its hart, interleaved step by step; each run answers as vm-run would', () => {
    const booted = new BootedHypervisor(loadImage(HYPERVISOR), { harts: 3, bootHart: 0, ramSize: 32n * MiB, firmware: 'builtin', ad: 'hardware' }).boot();
    const ids = ['0x8000', '0x9000', '0x21000'].map((size) => field(one(booted, `vm-create ${size}`), 'vm'));
    const sizes = [0x8000n, 0x9000n, 0x21000n];
    const observer = GuestObserver.of(booted);
    booted.machine.setSchedule({ kind: 'slices', slices: Array.from({ length: 300_000 }, (_, i) => ({ hart: i % 3, steps: 1 })), then: 'round-robin' });
    const { result: lines, writes } = observer.recording(() => printedLines(booted, `vm-run-together 1 ${ids[0]} 5 40 0 2 ${ids[1]} 7 40 0 0 ${ids[2]} 9 8 0`, 4));
    booted.machine.setSchedule({ kind: 'round-robin', quantum: 1000 });
    const report = (k: number, hart: number, seed: bigint, stores: bigint) => `GUEST vm=${ids[k]} hart=${hart} report=0x${expectedReport(sizes[k]!, seed, stores).toString(16)}`;
    expect([...lines].sort()).toEqual([
      report(0, 1, 5n, 40n), report(1, 2, 7n, 40n), report(2, 0, 9n, 8n),
      `OK vm-run hart=0 vm=${ids[2]} exit=shutdown reason=8 reports=1`,
      `OK vm-run hart=1 vm=${ids[0]} exit=shutdown reason=40 reports=1`,
      `OK vm-run hart=2 vm=${ids[1]} exit=shutdown reason=40 reports=1`,
      'OK vm-run-together hart=0 runs=3',
    ].sort());
    expect(lines.at(-1)).toBe('OK vm-run-together hart=0 runs=3');
    // the guests really ran at the same time: hart 1's guest stores come between hart 2's
    const harts = writes.map((w) => w.hart);
    const h2 = [harts.indexOf(2), harts.lastIndexOf(2)];
    expect(harts.slice(h2[0], h2[1]).includes(1)).toBe(true);
    expect(judge(booted)).toEqual([]);
    // refusals change nothing and run nothing
    const nfree = field(one(booted, 'stat'), 'nfree');
    expect(one(booted, `vm-run-together 1 ${ids[0]} 0 1 0 1 ${ids[1]} 0 1 0`)).toBe('ERR vm-run-together hart=1 reason=hart-listed-twice');
    expect(one(booted, `vm-run-together 1 ${ids[0]} 0 1 0 2 ${ids[0]} 0 1 0`)).toBe(`ERR vm-run-together hart=2 vm=${ids[0]} reason=vm-listed-twice`);
    expect(one(booted, 'vm-run-together 1 9 0 1 0')).toBe('ERR vm-run-together hart=1 vm=9 reason=no-such-vm');
    expect(one(booted, 'vm-run-together 7 1 0 1 0')).toBe('ERR vm-run-together hart=7 reason=no-such-hart');
    expect(one(booted, 'vm-run-together 1 1 0 1')).toBe('ERR vm-run-together hart=0 reason=bad-arguments');
    expect(field(one(booted, 'stat'), 'nfree')).toBe(nfree);
  });

  it('refuses bad sizes, a fifth VM, unknown VMs and bad arguments, changing nothing', () => {
    const { booted } = boot();
    const nfree = field(one(booted, 'stat'), 'nfree');
    expect(one(booted, 'vm-create 0x8001')).toBe(`ERR vm-create hart=0 ram=0x8001 reason=bad-size nfree=${nfree}`);
    expect(one(booted, 'vm-create 0x4000')).toMatch(/reason=bad-size/);
    expect(one(booted, 'vm-create 0x4001000')).toMatch(/reason=bad-size/);
    for (let i = 1; i <= 4; i++) expect(one(booted, 'vm-create 0x8000')).toMatch(new RegExp(`^OK vm-create hart=0 vm=${i} vmid=${i} `));
    expect(one(booted, 'vm-create 0x8000')).toMatch(/^ERR vm-create .*reason=too-many-vms/);
    expect(one(booted, 'vm-destroy 9')).toBe('ERR vm-destroy hart=0 vm=9 reason=no-such-vm');
    expect(one(booted, 'vm-run 1 9 0 1 0')).toBe('ERR vm-run hart=1 vm=9 reason=no-such-vm');
    expect(one(booted, 'vm-run 1 1 0')).toBe('ERR vm-run hart=0 reason=bad-arguments');
    expect(one(booted, 'vm-list')).toMatch(/^OK vm-list hart=0 n=4 vms=1\/1\/0x8000\/0x[0-9a-f]+,2\/2\//);
    expect(one(booted, 'vm-destroy')).toBe('ERR vm-destroy hart=0 reason=bad-arguments');
    for (let i = 1; i <= 4; i++) expect(one(booted, `vm-destroy ${i}`)).toMatch(/^OK vm-destroy /);
    expect(field(one(booted, 'stat'), 'nfree')).toBe(nfree);
  });
});
