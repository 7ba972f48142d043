/**
 * `hvspec check --image FILE [options]`: runs the property suite against any image that follows the
 * design (the image contract: cli/reports/README.md) and prints a live progress line per property,
 * then a summary table, each failure's counterexample with its replay command and the coverage
 * counts. Exit 0 when every property held and every claimed state was reached, 1 otherwise, 2 on
 * bad usage. `hvspec start` is this on the bundled image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ElfError, parseElf } from '../../emulator/elf.js';
import { dirname } from 'node:path';
import { RULE_IDS, type RuleId } from '../../model/index.js';
import { BootFailure, DEFAULT_PLATFORM_SPEC, DEFAULT_SEED, formatCounterexample, formatRamSize, MAX_GENERATED_RAM, MIN_GENERATED_RAM, PROPERTIES, PROPERTY_NAMES, Unsupported, type FirmwareKind, type HypervisorImage, type PlatformSpec, type PropertyName, type PropertyResult, type SuiteResult } from '../../properties/index.js';
import { formatOptions, integerOption, parseOptions, rangeOption, durationOption, textOption, type OptionSpec, type ParsedOptions } from '../options.js';
import { formatJsonReport, runPassed, type ReportContext, type ReportSettings } from '../reports/json.js';
import { requirements, verdictText, waiverLines } from '../reports/verdict.js';
import { formatJunitReport } from '../reports/junit.js';
import { renderHtmlReport, type HartMap } from '../reports/html.js';
import { writeFileAtomically } from '../reports/write.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../usage.js';
import { loadUserImage, openSbiFile } from './image.js';
import { ramSizeOption, readHartMaps } from './ptdump.js';
import { runLimitedSuite, type SuiteCallbacks, type SuiteSettings } from './suite-run.js';
import { canRunInWorkers, runParallelSuite, type ImageSource } from './suite-parallel.js';

/** Options shared by `check` and `start` (start has no --image). */
export const SUITE_OPTIONS: readonly OptionSpec[] = [
  { name: '--harts', value: 'N|A-B', help: 'only platforms with this many harts (1 to 8; default: what each property generates)' },
  { name: '--mem', value: 'SIZE|A-B', help: 'only platforms with this much RAM, 16M to 16G (e.g. 256M, 64M-1G)' },
  { name: '--firmware', value: 'F', help: "'builtin' (SBI answered by the emulator), 'opensbi' (Debian's fw_dynamic.elf),\nor the path of an OpenSBI fw_dynamic.elf (default: both kinds, as generated)" },
  { name: '--runs', value: 'N', help: "runs per property (default: each property's own budget)" },
  { name: '--time-budget', value: 'DURATION', help: 'e.g. 90s, 5m: time for the whole run; a property still running then stops after\nits current run (saying how many it did), later ones are reported skipped' },
  { name: '--seed', value: 'S', help: `fast-check seed, decimal or 0x hex (default 0x${DEFAULT_SEED.toString(16)})` },
  { name: '--jobs', value: 'N', help: `properties run at once, each in a worker thread (default: one per core, here ${availableParallelism()});\n1 runs them one after another in this thread. Verdicts, counterexamples, replay\ntokens, coverage and reports are the same whatever N` },
  { name: '--only', value: 'NAME,...', help: `rule IDs or property names: run only the properties checking them\n(properties: ${PROPERTY_NAMES.join(', ')})` },
  { name: '--require', value: 'RULE,...', help: 'exit 1 unless each rule was checked by a property that ran to a verdict\n(not skipped, not left out by --only); for CI that needs a rule checked' },
  { name: '--fail-on-skip', help: 'exit 1 when any property is skipped' },
  { name: '--json', value: 'FILE', help: 'write the machine-readable report (schema hvspec-report/1)' },
  { name: '--junit', value: 'FILE', help: 'write JUnit XML for CI' },
  { name: '--html', value: 'FILE', help: 'write a self-contained HTML report with each hart\'s memory map' },
];

