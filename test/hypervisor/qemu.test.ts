/**
 * Boots the hypervisor on QEMU 7.2 (`qemu-system-riscv64 -machine virt -nographic -smp N -m M
 * -kernel hypervisor/build/hypervisor.elf`, default OpenSBI) and drives its debug console through
 * stdin/stdout with the shared console scripts (console-script.ts): every N in {1, 2, 4, 8} with
 * every M in {16M, 128M, 1G, 2G}; panics for too many harts and too little RAM; the poweroff exit
 * status; and what the console shows of the seeded bugs.
 *
 * Skips, with the reason printed, when qemu-system-riscv64 is not installed. QEMU instances run a
 * few at a time and are always killed.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex, readyVars, runScript, standardScript, VAS_RAM, type ConsoleStep, type Vars } from './console-script.js';
import { readElf, symbol } from './elf.js';
import { imagePath, mutantImagePath } from './paths.js';
import { limitQemu, QemuConsole, qemuMissingReason, type QemuBoot } from './qemu-console.js';

const missing = qemuMissingReason();
if (missing) console.warn(`test/hypervisor/qemu.test.ts: skipping, ${missing}`);

/** Generous: boot time grows with RAM, and CI machines run other tests alongside. */
const READY_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 300_000;
const REPLY_TIMEOUT_MS = 30_000;

async function withQemu<T>(boot: QemuBoot, body: (qemu: QemuConsole) => Promise<T>): Promise<T> {
  return limitQemu(async () => {
    const qemu = new QemuConsole(boot);
    try {
      return await body(qemu);
    } catch (e) {
      throw new Error(`${qemu.command}: ${(e as Error).message}`);
    } finally {
      await qemu.kill();
    }
  });
}

function symbolVars(path: string): Vars {
  return { probe_ret: hex(symbol(readElf(path), 'probe_ret', path)) };
}

async function boot(qemu: QemuConsole, image: string): Promise<Vars> {
  const ready = await qemu.waitForLine(/^hvspec-hv ready /, READY_TIMEOUT_MS);
  const vars = readyVars(ready);
  if (!vars) throw new Error(`malformed ready line: ${ready}`);
  const bootLine = qemu.lines.find((l) => l.startsWith('hvspec-hv boot '));
  const dtb = /dtb=(0x[0-9a-f]+)/.exec(bootLine ?? '')?.[1];
  return { ...vars, ...symbolVars(image), ...(dtb ? { dtb } : {}) };
}

const poweroff: ConsoleStep = { why: 'power off through SBI SRST', send: 'poweroff 0', expect: ['^OK poweroff hart={boot} code=0$'] };

