/**
 * The machine-readable report of `check`/`start` (--json), schema `hvspec-report/1`, documented in
 * cli/reports/README.md. Only additions keep the version; any change of meaning bumps it.
 */
import { counterexampleSize, encodeToken, formatPlatformSpec, replayCommandLine, suitePassed, type PropertyResult, type SuiteResult } from '../../properties/index.js';
import { citedRules, type Requirement } from './verdict.js';

export const JSON_SCHEMA = 'hvspec-report/1';

export interface JsonCounterexample {
  readonly rule: string;
  readonly message: string;
  readonly also: readonly { readonly rule: string; readonly message: string }[];
  readonly platform: string;
  readonly size: number;
  readonly replayToken: string;
  readonly replayCommand: string;
  readonly report: string;
}

export interface JsonProperty {
  readonly name: string;
  readonly rules: readonly string[];
  readonly verdict: 'passed' | 'failed' | 'skipped';
  readonly reason: string | null;
  /** Rules of the property the image's profile waives (never judged), with the reason; part: only part of the rule (BOOT-COMPLETES' platform claim). */
  readonly waived: readonly { readonly rule: string; readonly reason: string; readonly part: boolean }[];
  readonly runs: number;
  readonly seed: number;
  readonly ms: number;
  /** The rules the counterexample cites, the ones `--only` named first ([] unless failed). */
  readonly violated: readonly string[];
  readonly counterexample: JsonCounterexample | null;
}

export interface JsonRequirement {
  readonly rule: string;
  readonly checked: boolean;
  readonly checkedBy: readonly string[];
  readonly reason: string | null;
}

export interface JsonReport {
  readonly schema: typeof JSON_SCHEMA;
  readonly image: { readonly path: string; readonly sha256: string };
  readonly settings: { readonly seed: number; readonly scale: number; readonly runs: number | null; readonly timeBudgetMs: number | null; readonly harts: string | null; readonly mem: string | null; readonly firmware: string; readonly only: readonly string[] | null; readonly require?: readonly string[] | null; readonly failOnSkip?: boolean };
  readonly summary: { readonly verdict: 'passed' | 'failed'; readonly properties: number; readonly passed: number; readonly failed: number; readonly skipped: number; readonly ms: number };
  readonly properties: readonly JsonProperty[];
  readonly coverage: Readonly<Record<string, number>>;
  readonly uncovered: readonly { readonly state: string; readonly property: string }[];
  /** One per `--require`d rule ([] without --require). */
  readonly requirements: readonly JsonRequirement[];
}

/** What the report says beyond the suite result: the replay options, the rules --only named, --require's outcome. */
export interface ReportContext {
  readonly replayArgs?: readonly string[];
  /** Rule IDs `--only` named (property names are not rules). */
  readonly askedRules?: readonly string[];
  readonly requirements?: readonly Requirement[];
  /** `--fail-on-skip`: a skipped property fails the run. */
  readonly failOnSkip?: boolean;
}

/** The run's verdict: a failure, a claimed state never reached, a required rule not checked, or (--fail-on-skip) a skip fails it. */
export function runPassed(result: Pick<SuiteResult, 'properties' | 'uncovered'>, context: ReportContext = {}): boolean {
  return suitePassed(result) && (context.requirements ?? []).every((r) => r.reason === undefined) && !(context.failOnSkip === true && result.properties.some((p) => p.verdict === 'skipped'));
}

export type ReportSettings = JsonReport['settings'];

/** The replay command of a failed property (with the options the token does not carry). */
export function replayCommand(result: PropertyResult, replayArgs: readonly string[] = []): string | undefined {
  return result.counterexample ? replayCommandLine(result.counterexample.replay, replayArgs) : undefined;
}

function jsonProperty(r: PropertyResult, replayArgs: readonly string[], askedRules: readonly string[]): JsonProperty {
  const c = r.counterexample;
  return {
    name: r.property,
    rules: [...r.rules],
    verdict: r.verdict,
    reason: r.reason ?? null,
    runs: r.runs,
    seed: r.seed,
    ms: Math.round(r.ms),
    violated: citedRules(r, askedRules),
    waived: (r.waived ?? []).map((w) => ({ rule: w.rule, reason: w.reason, part: 'part' in w && w.part === true })),
    counterexample: c === undefined ? null : {
      rule: c.rule,
      message: c.message,
      also: c.also.map((a) => ({ rule: a.rule, message: a.message })),
      platform: formatPlatformSpec(c.replay.platform),
      size: counterexampleSize(c),
      replayToken: encodeToken(c.replay),
      replayCommand: replayCommand(r, replayArgs)!,
      report: r.report ?? '',
    },
  };
}

