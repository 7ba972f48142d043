/**
 * The report formats on hand-made suite results (no machine): the JSON report validates and the
 * validator catches each kind of mistake; the JUnit XML is well-formed with consistent counts and
 * escapes what it carries; the option helpers parse ranges and durations and name bad values.
 */
import { describe, expect, it } from 'vitest';
import { BoundedTrapLog } from '../../cli/commands/suite-run.js';
import { durationOption, rangeOption } from '../../cli/options.js';
import { formatJsonReport, jsonReport, validateJsonReport } from '../../cli/reports/json.js';
import { formatJunitReport, xmlEscape } from '../../cli/reports/junit.js';
import { UsageError } from '../../cli/usage.js';
import { DEFAULT_PLATFORM_SPEC, encodeToken, formatCounterexample, type Counterexample, type PropertyResult, type SuiteResult } from '../../properties/index.js';
import { junitProblems, parseXml } from './support.js';

const counterexample: Counterexample = {
  rule: 'MAP-WX',
  message: 'hart 0: VA <0xffffffc000200000> is "writable" & executable',
  also: [{ rule: 'MAP-EXACT', message: 'hart 0: expected r-x' }],
  replay: { v: 1, property: 'boot', image: { name: 'bug.elf', digest: '0123456789abcdef' }, platform: DEFAULT_PLATFORM_SPEC, seed: 7, path: '0' },
};

const results: PropertyResult[] = [
  { property: 'boot', rules: ['MAP-WX', 'MAP-EXACT'], verdict: 'failed', runs: 3, seed: 7, ms: 1234.5, counterexample, report: formatCounterexample(counterexample) },
  { property: 'stack-overflow', rules: ['STACK-GUARD'], verdict: 'passed', runs: 6, seed: 7, ms: 10 },
  { property: 'kmem-concurrent', rules: ['KMEM-CONCURRENT'], verdict: 'skipped', runs: 0, seed: 7, ms: 0, reason: 'needs 2 harts <--harts 1>' },
];
const suite: SuiteResult = {
  image: { name: 'bug.elf', digest: '0123456789abcdef' },
  properties: results,
  coverage: { 'allocator empty': 1, 'two harts inside kalloc at once': 0, 'stack within one frame of the guard': 2, 'RAM above 1 GiB': 0, 'boot hart not 0': 1 },
  uncovered: [],
};
const settings = { seed: 7, scale: 1, runs: 3, timeBudgetMs: null, harts: null, mem: '16M-64M', firmware: 'builtin', only: null };

describe('the JSON report', () => {
  it('carries every property with verdict, rules, runs, seed, timing and the counterexample with its replay token', () => {
    const report = JSON.parse(formatJsonReport(suite, settings));
    expect(validateJsonReport(report)).toEqual([]);
    expect(report.schema).toBe('hvspec-report/1');
    expect(report.summary).toEqual({ verdict: 'failed', properties: 3, passed: 1, failed: 1, skipped: 1, ms: 1245 });
    const [boot, stack, kmem] = report.properties;
    expect(boot.counterexample).toMatchObject({ rule: 'MAP-WX', also: [{ rule: 'MAP-EXACT', message: 'hart 0: expected r-x' }], replayToken: encodeToken(counterexample.replay), size: 0 });
    expect(boot.counterexample.replayCommand).toBe(`hvspec replay ${encodeToken(counterexample.replay)}`);
    expect(boot.counterexample.platform).toBe('4 harts, boot hart 0, RAM 256 MiB, builtin firmware, hardware A/D');
    expect([boot.ms, stack.counterexample, kmem.reason]).toEqual([1235, null, 'needs 2 harts <--harts 1>']);
  });

  it('fails the summary when a claimed state was never reached, even with every property passed', () => {
    const passing: SuiteResult = { ...suite, properties: [results[1]!], uncovered: [{ state: 'stack within one frame of the guard', property: 'stack-overflow' }] };
    const report = JSON.parse(formatJsonReport(passing, settings));
    expect(validateJsonReport(report)).toEqual([]);
    expect([report.summary.verdict, report.uncovered]).toEqual(['failed', [{ state: 'stack within one frame of the guard', property: 'stack-overflow' }]]);
    report.summary.verdict = 'passed';
    expect(validateJsonReport(report).join('\n')).toMatch(/\$\.summary\.verdict: must be "failed" exactly when a property failed or a claimed state was never reached/);
  });

  it.each([
    ['a wrong schema', (r: any) => (r.schema = 'hvspec-report/0'), /\$\.schema: must be "hvspec-report\/1"/],
    ['a missing field', (r: any) => delete r.properties[1].seed, /\$\.properties\[1\]\.seed: missing/],
    ['an unknown field', (r: any) => (r.extra = 1), /\$\.extra: unknown field/],
    ['a bad verdict', (r: any) => (r.properties[1].verdict = 'ok'), /\$\.properties\[1\]\.verdict: must be/],
    ['a skip without reason', (r: any) => (r.properties[2].reason = null), /\$\.properties\[2\]\.reason: must be a string when skipped/],
    ['counts that disagree', (r: any) => (r.summary.passed = 2), /\$\.summary\.passed: must be the number of passed properties \(1\)/],
    ['a replay command for another token', (r: any) => (r.properties[0].counterexample.replayCommand = 'hvspec replay hv1.x'), /replayCommand: must be/],
    ['a counterexample on a passed property', (r: any) => (r.properties[1].counterexample = r.properties[0].counterexample), /\$\.properties\[1\]\.verdict: must be "failed" when there is a counterexample/],
    ['a verdict that hides a failure', (r: any) => (r.summary.verdict = 'passed'), /\$\.summary\.verdict/],
    ['a rule that is not an ID', (r: any) => (r.properties[1].rules = ['stack guard']), /\$\.properties\[1\]\.rules/],
    ['an uncovered entry without its property', (r: any) => (r.uncovered = [{ state: 'allocator empty' }]), /\$\.uncovered: must be an array of \{ state, property \}/],
  ])('the validator catches %s', (_, spoil, problem) => {
    const report = JSON.parse(formatJsonReport(suite, settings));
    spoil(report);
    expect(validateJsonReport(report).join('\n')).toMatch(problem);
  });
});

