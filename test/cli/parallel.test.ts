/**
 * `--jobs N`: properties on worker threads give the same verdicts, counterexamples, replay tokens,
 * coverage, progress lines and reports as one thread, only other wall times. Workers load the built
 * JavaScript (cli/commands/suite-parallel.ts says why), so these tests build the CLI into a scratch
 * folder and run it as a child process.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../cli/commands/check.js';
import { mutants } from '../../cli/commands/mutants.js';
import { EXIT_INTERRUPTED } from '../../cli/reports/write.js';
import { UsageError } from '../../cli/usage.js';
import { HYPERVISOR, mutant, scratch } from './support.js';

const dir = scratch();
const built = join(dir, 'dist');
const run = promisify(execFile);

/** Runs the built hvspec; returns its exit code, stdout and the --json report. */
async function hvspec(args: string[], json: string): Promise<{ code: number; out: string; report: unknown }> {
  let code = 0;
  let out: string;
  try {
    out = (await run(process.execPath, [join(built, 'cli/hvspec.js'), ...args, '--json', json], { maxBuffer: 1 << 26 })).stdout;
  } catch (e) {
    const failed = e as { code: number; stdout: string };
    code = failed.code;
    out = failed.stdout;
  }
  return { code, out, report: JSON.parse(readFileSync(json, 'utf8')) };
}

/** The report without its wall times (every `ms` field). */
const withoutTimes = (report: unknown): unknown => JSON.parse(JSON.stringify(report, (k, v: unknown) => (k === 'ms' ? undefined : v)));
/** stdout without wall times (and the padding their widths set) and the header's worker count. */
const outputWithoutTimes = (out: string): string => out.replace(/\d+\.\d s\b/g, 'T').replace(/, \d+ worker threads$/m, '').replace(/ +/g, ' ');

describe('hvspec check --jobs', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', built, '--noCheck']);
    writeFileSync(join(built, 'package.json'), '{"type": "module"}');
    symlinkSync(resolve('node_modules'), join(built, 'node_modules'));
    // the mutant catalogues' tables and images, which `hvspec mutants` reads from the package root (dist/'s parent)
    for (const data of ['hypervisor', 'test']) symlinkSync(resolve(data), join(built, '..', data));
  });

  it('--jobs 1 and --jobs 2 give the same verdicts, coverage, progress lines and JSON report on the bundled image', async () => {
    const args = ['check', '--image', HYPERVISOR, '--runs', '1', '--mem', '16M-64M'];
    const one = await hvspec([...args, '--jobs', '1'], join(dir, 'one.json'));
    const two = await hvspec([...args, '--jobs', '2'], join(dir, 'two.json'));
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.out).not.toMatch(/worker threads/);
    expect(two.out).toMatch(/^hvspec: checking .*, 2 worker threads$/m);
    // one progress line per property, in the suite's order
    const progressNames = (out: string) => [...out.matchAll(/^ {2}(\S+) +\d+\/\d+ runs/gm)].map((m) => m[1]);
    expect(progressNames(two.out)).toEqual(progressNames(one.out));
    expect(progressNames(two.out).length).toBe((one.report as { properties: unknown[] }).properties.length);
    expect(outputWithoutTimes(two.out).replace('two.json', 'one.json')).toBe(outputWithoutTimes(one.out));
    expect(withoutTimes(two.report)).toEqual(withoutTimes(one.report));
  }, 600_000);

  it('a failing image gives the same counterexamples and replay tokens on two workers as on one', async () => {
    const args = ['check', '--image', mutant('no-guard-page'), '--only', 'STACK-GUARD', '--runs', '2'];
    const one = await hvspec([...args, '--jobs', '1'], join(dir, 'fail-one.json'));
    const two = await hvspec([...args, '--jobs', '2'], join(dir, 'fail-two.json'));
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    const tokens = (out: string) => [...out.matchAll(/hvspec replay (hv1\.\S+)/g)].map((m) => m[1]);
    expect(tokens(one.out).length).toBeGreaterThanOrEqual(2);
    expect(tokens(two.out)).toEqual(tokens(one.out));
    expect(outputWithoutTimes(two.out).replace('fail-two.json', 'fail-one.json')).toBe(outputWithoutTimes(one.out));
    expect(withoutTimes(two.report)).toEqual(withoutTimes(one.report));
  }, 600_000);

  it('hvspec mutants --jobs 2 prints the same kill matrix as --jobs 1, in the same order', async () => {
    const mutants = async (jobs: string) => (await run(process.execPath, [join(built, 'cli/hvspec.js'), 'mutants', '--only', 'text-writable,identity-left,no-guard-page', '--jobs', jobs])).stdout;
    const one = await mutants('1');
    const two = await mutants('2');
    expect(one).toMatch(/^3 of 3 mutants killed$/m);
    expect([...two.matchAll(/^ {2}([a-z-]+): killed/gm)].map((m) => m[1])).toEqual(['text-writable', 'identity-left', 'no-guard-page']);
    expect(outputWithoutTimes(two)).toBe(outputWithoutTimes(one));
  }, 600_000);

  it('SIGINT during a run on worker threads ends it at once, leaving the previous report intact', async () => {
    const report = join(dir, 'interrupted.json');
    writeFileSync(report, 'the previous report');
    const child = spawn(process.execPath, [join(built, 'cli/hvspec.js'), 'check', '--image', HYPERVISOR, '--only', 'boot,kmem-commands', '--runs', '1000', '--jobs', '2', '--json', report], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((started) => child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('2 worker threads')) started();
    }));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    const sent = performance.now();
    child.kill('SIGINT');
    const end = await ended;
    expect(performance.now() - sent).toBeLessThan(5_000);
    expect(end.code === EXIT_INTERRUPTED || end.signal === 'SIGINT', JSON.stringify(end)).toBe(true);
    expect(readFileSync(report, 'utf8')).toBe('the previous report');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('--jobs takes a whole number from 1 to 256', async () => {
    for (const bad of ['0', '-1', 'two', '1.5', '257']) {
      await expect(check(['--image', HYPERVISOR, '--jobs', bad])).rejects.toThrow(new UsageError(`check: --jobs must be an integer from 1 to 256, got '${bad}'`));
      await expect(mutants(['--only', 'text-writable', '--jobs', bad])).rejects.toThrow(new UsageError(`mutants: --jobs must be an integer from 1 to 256, got '${bad}'`));
    }
  });
});
