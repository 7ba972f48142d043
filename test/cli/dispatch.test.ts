/**
 * What the first argument of `hvspec` does (cli/dispatch.ts): the command list, the version, a
 * mistyped global flag, an unknown command; and that `npm start` still names the main job.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES, dispatch } from '../../cli/dispatch.js';
import { UsageError } from '../../cli/usage.js';
import { DEFAULT_RISCV_ISA } from '../../emulator/board/virt-dtb.js';
import { capture } from './support.js';

afterEach(() => vi.restoreAllMocks());

async function output(argv: string[]): Promise<{ code: number; text: string }> {
  const written: string[] = [];
  const code = await dispatch(argv, { write: (s: string) => written.push(s) });
  return { code, text: written.join('') };
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; scripts: Record<string, string> };

describe('hvspec with no command', () => {
  it.each([[[]], [['help']], [['-h']], [['--help']]])('%j prints the command list and exits 0 without running anything', async (argv) => {
    const { code, text } = await output(argv);
    expect(code).toBe(0);
    expect(text).toMatch(/^usage: hvspec <command> \[options\]\n/);
    for (const name of COMMAND_NAMES) expect(text).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(text).not.toContain('checking');
  });

  it.each([[['--version']], [['-V']]])('%j prints the package version and the emulated ISA', async (argv) => {
    const { code, text } = await output(argv);
    expect(code).toBe(0);
    expect(text.split('\n')[0]).toBe(`hvspec ${pkg.version}`);
    expect(text).toContain(`emulator ISA: ${DEFAULT_RISCV_ISA}`);
    expect(DEFAULT_RISCV_ISA).toMatch(/^rv64i/);
  });

  it('refuses a mistyped global flag naming it, instead of passing it to start', async () => {
    await expect(output(['--verbose'])).rejects.toThrow(UsageError);
    await expect(output(['--verbose'])).rejects.toThrow(/^unknown option '--verbose'/);
    await expect(output(['--runs', '1'])).rejects.toThrow(/unknown option '--runs'.*'hvspec start --runs'/);
    await expect(output(['frobnicate'])).rejects.toThrow(/^unknown command 'frobnicate'/);
  });

  it('passes the rest of the arguments to the command', async () => {
    const io = capture();
    const { code } = await output(['spec', '--help']);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^usage: hvspec spec/);
    await expect(output(['spec', '--bogus'])).rejects.toThrow(/^spec: unknown option '--bogus'/);
  });

  it("'help COMMAND' prints that command's help", async () => {
    const io = capture();
    expect((await output(['help', 'mutants'])).code).toBe(0);
    expect(io.out()).toMatch(/^usage: hvspec mutants/);
    await expect(output(['help', 'nope'])).rejects.toThrow(/^help: unknown command 'nope'/);
  });

  it('keeps npm start the main job by naming it', () => {
    expect(pkg.scripts.start).toMatch(/node dist\/cli\/hvspec\.js start$/);
  });
});
