/**
 * The same console script on QEMU 7.2 and on our virt machine, with the same platform, must get the
 * same replies, line for line.
 *
 * Same platform means: the same image; the same firmware (Debian's OpenSBI fw_dynamic.elf, `-bios`
 * on QEMU); the same device tree blob, dumped from QEMU (`-machine virt,dumpdtb=F -smp N -m M`) and
 * handed to both (`-dtb F` on QEMU, the machine's `dtb` option here, which places it where QEMU
 * does); and the same boot hart. The hypervisor's free count and frame addresses depend on the
 * blob's size and place and on the boot hart, so each must match. QEMU's boot hart is whichever
 * hart won OpenSBI's cold-boot lottery among its host threads; it is read from QEMU's ready line,
 * and ours is made that hart by construction (bootOnEmulator: it is fw_dynamic_info's preferred
 * hart and runs alone until it enters the payload; QEMU's fw_dynamic_info names hart 0, which the
 * payload never sees). The compared lines then check it.
 *
 * Compared: the hypervisor's boot line (the blob's address), its ready line (harts, boot hart, RAM,
 * free count, list head) and every line sent and every reply of the standard script and poweroff.
 * Nothing is excluded: the batches run last, their per-hart lines hold counts only (deterministic
 * with a correct lock), and the batch summary no longer prints the list head, whose value after
 * concurrent batches depends on timing (hypervisor/README.md, "batch"). A mismatch prints both
 * transcripts side by side.
 *
 * The guest script (console-script.ts guestScript: VMs created, listed, run by the bundled guest on
 * the boot hart and another, probed in and out of their RAM, destroyed, a VMID reused) runs the
 * same way with QEMU's CPU given the hypervisor extension (-cpu rv64,h=true, its blob dumped with
 * it); the guest's GUEST lines are compared like replies.
 *
 * Skips, with the reason printed, without qemu-system-riscv64 or without Debian's OpenSBI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtMachine } from '../../emulator/board/machine.js';
import { OPENSBI } from '../emulator/board/support.js';
import { guestScript, readyVars, runScript, standardScript, type ConsoleStep, type ConsoleTransport } from './console-script.js';
import { bootOnEmulator, imageVars, type BootedOnEmulator } from './emulator-console.js';
import { readElf, symbol } from './elf.js';
import { imagePath } from './paths.js';
import { QEMU, QemuConsole, qemuMissingReason } from './qemu-console.js';

const missing = qemuMissingReason() ?? (existsSync(OPENSBI) ? undefined : `${OPENSBI} is absent (Debian package opensbi)`);
if (missing) console.warn(`test/hypervisor/cross-machine.test.ts: skipping, ${missing}`);

const MIB = 2 ** 20;
const READY_TIMEOUT_MS = 90_000;
const REPLY_TIMEOUT_MS = 30_000;
/** QEMU's CPU for the guest script: its default rv64 with the hypervisor extension. */
const GUEST_CPU = 'rv64,h=true';

const poweroff: ConsoleStep = { why: 'power off through SBI SRST', send: 'poweroff 0', expect: ['^OK poweroff hart={boot} code=0$'] };

/**
 * The guest script's image values: `probe_pc`, the GPA of the bundled guest's probe load
 * (`ld a0, 0(s3)` in guest/guest.S, copied to guest page 0 at GPA 0x8000_0000), found in the
 * image's bytes between guest_image_start and guest_image_end.
 */
function guestVars(path: string): Record<string, string> {
  const elf = readElf(path);
  const start = symbol(elf, 'guest_image_start', path);
  const end = symbol(elf, 'guest_image_end', path);
  const segment = elf.segments.find((s) => start >= s.vaddr && end <= s.vaddr + BigInt(s.data.length));
  if (segment === undefined) throw new Error(`${path}: guest_image_start..guest_image_end is not in one segment's file bytes`);
  const code = segment.data.subarray(Number(start - segment.vaddr), Number(end - segment.vaddr));
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const LD_A0_0_S3 = (19 << 15) | (3 << 12) | (10 << 7) | 0x03;
  const offsets = Array.from({ length: code.length >> 2 }, (_, i) => 4 * i).filter((o) => view.getUint32(o, true) === LD_A0_0_S3);
  if (offsets.length !== 1) throw new Error(`${path}: the guest image holds ${offsets.length} "ld a0, 0(s3)" instructions, not one`);
  return { probe_pc: `0x${(0x8000_0000 + offsets[0]!).toString(16)}` };
}

/** Records what is sent and received, as "> line" and "< reply", even when the script fails halfway. */
function recording(console: ConsoleTransport, transcript: string[]): ConsoleTransport {
  return {
    sendLine(line) {
      transcript.push(`> ${line}`);
      console.sendLine(line);
    },
    async nextReply(timeoutMs) {
      const reply = await console.nextReply(timeoutMs);
      transcript.push(`< ${reply}`);
      return reply;
    },
  };
}

/** One machine's run: the protocol lines compared, and how the run went. */
interface Run {
  readonly lines: string[];
  readonly problem: string | undefined;
  readonly exitCode: number | null | undefined;
}