export function jsonReport(result: SuiteResult, settings: ReportSettings, context: ReportContext = {}): JsonReport {
  const replayArgs = context.replayArgs ?? [];
  const count = (v: PropertyResult['verdict']) => result.properties.filter((p) => p.verdict === v).length;
  return {
    schema: JSON_SCHEMA,
    image: { path: result.image.name, sha256: result.image.digest },
    settings,
    summary: {
      verdict: runPassed(result, context) ? 'passed' : 'failed',
      properties: result.properties.length,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      ms: Math.round(result.properties.reduce((t, p) => t + p.ms, 0)),
    },
    properties: result.properties.map((r) => jsonProperty(r, replayArgs, context.askedRules ?? [])),
    coverage: { ...result.coverage },
    uncovered: result.uncovered.map((u) => ({ state: u.state, property: u.property })),
    requirements: (context.requirements ?? []).map((q) => ({ rule: q.rule, checked: q.reason === undefined, checkedBy: [...q.checkedBy], reason: q.reason ?? null })),
  };
}

export function formatJsonReport(result: SuiteResult, settings: ReportSettings, context: ReportContext = {}): string {
  return `${JSON.stringify(jsonReport(result, settings, context), null, 2)}\n`;
}

/**
 * Structural check of a parsed report against hvspec-report/1: every problem, each naming the
 * field path and what it should be (empty when the report conforms). The tests use it, and so
 * can consumers.
 */