const CHECK_OPTIONS: readonly OptionSpec[] = [
  { name: '--image', value: 'FILE', help: 'the hypervisor ELF to check (required)' },
  ...SUITE_OPTIONS,
  { name: '--symbols', value: 'FILE', help: 'JSON object renaming the symbols the suite reads, e.g. {"kalloc": "page_alloc"}' },
  { name: '--profile', value: 'FILE', help: 'the image profile (properties/profile/README.md): how to boot, see and drive an image\nthat is not the bundled hypervisor; `hvspec profile --image FILE` writes a start' },
];

const CHECK_USAGE = `usage: hvspec check --image FILE [options]

Runs every property of the suite against the image and prints the verdicts.
Exit 0 when all hold and every state a property claims to reach was reached by its generated cases;
1 when one fails (its counterexample and replay command are printed), a claimed state was never reached,
a --require'd rule was not checked, or (--fail-on-skip) a property was skipped. Times are wall time.
The image contract (boot protocol, symbols) is in cli/reports/README.md.

${formatOptions(CHECK_OPTIONS)}`;

/** Rule IDs from a comma-separated list (any case); anything else is a usage error naming it. */
export function ruleList(command: string, option: string, text: string): RuleId[] {
  const words = text.split(',').map((w) => w.trim()).filter((w) => w !== '');
  if (words.length === 0) throw new UsageError(`${command}: ${option} needs at least one rule ID`);
  const rules = words.map((w) => {
    const id = w.toUpperCase();
    if (!(RULE_IDS as readonly string[]).includes(id)) throw new UsageError(`${command}: ${option}: '${w}' is not a rule ID (${RULE_IDS.join(', ')})`);
    return id as RuleId;
  });
  return [...new Set(rules)];
}

/** The rule IDs among --only's words (property names are not rules). */
export function askedRules(text: string | undefined): RuleId[] {
  if (text === undefined) return [];
  return text.split(',').map((w) => w.trim().toUpperCase()).filter((w): w is RuleId => (RULE_IDS as readonly string[]).includes(w));
}

/** Properties selected by --only: property names, or rule IDs (every property checking one). */
export function selectProperties(command: string, text: string): PropertyName[] {
  const selected = new Set<PropertyName>();
  for (const word of text.split(',').map((w) => w.trim()).filter((w) => w !== '')) {
    if ((PROPERTY_NAMES as readonly string[]).includes(word)) selected.add(word as PropertyName);
    else if ((RULE_IDS as readonly string[]).includes(word.toUpperCase())) {
      for (const p of PROPERTIES) if ((p.rules as readonly string[]).includes(word.toUpperCase())) selected.add(p.name);
    } else throw new UsageError(`${command}: --only: '${word}' is neither a rule ID (${RULE_IDS.join(', ')}) nor a property (${PROPERTY_NAMES.join(', ')})`);
  }
  if (selected.size === 0) throw new UsageError(`${command}: --only needs at least one rule ID or property name`);
  return PROPERTY_NAMES.filter((n) => selected.has(n));
}

/** A fast-check seed, decimal or 0x hex, 0 to 2^31-1. */
export function seedOption(command: string, text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 0x7fff_ffff)) throw new UsageError(`${command}: --seed must be an integer from 0 to 2147483647 (decimal or 0x hex), got '${text}'`);
  return n;
}

interface ReportFiles {
  readonly json?: string;
  readonly junit?: string;
  readonly html?: string;
}

/** Everything a suite command was asked to do, parsed and checked before anything runs. */
export interface SuiteRequest {
  readonly settings: SuiteSettings;
  readonly reports: ReportFiles;
  readonly reportSettings: ReportSettings;
  /** Options a replay needs that its token does not carry (`--symbols FILE`, `--firmware FILE`). */
  readonly replayArgs: readonly string[];
  /** The rule IDs --only named: the table's verdict names them first when a failure cites them. */
  readonly askedRules: readonly RuleId[];
  /** --require: rules that must be checked for exit 0. */
  readonly required: readonly RuleId[];
  readonly failOnSkip: boolean;
  /** --jobs: properties run at once in worker threads (1: in this thread). */
  readonly jobs: number;
  /** How the image was loaded, so that a worker thread can load it the same way. */
  readonly source?: ImageSource;
}