describe('the JUnit report', () => {
  const xml = formatJunitReport(suite);

  it('is well-formed, with counts that match its testcases, and failures citing the rule and replay line', () => {
    expect(junitProblems(xml)).toEqual([]);
    const root = parseXml(xml);
    const cases = root.children[0]!.children.filter((c) => c.name === 'testcase');
    expect(cases.map((c) => c.attributes.name)).toEqual(['boot [MAP-WX, MAP-EXACT]', 'stack-overflow [STACK-GUARD]', 'kmem-concurrent [KMEM-CONCURRENT]']);
    const failure = cases[0]!.children.find((c) => c.name === 'failure')!;
    // the escaped message comes back exactly
    expect(failure.attributes.message).toBe(`MAP-WX: ${counterexample.message}`);
    expect(failure.text).toContain(`hvspec replay ${encodeToken(counterexample.replay)}`);
    expect(cases[2]!.children.find((c) => c.name === 'skipped')!.attributes.message).toBe('needs 2 harts <--harts 1>');
    expect(cases[0]!.attributes.time).toBe('1.234');
  });

  it('the structural check catches inconsistent counts, bad nesting and failures without a rule', () => {
    expect(junitProblems(xml.replace('failures="1"', 'failures="0"'))).toContain('<testsuites> failures="0" but it holds 1');
    expect(junitProblems(xml.replace('</testsuite>', '')).join()).toMatch(/closes testsuite|<\/testsuites> closes/);
    expect(junitProblems(xml.replace('type="MAP-WX"', 'type="oops"')).join()).toMatch(/type="oops" is not a rule ID/);
    expect(junitProblems(xml.replace(/hvspec replay hv1\.[A-Za-z0-9_-]+/g, '')).join()).toMatch(/no replay line/);
    expect(() => parseXml('<a>x & y</a>')).toThrow(/bad entity/);
  });

  it('escapes markup and drops characters XML cannot hold', () => {
    expect(xmlEscape('a<b>&"c"\u0001')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});

describe('option values', () => {
  const int = (p: string) => {
    if (!/^\d+$/.test(p)) throw new Error(`not a number: ${p}`);
    return Number(p);
  };
  it('parses N and A-B and names the option and value when they are wrong', () => {
    expect(rangeOption('check', '--harts', '3', int, 1, 8)).toEqual({ min: 3, max: 3 });
    expect(rangeOption('check', '--harts', '2-4', int, 1, 8)).toEqual({ min: 2, max: 4 });
    expect(() => rangeOption('check', '--harts', '5-2', int, 1, 8)).toThrow(new UsageError("check: --harts range '5-2' is empty (5 > 2)"));
    expect(() => rangeOption('check', '--harts', '9', int, 1, 8)).toThrow(new UsageError("check: --harts '9' is outside 1-8"));
    expect(() => rangeOption('check', '--harts', '2-', int, 1, 8)).toThrow(/must be N or A-B, got '2-'/);
    expect(() => rangeOption('check', '--harts', 'x', int, 1, 8)).toThrow(new UsageError("check: --harts 'x': not a number: x"));
  });

  it('parses durations', () => {
    expect(['90s', '5m', '1h', '250ms', '2', '1.5m'].map((t) => durationOption('check', '--time-budget', t))).toEqual([90_000, 300_000, 3_600_000, 250, 2000, 90_000]);
    for (const bad of ['', '0', '-1s', '5 parsecs', 'm']) expect(() => durationOption('check', '--time-budget', bad)).toThrow(UsageError);
  });
});

describe('the boot-time trap log', () => {
  it('keeps the last traps and stays bounded however many come', () => {
    const log = new BoundedTrapLog<number>();
    for (let i = 0; i < 100_000; i++) log.push(i);
    expect(log.length).toBeLessThanOrEqual(20_000);
    expect(log.length).toBeGreaterThanOrEqual(10_000);
    expect(log.at(-1)).toBe(99_999);
    expect([...log].reverse().find((t) => t % 7 === 0)).toBe(99_995);
    expect(log.every((t, i) => i === 0 || t === log[i - 1]! + 1)).toBe(true);
  });
});