export function validateJsonReport(value: unknown): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const expect = (ok: boolean, path: string, what: string) => {
    if (!ok) problems.push(`${path}: must be ${what}`);
  };
  const str = (v: unknown) => typeof v === 'string';
  const nat = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  // `optional`: fields added within hvspec-report/1, absent from reports written before them
  const keys = (o: Record<string, unknown>, path: string, allowed: string[], optional: string[] = []) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k) && !optional.includes(k)) problems.push(`${path}.${k}: unknown field`);
    for (const k of allowed) if (!(k in o)) problems.push(`${path}.${k}: missing`);
  };
  if (!isObject(value)) return ['$: must be an object'];
  keys(value, '$', ['schema', 'image', 'settings', 'summary', 'properties', 'coverage', 'uncovered'], ['requirements']);
  expect(value.schema === JSON_SCHEMA, '$.schema', `"${JSON_SCHEMA}"`);
  if (isObject(value.image)) {
    keys(value.image, '$.image', ['path', 'sha256']);
    expect(str(value.image.path), '$.image.path', 'a string');
    expect(str(value.image.sha256) && /^[0-9a-f]{16}$/.test(value.image.sha256 as string), '$.image.sha256', '16 hex digits');
  } else expect(false, '$.image', 'an object');
  if (isObject(value.settings)) {
    const s = value.settings;
    keys(s, '$.settings', ['seed', 'scale', 'runs', 'timeBudgetMs', 'harts', 'mem', 'firmware', 'only'], ['require', 'failOnSkip']);
    expect(s.require === undefined || s.require === null || (Array.isArray(s.require) && s.require.every(str)), '$.settings.require', 'null or an array of rule IDs');
    expect(s.failOnSkip === undefined || typeof s.failOnSkip === 'boolean', '$.settings.failOnSkip', 'a boolean');
    for (const k of ['runs', 'timeBudgetMs']) expect(s[k] === null || (nat(s[k]) && (s[k] as number) > 0), `$.settings.${k}`, 'a positive whole number or null');
    expect(nat(s.seed), '$.settings.seed', 'a whole number');
    expect(typeof s.scale === 'number' && s.scale > 0, '$.settings.scale', 'a positive number');
    for (const k of ['harts', 'mem']) expect(s[k] === null || str(s[k]), `$.settings.${k}`, 'a string or null');
    expect(str(s.firmware), '$.settings.firmware', 'a string');
    expect(s.only === null || (Array.isArray(s.only) && s.only.every(str)), '$.settings.only', 'null or an array of strings');
  } else expect(false, '$.settings', 'an object');
  const props = Array.isArray(value.properties) ? value.properties : (expect(false, '$.properties', 'an array'), []);
  props.forEach((p: unknown, i) => {
    const path = `$.properties[${i}]`;
    if (!isObject(p)) return expect(false, path, 'an object');
    keys(p, path, ['name', 'rules', 'verdict', 'reason', 'runs', 'seed', 'ms', 'counterexample'], ['violated', 'waived']);
    expect(p.violated === undefined || (Array.isArray(p.violated) && p.violated.every(str) && (p.verdict === 'failed' || p.violated.length === 0)), `${path}.violated`, 'an array of rule IDs, empty unless failed');
    expect(str(p.name), `${path}.name`, 'a string');
    expect(Array.isArray(p.rules) && p.rules.length > 0 && p.rules.every((r) => str(r) && /^[A-Z]+(-[A-Z]+)+$/.test(r as string)), `${path}.rules`, 'a non-empty array of rule IDs');
    expect(['passed', 'failed', 'skipped'].includes(p.verdict as string), `${path}.verdict`, '"passed", "failed" or "skipped"');
    expect(p.reason === null || str(p.reason), `${path}.reason`, 'a string or null');
    expect(p.verdict !== 'skipped' || str(p.reason), `${path}.reason`, 'a string when skipped');
    for (const k of ['runs', 'seed', 'ms']) expect(nat(p[k]), `${path}.${k}`, 'a whole number');
    const c = p.counterexample;
    if (c === null) {
      expect(p.verdict !== 'failed' || str(p.reason), `${path}.counterexample`, 'an object (or a reason) when failed');
      return;
    }
    if (!isObject(c)) return expect(false, `${path}.counterexample`, 'an object or null');
    const cp = `${path}.counterexample`;
    expect(p.verdict === 'failed', `${path}.verdict`, '"failed" when there is a counterexample');
    keys(c, cp, ['rule', 'message', 'also', 'platform', 'size', 'replayToken', 'replayCommand', 'report']);
    for (const k of ['rule', 'message', 'platform', 'report']) expect(str(c[k]), `${cp}.${k}`, 'a string');
    expect(nat(c.size), `${cp}.size`, 'a whole number');
    expect(str(c.replayToken) && (c.replayToken as string).startsWith('hv1.'), `${cp}.replayToken`, 'a token starting hv1.');
    const replay = `hvspec replay ${c.replayToken}`;
    expect(c.replayCommand === replay || (str(c.replayCommand) && (c.replayCommand as string).startsWith(`${replay} --`)), `${cp}.replayCommand`, '"hvspec replay " + replayToken, then any options the token does not carry');
    expect(Array.isArray(c.also) && c.also.every((a) => isObject(a) && str(a.rule) && str(a.message)), `${cp}.also`, 'an array of { rule, message }');
  });
  if (isObject(value.summary)) {
    const s = value.summary;
    keys(s, '$.summary', ['verdict', 'properties', 'passed', 'failed', 'skipped', 'ms']);
    for (const k of ['properties', 'passed', 'failed', 'skipped', 'ms']) expect(nat(s[k]), `$.summary.${k}`, 'a whole number');
    const count = (v: string) => props.filter((p: unknown) => isObject(p) && p.verdict === v).length;
    expect(s.properties === props.length, '$.summary.properties', `the number of properties (${props.length})`);
    for (const v of ['passed', 'failed', 'skipped']) expect(s[v] === count(v), `$.summary.${v}`, `the number of ${v} properties (${count(v)})`);
    const uncovered = Array.isArray(value.uncovered) ? value.uncovered.length : 0;
    const unmet = Array.isArray(value.requirements) ? value.requirements.filter((q: unknown) => isObject(q) && q.checked === false).length : 0;
    const skipFails = isObject(value.settings) && value.settings.failOnSkip === true && count('skipped') > 0;
    expect(s.verdict === (count('failed') > 0 || uncovered > 0 || unmet > 0 || skipFails ? 'failed' : 'passed'), '$.summary.verdict', '"failed" exactly when a property failed, a claimed state was never reached, a required rule was not checked, or (failOnSkip) a property was skipped');
  } else expect(false, '$.summary', 'an object');
  expect(isObject(value.coverage) && Object.values(value.coverage).every(nat), '$.coverage', 'an object of whole numbers');
  expect(Array.isArray(value.uncovered) && value.uncovered.every((u: unknown) => isObject(u) && str(u.state) && str(u.property)), '$.uncovered', 'an array of { state, property }');
  if (value.requirements !== undefined) {
    const ok = Array.isArray(value.requirements) && value.requirements.every((q: unknown) => isObject(q) && str(q.rule) && typeof q.checked === 'boolean' && Array.isArray(q.checkedBy) && q.checkedBy.every(str) && (q.checked ? q.reason === null && q.checkedBy.length > 0 : str(q.reason)));
    expect(ok, '$.requirements', 'an array of { rule, checked, checkedBy, reason } (reason a string exactly when not checked)');
  }
  return problems;
}
