/**
 * Reads every hart's final page table on QEMU, through the monitor's `info mem` (QEMU's own Sv39
 * walker), once the hypervisor is ready, and compares it with the final map of SPEC.md built
 * from the image's symbols: devices, text R-X, rodata R--, data+bss RW-, the linear map of all RAM,
 * all global with A (and D exactly when writable); the cpu struct as 7 private RW- pages at
 * +0x1000..+0x8000 with its own frames. Then checks that this comparison catches exactly the seeded
 * bugs that show in a QEMU table dump. `info mem` merges runs and hides page sizes and non-leaf
 * bits, so page sizes, non-leaf G and the early table are left to the property suite.
 *
 * Skips, with the reason printed, when qemu-system-riscv64 is not installed.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hex, readyVars, VAS_CPU_STRUCT, VAS_KERNEL, VAS_RAM } from './console-script.js';
import { readElf, symbol } from './elf.js';
import { imagePath, mutantImagePath, mutantNames } from './paths.js';
import { limitQemu, QemuConsole, qemuMissingReason } from './qemu-console.js';
import { mergeRows, parseInfoMem, QemuMonitor, type MemRow } from './qemu-monitor.js';

const missing = qemuMissingReason();
if (missing) console.warn(`test/hypervisor/qemu-tables.test.ts: skipping, ${missing}`);

const RAM_BASE = 0x8000_0000n;
const PAGE = 0x1000n;
const GIB = 1n << 30n;
const G_RW = 'rw--gad';
/** Generous: boot time grows with RAM, and CI machines run other tests alongside. */
const READY_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 300_000;

interface Expected {
  readonly fixed: MemRow[];
  readonly endPa: bigint;
}

/** The contract's map for `image` with `ramSize` bytes of RAM, except the cpu struct. */
function expectedMap(image: string, ramSize: bigint): Expected {
  const elf = readElf(image);
  const s = (name: string) => symbol(elf, name, image);
  const region = (start: bigint, end: bigint, attrs: string): MemRow => ({ va: start, pa: start - VAS_KERNEL + RAM_BASE, size: end - start, attrs });
  const device = (base: bigint, size: bigint): MemRow => ({ va: base, pa: base, size, attrs: G_RW });
  return {
    fixed: [
      device(0x10_0000n, 0x1000n),
      device(0x200_0000n, 0x1_0000n),
      device(0xc00_0000n, 0x60_0000n),
      device(0x1000_0000n, 0x1000n),
      region(s('_text_start'), s('_text_end'), 'r-x-ga-'),
      region(s('_rodata_start'), s('_rodata_end'), 'r---ga-'),
      region(s('_data_start'), s('_end'), G_RW),
      { va: VAS_RAM, pa: RAM_BASE, size: ramSize, attrs: G_RW },
    ].filter((r) => r.size > 0n),
    endPa: s('_end') - VAS_KERNEL + RAM_BASE,
  };
}

const fmt = (r: MemRow) => `${hex(r.va)} -> ${hex(r.pa)} +${hex(r.size)} ${r.attrs}`;

