/**
 * Runs every ISA test program of test/riscv (built ELFs, HTIF pass/fail) on
 * the emulator and requires a pass (exit code 0). A failing program's exit
 * code is (test number << 1 | 1) >> 1 = the failing test's number.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachine, runElf } from '../../emulator/run.js';
import type { StaleTranslationEvent } from '../../emulator/hart/hart.js';

const ISA_DIR = 'test/riscv/build/isa';
const SELFTEST = 'test/riscv/build/selftest/fail-test-3.elf';
const BENCH = 'test/riscv/build/bench/sv39-loop.elf';
const BUDGET = 20_000_000;

function elfsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => join(dir, f));
}

const programs = elfsUnder(ISA_DIR);

describe('ISA test programs (test/riscv/build/isa)', () => {
  it('finds the built programs', () => {
    expect(programs.length, `no ELF under ${ISA_DIR}: run make -C test/riscv`).toBeGreaterThan(0);
  });

  // With the block compiler (the default) and with the interpreter alone.
  for (const file of programs) {
    it(`${file} passes`, () => {
      const result = runElf(readFileSync(file), { fileName: file, maxInstructions: BUDGET });
      expect(result.reason, `${file} ran out of its ${BUDGET}-instruction budget`).toBe('exit');
      expect(result.exitCode, `${file} failed test ${result.exitCode}; console: ${result.console}`).toBe(0);
    });
    it(`${file} passes with the interpreter alone (compile: false)`, () => {
      const result = runElf(readFileSync(file), { fileName: file, maxInstructions: BUDGET, compile: false });
      expect(result.reason, `${file} ran out of its ${BUDGET}-instruction budget`).toBe('exit');
      expect(result.exitCode, `${file} failed test ${result.exitCode}; console: ${result.console}`).toBe(0);
    });
  }

  // The programs fence correctly and accept either A/D policy, so they also pass with Svade
  // and in strict TLB mode, which must then report no stale translation.
  for (const file of programs) {
    for (const mode of [{ svade: true }, { strictTlb: true }]) {
      it(`${file} passes with ${JSON.stringify(mode)}`, () => {
        const m = loadMachine(readFileSync(file), { fileName: file, ...mode });
        const stale: StaleTranslationEvent[] = [];
        m.hart.hooks.onStaleTranslation = (e) => stale.push(e);
        let steps = 0;
        while (m.exitCode === null && steps < BUDGET) {
          const ran = m.run(BUDGET - steps);
          steps += ran;
          if (ran === 0) break;
        }
        expect(m.exitCode, `${file} failed; console: ${m.console}`).toBe(0);
        expect(stale).toEqual([]);
      });
    }
  }

  it.skipIf(!existsSync(BENCH))('the benchmark program (S-mode, Sv39, exits through HTIF by a virtual address) runs to its checksum', () => {
    const result = runElf(readFileSync(BENCH), { fileName: BENCH, maxInstructions: 200_000_000 });
    expect(result).toMatchObject({ reason: 'exit', exitCode: 0, console: '7f8eb3012ce64755\n' });
  });

  it.skipIf(!existsSync(SELFTEST))('reports a failing program by its test number (selftest fail-test-3)', () => {
    const result = runElf(readFileSync(SELFTEST), { fileName: SELFTEST, maxInstructions: BUDGET });
    expect(result).toMatchObject({ reason: 'exit', exitCode: 3 });
  });
});
