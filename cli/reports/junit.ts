/**
 * JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one <testsuite> for the image,
 * one <testcase> per property, <failure> carrying the rule ID, the counterexample and its replay
 * line (the rule --only asked for when the counterexample cites it), <skipped> carrying the reason;
 * and one <testcase> per `--require`d rule, failing when no property checked it.
 */
import type { PropertyResult, SuiteResult } from '../../properties/index.js';
import { replayCommand, type ReportContext } from './json.js';
import { citedRules, waiverLines, type Requirement } from './verdict.js';

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: PropertyResult, replayArgs: readonly string[], asked: readonly string[]): string {
  const open = `    <testcase classname="hvspec.${xmlEscape(r.property)}" name="${xmlEscape(`${r.property} [${r.rules.join(', ')}]`)}" time="${seconds(r.ms)}">`;
  const body: string[] = [];
  if (r.verdict === 'failed') {
    const c = r.counterexample;
    // a rule --only asked for is the failure's type when the counterexample cites it, with its own message
    const rule = c ? citedRules(r, asked)[0]! : undefined;
    const ruleMessage = c ? (rule === c.rule ? c.message : c.also.find((a) => a.rule === rule)!.message) : '';
    const message = c ? `${rule}: ${ruleMessage.split('\n')[0]}` : (r.reason ?? 'failed');
    const text = c ? `${r.report ?? ''}\n${replayCommand(r, replayArgs)}` : (r.reason ?? '');
    body.push(`      <failure message="${xmlEscape(message)}" type="${xmlEscape(rule ?? 'ERROR')}">${xmlEscape(text)}</failure>`);
  } else if (r.verdict === 'skipped') {
    body.push(`      <skipped message="${xmlEscape(r.reason ?? 'skipped')}"/>`);
  }
  body.push(`      <system-out>${xmlEscape(`runs ${r.runs}, seed ${r.seed}, rules ${r.rules.join(' ')}`)}</system-out>`);
  // each waived rule is a skipped case of its own, with the reason: never counted as passed
  const waivedCases = waiverLines(r).map((line, i) => `    <testcase classname="hvspec.${xmlEscape(r.property)}" name="${xmlEscape(`${r.property} waives ${r.waived![i]!.rule}`)}" time="0.000">\n      <skipped message="${xmlEscape(`waived: ${line}`)}"/>\n    </testcase>`);
  return [open, ...body, '    </testcase>', ...waivedCases].join('\n');
}

function requirementCase(q: Requirement): string {
  const open = `    <testcase classname="hvspec.require" name="${xmlEscape(`require ${q.rule}`)}" time="0.000">`;
  const body = q.reason === undefined
    ? `      <system-out>${xmlEscape(`checked by ${q.checkedBy.join(', ')}`)}</system-out>`
    : `      <failure message="${xmlEscape(`${q.rule}: required, and not checked: ${q.reason}`)}" type="${q.rule}">${xmlEscape(q.reason)}</failure>`;
  return [open, body, '    </testcase>'].join('\n');
}

export function formatJunitReport(result: SuiteResult, context: ReportContext = {}): string {
  const replayArgs = context.replayArgs ?? [];
  const required = context.requirements ?? [];
  const waivedCases = result.properties.reduce((k, p) => k + (p.waived?.length ?? 0), 0);
  const n = result.properties.length + required.length + waivedCases;
  const failures = result.properties.filter((p) => p.verdict === 'failed').length + required.filter((q) => q.reason !== undefined).length;
  const skipped = result.properties.filter((p) => p.verdict === 'skipped').length + waivedCases;
  const time = seconds(result.properties.reduce((t, p) => t + p.ms, 0));
  const counts = `tests="${n}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="hvspec" ${counts}>`,
    `  <testsuite name="${xmlEscape(`hvspec ${result.image.name}`)}" ${counts}>`,
    `    <properties><property name="image" value="${xmlEscape(result.image.name)}"/><property name="sha256" value="${result.image.digest}"/></properties>`,
    ...result.properties.map((r) => testcase(r, replayArgs, context.askedRules ?? [])),
    ...required.map(requirementCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
