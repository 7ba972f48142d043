/**
 * The report formats on hand-made suite results (no machine): the JSON report validates and the
 * validator catches each kind of mistake; the JUnit XML is well-formed with consistent counts and
 * escapes what it carries; the option helpers parse ranges and durations and name bad values.
 */
import { describe, expect, it } from 'vitest';
import { abbreviateRules, formatSummary, progress, TABLE_WIDTH } from '../../cli/commands/check.js';
import { BoundedTrapLog } from '../../cli/commands/suite-run.js';
import { citedRules, requirements, verdictText } from '../../cli/reports/verdict.js';
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
  coverage: { 'allocator empty': 1, 'two harts inside kalloc at once': 0, 'stack within one frame of the guard': 2, 'RAM above 1 GiB': 0, 'RAM above 4 GiB': 0, 'boot hart not 0': 1, 'VMID reused on a hart': 0, 'guest faulted outside its RAM': 0, 'VM with two level-0 tables': 0, 'two guests running at once': 0 },
  uncovered: [],
};
const settings = { seed: 7, scale: 1, runs: 3, timeBudgetMs: null, harts: null, mem: '16M-64M', firmware: 'builtin', only: null };
const BOOT_RULES = ['MAP-DISJOINT', 'MAP-GLOBAL', 'MAP-WX', 'MAP-USER', 'MAP-AD', 'MAP-SHARED', 'MAP-EXACT', 'STACK-GUARD', 'BOOT-EARLY', 'BOOT-COMPLETES', 'KMEM-INTEGRITY', 'KMEM-NO-DOUBLE-FREE', 'KMEM-SEQUENTIAL'] as const;

describe('the summary table', () => {
  const wide: PropertyResult[] = [{ ...results[0]!, property: 'boot', rules: [...BOOT_RULES] }, ...results.slice(1)];

  it('fits 100 columns, abbreviating a long rule list with +N more', () => {
    const table = formatSummary(wide);
    for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(table).toMatch(/^boot\s+3\s+FAILED MAP-WX \+1\s+1\.2 s\s+MAP-DISJOINT,MAP-GLOBAL,\S+ \+\d+ more$/m);
    expect(table).toMatch(/^stack-overflow\s+6\s+passed\s+0\.0 s\s+STACK-GUARD$/m);
    expect(table.split('\n')[0]).toMatch(/^property\s+runs\s+verdict\s+wall time\s+rules$/);
  });

  it('shows no run count for a skipped property', () => {
    expect(formatSummary(results)).toMatch(/^kmem-concurrent\s+-\s+skipped\s+0\.0 s\s+KMEM-CONCURRENT$/m);
  });

  it('abbreviates only what does not fit', () => {
    expect(abbreviateRules(['A-B', 'C-D'], 7)).toBe('A-B,C-D');
    expect(abbreviateRules(['A-B', 'C-D', 'E-F'], 11)).toBe('A-B,C-D,E-F');
    const four = ['MAP-WX', 'MAP-AD', 'MAP-USER', 'MAP-GLOBAL'];
    expect(abbreviateRules(four, 33)).toBe('MAP-WX,MAP-AD,MAP-USER,MAP-GLOBAL');
    expect(abbreviateRules(four, 24)).toBe('MAP-WX,MAP-AD +2 more');
    expect(abbreviateRules(four, 20)).toBe('MAP-WX +3 more');
    expect(abbreviateRules(['A-B', 'C-D', 'E-F'], 3)).toBe('3 rules');
  });

  it('cites a rule once when the counterexample names it twice (as the mutants kill matrix shows it)', () => {
    const twice: PropertyResult = { ...results[0]!, counterexample: { ...counterexample, rule: 'STACK-GUARD', also: [{ rule: 'STACK-GUARD', message: 'again' }, { rule: 'MAP-EXACT', message: 'x' }] } };
    expect(citedRules(twice)).toEqual(['STACK-GUARD', 'MAP-EXACT']);
    expect(verdictText(twice)).toBe('FAILED STACK-GUARD +1');
  });

  it('names the rule --only asked for in a failed verdict, before the rule the failure cites first', () => {
    expect(verdictText(results[0]!)).toBe('FAILED MAP-WX +1');
    expect(verdictText(results[0]!, ['MAP-EXACT'])).toBe('FAILED MAP-EXACT,MAP-WX');
    expect(verdictText(results[0]!, ['MAP-WX'])).toBe('FAILED MAP-WX +1');
    expect(formatSummary(results, ['MAP-EXACT'])).toMatch(/^boot\s+3\s+FAILED MAP-EXACT,MAP-WX\s/m);
  });
});

describe('the progress display', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, out: { isTTY, write: (s: string) => (written.push(s), true) } };
  };
  const drive = (isTTY: boolean, env: NodeJS.ProcessEnv = {}) => {
    const { written, out } = stream(isTTY);
    const p = progress(out as never, env);
    p.onStart('stack-overflow', 6);
    for (let i = 1; i <= 6; i++) p.onProgress('stack-overflow', i);
    p.onResult(results[1]!);
    p.onStart('kmem-concurrent', 2);
    p.onProgress('kmem-concurrent', 1);
    p.onResult(results[2]!);
    return written;
  };

  it('redraws one line in place on a terminal', () => {
    const written = drive(true);
    // every start, progress and result redraws: 2 + 7 + 2
    expect(written.filter((w) => w.startsWith('\r\x1b[K')).length).toBe(11);
    expect(written.join('').split('\n').length).toBe(3);
  });

  it('prints one plain line per property when piped, or on TERM=dumb, ignoring NO_COLOR (there is no colour)', () => {
    for (const written of [drive(false), drive(true, { TERM: 'dumb' }), drive(false, { NO_COLOR: '1' })]) {
      expect(written).toHaveLength(2);
      expect(written.join('')).not.toMatch(/[\r\x1b]/);
      expect(written[0]).toMatch(/^ {2}stack-overflow\s+6\/6 runs\s+0\.0 s {2}passed\n$/);
      expect(written[1]).toMatch(/^ {2}kmem-concurrent\s+skipped\s+0\.0 s {2}why: needs 2 harts <--harts 1>\n$/);
    }
  });
});