/** Widest left column shown; longer lines are cut there (the mark still compares whole lines). */
const COLUMN = 110;

/** Both runs as two columns, a mark on every row that differs. */
function sideBySide(left: Run, right: Run, leftName: string, rightName: string): string {
  const cut = (line: string): string => (line.length > COLUMN ? `${line.slice(0, COLUMN - 1)}…` : line);
  const width = Math.min(COLUMN, Math.max(leftName.length, ...left.lines.map((l) => l.length)));
  const rows = Math.max(left.lines.length, right.lines.length);
  const out = [`  ${leftName.padEnd(width)} | ${rightName}`];
  for (let i = 0; i < rows; i++) {
    const a = left.lines[i] ?? '';
    const b = right.lines[i] ?? '';
    out.push(`${a === b ? ' ' : '≠'} ${cut(a).padEnd(width)} | ${cut(b)}`);
  }
  for (const [name, run] of [[leftName, left], [rightName, right]] as const) {
    if (run.problem) out.push(`${name}: ${run.problem}`);
  }
  return out.join('\n');
}

/**
 * A transcript with each vm-run-together's replies but the closing one sorted: the runs end in an
 * order the machines' timing decides (QEMU's harts are threads), and the guest script matches them
 * unordered; everything else is compared line for line.
 */
function inRunOrder(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    out.push(lines[i]!);
    if (!lines[i]!.startsWith('> vm-run-together ')) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && lines[j]!.startsWith('< ') && !lines[j]!.startsWith('< OK vm-run-together ') && !lines[j]!.startsWith('< ERR vm-run-together ')) j++;
    out.push(...lines.slice(i + 1, j).sort());
    i = j;
  }
  return out;
}

