/**
 * Runs the RISC-V test programs (test/riscv/build) on QEMU's `spike` machine
 * to confirm that their expected values are the real machine's: every isa/
 * program and the sv39-loop benchmark must exit 0 (HTIF tohost = 1), and each
 * self-test program (selftest/<what>-<n>.S: a wrong value, an unexpected
 * trap, a missing trap, a wrong cause) must report exactly its test n, so
 * neither the harness nor the framework can pass vacuously. QEMU's exit
 * status is tohost >> 1 (8 bits).
 *
 * The hypervisor-extension programs (hyp/) run on the same machine with
 * `-cpu rv64,h=true` (QEMU_CPU_H) under the same rule for QEMU's deviations.
 *
 * Skips, with the reason printed, when qemu-system-riscv64 is not on PATH.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const QEMU = 'qemu-system-riscv64';
const riscvDir = fileURLToPath(new URL('./riscv/', import.meta.url));
const buildDir = join(riscvDir, 'build');

/**
 * The hart our programs target is rv64imac + Zicsr/Zifencei with S and U
 * modes: QEMU's default rv64 also has F, D, bit-manipulation and Sstc, which
 * would change misa, FP-opcode and CSR-existence results, so they are off.
 */
const QEMU_CPU =
  'rv64,f=false,d=false,h=false,v=false,zba=false,zbb=false,zbc=false,zbs=false,' +
  'sstc=false,svpbmt=false,svinval=false,svnapot=false';

/** As QEMU_CPU, with the hypervisor extension (the hyp/ programs). */
const QEMU_CPU_H = QEMU_CPU.replace('h=false', 'h=true');

/**
 * Where QEMU 7.2 itself departs from the manuals, the program still expects
 * the manual's answer; QEMU must then fail exactly at the first such case,
 * with the FAIL line (test, cause, tval, epc; see lib/runtime.S) showing the
 * known deviation, and every case before it must pass. Each program places
 * these cases last.
 */
const KNOWN_QEMU_DEVIATIONS: Record<string, { test: number; failLine: RegExp; why: string }> = {
  'rv64ua.elf': {
    test: 41,
    // test 0x29 = 41, mcause 4 (load address misaligned) instead of 6.
    failLine: /^FAIL 0000000000000029 0000000000000004 /m,
    why: 'QEMU 7.2 reports a misaligned AMO as a load address-misaligned (cause 4), not store/AMO (cause 6)',
  },
  'zicsr.elf': {
    test: 43,
    // test 0x2b = 43: no trap at all (the last trap shown is an earlier one).
    failLine: /^FAIL 000000000000002b /m,
    why: 'QEMU 7.2 lets CSRRS/CSRRC with a zero-valued rs1 != x0 read a read-only CSR instead of raising illegal-instruction',
  },
  'interrupts.elf': {
    test: 21,
    // test 0x15 = 21 took SSI (mcause 0x8000000000000001) while SEI was also pending.
    failLine: /^FAIL 0000000000000015 8000000000000001 /m,
    why: 'QEMU 7.2 (without AIA) takes the lowest-numbered pending interrupt, not the priority order SEI > SSI > STI',
  },
  'pmp.elf': {
    test: 23,
    // test 0x17 = 23: mcause 5 (load access fault) for an AMO where R is missing.
    failLine: /^FAIL 0000000000000017 0000000000000005 /m,
    why: 'QEMU 7.2 reports an AMO to a region without R as a load access fault (cause 5), not store/AMO (cause 7)',
  },
  'priv.elf': {
    test: 25,
    // test 0x19 = 25: MPRV still set after an MRET into S.
    failLine: /^FAIL 0000000000000019 /m,
    why: 'QEMU 7.2 keeps mstatus.MPRV on an MRET/SRET to a mode below M (priv 1.12 clears it) and keeps the reserved MPP = 2',
  },
};

