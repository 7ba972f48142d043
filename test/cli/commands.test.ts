/**
 * The hvspec commands end to end, through their command functions (exit codes as return values,
 * usage mistakes as UsageError, which the dispatcher turns into exit 2): check on the bundled image
 * and on a seeded bug, replay of the counterexample it finds, ptdump, spec, mutants, start, and
 * the reports they write. Small --runs and --only keep this quick.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { check, runAndReport, suiteRequest } from '../../cli/commands/check.js';
import { loadUserImage } from '../../cli/commands/image.js';
import { formatKillMatrix, mutants } from '../../cli/commands/mutants.js';
import { ptdump } from '../../cli/commands/ptdump.js';
import { replay } from '../../cli/commands/replay.js';
import { spec } from '../../cli/commands/spec.js';
import { start } from '../../cli/commands/start.js';
import { parseOptions } from '../../cli/options.js';
import { validateJsonReport, type JsonReport } from '../../cli/reports/json.js';
import { UsageError } from '../../cli/usage.js';
import { RULES } from '../../model/index.js';
import { DEFAULT_PLATFORM_SPEC, encodeToken } from '../../properties/index.js';
import { capture, HYPERVISOR, junitProblems, mutant, scratch } from './support.js';

const dir = scratch();
afterEach(() => vi.restoreAllMocks());

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as JsonReport;

describe('hvspec check', () => {
  it('passes the bundled image and writes a JSON and a JUnit report that validate', async () => {
    const io = capture();
    const json = join(dir, 'ok.json');
    const junit = join(dir, 'ok.xml');
    expect(await check(['--image', HYPERVISOR, '--only', 'stack-overflow-sp,TLB-DISCIPLINE', '--runs', '2', '--json', json, '--junit', junit])).toBe(0);
    expect(io.out()).toMatch(/^stack-overflow-sp\s+2\s+passed\s+[\d.]+ s\s+STACK-GUARD$/m);
    expect(io.out()).toMatch(/^tlb-discipline\s+2\s+passed/m);
    expect(io.out()).toContain('OK: 2 held, 0 failed, 0 skipped');
    const report = readJson(json);
    expect(validateJsonReport(report)).toEqual([]);
    expect(report.properties.map((p) => [p.name, p.verdict, p.runs])).toEqual([['stack-overflow-sp', 'passed', 2], ['tlb-discipline', 'passed', 2]]);
    expect(report.summary).toMatchObject({ verdict: 'passed', properties: 2, passed: 2, failed: 0 });
    expect(report.settings).toMatchObject({ runs: 2, only: ['stack-overflow-sp', 'tlb-discipline'], harts: null });
    expect(junitProblems(readFileSync(junit, 'utf8'))).toEqual([]);
    // atomic writes leave no temporary files behind
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fails a seeded bug citing its rule, with a replay token that replay reproduces', async () => {
    let io = capture();
    const json = join(dir, 'bug.json');
    const junit = join(dir, 'bug.xml');
    const html = join(dir, 'bug.html');
    expect(await check(['--image', mutant('text-writable'), '--only', 'MAP-WX', '--runs', '2', '--json', json, '--junit', junit, '--html', html])).toBe(1);
    // the HTML page (cli/reports/html.ts, tested in html-report.test.ts) is written, with a map per hart of the default platform
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/i);
    expect(page.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
    expect(page).toContain('MAP-WX');
    expect(io.out()).toContain('MAP-WX violated');
    expect(io.out()).toMatch(/^replay: hvspec replay hv1\./m);
    const report = readJson(json);
    expect(validateJsonReport(report)).toEqual([]);
    const failed = report.properties[0]!;
    expect(failed).toMatchObject({ name: 'boot', verdict: 'failed' });
    expect(failed.counterexample!.rule).toBe('MAP-WX');
    expect(report.summary.verdict).toBe('failed');
    const xml = readFileSync(junit, 'utf8');
    expect(junitProblems(xml)).toEqual([]);
    expect(xml).toContain('type="MAP-WX"');
    expect(xml).toContain(failed.counterexample!.replayCommand);

    vi.restoreAllMocks();
    io = capture();
    expect(await replay([failed.counterexample!.replayToken])).toBe(1);
    expect(io.out()).toContain('--- console (boot and case) ---');
    expect(io.out()).toMatch(/hvspec-hv ready harts=/);
    expect(io.out()).toMatch(/^--- traps: .*; \(S -> M\) is the privilege mode before -> after the trap \(U, S, M\) ---$/m);
    for (const line of io.out().split('\n').filter((l) => l.startsWith('step '))) expect(line).toMatch(/ \([USM] -> [USM]\)$/);
    expect(io.out()).toContain(`MAP-WX violated: ${failed.counterexample!.message}`);
    // on another image the token is refused, naming both digests
    await expect(replay([failed.counterexample!.replayToken, '--image', HYPERVISOR])).rejects.toThrow(/the token is for .*text-writable.*but .*hypervisor\.elf has sha256/);
  });

  it('checks an image without the console: what needs none runs, the rest is skipped saying why', async () => {
    const io = capture();
    expect(await check(['--image', 'hypervisor/build/hypervisor-noconsole.elf', '--only', 'stack-overflow-sp,kmem-commands', '--runs', '2'])).toBe(0);
    expect(io.out()).toMatch(/^stack-overflow-sp\s+2\s+passed/m);
    expect(io.out()).toMatch(/kmem-commands skipped: hypervisor\/build\/hypervisor-noconsole\.elf has no hvspec console/);
    expect(io.out()).toMatch(/^coverage \(generated cases that reached each state\): allocator empty 0, .*stack within one frame of the guard [1-9]/m);
    expect(io.out()).toContain('OK: 1 held, 0 failed, 1 skipped');
  });

  it('--require exits 1 naming each required rule no property checked, and why; --fail-on-skip fails a skip', async () => {
    const io = capture();
    const json = join(dir, 'require.json');
    const junit = join(dir, 'require.xml');
    expect(await check(['--image', 'hypervisor/build/hypervisor-noconsole.elf', '--only', 'stack-overflow-sp,kmem-commands', '--runs', '2', '--require', 'stack-guard,KMEM-FREE-VERDICT,MAP-GLOBAL', '--json', json, '--junit', junit])).toBe(1);
    const out = io.out();
    expect(out).toMatch(/^required STACK-GUARD: checked by stack-overflow-sp$/m);
    expect(out).toMatch(/^required KMEM-FREE-VERDICT FAILED: not checked: kmem-commands was skipped: hypervisor\/build\/hypervisor-noconsole\.elf has no hvspec console/m);
    expect(out).toMatch(/^required MAP-GLOBAL FAILED: not checked: the property checking it \(boot\) did not run: --only left it out$/m);
    expect(out).toContain('FAILED: 1 held, 0 failed, 1 skipped, 2 required rules not checked');
    // the skipped property shows no run count in the table or the progress line, and says why in the progress line
    expect(out).toMatch(/^kmem-commands\s+-\s+skipped\s+[\d.]+ s\s+/m);
    expect(out).toMatch(/^ {2}kmem-commands\s+skipped\s+[\d.]+ s {2}why: .*has no hvspec console/m);
    const report = readJson(json);
    expect(validateJsonReport(report)).toEqual([]);
    expect(report.summary.verdict).toBe('failed');
    expect(report.settings).toMatchObject({ require: ['STACK-GUARD', 'KMEM-FREE-VERDICT', 'MAP-GLOBAL'], failOnSkip: false });
    expect(report.requirements.map((q) => [q.rule, q.checked, q.checkedBy])).toEqual([['STACK-GUARD', true, ['stack-overflow-sp']], ['KMEM-FREE-VERDICT', false, []], ['MAP-GLOBAL', false, []]]);
    // the skipped property ran no case to a verdict: 0 runs in the JSON and JUnit reports, as the table's "-"
    expect(report.properties.map((p) => [p.name, p.verdict, p.runs])).toEqual([['stack-overflow-sp', 'passed', 2], ['kmem-commands', 'skipped', 0]]);
    const xml = readFileSync(junit, 'utf8');
    expect(junitProblems(xml)).toEqual([]);
    expect(xml).toMatch(/name="kmem-commands [^"]*"[^>]*>\s*<skipped [^>]*\/>\s*<system-out>runs 0, /);
    expect(xml).toMatch(/<testcase classname="hvspec.require" name="require MAP-GLOBAL"[^>]*>\s*<failure message="MAP-GLOBAL: required, and not checked: /);

    vi.restoreAllMocks();
    const io2 = capture();
    expect(await check(['--image', 'hypervisor/build/hypervisor-noconsole.elf', '--only', 'stack-overflow-sp,kmem-commands', '--runs', '1', '--require', 'STACK-GUARD'])).toBe(0);
    expect(await check(['--image', 'hypervisor/build/hypervisor-noconsole.elf', '--only', 'stack-overflow-sp,kmem-commands', '--runs', '1', '--fail-on-skip'])).toBe(1);
    expect(io2.out()).toContain('--fail-on-skip: kmem-commands skipped');
  });

  it('--only RULE names that rule in the verdict column when a failure cites it after another', async () => {
    const io = capture();
    const json = join(dir, 'only-rule.json');
    expect(await check(['--image', mutant('no-guard-page'), '--only', 'STACK-GUARD', '--runs', '2', '--json', json])).toBe(1);
    const boot = readJson(json).properties.find((p) => p.name === 'boot')!;
    expect(boot.verdict).toBe('failed');
    const cited = [boot.counterexample!.rule, ...boot.counterexample!.also.map((a) => a.rule)];
    expect(cited).toContain('STACK-GUARD');
    expect(boot.violated![0]).toBe('STACK-GUARD');
    const main = boot.counterexample!.rule;
    const column = main === 'STACK-GUARD' ? 'FAILED STACK-GUARD' : `FAILED STACK-GUARD,${main}`;
    expect(io.out()).toMatch(new RegExp(`^boot\\s+\\d+\\s+${column}(?: \\+\\d+)?\\s+[\\d.]+ s`, 'm'));
  });

  it('reports a property as skipped, never passed, when no platform it generates fits --harts', async () => {
    const io = capture();
    const json = join(dir, 'skip.json');
    expect(await check(['--image', HYPERVISOR, '--only', 'kmem-concurrent', '--harts', '1', '--json', json])).toBe(0);
    const [p] = readJson(json).properties;
    expect(p).toMatchObject({ name: 'kmem-concurrent', verdict: 'skipped', runs: 0 });
    expect(p!.reason).toMatch(/never fit --harts 1/);
    expect(io.out()).toMatch(/kmem-concurrent skipped: its platforms \(2-\d harts/);
  });

  it('names a report path it cannot write, and leaves no temporary file', async () => {
    capture();
    await expect(check(['--image', HYPERVISOR, '--only', 'stack-overflow-sp', '--runs', '1', '--json', dir])).rejects.toThrow(new UsageError(`cannot write --json '${dir}': EISDIR`));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  const openSbi = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf';
  it.runIf(existsSync(openSbi))('boots OpenSBI from the --firmware path given (skipped when opensbi is not installed)', async () => {
    const firmware = join(dir, 'my-fw_dynamic.elf');
    copyFileSync(openSbi, firmware);
    capture();
    const json = join(dir, 'fw.json');
    expect(await check(['--image', HYPERVISOR, '--firmware', firmware, '--only', 'boot', '--runs', '2', '--mem', '16M-32M', '--json', json])).toBe(0);
    const report = readJson(json);
    expect(report.settings.firmware).toBe(firmware);
    expect(report.properties[0]).toMatchObject({ verdict: 'passed', runs: 2 });
  });

  it('stops a property when --time-budget is up, saying how many runs it did', async () => {
    const io = capture();
    const json = join(dir, 'stopped.json');
    expect(await check(['--image', HYPERVISOR, '--only', 'kmem-concurrent', '--time-budget', '1s', '--json', json])).toBe(0);
    const [p] = readJson(json).properties;
    expect(p!.runs).toBeLessThan(12);
    // on a heavily loaded machine the first boot alone may take the whole second: skipped, never passed
    if (p!.runs === 0) expect(p).toMatchObject({ verdict: 'skipped', reason: 'the time budget ran out before its first run' });
    else {
      expect(p).toMatchObject({ verdict: 'passed', reason: `the time budget stopped it after ${p!.runs} of 12 runs` });
      expect(io.out()).toContain(`kmem-concurrent: the time budget stopped it after ${p!.runs} of 12 runs`);
    }
  });

  it('skips, saying so, the properties not started within --time-budget', async () => {
    const io = capture();
    const json = join(dir, 'budget.json');
    expect(await check(['--image', HYPERVISOR, '--only', 'stack-overflow-sp,tlb-discipline', '--runs', '1', '--time-budget', '1ms', '--json', json])).toBe(0);
    const last = readJson(json).properties.at(-1)!;
    expect(last).toMatchObject({ name: 'tlb-discipline', verdict: 'skipped', runs: 0, reason: 'time budget of 1 ms used up before it started' });
    expect(io.out()).toContain('tlb-discipline skipped: time budget');
  });

  it('keeps generated platforms within --harts and --mem', async () => {
    capture();
    const json = join(dir, 'limits.json');
    expect(await check(['--image', mutant('linear-map-short'), '--only', 'boot', '--harts', '2-3', '--mem', '32M-64M', '--runs', '3', '--json', json])).toBe(1);
    const c = readJson(json).properties[0]!.counterexample!;
    expect(c.rule).toBe('MAP-EXACT');
    expect(c.platform).toMatch(/^[23] harts, boot hart \d, RAM (3\d|4\d|5\d|6[0-4]) MiB/);
  });

  it('reads images whose symbols have other names through --symbols', async () => {
    // the same hypervisor with kmem_nfree called kmem_NFREE (same length, so nothing else moves)
    const bytes = readFileSync(HYPERVISOR);
    const at = bytes.indexOf(Buffer.from('\0kmem_nfree\0'));
    expect(at).toBeGreaterThan(0);
    bytes.write('kmem_NFREE', at + 1, 'latin1');
    const renamed = join(dir, 'renamed.elf');
    writeFileSync(renamed, bytes);
    const symbols = join(dir, 'symbols.json');
    writeFileSync(symbols, JSON.stringify({ kmem_nfree: 'kmem_NFREE' }));
    const image = loadUserImage('check', '--image', renamed, symbols);
    expect(image.elf.symbol('kmem_nfree')?.value).toBe(loadUserImage('check', '--image', HYPERVISOR).elf.symbol('kmem_nfree')?.value);
    expect(image.elf.symbol('kmem_NFREE')).toBeUndefined();

    const io = capture();
    const without = join(dir, 'without.json');
    const withSymbols = join(dir, 'with.json');
    // boot reads kmem_nfree (KMEM-INTEGRITY)
    expect(await check(['--image', renamed, '--only', 'boot', '--runs', '1', '--mem', '16M-32M', '--json', without])).toBe(0);
    expect(readJson(without).properties[0]).toMatchObject({ verdict: 'skipped', reason: expect.stringContaining('no symbol kmem_nfree') });
    expect(await check(['--image', renamed, '--symbols', symbols, '--only', 'boot', '--runs', '1', '--mem', '16M-32M', '--json', withSymbols])).toBe(0);
    expect(readJson(withSymbols).properties[0]).toMatchObject({ verdict: 'passed', runs: 1 });
    expect(io.out()).toContain('OK: 1 held, 0 failed, 0 skipped');

    writeFileSync(symbols, JSON.stringify({ kmem_nfree: 'nothing_like_it' }));
    expect(() => loadUserImage('check', '--image', renamed, symbols)).toThrow(/kmem_nfree -> 'nothing_like_it': the image has no symbol 'nothing_like_it'/);
    writeFileSync(symbols, JSON.stringify({ not_read: 'kalloc' }));
    expect(() => loadUserImage('check', '--image', renamed, symbols)).toThrow(/'not_read' is not a symbol the suite reads/);
    writeFileSync(symbols, '{ nope');
    expect(() => loadUserImage('check', '--image', renamed, symbols)).toThrow(/--symbols .*not valid JSON/);
  });

  it('prints replay commands that carry --symbols, and that replay reproduces the failure with it', async () => {
    // a seeded bug whose kmem_nfree is called kmem_NFREE: found only through --symbols
    const bytes = readFileSync(mutant('text-writable'));
    bytes.write('kmem_NFREE', bytes.indexOf(Buffer.from('\0kmem_nfree\0')) + 1, 'latin1');
    const renamed = join(dir, 'renamed bug.elf');
    writeFileSync(renamed, bytes);
    const symbols = join(dir, 'bug symbols.json');
    writeFileSync(symbols, JSON.stringify({ kmem_nfree: 'kmem_NFREE' }));
    let io = capture();
    const json = join(dir, 'renamed.json');
    expect(await check(['--image', renamed, '--symbols', symbols, '--only', 'MAP-WX', '--runs', '2', '--json', json])).toBe(1);
    const command = readJson(json).properties[0]!.counterexample!.replayCommand;
    // the path has a space, so it is quoted as a shell would need it
    expect(command).toMatch(new RegExp(`^hvspec replay hv1\\.\\S+ --symbols '${symbols.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'$`));
    expect(io.out()).toContain(`replay: ${command} (fast-check seed`);
    expect(validateJsonReport(readJson(json))).toEqual([]);
    vi.restoreAllMocks();
    io = capture();
    const token = command.split(' ')[2]!;
    expect(await replay([token, '--symbols', symbols])).toBe(1);
    expect(io.out()).toContain('MAP-WX violated');
  });

  it('shows one progress line rewritten in place on a terminal, one line per property otherwise', () => {
    const image = loadUserImage('check', '--image', HYPERVISOR);
    const request = suiteRequest('check', parseOptions('check', ['--only', 'stack-overflow-sp', '--runs', '2'], [{ name: '--only', value: 'X', help: '' }, { name: '--runs', value: 'N', help: '' }], ''), image);
    for (const isTTY of [true, false]) {
      const written: string[] = [];
      const out = { isTTY, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
      expect(runAndReport(request, out)).toBe(0);
      const text = written.join('');
      expect(text).toMatch(/stack-overflow-sp\s+2\/2 runs\s+[\d.]+ s {2}passed\n/);
      if (isTTY) expect(written.filter((w) => w.startsWith('\r\x1b[K')).length).toBeGreaterThanOrEqual(3);
      else expect(text).not.toContain('\r');
      // the progress line's time and the table's are one measurement (wall time)
      const progressTime = /stack-overflow-sp\s+2\/2 runs\s+([\d.]+ s)/.exec(text)![1];
      const tableTime = /^stack-overflow-sp\s+2\s+passed\s+([\d.]+ s)/m.exec(text)![1];
      expect(tableTime).toBe(progressTime);
      expect(text).toMatch(/^property\s+runs\s+verdict\s+wall time\s+rules$/m);
    }
    // a terminal that cannot move the cursor gets the piped form
    const written: string[] = [];
    const dumb = { isTTY: true, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
    expect(runAndReport(request, dumb, { TERM: 'dumb' })).toBe(0);
    expect(written.join('')).not.toContain('\r');
  });

  it.each([
    [[], /--image FILE is required/],
    [['--image', 'no/such.elf'], /--image 'no\/such.elf': no such file/],
    [['--image', 'package.json'], /--image package.json: not an ELF file/],
    [['--image', '/bin/sh'], /not a RISC-V ELF file/],
    [['--image', 'test/riscv/build/selftest/wrong-cause-9.elf'], /--image test\/riscv\/build\/selftest\/wrong-cause-9.elf does not follow the hypervisor's boot contract .*loads at 0x80000000, not RAM base \+ 2 MiB \(0x80200000; a --profile FILE gives another layout\.loadOffset\); it has no layout symbols _text_start, /],
    [['--image', HYPERVISOR, '--bogus'], /unknown option '--bogus'/],
    [['--image', HYPERVISOR, '--harts', '5-2'], /--harts range '5-2' is empty/],
    [['--image', HYPERVISOR, '--harts', '9'], /--harts must be an integer from 1 to 8, got '9'/],
    [['--image', HYPERVISOR, '--harts', '1-2-3'], /--harts must be N or A-B, got '1-2-3'/],
    [['--image', HYPERVISOR, '--mem', '12Q'], /--mem: unparsable memory size "12Q"/],
    [['--image', HYPERVISOR, '--mem', '8M'], /--mem must be a whole number of pages from 16M to 16G, got '8M'/],
    [['--image', HYPERVISOR, '--mem', '17G'], /--mem must be a whole number of pages from 16M to 16G, got '17G'/],
    [['--image', HYPERVISOR, '--mem', '1G-64M'], /--mem range '1G-64M' is empty/],
    [['--image', HYPERVISOR, '--seed', '0xZZ'], /--seed must be an integer from 0 to 2147483647 \(decimal or 0x hex\), got '0xZZ'/],
    [['--image', HYPERVISOR, '--runs', '0'], /--runs must be an integer from 1/],
    [['--image', HYPERVISOR, '--time-budget', 'soon'], /--time-budget must be a positive duration/],
    [['--image', HYPERVISOR, '--only', 'MAP-NOPE'], /--only: 'MAP-NOPE' is neither a rule ID/],
    [['--image', HYPERVISOR, '--require', 'MAP-NOPE'], /--require: 'MAP-NOPE' is not a rule ID \(MAP-DISJOINT, /],
    [['--image', HYPERVISOR, '--require', 'boot'], /--require: 'boot' is not a rule ID/],
    [['--image', HYPERVISOR, '--require', ','], /--require needs at least one rule ID/],
    [['--image', HYPERVISOR, '--firmware', 'package.json'], /--firmware package.json: not an ELF file .*expected an OpenSBI fw_dynamic.elf/],
    [['--image', HYPERVISOR, '--firmware', 'nowhere.elf'], /--firmware 'nowhere.elf': no such file/],
    [['--image', HYPERVISOR, '--json', 'no/such/dir/r.json'], /--json 'no\/such\/dir\/r.json': folder 'no\/such\/dir' does not exist/],
    [['--image', HYPERVISOR, 'extra'], /unexpected argument 'extra'/],
  ])('refuses %j with a usage error naming the problem', async (args, message) => {
    await expect(check(args as string[])).rejects.toThrow(UsageError);
    await expect(check(args as string[])).rejects.toThrow(message);
  });
});

describe('hvspec replay', () => {
  it('refuses tokens that are not tokens', async () => {
    await expect(replay([])).rejects.toThrow(/expected one replay token, got 0/);
    await expect(replay(['abc'])).rejects.toThrow(/replay token must start with hv1\./);
    await expect(replay(['hv1.AAAA'])).rejects.toThrow(UsageError);
    const elsewhere = encodeToken({ v: 1, property: 'boot', image: { name: 'gone/hv.elf', digest: '0123456789abcdef' }, platform: DEFAULT_PLATFORM_SPEC });
    await expect(replay([elsewhere])).rejects.toThrow("replay: the token's image 'gone/hv.elf' (sha256 0123456789abcdef) is not here; give its path with --image FILE");
  });

  it('refuses a --firmware that is missing or not an ELF, naming the option', async () => {
    const digest = loadUserImage('replay', '--image', HYPERVISOR).digest;
    const here = encodeToken({ v: 1, property: 'boot', image: { name: HYPERVISOR, digest }, platform: { ...DEFAULT_PLATFORM_SPEC, firmware: 'opensbi' } });
    await expect(replay([here, '--firmware', 'nowhere.elf'])).rejects.toThrow("replay: --firmware 'nowhere.elf': no such file");
    await expect(replay([here, '--firmware', 'package.json'])).rejects.toThrow(/replay: --firmware package.json: not an ELF file .*expected an OpenSBI fw_dynamic\.elf/);
  });
});

describe('hvspec ptdump', () => {
  it("prints every hart's table, unmarked when it is the model's, and exits 0", async () => {
    const io = capture();
    expect(await ptdump(['--image', HYPERVISOR, '--harts', '2', '--mem', '32M'])).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^hart 0: \d+ runs, as the model expects$/m);
    expect(out).toMatch(/^hart 1: \d+ runs, as the model expects$/m);
    expect(out).toMatch(/^region\s+VA range\s+PA range\s+size\s+pages\s+RWXUGAD$/m);
    expect(out).toMatch(/^linear map\s+0xffffffe0_00000000-0xffffffe0_02000000\s+0x00000000_80000000-0x00000000_82000000\s+32 MiB\s+2 MiB\s+RW--GAD$/m);
    expect(out).not.toMatch(/^[-+] /m);
  });

  it('marks what differs from the model and exits 1; --hart picks one hart', async () => {
    const io = capture();
    expect(await ptdump(['--image', mutant('linear-map-short'), '--harts', '2', '--mem', '64M', '--hart', '1'])).toBe(1);
    const out = io.out();
    expect(out).not.toMatch(/^hart 0:/m);
    expect(out).toMatch(/^hart 1: \d+ runs, 3 rows differ from the model/m);
    expect(out).toMatch(/^- linear map\s+0xffffffe0_00000000-0xffffffe0_04000000 .*64 MiB\s+2 MiB\s+RW--GAD$/m);
    expect(out).toMatch(/^\+ linear map\s+0xffffffe0_03e00000-0xffffffe0_03fff000 .*4 KiB\s+RW--GAD$/m);
  });

  it('refuses bad input', async () => {
    await expect(ptdump([])).rejects.toThrow(/--image FILE is required/);
    await expect(ptdump(['--image', HYPERVISOR, '--hart', '4'])).rejects.toThrow(/--hart must be an integer from 0 to 3, got '4'/);
    await expect(ptdump(['--image', HYPERVISOR, '--harts', '0'])).rejects.toThrow(/--harts must be an integer from 1 to 8/);
    await expect(ptdump(['--image', 'README.md'])).rejects.toThrow(/not an ELF file/);
  });
});

describe('hvspec spec', () => {
  it('lists every rule with its statement, the model function and the properties that check it', async () => {
    const io = capture();
    expect(await spec([])).toBe(0);
    const out = io.out();
    for (const rule of RULES) expect(out).toContain(`${rule.id}\n  ${rule.statement}\n  model:      `);
    expect(out).toMatch(/^MAP-WX\n.*\n {2}model: {6}noWritableExecutable \(model\/rules\/map\.ts\)\n {2}properties: boot$/m);
    expect(out).toMatch(/^KMEM-CONCURRENT\n.*\n.*\n {2}properties: boot, kmem-concurrent, kmem-commands$/m);
    expect(out).not.toContain('see SPEC.md');
  });

  it('prints the expected memory map with --map, help, and refuses unknown options', async () => {
    const io = capture();
    expect(await spec(['--map'])).toBe(0);
    expect(io.out()).toMatch(/^Expected memory map \(SPEC.md\): 4 harts/);
    expect(await spec(['--help'])).toBe(0);
    expect(io.out()).toContain('usage: hvspec spec');
    await expect(spec(['--bogus'])).rejects.toThrow(/spec: unknown option '--bogus'/);
  });
});

describe('hvspec mutants', () => {
  it('prints the kill matrix for the chosen mutants', async () => {
    const io = capture();
    expect(await mutants(['--only', 'device-executable'])).toBe(0);
    expect(io.out()).toMatch(/^device-executable\s+MAP-WX\s+boot\s+\S*MAP-WX\S*\s+\d+\s+[\d.]+ s\s+killed$/m);
    expect(io.out()).toContain('1 of 1 mutants killed');
  });

  it('marks a mutant that survives or is caught by another rule', () => {
    const table = formatKillMatrix([
      { mutant: 'a', breaks: 'MAP-WX', cites: [], ms: 10, killed: false },
      { mutant: 'b', breaks: 'MAP-WX', caughtBy: 'boot', cites: ['MAP-AD'], size: 3, ms: 10, killed: false },
    ]);
    expect(table).toMatch(/^a\s+MAP-WX\s+-\s+-\s+-\s+0\.0 s\s+SURVIVED$/m);
    expect(table).toMatch(/^b\s+MAP-WX\s+boot\s+MAP-AD\s+3\s+0\.0 s\s+WRONG RULE$/m);
  });

  it('states its expected time and memory in --help', async () => {
    const io = capture();
    expect(await mutants(['--help'])).toBe(0);
    expect(io.out()).toMatch(/Expect about\s+a minute and [\d.]+ GB of memory/);
    expect(io.out()).toMatch(/took \d+ s wall time with \d+ MB maximum resident set size/);
  });

  it("runs the foreign-hv catalogue through that fixture's profile, its mutants named foreign-hv/NAME", async () => {
    const io = capture();
    expect(await mutants(['--catalogue', 'foreign-hv', '--only', 'foreign-hv/identity-left', '--jobs', '1'])).toBe(0);
    expect(io.out()).toMatch(/^foreign-hv\/identity-left\s+MAP-EXACT\s+boot\s+\S*MAP-EXACT\S*\s+\d+\s+[\d.]+ s\s+killed$/m);
    expect(io.out()).toContain('1 of 1 mutants killed');
  }, 120_000);

  it('names both catalogues in --help', async () => {
    const io = capture();
    expect(await mutants(['--help'])).toBe(0);
    expect(io.out()).toMatch(/--catalogue NAME +hvspec-hv, foreign-hv or all \(default all\)/);
  });

  it('refuses unknown mutants and catalogues', async () => {
    await expect(mutants(['--only', 'no-such-bug'])).rejects.toThrow(/--only: no mutant 'no-such-bug' in the catalogues/);
    // a foreign-hv mutant needs its catalogue's prefix, and only exists in that catalogue
    await expect(mutants(['--catalogue', 'foreign-hv', '--only', 'identity-left'])).rejects.toThrow(/--only: no mutant 'identity-left' in the foreign-hv catalogue \(built: foreign-hv\/cpu-struct-global, /);
    await expect(mutants(['--catalogue', 'hvspec-hv', '--only', 'foreign-hv/identity-left'])).rejects.toThrow(/--only: no mutant 'foreign-hv\/identity-left' in the hvspec-hv catalogue/);
    await expect(mutants(['--catalogue', 'mine'])).rejects.toThrow(new UsageError("mutants: --catalogue must be hvspec-hv, foreign-hv or all, got 'mine'"));
    await expect(mutants(['--seed', 'x'])).rejects.toThrow(/--seed must be/);
  });
});

describe('hvspec start', () => {
  beforeAll(() => expect(existsSync(HYPERVISOR)).toBe(true));
  it('runs the suite on the bundled hypervisor', async () => {
    const io = capture();
    expect(await start(['--only', 'stack-overflow-sp', '--runs', '1'])).toBe(0);
    expect(io.out()).toMatch(/^hvspec: checking hypervisor\/build\/hypervisor\.elf \(sha256 [0-9a-f]{16}\): 1 property/);
    expect(io.out()).toContain('OK: 1 held, 0 failed, 0 skipped');
  });

  it('prints help and refuses --image and stray arguments', async () => {
    const io = capture();
    expect(await start(['--help'])).toBe(0);
    expect(io.out()).toMatch(/^usage: hvspec start/);
    await expect(start(['--image', HYPERVISOR])).rejects.toThrow(/start: unknown option '--image'/);
    await expect(start(['stray'])).rejects.toThrow(/start: unexpected argument 'stray'/);
  });
});


