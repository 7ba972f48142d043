/**
 * The hypervisor's VM operations as injected calls (no console): vm_create and vm_destroy called
 * on an idle hart the way a debugger's `call` does, the VM read from `vms` and its G-stage table from
 * RAM, and the guest rules judged on it by the model: GUEST-EXACT, GUEST-DISJOINT and
 * GUEST-G-STAGE-FLAGS after the create, the free count back after the destroy (GUEST-RECLAIM's
 * count), and a seeded bug (guest RAM one page short) caught the same way.
 */
import { describe, expect, it } from 'vitest';
import { callFunction, type CallOutcome } from '../../emulator/board/call.js';
import { flattenGStage, linearPa } from '../../model/index.js';
import { loadImage } from '../../properties/harness/image.js';
import { judgeGuests } from '../../properties/observe/guest.js';
import { physicalReader, readKmem, symbolPa, symbolVa } from '../../properties/observe/memory.js';
import { spec } from '../../properties/property/definition.js';
import { BootCache } from '../../properties/runner/boot-cache.js';
import type { BootedHypervisor } from '../../properties/harness/hypervisor.js';

const VM_FIELDS = ['id', 'vmid', 'ramSize', 'root', 'frames', 'running'] as const;

/** Calls `name(args)` on `hart` and returns a0; fails the test on any other outcome. */
function call(booted: BootedHypervisor, hart: number, name: string, args: bigint[]): bigint {
  // a VM's every guest page is a kalloc that zeroes its frame: about 2 000 steps a page
  const outcome: CallOutcome = callFunction(booted.machine, { hart, fn: symbolVa(booted.image.elf, name), args, budget: 20_000_000 });
  if (outcome.kind !== 'returned') throw new Error(`${name} on hart ${hart}: ${JSON.stringify(outcome, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
  return outcome.a0;
}

/** The struct vm at link address `va` (an element of `vms`), read from RAM. */
function readVm(booted: BootedHypervisor, va: bigint): Record<(typeof VM_FIELDS)[number], bigint> {
  const { elf } = booted.image;
  const pa = symbolPa(elf, 'vms') + (va - symbolVa(elf, 'vms'));
  const read = physicalReader(booted.machine);
  return Object.fromEntries(VM_FIELDS.map((f, i) => [f, read(pa + BigInt(8 * i))!])) as Record<(typeof VM_FIELDS)[number], bigint>;
}

/** Creates a VM of `ramSize` by calls on `hart`: a kalloc'd frame takes vm_create's `struct vm **out`. */
function createByCall(booted: BootedHypervisor, hart: number, ramSize: bigint) {
  const out = call(booted, hart, 'kalloc', []);
  expect(out).not.toBe(0n);
  const error = call(booted, hart, 'vm_create', [ramSize, out]);
  const vmVa = physicalReader(booted.machine)(linearPa(out, booted.platform.ramBase))!;
  call(booted, hart, 'kfree', [out]);
  return { error, vm: readVm(booted, vmVa), vmVa };
}

const nfree = (booted: BootedHypervisor): bigint => readKmem(booted.machine, booted.image.elf, booted.platform).nfree!;

describe('VM operations as injected calls', () => {
  it('vm_create then vm_destroy on an idle hart: the G-stage table the model expects, every frame back', () => {
    const booted = new BootCache(loadImage('hypervisor/build/hypervisor.elf')).get(spec(2, 0, 64n));
    const before = nfree(booted);
    const ramSize = (2n << 20n) + 0x3000n; // a megapage and three pages: two level-0 tables
    const { error, vm, vmVa } = createByCall(booted, 1, ramSize);
    expect(error).toBe(0n); // VM_OK
    expect([vm.id, vm.ramSize, vm.running]).toEqual([1n, ramSize, 0n]);
    expect(nfree(booted)).toBe(before - vm.frames);
    const table = flattenGStage(physicalReader(booted.machine), vm.root);
    expect(judgeGuests(booted, {}, [{ id: Number(vm.id), ramSize: vm.ramSize, table }])).toEqual([]);
    expect(call(booted, 1, 'vm_destroy', [vmVa])).toBe(vm.frames);
    expect(nfree(booted)).toBe(before);
    expect(readVm(booted, vmVa).id).toBe(0n);
  });

  it('a refused size is a verdict, with nothing taken', () => {
    const booted = new BootCache(loadImage('hypervisor/build/hypervisor.elf')).get(spec(2, 0, 64n));
    const before = nfree(booted);
    expect(createByCall(booted, 1, 0x1234n).error).toBe(1n); // VM_BAD_SIZE
    expect(nfree(booted)).toBe(before);
  });

  it('catches guest-ram-one-page-short by GUEST-EXACT, without a console', () => {
    const booted = new BootCache(loadImage('hypervisor/build/mutants/guest-ram-one-page-short.elf', 'guest-ram-one-page-short')).get(spec(2, 0, 64n));
    const { error, vm } = createByCall(booted, 1, 0x9000n);
    expect(error).toBe(0n);
    const table = flattenGStage(physicalReader(booted.machine), vm.root);
    expect(judgeGuests(booted, {}, [{ id: Number(vm.id), ramSize: vm.ramSize, table }]).map((v) => v.rule)).toContain('GUEST-EXACT');
  });
});