/** The same, for the hyp/ programs (QEMU_CPU_H). */
const KNOWN_QEMU_H_DEVIATIONS: Record<string, { test: number; failLine: RegExp; why: string }> = {
  'h-csr.elf': {
    test: 99,
    // test 0x63 = 99: no trap (the last one shown is the earlier ecall from HS).
    failLine: /^FAIL 0000000000000063 0000000000000009 /m,
    why: 'QEMU 7.2 lets VS-mode access satp with hstatus.VTVM = 1 instead of raising a virtual-instruction exception',
  },
  'h-warl.elf': {
    test: 2,
    // test 2: no trap at all, hgatp simply took the value.
    failLine: /^FAIL 0000000000000002 0000000000000000 /m,
    why: 'QEMU 7.2 stores an hgatp write with an unsupported MODE instead of leaving hgatp unchanged',
  },
  'h-vu.elf': {
    test: 2,
    // mcause 2 (illegal instruction) for csrr sstatus from VU-mode, tval = the instruction.
    failLine: /^FAIL 0000000000000002 0000000000000002 0000000010002573 /m,
    why: 'QEMU 7.2 raises illegal instruction, not virtual instruction, for S-level CSRs, SRET, SFENCE.VMA and WFI in VU-mode',
  },
  'h-translate.elf': {
    test: 40,
    // test 0x28 = 40: mcause 5 (load access fault) for an HLV whose VS-stage PTE is invalid.
    failLine: /^FAIL 0000000000000028 0000000000000005 0000000000800000 /m,
    why: 'QEMU 7.2 reports a VS-stage page fault of an HLV from M-mode as a load access fault (cause 5), not a load page fault (13)',
  },
  'h-irq.elf': {
    test: 10,
    // test 0xa = 10 took VSSI (vscause 0x8000000000000001) while VSEI was also pending.
    failLine: /^FAIL 000000000000000a 8000000000000001 /m,
    why: 'QEMU 7.2 (without AIA) takes the lowest-numbered pending interrupt, not the priority order VSEI > VSSI > VSTI',
  },
};

/** Wall-clock limit per program; a program that never writes tohost fails. */
const TIMEOUT_MS = 20_000;

const qemuProbe = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
const qemuMissing = qemuProbe.error !== undefined || qemuProbe.status !== 0;
if (qemuMissing) {
  console.warn(`riscv-qemu: skipping, ${QEMU} is not on PATH (${qemuProbe.error?.message ?? `exit ${qemuProbe.status}`})`);
}

interface QemuRun {
  /** Exit status (tohost >> 1 on HTIF exit), or null when killed. */
  status: number | null;
  timedOut: boolean;
  output: string;
}

function runOnQemu(elf: string, cpu = QEMU_CPU): Promise<QemuRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      QEMU,
      ['-machine', 'spike', '-cpu', cpu, '-bios', 'none', '-kernel', elf, '-nographic', '-monitor', 'none'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut, output });
    });
  });
}