/** Plays `script` and poweroff on `console`; a failure is recorded, not thrown, so both sides can be shown. */
async function play(console: ConsoleTransport, script: readonly ConsoleStep[], vars: Record<string, string>, lines: string[]): Promise<string | undefined> {
  try {
    await runScript(recording(console, lines), [...script, poweroff], vars, REPLY_TIMEOUT_MS);
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function onQemu(qemu: QemuConsole, script: readonly ConsoleStep[]): Promise<Run & { bootHart: number }> {
  try {
    const readyLine = await qemu.waitForLine(/^hvspec-hv ready /, READY_TIMEOUT_MS);
    const ready = readyVars(readyLine);
    if (ready === undefined) throw new Error(`malformed ready line: ${readyLine}`);
    const bootLine = qemu.lines.find((l) => l.startsWith('hvspec-hv boot ')) ?? '(no boot line)';
    const lines = [bootLine, readyLine];
    const problem = await play(qemu, script, { ...ready, ...imageVars(imagePath), ...guestVars(imagePath) }, lines);
    const exit = problem === undefined ? await qemu.exited : undefined;
    return { lines, problem, exitCode: exit?.code, bootHart: Number(ready.boot) };
  } catch (e) {
    throw new Error(`${qemu.command}: ${(e as Error).message}`);
  } finally {
    await qemu.kill();
  }
}

async function onEmulator(booted: BootedOnEmulator, script: readonly ConsoleStep[]): Promise<Run> {
  const lines = [booted.bootLine, booted.readyLine];
  const problem = await play(booted.console, script, { ...booted.vars, ...guestVars(imagePath) }, lines);
  if (problem === undefined) booted.console.waitForExit();
  return { lines, problem, exitCode: booted.machine.exit?.code };
}

describe.skipIf(missing !== undefined)('the same console script on QEMU and on our machine, same platform: identical replies', () => {
  const dir = missing === undefined ? mkdtempSync(join(tmpdir(), 'hvspec-cross-')) : '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** QEMU's own device tree for -smp harts -m memory [-cpu cpu] (`-machine virt,dumpdtb=`). */
  function dumpDtb(harts: number, memory: string, cpu?: string): string {
    const path = join(dir, `virt-${harts}-${memory}${cpu ? '-h' : ''}.dtb`);
    const args = ['-machine', `virt,dumpdtb=${path}`, '-smp', String(harts), '-m', memory, ...(cpu ? ['-cpu', cpu] : []), '-nographic'];
    const run = spawnSync(QEMU, args, { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0 || !existsSync(path)) throw new Error(`${QEMU} ${args.join(' ')} exited with ${run.status ?? run.signal}: ${run.stderr}`);
    return path;
  }

  /**
   * Boots both machines on the same platform, plays `script` and poweroff on each and requires the
   * same lines. QEMU boots in its own process while ours boots here with hart 0 (QEMU's usual
   * winner), and again with QEMU's boot hart if another hart won there.
   */
  async function compare(harts: number, memory: string, ramSize: number, script: readonly ConsoleStep[], cpu?: string): Promise<void> {
    const dtb = dumpDtb(harts, memory, cpu);
    const ourBoot = (bootHart: number): BootedOnEmulator => bootOnEmulator({ image: imagePath, harts, ramSize, firmware: OPENSBI, dtb, bootHart });
    const qemuConsole = new QemuConsole({ image: imagePath, harts, memory, bios: OPENSBI, ...(cpu ? { cpu } : {}), extraArgs: ['-dtb', dtb] });
    let booted: BootedOnEmulator;
    try {
      booted = ourBoot(0);
    } catch (e) {
      await qemuConsole.kill();
      throw e;
    }
    const qemu = await onQemu(qemuConsole, script);
    if (qemu.bootHart !== 0) booted = ourBoot(qemu.bootHart);
    const emulator = await onEmulator(booted, script);
    const same = qemu.problem === undefined && emulator.problem === undefined && inRunOrder(qemu.lines).join('\n') === inRunOrder(emulator.lines).join('\n');
    if (!same) expect.fail(`-smp ${harts} -m ${memory}${cpu ? ` -cpu ${cpu}` : ''}: the transcripts differ\n${sideBySide(qemu, emulator, 'QEMU 7.2', 'our machine')}`);
    // the whole script ran: ready and boot lines, then a sent line and its replies for every step
    expect(qemu.lines.length).toBeGreaterThan(2 + script.length * 2);
    expect(qemu.exitCode).toBe(0);
    expect(emulator.exitCode).toBe(0);
  }

  const configs = [
    { harts: 1, memory: '128M', ramSize: 128 * MIB },
    { harts: 2, memory: '1G', ramSize: 1024 * MIB },
    { harts: 4, memory: '128M', ramSize: 128 * MIB },
  ].map((c) => [`-smp ${c.harts} -m ${c.memory}`, c] as const);
  it.each(configs)("%s -bios fw_dynamic.elf -dtb (QEMU's blob)", async (_, { harts, memory, ramSize }) => {
    await compare(harts, memory, ramSize, standardScript());
  }, 300_000);

  // Guests need the hypervisor extension, which QEMU gets from -cpu (and its blob's riscv,isa
  // says); ours has it by default. GUEST lines (the guest's reports) are compared with the replies.
  const guestConfigs = [
    { harts: 1, memory: '128M', ramSize: 128 * MIB },
    { harts: 2, memory: '256M', ramSize: 256 * MIB },
    { harts: 4, memory: '128M', ramSize: 128 * MIB },
  ].map((c) => [`-smp ${c.harts} -m ${c.memory} -cpu ${GUEST_CPU}`, c] as const);
  it.each(guestConfigs)("guest script: %s -bios fw_dynamic.elf -dtb (QEMU's blob)", async (_, { harts, memory, ramSize }) => {
    await compare(harts, memory, ramSize, guestScript(), GUEST_CPU);
  }, 300_000);
});

describe("the machine's dtb option, as QEMU's -dtb", () => {
  const payload = { name: imagePath, bytes: readFileSync(imagePath) };

  it('places the blob where QEMU 7.2 places a -dtb file: its (size + 10000) * 2 load buffer, 2 MiB-aligned below the top', () => {
    const generated = new VirtMachine({ harts: 2, ramSize: 128 * MIB, payload });
      // a 1 MiB file (as `dumpdtb` writes): 2.1 MB of buffer, so the blob goes 4 MiB below the top
      const big = new Uint8Array(MIB);
      big.set(generated.dtb);
      const fromBig = new VirtMachine({ harts: 2, ramSize: 128 * MIB, payload, dtb: { name: 'big.dtb', bytes: big } });
      expect(fromBig.dtbAddress).toBe(0x87c0_0000);
      expect(fromBig.readPhysical(fromBig.dtbAddress, generated.dtb.length)).toEqual(generated.dtb);
      // the compact blob itself: a buffer under 2 MiB, the same place as the generated tree
      const fromSmall = new VirtMachine({ harts: 2, ramSize: 128 * MIB, payload, dtb: { name: 'small.dtb', bytes: generated.dtb } });
      expect(fromSmall.dtbAddress).toBe(generated.dtbAddress);
      expect(generated.dtbAddress).toBe(0x87e0_0000);
  });

  it('refuses a file that is not a device tree, naming it, and bootargs it cannot add', () => {
    const notDtb = { name: 'kernel.dtb', bytes: new Uint8Array(64) };
    expect(() => new VirtMachine({ harts: 1, payload, dtb: notDtb })).toThrow(/device tree file kernel\.dtb: FDT byte 0x0: magic is 0x0/);
    const blob = new VirtMachine({ harts: 1, payload }).dtb;
    expect(() => new VirtMachine({ harts: 1, payload, dtb: { name: 'a.dtb', bytes: blob }, bootargs: 'x' })).toThrow(/bootargs cannot be added to the device tree file a\.dtb/);
    // a 9 MiB file needs a buffer larger than 16 MiB of RAM minus the image
    const huge = new Uint8Array(9 * MIB);
    huge.set(blob);
    expect(() => new VirtMachine({ harts: 1, ramSize: 16 * MIB, payload, dtb: { name: 'huge.dtb', bytes: huge } })).toThrow(/device tree file huge\.dtb: device tree of \d+ bytes does not fit in RAM/);
  });
});