/** The first way the harts' tables differ from the contract, or undefined. */
function tableProblem(tables: ReadonlyMap<number, MemRow[]>, expected: Expected, ramSize: bigint): string | undefined {
  const frames = new Map<bigint, string>();
  for (const [hart, rows] of tables) {
    const inCpu = (r: MemRow) => r.va >= VAS_CPU_STRUCT && r.va < VAS_CPU_STRUCT + GIB;
    const fixed = rows.filter((r) => !inCpu(r)).map(fmt);
    const want = expected.fixed.map(fmt);
    for (const w of want) if (!fixed.includes(w)) return `hart ${hart}: missing ${w}; has\n${fixed.join('\n')}`;
    for (const f of fixed) if (!want.includes(f)) return `hart ${hart}: unexpected ${f}`;
    const pages = rows.filter(inCpu).flatMap((r) => {
      const out: { va: bigint; pa: bigint; attrs: string }[] = [];
      for (let off = 0n; off < r.size; off += PAGE) out.push({ va: r.va + off, pa: r.pa + off, attrs: r.attrs });
      return out;
    });
    const vas = pages.map((p) => p.va - VAS_CPU_STRUCT);
    const wantVas = [1n, 2n, 3n, 4n, 5n, 6n, 7n].map((i) => i * PAGE);
    if (vas.join() !== wantVas.join()) return `hart ${hart}: cpu struct pages at offsets ${vas.map(hex).join(',')}, expected ${wantVas.map(hex).join(',')}`;
    for (const p of pages) {
      if (p.attrs !== 'rw---ad') return `hart ${hart}: cpu struct page ${hex(p.va)} has ${p.attrs}, expected rw---ad (private, not global)`;
      if (p.pa < expected.endPa || p.pa >= RAM_BASE + ramSize) return `hart ${hart}: cpu struct page ${hex(p.va)} -> ${hex(p.pa)} is not a frame of free RAM`;
      const other = frames.get(p.pa);
      if (other) return `hart ${hart}: cpu struct page ${hex(p.va)} shares frame ${hex(p.pa)} with ${other}`;
      frames.set(p.pa, `hart ${hart}'s ${hex(p.va)}`);
    }
  }
  return undefined;
}

let socketCount = 0;
/** Boots `image`, waits for ready, returns each hart's `info mem` rows. */
function readTables(image: string, harts: number, memory: string): Promise<Map<number, MemRow[]>> {
  return limitQemu(() => readTablesNow(image, harts, memory));
}

async function readTablesNow(image: string, harts: number, memory: string): Promise<Map<number, MemRow[]>> {
  const socket = join(tmpdir(), `hvspec-mon-${process.pid}-${socketCount++}.sock`);
  const qemu = new QemuConsole({ image, harts, memory, extraArgs: ['-monitor', `unix:${socket},server=on,wait=off`] });
  let monitor: QemuMonitor | undefined;
  try {
    const ready = await qemu.waitForLine(/^hvspec-hv ready /, READY_TIMEOUT_MS);
    if (!readyVars(ready)) throw new Error(`malformed ready line ${ready}`);
    monitor = await QemuMonitor.connect(socket);
    const tables = new Map<number, MemRow[]>();
    for (let hart = 0; hart < harts; hart++) {
      await monitor.command(`cpu ${hart}`);
      tables.set(hart, mergeRows(parseInfoMem(await monitor.command('info mem'))));
    }
    return tables;
  } catch (e) {
    throw new Error(`${qemu.command}: ${(e as Error).message}`);
  } finally {
    monitor?.close();
    await qemu.kill();
    rmSync(socket, { force: true });
  }
}

describe.skipIf(missing !== undefined)('final page tables on QEMU (info mem)', () => {
  it.concurrent.each([
    [2, '64M', 64n << 20n],
    [4, '129M', 129n << 20n],
    [3, '1G', GIB],
  ] as const)('-smp %i -m %s: every hart maps exactly the contract map', async (harts, memory, bytes) => {
    const tables = await readTables(imagePath, harts, memory);
    expect(tables.size).toBe(harts);
    expect(tableProblem(tables, expectedMap(imagePath, bytes), bytes)).toBeUndefined();
  }, TEST_TIMEOUT_MS);

  /** The seeded bugs a QEMU table dump shows; the rest need the emulator (hypervisor/mutants/README.md). */
  const visibleInTables = new Set([
    'cpu-struct-global', 'device-executable', 'identity-left', 'linear-map-short', 'no-guard-page',
    'text-writable', 'trap-stack-shared-frame', 'writable-without-dirty',
  ]);
  it.concurrent.each(mutantNames())('seeded bug %s', async (name) => {
    const bytes = 64n << 20n;
    const tables = await readTables(mutantImagePath(name), 2, '64M');
    const problem = tableProblem(tables, expectedMap(mutantImagePath(name), bytes), bytes);
    if (visibleInTables.has(name)) expect(problem, `${name} must show in the tables`).toBeDefined();
    else expect(problem, `${name} is not expected to show in a QEMU table dump`).toBeUndefined();
  }, TEST_TIMEOUT_MS);
});