/** Runs every ELF, at most `parallel` QEMU processes at a time. */
async function runAll(elfs: string[], parallel: number, cpu = QEMU_CPU): Promise<Map<string, QemuRun>> {
  const results = new Map<string, QemuRun>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < elfs.length) {
      const elf = elfs[next++]!;
      results.set(elf, await runOnQemu(elf, cpu));
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

function elfsIn(folder: string): string[] {
  return readdirSync(join(buildDir, folder))
    .filter((name) => name.endsWith('.elf'))
    .sort()
    .map((name) => join(buildDir, folder, name));
}

function describeRun(run: QemuRun): string {
  const how = run.timedOut ? `timed out after ${TIMEOUT_MS} ms` : `exit ${run.status}`;
  return `${how}; output:\n${run.output}`;
}

const isaSources = readdirSync(join(riscvDir, 'isa')).filter((name) => name.endsWith('.S')).sort();
const isaElfs = elfsIn('isa');
const benchElf = join(buildDir, 'bench', 'sv39-loop.elf');
const selfTestElfs = elfsIn('selftest');
const hypSources = readdirSync(join(riscvDir, 'hyp')).filter((name) => name.endsWith('.S')).sort();
const hypElfs = elfsIn('hyp');

/** The test a self-test program must fail: the number ending its name. */
function selfTestExpectedFailure(elf: string): number {
  const match = /-(\d+)\.elf$/.exec(basename(elf));
  if (match === null) throw new Error(`${elf}: a self-test's name must end in -<failing test number>.elf`);
  return Number(match[1]);
}

describe('RISC-V test programs are built', () => {
  it('has one committed ELF per isa/ source', () => {
    expect(isaElfs.map((elf) => basename(elf, '.elf'))).toEqual(isaSources.map((src) => basename(src, '.S')));
    expect(isaElfs.length).toBeGreaterThanOrEqual(2);
  });

  it('has self-test programs, each naming the test it fails', () => {
    expect(selfTestElfs.length).toBeGreaterThanOrEqual(1);
    for (const elf of selfTestElfs) expect(selfTestExpectedFailure(elf)).toBeGreaterThan(0);
  });

  it('lists QEMU deviations only for programs that exist', () => {
    const names = new Set(isaElfs.map((elf) => basename(elf)));
    for (const name of Object.keys(KNOWN_QEMU_DEVIATIONS)) expect(names, name).toContain(name);
    const hypNames = new Set(hypElfs.map((elf) => basename(elf)));
    for (const name of Object.keys(KNOWN_QEMU_H_DEVIATIONS)) expect(hypNames, name).toContain(name);
  });

  it('has one committed ELF per hyp/ source', () => {
    expect(hypElfs.map((elf) => basename(elf, '.elf'))).toEqual(hypSources.map((src) => basename(src, '.S')));
    expect(hypElfs.length).toBeGreaterThanOrEqual(2);
  });
});

/** The verdict rule shared by both machines' program lists: exit 0, or exactly the known deviation. */
function expectVerdict(name: string, run: QemuRun, deviation: { test: number; failLine: RegExp; why: string } | undefined): void {
  expect(run.timedOut, describeRun(run)).toBe(false);
  if (deviation === undefined) {
    expect(run.status, `${name} failed test ${run.status}: ${describeRun(run)}`).toBe(0);
    expect(run.output).not.toMatch(/^FAIL/m);
  } else {
    expect(run.status, `${name}: expected QEMU's known deviation at test ${deviation.test} (${deviation.why}); ${describeRun(run)}`).toBe(deviation.test);
    expect(run.output).toMatch(deviation.failLine);
  }
}

describe.skipIf(qemuMissing)('hypervisor-extension programs on QEMU spike with h=true', () => {
  let results = new Map<string, QemuRun>();

  beforeAll(async () => {
    results = await runAll(hypElfs, 4, QEMU_CPU_H);
  }, 120_000);

  it.each(hypElfs.map((elf) => {
    const name = basename(elf);
    const deviation = KNOWN_QEMU_H_DEVIATIONS[name];
    return [`${name} ${deviation === undefined ? 'passes (exit 0)' : `passes up to QEMU's known deviation at test ${deviation.test}`}`, name, elf] as const;
  }))('%s', (_title, name, elf) => {
    expectVerdict(name, results.get(elf)!, KNOWN_QEMU_H_DEVIATIONS[name]);
  });
});

describe.skipIf(qemuMissing)('RISC-V test programs on QEMU spike', () => {
  let results = new Map<string, QemuRun>();

  beforeAll(async () => {
    results = await runAll([...isaElfs, benchElf, ...selfTestElfs], 4);
  }, 120_000);

  const cases = isaElfs.map((elf) => {
    const name = basename(elf);
    const deviation = KNOWN_QEMU_DEVIATIONS[name];
    const verdict = deviation === undefined ? 'passes (exit 0)' : `passes up to QEMU's known deviation at test ${deviation.test}`;
    return [`${name} ${verdict}`, name, elf] as const;
  });

  it.each(cases)('%s', (_title, name, elf) => {
    expectVerdict(name, results.get(elf)!, KNOWN_QEMU_DEVIATIONS[name]);
  });

  it('sv39-loop.elf computes the expected checksum', () => {
    const run = results.get(benchElf)!;
    expect(run.status, describeRun(run)).toBe(0);
    expect(run.output).toMatch(/^[0-9a-f]{16}\n/);
  });

  it.each(selfTestElfs.map((elf) => [basename(elf), elf]))('self-test %s is reported as failing its test', (_name, elf) => {
    const run = results.get(elf)!;
    const test = selfTestExpectedFailure(elf);
    expect(run.timedOut, describeRun(run)).toBe(false);
    expect(run.status, describeRun(run)).toBe(test);
    expect(run.output).toMatch(new RegExp(`^FAIL ${test.toString(16).padStart(16, '0')} `, 'm'));
  });
});
