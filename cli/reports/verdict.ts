/**
 * What a run's verdicts say about rules, for every renderer (terminal table, JSON, JUnit): which
 * rules a failure cites with the ones the user asked for (`--only RULE`) first, and whether each
 * rule of `--require` was really checked (a property checking it ran to a verdict).
 */
import type { RuleId } from '../../model/index.js';
import type { PropertyName, PropertyResult } from '../../properties/index.js';

/** The rules a failed property's counterexample cites, those in `asked` first (then the main rule, then the rest). */
export function citedRules(result: PropertyResult, asked: readonly string[] = []): string[] {
  const c = result.counterexample;
  if (c === undefined) return [];
  const all = [...new Set(result.violated ?? [c.rule, ...c.also.map((a) => a.rule)])];
  return [...all.filter((r) => asked.includes(r)), ...all.filter((r) => !asked.includes(r))];
}

/** `RULE (reason)` lines for the rules the profile waives for this property (whole rules, then parts). */
export function waiverLines(result: PropertyResult): string[] {
  return (result.waived ?? []).map((w) => `${w.rule}${'part' in w && w.part === true ? ' (in part)' : ''}: ${w.reason}`);
}

/**
 * The verdict as the table's column shows it: `FAILED RULE` (the asked-for rules first, `+N` for the
 * rest), `passed`, `skipped`; `, N waived` after it when the profile waives rules of the property
 * (they were not judged, so `passed` never covers them).
 */
export function verdictText(result: PropertyResult, asked: readonly string[] = []): string {
  const waived = result.waived?.length ? `, ${result.waived.length} waived` : '';
  return `${plainVerdictText(result, asked)}${waived}`;
}

function plainVerdictText(result: PropertyResult, asked: readonly string[]): string {
  if (result.verdict !== 'failed') return result.verdict;
  const cited = citedRules(result, asked);
  if (cited.length === 0) return 'FAILED';
  const named = cited.filter((r, i) => i === 0 || asked.includes(r));
  // the main rule when the asked-for ones are not it
  const main = result.counterexample!.rule;
  if (!named.includes(main)) named.push(main);
  const rest = cited.length - named.length;
  return `FAILED ${named.join(',')}${rest > 0 ? ` +${rest}` : ''}`;
}

/** Whether one `--require`d rule was checked. */
export interface Requirement {
  readonly rule: RuleId;
  /** The properties that checked it and reached a verdict (passed or failed). */
  readonly checkedBy: readonly PropertyName[];
  /** Why it was not checked (absent when it was). */
  readonly reason?: string;
}

/** The rules a result really judged: its `checked` (runProperty sets it), else its rules unless skipped. */
export function judgedRules(result: PropertyResult): readonly RuleId[] {
  return result.checked ?? (result.verdict === 'skipped' ? [] : result.rules);
}

/**
 * Each required rule: checked when some property judged it (its `checked` rules, on at least one
 * case that reached a verdict); otherwise why not (no property checks it, --only left them out, or
 * each one was skipped, with its reason). `definitions` are the suite's properties, with the rules
 * their checks apply (`checks`, else `rules`).
 */
export function requirements(required: readonly RuleId[], results: readonly PropertyResult[], definitions: readonly { readonly name: PropertyName; readonly rules: readonly RuleId[]; readonly checks?: readonly RuleId[] }[]): Requirement[] {
  return required.map((rule) => {
    const checking = definitions.filter((d) => (d.checks ?? d.rules).includes(rule)).map((d) => d.name);
    const checkedBy = results.filter((r) => judgedRules(r).includes(rule)).map((r) => r.property);
    if (checkedBy.length > 0) return { rule, checkedBy };
    if (checking.length === 0) return { rule, checkedBy, reason: 'no property checks it' };
    const ran = results.filter((r) => checking.includes(r.property));
    if (ran.length === 0) return { rule, checkedBy, reason: `the propert${checking.length === 1 ? 'y' : 'ies'} checking it (${checking.join(', ')}) did not run: --only left ${checking.length === 1 ? 'it' : 'them'} out` };
    return { rule, checkedBy, reason: ran.map((r) => (r.verdict === 'skipped' ? `${r.property} was skipped: ${r.reason ?? 'no reason given'}` : `${r.property} judged no case by it`)).join('; ') };
  });
}
