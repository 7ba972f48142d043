/**
 * The hypervisor on our virt machine (emulator/board), driven through its debug console with the
 * same standard script that qemu.test.ts plays on QEMU (console-script.ts): every N in {1, 2, 4, 8}
 * harts with every M in {16M, 128M, 1G, 2G} of RAM, under builtin firmware and under Debian's
 * OpenSBI fw_dynamic (skipped, with the reason printed, when that file is absent), each cell with
 * its own boot hart so that every hart count boots from non-zero harts too. Then the poweroff exit
 * status, as on QEMU.
 *
 * Time here is steps, not wall-clock time: a hung hart fails after a step budget
 * (emulator-console.ts), the same on every host. Boot time grows with RAM (every free frame is
 * written once, and each written 4 KiB page costs the host an allocation), so the 1G and 2G cells
 * dominate this file's run time.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENSBI } from '../emulator/board/support.js';
import { hex, runScript, standardScript, VAS_RAM, type ConsoleStep } from './console-script.js';
import { bootOnEmulator, type EmulatorBoot } from './emulator-console.js';
import { imagePath } from './paths.js';

const haveOpenSbi = existsSync(OPENSBI);
if (!haveOpenSbi) console.warn(`test/hypervisor/emulator-console.test.ts: skipping the OpenSBI cells, ${OPENSBI} is absent (Debian package opensbi)`);

const MIB = 2 ** 20;
const memories: readonly [string, number][] = [
  ['16M', 16 * MIB],
  ['128M', 128 * MIB],
  ['1G', 1024 * MIB],
  ['2G', 2048 * MIB],
];

/**
 * Every cell of the matrix with a boot hart: `spread` picks one from the hart count and the memory
 * row, so that across the rows of one hart count several harts boot, 0 and non-zero ones.
 */
function cells(spread: (harts: number, row: number) => number) {
  return [1, 2, 4, 8].flatMap((harts) =>
    memories.map(([memory, ramSize], row) => {
      const bootHart = spread(harts, row);
      return [`${harts} harts, -m ${memory}, boot hart ${bootHart}`, { harts, ramSize, bootHart }] as const;
    }),
  );
}

const blobReserved: ConsoleStep = {
  why: "the device tree blob's frames are reserved wherever the firmware left it",
  derive: (v) => ({ dtb_va: hex(BigInt(v.dtb!) - BigInt(v.ram_base!) + VAS_RAM) }),
  send: 'frame {dtb_va}',
  expect: ['^OK frame hart={boot} va={dtb_va} state=RESERVED$'],
};
const poweroff: ConsoleStep = { why: 'power off through SBI SRST', send: 'poweroff 0', expect: ['^OK poweroff hart={boot} code=0$'] };

/** Boots, checks the ready line against the configuration, plays the standard script and powers off. */
async function playStandardScript(boot: EmulatorBoot): Promise<void> {
  const where = `${boot.harts} harts, ${boot.ramSize / MIB} MiB, ${boot.firmware} firmware, boot hart ${boot.bootHart}`;
  let booted;
  try {
    booted = bootOnEmulator(boot);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  const { vars, machine, console } = booted;
  expect(vars.harts, where).toBe(String(boot.harts));
  expect(vars.boot, `${where}: the hart named in the ready line`).toBe(String(boot.bootHart));
  expect(BigInt(vars.ram_base!), where).toBe(0x8000_0000n);
  expect(BigInt(vars.ram_size!), where).toBe(BigInt(boot.ramSize));
  expect(BigInt(vars.head!) - VAS_RAM, where).toBeLessThan(BigInt(boot.ramSize));
  try {
    await runScript(console, [...standardScript(), blobReserved, poweroff], vars);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  console.waitForExit();
  expect(machine.exit?.code, `${where}: exit status after poweroff 0`).toBe(0);
}

describe('hypervisor on our virt machine: the standard console script', () => {
  // builtin: the firmware enters the payload on the machine's bootHart
  it.each(cells((harts, row) => (3 * row + harts - 1) % harts))(
    'builtin firmware, %s',
    async (_, { harts, ramSize, bootHart }) => {
      await playStandardScript({ image: imagePath, harts, ramSize, firmware: 'builtin', bootHart });
    },
  );

  it.skipIf(!haveOpenSbi).each(cells((harts, row) => row % harts))(
    `Debian's OpenSBI fw_dynamic, %s${haveOpenSbi ? '' : ` (skipped: ${OPENSBI} is absent)`}`,
    async (_, { harts, ramSize, bootHart }) => {
      await playStandardScript({ image: imagePath, harts, ramSize, firmware: OPENSBI, bootHart });
    },
  );

  it.each(haveOpenSbi ? ['builtin', OPENSBI] : ['builtin'])('poweroff 5 ends the run with exit status 5 (%s firmware)', async (firmware) => {
    const { vars, machine, console } = bootOnEmulator({ image: imagePath, harts: 2, ramSize: 16 * MIB, firmware, bootHart: 1 });
    await runScript(console, [{ why: 'poweroff 5', send: 'poweroff 5', expect: ['^OK poweroff hart={boot} code=5$'] }], vars);
    console.waitForExit();
    // the hypervisor writes the test finisher before SRST (hypervisor/README.md, decisions)
    expect(machine.exit).toEqual({ source: 'finisher', code: 5, kind: 'fail' });
  });
});