describe.skipIf(missing !== undefined)('hypervisor on QEMU virt', () => {
  const memories: [string, bigint][] = [
    ['16M', 16n << 20n],
    ['128M', 128n << 20n],
    ['1G', 1n << 30n],
    ['2G', 2n << 30n],
  ];
  const configs = [1, 2, 4, 8].flatMap((harts) => memories.map(([memory, bytes]) => ({ harts, memory, bytes })));

  it.concurrent.each(configs)('-smp $harts -m $memory: boots and plays the standard console script', async ({ harts, memory, bytes }) => {
    await withQemu({ image: imagePath, harts, memory }, async (qemu) => {
      const vars = await boot(qemu, imagePath);
      expect(vars.harts).toBe(String(harts));
      expect(BigInt(vars.ram_base!)).toBe(0x8000_0000n);
      expect(BigInt(vars.ram_size!)).toBe(bytes);
      expect(BigInt(vars.head!) - VAS_RAM).toBeLessThan(bytes);
      await runScript(qemu, [...standardScript(), poweroff], vars, REPLY_TIMEOUT_MS);
      expect((await qemu.exited).code).toBe(0);
    });
  }, TEST_TIMEOUT_MS);

  it.concurrent('more harts than supported (-smp 9) ends in a panic line and exit status 1', async () => {
    await withQemu({ image: imagePath, harts: 9, memory: '128M' }, async (qemu) => {
      await qemu.waitForLine(/^PANIC hart=\d+ too many harts: more than 8 in the device tree$/, READY_TIMEOUT_MS);
      expect((await qemu.exited).code).toBe(1);
      expect(qemu.lines.some((l) => l.startsWith('hvspec-hv ready'))).toBe(false);
    });
  }, TEST_TIMEOUT_MS);

  it.concurrent('too little RAM (-m 12M) ends in a panic line and exit status 1', async () => {
    await withQemu({ image: imagePath, harts: 2, memory: '12M' }, async (qemu) => {
      await qemu.waitForLine(/^PANIC hart=\d+ too little RAM: c00000 bytes, need at least 1000000$/, READY_TIMEOUT_MS);
      expect((await qemu.exited).code).toBe(1);
    });
  }, TEST_TIMEOUT_MS);

  it.concurrent('poweroff passes its exit code to QEMU', async () => {
    await withQemu({ image: imagePath, harts: 2, memory: '64M' }, async (qemu) => {
      const vars = await boot(qemu, imagePath);
      await runScript(qemu, [{ why: 'poweroff 5', send: 'poweroff 5', expect: ['^OK poweroff hart={boot} code=5$'] }], vars);
      expect((await qemu.exited).code).toBe(5);
    });
  }, TEST_TIMEOUT_MS);

  // Debian's OpenSBI (the firmware our machine also runs): fw_dynamic gets the blob from QEMU in
  // place; fw_jump moves it to its fixed address (0x8220_0000), which must then be reserved.
  const debianFirmware = ['fw_dynamic.bin', 'fw_jump.bin'].map((f) => `/usr/lib/riscv64-linux-gnu/opensbi/generic/${f}`);
  for (const bios of debianFirmware) {
    if (!existsSync(bios)) console.warn(`test/hypervisor/qemu.test.ts: skipping the -bios ${bios} run, the file is absent (Debian package opensbi)`);
  }
  it.concurrent.each(debianFirmware.filter((f) => existsSync(f)))('-bios %s -smp 3 -m 128M: plays the standard console script', async (bios) => {
    await withQemu({ image: imagePath, harts: 3, memory: '128M', bios }, async (qemu) => {
      const vars = await boot(qemu, imagePath);
      await runScript(
        qemu,
        [
          ...standardScript(),
          {
            why: "the blob's frames are reserved wherever the firmware put it",
            derive: (v) => ({ dtb_va: hex(BigInt(v.dtb!) - BigInt(v.ram_base!) + VAS_RAM) }),
            send: 'frame {dtb_va}',
            expect: ['^OK frame hart={boot} va={dtb_va} state=RESERVED$'],
          },
          poweroff,
        ],
        vars,
      );
      expect((await qemu.exited).code).toBe(0);
    });
  }, TEST_TIMEOUT_MS);

  /** What the console alone shows of the seeded bugs on QEMU (hypervisor/mutants/README.md). */
  const visible: Record<string, ConsoleStep[]> = {
    'cpu-info-below-stack': [
      { why: 'the overflow corrupts the cpu info page before faulting', send: 'recurse {boot} 100000', expect: ['^FAULT .* kind=\\S+ cmd=\\S+ cpu-info=corrupt$'] },
    ],
    'no-guard-page': [
      { why: 'the overflow runs past the mapped guard', send: 'recurse {boot} 100000', expect: ['^FAULT hart={boot} cause=15 stval=0xffffffc03fff[0-9a-f]{4} pc=0x[0-9a-f]+ kind=unexpected cmd=recurse$'] },
    ],
    'double-free-undetected': [
      { why: 'alloc', send: 'alloc {boot}', expect: ['^OK alloc hart={boot} va={head} '] },
      { why: 'the second free is accepted', send: 'free2 {boot} {head}', expect: ['^OK free2 hart={boot} va={head} first=Ok second=Ok '] },
    ],
    'free-verdict-order': [
      { why: 'misaligned and out of range', send: 'free {boot} 0x1001', expect: ['^KMEM .* verdict=OutOfRange$', '^ERR free hart={boot} va=0x1001 verdict=OutOfRange '] },
    ],
    'dtb-on-freelist': [
      {
        why: "the device tree's frame is not reserved",
        derive: (v) => ({ dtb_va: hex(BigInt(v.dtb!) - BigInt(v.ram_base!) + VAS_RAM) }),
        send: 'frame {dtb_va}',
        expect: ['^OK frame hart={boot} va={dtb_va} state=(FREE|ALLOCATED)$'],
      },
    ],
    'linear-map-short': [
      {
        why: 'the last page of RAM is not mapped',
        derive: (v) => ({ ram_last: hex(VAS_RAM + BigInt(v.ram_size!) - 8n) }),
        send: 'read {boot} {ram_last}',
        expect: ['^FAULT hart={boot} cause=13 stval={ram_last} .* kind=probe cmd=read$'],
      },
    ],
    'identity-left': [
      {
        why: 'the identity mapping is still there (the image at its physical address)',
        derive: (v) => ({ image_pa: hex(BigInt(v.ram_base!) + 0x20_0000n) }),
        send: 'read {boot} {image_pa}',
        expect: ['^OK read hart={boot} va={image_pa} '],
      },
    ],
    'text-writable': [{ why: 'text is writable', send: 'write {boot} 0xffffffc000200000 0', expect: ['^OK write hart={boot} '] }],
  };
  it.concurrent.each(Object.keys(visible))('seeded bug %s shows on the console', async (name) => {
    const image = mutantImagePath(name);
    await withQemu({ image, harts: 2, memory: '64M' }, async (qemu) => {
      const vars = await boot(qemu, image);
      await runScript(qemu, visible[name]!, vars);
    });
  }, TEST_TIMEOUT_MS);

  it.concurrent('the real hypervisor shows none of that evidence', async () => {
    await withQemu({ image: imagePath, harts: 2, memory: '64M' }, async (qemu) => {
      const vars = await boot(qemu, imagePath);
      await runScript(
        qemu,
        [
          { why: 'dtb reserved', derive: (v) => ({ dtb_va: hex(BigInt(v.dtb!) - BigInt(v.ram_base!) + VAS_RAM) }), send: 'frame {dtb_va}', expect: ['^OK frame hart={boot} va={dtb_va} state=RESERVED$'] },
          { why: 'overflow is clean', send: 'recurse {boot} 100000', expect: ['^FAULT hart={boot} cause=15 stval=0xffffffc040000[0-9a-f]{3} pc=0x[0-9a-f]+ kind=stack-overflow cmd=recurse$'] },
        ],
        vars,
      );
    });
  }, TEST_TIMEOUT_MS);
});