describe('--require', () => {
  const definitions = [
    { name: 'boot', rules: ['MAP-WX', 'MAP-EXACT'] },
    { name: 'stack-overflow', rules: ['STACK-GUARD'] },
    { name: 'kmem-concurrent', rules: ['KMEM-CONCURRENT'] },
    { name: 'tlb-discipline', rules: ['TLB-DISCIPLINE'] },
  ] as const;

  it('counts a rule checked by a property that reached a verdict, failed included, and says why the others were not', () => {
    expect(requirements(['MAP-EXACT', 'STACK-GUARD', 'KMEM-CONCURRENT', 'TLB-DISCIPLINE', 'MAP-GLOBAL'], results, definitions as never)).toEqual([
      { rule: 'MAP-EXACT', checkedBy: ['boot'] },
      { rule: 'STACK-GUARD', checkedBy: ['stack-overflow'] },
      { rule: 'KMEM-CONCURRENT', checkedBy: [], reason: 'kmem-concurrent was skipped: needs 2 harts <--harts 1>' },
      { rule: 'TLB-DISCIPLINE', checkedBy: [], reason: 'the property checking it (tlb-discipline) did not run: --only left it out' },
      { rule: 'MAP-GLOBAL', checkedBy: [], reason: 'no property checks it' },
    ]);
  });

  it("uses what a property really judged (its checked rules, its definition's checks) over the rules it is about", () => {
    const judged: PropertyResult[] = [{ ...results[1]!, checked: ['STACK-GUARD', 'KMEM-ZEROED'] }, { ...results[0]!, checked: ['MAP-WX'] }];
    const defs = [{ name: 'stack-overflow', rules: ['STACK-GUARD'], checks: ['STACK-GUARD', 'KMEM-ZEROED'] }, { name: 'boot', rules: ['MAP-WX', 'MAP-EXACT'] }] as const;
    expect(requirements(['KMEM-ZEROED', 'MAP-EXACT'], judged, defs as never)).toEqual([
      { rule: 'KMEM-ZEROED', checkedBy: ['stack-overflow'] },
      { rule: 'MAP-EXACT', checkedBy: [], reason: 'boot judged no case by it' },
    ]);
    // a skipped property judged nothing, whatever its definition checks
    expect(requirements(['KMEM-ZEROED'], [{ ...results[1]!, verdict: 'skipped', reason: 'no console', checked: [] }], defs as never)[0]!.reason).toBe('stack-overflow was skipped: no console');
  });

  it('fails the JSON summary and adds a failing JUnit testcase for a rule not checked', () => {
    const passing: SuiteResult = { ...suite, properties: results.slice(1) };
    const unmet = requirements(['KMEM-CONCURRENT'], passing.properties, definitions as never);
    const report = JSON.parse(formatJsonReport(passing, { ...settings, require: ['KMEM-CONCURRENT'], failOnSkip: false }, { requirements: unmet }));
    expect(validateJsonReport(report)).toEqual([]);
    expect([report.summary.verdict, report.requirements]).toEqual(['failed', [{ rule: 'KMEM-CONCURRENT', checked: false, checkedBy: [], reason: 'kmem-concurrent was skipped: needs 2 harts <--harts 1>' }]]);
    report.summary.verdict = 'passed';
    expect(validateJsonReport(report).join('\n')).toMatch(/\$\.summary\.verdict: must be "failed" exactly when .*a required rule was not checked/);
    expect(JSON.parse(formatJsonReport(passing, settings)).summary.verdict).toBe('passed');
    expect(JSON.parse(formatJsonReport(passing, { ...settings, failOnSkip: true }, { failOnSkip: true })).summary.verdict).toBe('failed');
    const xml = formatJunitReport(passing, { requirements: unmet });
    expect(junitProblems(xml)).toEqual([]);
    expect(xml).toMatch(/<testsuites name="hvspec" tests="3" failures="1" /);
    expect(xml).toContain('<failure message="KMEM-CONCURRENT: required, and not checked: kmem-concurrent was skipped: needs 2 harts &lt;--harts 1&gt;" type="KMEM-CONCURRENT">');
  });

  it('lists the cited rules with the asked-for ones first in the JSON, and in the JUnit failure message', () => {
    const report = JSON.parse(formatJsonReport(suite, settings, { askedRules: ['MAP-EXACT'] }));
    expect(report.properties.map((p: { violated: string[] }) => p.violated)).toEqual([['MAP-EXACT', 'MAP-WX'], [], []]);
    const xml = formatJunitReport(suite, { askedRules: ['MAP-EXACT'] });
    expect(junitProblems(xml)).toEqual([]);
    expect(xml).toContain('<failure message="MAP-EXACT: hart 0: expected r-x" type="MAP-EXACT">');
    expect(formatJunitReport(suite)).toContain('type="MAP-WX"');
  });
});

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
    expect(validateJsonReport(report).join('\n')).toMatch(/\$\.summary\.verdict: must be "failed" exactly when a property failed, a claimed state was never reached/);
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