function outputFile(command: string, option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(dirname(path) || '.')) throw new UsageError(`${command}: ${option} '${path}': folder '${dirname(path)}' does not exist`);
  return path;
}

/** Parses the shared suite options for `image`. */
export function suiteRequest(command: string, parsed: ParsedOptions, image: HypervisorImage, source?: ImageSource): SuiteRequest {
  const hartsText = textOption(parsed, '--harts');
  const harts = hartsText === undefined ? undefined : rangeOption(command, '--harts', hartsText, (p) => integerOption(command, '--harts', p, 1, 8), 1, 8);
  const memText = textOption(parsed, '--mem');
  const mem = memText === undefined ? undefined : rangeOption(command, '--mem', memText, (p) => ramSizeOption(command, '--mem', p), MIN_GENERATED_RAM, MAX_GENERATED_RAM, formatRamSize);
  const firmwareText = textOption(parsed, '--firmware');
  let firmware: FirmwareKind[] | undefined;
  let openSbiPath: string | undefined;
  if (firmwareText === 'builtin' || firmwareText === 'opensbi') firmware = [firmwareText];
  else if (firmwareText !== undefined) {
    openSbiPath = openSbiFile(command, '--firmware', firmwareText);
    firmware = ['opensbi'];
  }
  const runsText = textOption(parsed, '--runs');
  const runs = runsText === undefined ? undefined : integerOption(command, '--runs', runsText, 1, 1_000_000);
  const budgetText = textOption(parsed, '--time-budget');
  const timeBudgetMs = budgetText === undefined ? undefined : durationOption(command, '--time-budget', budgetText);
  const seedText = textOption(parsed, '--seed');
  const seed = seedText === undefined ? DEFAULT_SEED : seedOption(command, seedText);
  const onlyText = textOption(parsed, '--only');
  const only = onlyText === undefined ? undefined : selectProperties(command, onlyText);
  const requireText = textOption(parsed, '--require');
  if (parsed.values.get('--require') === true) throw new UsageError(`${command}: --require needs a value (RULE,...)`);
  const required = requireText === undefined ? [] : ruleList(command, '--require', requireText);
  const failOnSkip = parsed.values.has('--fail-on-skip');
  const jobsText = textOption(parsed, '--jobs');
  const jobs = jobsText === undefined ? availableParallelism() : integerOption(command, '--jobs', jobsText, 1, 256);
  const reports = {
    ...(textOption(parsed, '--json') ? { json: outputFile(command, '--json', textOption(parsed, '--json'))! } : {}),
    ...(textOption(parsed, '--junit') ? { junit: outputFile(command, '--junit', textOption(parsed, '--junit'))! } : {}),
    ...(textOption(parsed, '--html') ? { html: outputFile(command, '--html', textOption(parsed, '--html'))! } : {}),
  };
  const symbolsFile = textOption(parsed, '--symbols');
  const profileFile = textOption(parsed, '--profile');
  const replayArgs = [...(symbolsFile === undefined ? [] : ['--symbols', symbolsFile]), ...(profileFile === undefined ? [] : ['--profile', profileFile]), ...(openSbiPath === undefined ? [] : ['--firmware', firmwareText!])];
  return {
    replayArgs,
    askedRules: askedRules(onlyText),
    required,
    failOnSkip,
    jobs,
    ...(source ? { source } : {}),
    settings: { image, seed, ...(runs ? { runs } : {}), ...(only ? { only } : {}), ...(harts ? { harts } : {}), ...(mem ? { mem } : {}), ...(firmware ? { firmware } : {}), ...(openSbiPath ? { openSbiPath } : {}), ...(timeBudgetMs ? { timeBudgetMs } : {}) },
    reports,
    reportSettings: { seed, scale: 1, runs: runs ?? null, timeBudgetMs: timeBudgetMs === undefined ? null : Math.ceil(timeBudgetMs), harts: hartsText ?? null, mem: memText ?? null, firmware: firmwareText ?? 'builtin,opensbi', only: only ?? null, require: requireText === undefined ? null : required, failOnSkip },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The width the summary table keeps within (a 100-column terminal or CI log). */
export const TABLE_WIDTH = 100;

/** As many of `rules` as fit in `width` characters, then `+N more` (the full list is in --json). */
export function abbreviateRules(rules: readonly string[], width: number): string {
  const all = rules.join(',');
  if (all.length <= width) return all;
  for (let n = rules.length - 1; n >= 1; n--) {
    const text = `${rules.slice(0, n).join(',')} +${rules.length - n} more`;
    if (text.length <= width) return text;
  }
  return `${rules.length} rules`;
}

/**
 * The summary table: property, runs, verdict, wall time, rule IDs, within TABLE_WIDTH columns (the
 * rules abbreviated when they would not fit). A skipped property shows no runs: none reached a
 * verdict; its reason is printed below the table. `asked` (the rule IDs --only named) come first
 * in a failure's verdict.
 */
export function formatSummary(results: readonly PropertyResult[], asked: readonly string[] = []): string {
  const header = ['property', 'runs', 'verdict', 'wall time', 'rules'];
  const rows = results.map((r) => [r.property, r.verdict === 'skipped' ? '-' : String(r.runs), verdictText(r, asked), seconds(r.ms), r.rules.join(',')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const before = widths.slice(0, 4).reduce((a, b) => a + b + 2, 0);
  const rulesWidth = Math.max(header[4]!.length, TABLE_WIDTH - before);
  for (const [k, row] of rows.entries()) row[4] = abbreviateRules(results[k]!.rules, rulesWidth);
  widths[4] = Math.max(header[4]!.length, ...rows.map((r) => r[4]!.length));
  const right = new Set([1, 3]);
  const fmt = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** A stream as the progress display sees it: whether it is a terminal, and how to write to it. */
export type ProgressStream = Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };

/**
 * Whether progress may redraw its line in place: only on a terminal that understands cursor
 * control (not TERM=dumb). hvspec prints no colour anywhere, so NO_COLOR has nothing to turn off.
 */
export function redrawsInPlace(out: ProgressStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return out.isTTY === true && env.TERM !== 'dumb';
}

/**
 * A progress display: on a terminal one line rewritten in place, otherwise (a pipe, a CI log) one
 * line per finished property. The finished line shows the result's wall time (`ms`), the same
 * number as the table; a skipped property shows `skipped` and why instead of a run count.
 */
export function progress(out: ProgressStream, env: NodeJS.ProcessEnv = process.env, asked: readonly string[] = []) {
  const tty = redrawsInPlace(out, env);
  let started = 0;
  let total = 0;
  let name = '';
  // "  12/25 runs": done and total padded together, so the columns after it line up across properties
  const runs = (done: number) => `${`${done}/${total}`.padStart(9)} runs`;
  const line = (count: string, ms: number, verdict?: string) => `  ${name.padEnd(18)} ${count}  ${seconds(ms).padStart(7)}${verdict ? `  ${verdict}` : ''}`;
  return {
    onStart: (property: PropertyName, planned: number) => {
      name = property;
      total = planned;
      started = performance.now();
      if (tty) out.write(`\r\x1b[K${line(runs(0), 0)}`);
    },
    onProgress: (_: PropertyName, done: number) => {
      if (tty) out.write(`\r\x1b[K${line(runs(done), performance.now() - started)}`);
    },
    onResult: (r: PropertyResult) => {
      const verdict = r.verdict === 'failed' ? `${verdictText(r, asked)}${r.counterexample ? '' : ` (${r.reason})`}` : r.verdict === 'skipped' ? `skipped: ${r.reason ?? 'no reason given'}` : 'passed';
      const count = r.verdict === 'skipped' ? 'skipped'.padStart(runs(0).length) : runs(r.runs);
      out.write(`${tty ? '\r\x1b[K' : ''}${line(count, r.ms, r.verdict === 'skipped' ? verdict.replace(/^skipped: /, 'why: ') : verdict)}\n`);
    },
  };
}

/** The maps for the HTML report: the image booted on the default platform within --harts/--mem. */
function htmlMaps(settings: SuiteSettings): { spec: PlatformSpec; maps: HartMap[]; note?: string } {
  const harts = Math.min(Math.max(DEFAULT_PLATFORM_SPEC.harts, settings.harts?.min ?? 1), settings.harts?.max ?? 8);
  const ram = DEFAULT_PLATFORM_SPEC.ramSize;
  const ramSize = settings.mem ? (ram < settings.mem.min ? settings.mem.min : ram > settings.mem.max ? settings.mem.max : ram) : ram;
  const spec: PlatformSpec = { ...DEFAULT_PLATFORM_SPEC, harts, ramSize, firmware: 'builtin' };
  try {
    return { spec, maps: readHartMaps(settings.image, spec) };
  } catch (e) {
    if (e instanceof BootFailure || e instanceof Unsupported) return { spec, maps: [], note: `the image did not boot on this platform: ${e.message}` };
    throw e;
  }
}

/** Writes a report atomically; a path that cannot be written is the user's to fix, so it is a usage error naming it. */
function write(option: string, path: string, text: string): void {
  try {
    writeFileAtomically(path, text);
  } catch (e) {
    throw new UsageError(`cannot write ${option} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function writeHeader(request: SuiteRequest, out: ProgressStream, workers = 1): void {
  const { settings } = request;
  const count = settings.only?.length ?? PROPERTIES.length;
  out.write(`hvspec: checking ${settings.image.name} (sha256 ${settings.image.digest}): ${count} propert${count === 1 ? 'y' : 'ies'}, seed ${settings.seed}${settings.runs ? `, ${settings.runs} runs each` : ', default budget'}${workers > 1 ? `, ${workers} worker threads` : ''}\n`);
}

/** Runs the suite as requested in this thread, prints progress, summary and failures, writes the reports; returns the exit code. */
export function runAndReport(request: SuiteRequest, out: ProgressStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  writeHeader(request, out);
  return report(request, runLimitedSuite(request.settings, progress(out, env, request.askedRules)), out);
}

/**
 * Runs the suite as requested: on min(--jobs, properties) worker threads when that is more than one
 * and the built CLI is running (suite-parallel.ts says why sources run in this thread), else as
 * runAndReport. The output and reports are the same either way, but the header's worker count.
 */
export async function runRequest(request: SuiteRequest, out: ProgressStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const count = request.settings.only?.length ?? PROPERTIES.length;
  const workers = Math.min(request.jobs, count);
  if (workers <= 1 || request.source === undefined || !canRunInWorkers()) return runAndReport(request, out, env);
  writeHeader(request, out, workers);
  const callbacks: SuiteCallbacks = progress(out, env, request.askedRules);
  return report(request, await runParallelSuite(request.settings, request.source, workers, callbacks), out);
}

/** Prints the summary, failures and coverage of a finished run, writes the reports; returns the exit code. */
function report(request: SuiteRequest, run: SuiteResult, out: ProgressStream): number {
  const { settings } = request;
  // every report shows the replay command with the options the token does not carry
  const result: SuiteResult = { ...run, properties: run.properties.map((p) => (p.counterexample ? { ...p, report: formatCounterexample(p.counterexample, request.replayArgs) } : p)) };
  out.write(`\n${formatSummary(result.properties, request.askedRules)}\n`);
  const failed = result.properties.filter((p) => p.verdict === 'failed');
  for (const f of failed) out.write(`\n${f.property} FAILED\n${f.report ?? f.reason ?? ''}\n`);
  const skipped = result.properties.filter((p) => p.verdict === 'skipped');
  for (const s of skipped) out.write(`\n${s.property} skipped: ${s.reason}\n`);
  for (const p of result.properties) if (p.verdict === 'passed' && p.reason !== undefined) out.write(`\n${p.property}: ${p.reason}\n`);
  // a waived rule is shown as waived with its reason, never as passed
  for (const p of result.properties) for (const line of waiverLines(p)) out.write(`${p === result.properties.find((q) => q.waived?.length) && line === waiverLines(p)[0] ? '\n' : ''}${p.property} waives ${line}\n`);
  const held = result.properties.filter((p) => p.verdict === 'passed').length;
  out.write(`\ncoverage (generated cases that reached each state): ${Object.entries(result.coverage).map(([state, n]) => `${state} ${n}`).join(', ')}\n`);
  for (const u of result.uncovered) out.write(`coverage FAILED: ${u.property} claims to reach "${u.state}", and none of its generated cases did\n`);
  const required = requirements(request.required, result.properties, PROPERTIES);
  for (const q of required) out.write(q.reason === undefined ? `required ${q.rule}: checked by ${q.checkedBy.join(', ')}\n` : `required ${q.rule} FAILED: not checked: ${q.reason}\n`);
  const unmet = required.filter((q) => q.reason !== undefined).length;
  if (request.failOnSkip && skipped.length > 0) out.write(`--fail-on-skip: ${skipped.map((s) => s.property).join(', ')} skipped\n`);
  const context: ReportContext = { replayArgs: request.replayArgs, askedRules: request.askedRules, requirements: required, failOnSkip: request.failOnSkip };
  const ok = runPassed(result, context);
  const notes = [
    ...(result.uncovered.length > 0 ? [`${result.uncovered.length} claimed state${result.uncovered.length === 1 ? '' : 's'} never reached`] : []),
    ...(unmet > 0 ? [`${unmet} required rule${unmet === 1 ? '' : 's'} not checked`] : []),
    ...(request.failOnSkip && skipped.length > 0 ? ['--fail-on-skip'] : []),
  ];
  out.write(`\n${ok ? 'OK' : 'FAILED'}: ${held} held, ${failed.length} failed, ${skipped.length} skipped${notes.map((n) => `, ${n}`).join('')}\n`);
  if (request.reports.json) write('--json', request.reports.json, formatJsonReport(result, request.reportSettings, context));
  if (request.reports.junit) write('--junit', request.reports.junit, formatJunitReport(result, context));
  if (request.reports.html) {
    const { spec, maps, note } = htmlMaps(settings);
    write('--html', request.reports.html, renderHtmlReport({
      title: `hvspec: ${settings.image.name}`,
      image: { path: settings.image.name, digest: settings.image.digest },
      platform: { harts: spec.harts, ram: formatRamSize(spec.ramSize), firmware: spec.firmware, seed: settings.seed ?? DEFAULT_SEED, bootHart: spec.bootHart },
      results: result.properties,
      maps,
      ...(note ? { mapsNote: note } : {}),
      generatedAt: new Date().toISOString(),
    }));
  }
  for (const [kind, path] of Object.entries(request.reports)) out.write(`${kind} report: ${path}\n`);
  return ok ? EXIT_OK : EXIT_FAILED;
}

export async function check(args: string[]): Promise<number> {
  const parsed = parseOptions('check', args, CHECK_OPTIONS, CHECK_USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${CHECK_USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`check: unexpected argument '${parsed.positionals[0]}'\n\n${CHECK_USAGE}`);
  const imagePath = textOption(parsed, '--image');
  if (imagePath === undefined) throw new UsageError(`check: --image FILE is required\n\n${CHECK_USAGE}`);
  const source: ImageSource = { command: 'check', option: '--image', path: imagePath, ...(textOption(parsed, '--symbols') ? { symbols: textOption(parsed, '--symbols')! } : {}), ...(textOption(parsed, '--profile') ? { profile: textOption(parsed, '--profile')! } : {}) };
  const image = loadUserImage('check', '--image', imagePath, source.symbols, source.profile);
  return runRequest(suiteRequest('check', parsed, image, source));
}
