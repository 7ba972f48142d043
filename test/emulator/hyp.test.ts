/**
 * The hypervisor-extension programs of test/riscv/hyp (built ELFs, HTIF
 * pass/fail) on the emulator: each must pass with H (the default), also
 * with Svade and in strict TLB mode (they fence correctly, so strict mode
 * reports nothing); on a hart built without H (`isa: 'rv64imac'`) each
 * must fail its first test, which checks misa.H. h-stale forgets an
 * HFENCE.GVMA on purpose: strict mode must report exactly that G-stage entry.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachine, runElf } from '../../emulator/run.js';
import type { StaleTranslationEvent } from '../../emulator/hart/hart.js';
import { VirtMachine } from '../../emulator/board/machine.js';

const HYP_DIR = 'test/riscv/build/hyp';
const BUDGET = 5_000_000;
const programs = existsSync(HYP_DIR) ? readdirSync(HYP_DIR).filter((f) => f.endsWith('.elf')).sort().map((f) => join(HYP_DIR, f)) : [];
const STALE = join(HYP_DIR, 'h-stale.elf');

function runStrict(file: string): { exitCode: number | null; console: string; stale: StaleTranslationEvent[] } {
  const m = loadMachine(readFileSync(file), { fileName: file, strictTlb: true });
  const stale: StaleTranslationEvent[] = [];
  m.hart.hooks.onStaleTranslation = (e) => stale.push(e);
  let steps = 0;
  while (m.exitCode === null && steps < BUDGET) {
    const ran = m.run(BUDGET - steps);
    steps += ran;
    if (ran === 0) break;
  }
  return { exitCode: m.exitCode, console: m.console, stale };
}

describe('hypervisor-extension programs (test/riscv/build/hyp)', () => {
  it('finds the built programs', () => {
    expect(programs.length, `no ELF under ${HYP_DIR}: run make -C test/riscv`).toBeGreaterThanOrEqual(2);
  });

  for (const file of programs) {
    it(`${file} passes`, () => {
      const result = runElf(readFileSync(file), { fileName: file, maxInstructions: BUDGET });
      expect(result.reason, `${file} ran out of its budget`).toBe('exit');
      expect(result.exitCode, `${file} failed test ${result.exitCode}; console: ${result.console}`).toBe(0);
    });

    it(`${file} passes with Svade`, () => {
      const result = runElf(readFileSync(file), { fileName: file, maxInstructions: BUDGET, svade: true });
      expect(result.exitCode, `${file} failed test ${result.exitCode}; console: ${result.console}`).toBe(0);
    });

    it(`${file} fails its misa.H test (1) on an rv64imac hart`, () => {
      const result = runElf(readFileSync(file), { fileName: file, maxInstructions: BUDGET, isa: 'rv64imac' });
      expect(result.exitCode, result.console).toBe(1);
    });

    if (file === STALE) {
      it(`${file}: strict TLB mode reports the load after the forgotten HFENCE.GVMA as a stale G-stage translation`, () => {
        const run = runStrict(file);
        expect(run.exitCode, run.console).toBe(0);
        expect(run.stale).toHaveLength(1);
        expect(run.stale[0]).toMatchObject({
          virtual: true, stage: 'G', vmid: 0, va: 0x1_0020_0000n, cachedPagePa: 0x8030_0000, current: 0x8030_4000,
          cachedGpaPage: 0x1_0020_0000, currentGpaPage: 0x1_0020_0000,
        });
      });
    } else {
      it(`${file} passes in strict TLB mode with no stale translation`, () => {
        const run = runStrict(file);
        expect(run.exitCode, run.console).toBe(0);
        expect(run.stale).toEqual([]);
      });
    }
  }
});

const HELLO = 'test/riscv/build/board/hello.elf';
const helloPayload = () => ({ name: HELLO, bytes: readFileSync(HELLO) });

describe('the virt machine\'s ISA option', () => {
  const isaOf = (m: VirtMachine) => {
    const text = Buffer.from(m.dtb!).toString('latin1');
    return /rv64[a-z_]*/.exec(text)?.[0];
  };

  it('has H by default: misa.H and riscv,isa rv64imach_zicsr_zifencei', () => {
    const m = new VirtMachine({ harts: 2, payload: helloPayload() });
    expect(m.harts.every((h) => h.hExtension && (h.readCsr('misa') & (1n << 7n)) !== 0n)).toBe(true);
    expect(isaOf(m)).toBe('rv64imach_zicsr_zifencei');
  });

  it("isa: 'rv64imac' builds harts without H and says so in the device tree", () => {
    const m = new VirtMachine({ harts: 2, payload: helloPayload(), isa: 'rv64imac' });
    expect(m.harts.some((h) => h.hExtension || (h.readCsr('misa') & (1n << 7n)) !== 0n)).toBe(false);
    expect(isaOf(m)).toBe('rv64imac_zicsr_zifencei');
  });
});
