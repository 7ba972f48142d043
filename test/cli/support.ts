/** Shared by the CLI tests: capturing stdout/stderr, a scratch folder, and structural checks of the reports. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

export const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
export const mutant = (name: string) => `hypervisor/build/mutants/${name}.elf`;

export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'hvspec-cli-'));
}

/** Captures what a command writes; restore with vi.restoreAllMocks(). */
export function capture(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/**
 * A small, strict XML reader for the JUnit report: one root, properly nested and closed tags,
 * quoted attributes, only the five predefined entities, no stray '<' or '&'. Throws naming the
 * offset of the first problem (a test of well-formedness, not a general XML parser).
 */
export function parseXml(text: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`XML at offset ${at}: ${why}`);
  };
  if (text.startsWith('<?xml')) at = text.indexOf('?>') + 2;
  const checkText = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(s)) fail(`bad entity in ${JSON.stringify(s.slice(0, 40))}`);
    return unescape(s);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = lt < 0 ? text.slice(at) : text.slice(at, lt);
    if (stack.length === 0 && chunk.trim() !== '') fail('text outside the root element');
    if (stack.length > 0) stack.at(-1)!.text += checkText(chunk);
    if (lt < 0) break;
    at = lt;
    const gt = text.indexOf('>', at);
    if (gt < 0) fail('unclosed tag');
    const tag = text.slice(at + 1, gt);
    if (tag.startsWith('/')) {
      const open = stack.pop();
      if (open === undefined || open.name !== tag.slice(1).trim()) fail(`</${tag.slice(1)}> closes ${open?.name ?? 'nothing'}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*$/.exec(body);
      if (m === null) fail(`malformed tag <${tag}>`);
      const attributes: Record<string, string> = {};
      for (const a of m![2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        if (a[1]! in attributes) fail(`duplicate attribute ${a[1]}`);
        attributes[a[1]!] = checkText(a[2]!);
      }
      const element: XmlElement = { name: m![1]!, attributes, children: [], text: '' };
      if (stack.length > 0) stack.at(-1)!.children.push(element);
      else if (root !== undefined) fail('second root element');
      else root = element;
      if (!selfClosing) stack.push(element);
    }
    at = gt + 1;
  }
  if (stack.length > 0) fail(`<${stack.at(-1)!.name}> never closed`);
  if (root === undefined) fail('no root element');
  return root!;
}

/**
 * Structural check of a JUnit report: testsuites > testsuite > testcase, the counts on both levels
 * equal to the testcases' failure/skipped children, every failure naming a rule (type) and holding
 * the replay line. Returns the problems (empty when it conforms).
 */
export function junitProblems(xml: string): string[] {
  const problems: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    return [(e as Error).message];
  }
  if (root.name !== 'testsuites') problems.push(`root is <${root.name}>, not <testsuites>`);
  const suites = root.children.filter((c) => c.name === 'testsuite');
  if (suites.length === 0) problems.push('no <testsuite>');
  const cases = suites.flatMap((s) => s.children.filter((c) => c.name === 'testcase'));
  const counts = (cs: XmlElement[]) => ({
    tests: cs.length,
    failures: cs.filter((c) => c.children.some((x) => x.name === 'failure')).length,
    skipped: cs.filter((c) => c.children.some((x) => x.name === 'skipped')).length,
  });
  const compare = (e: XmlElement, cs: XmlElement[]) => {
    const want = counts(cs);
    for (const [k, v] of Object.entries(want)) if (e.attributes[k] !== String(v)) problems.push(`<${e.name}> ${k}="${e.attributes[k]}" but it holds ${v}`);
    if (e.attributes.errors !== '0') problems.push(`<${e.name}> errors="${e.attributes.errors}"`);
    if (!/^\d+\.\d{3}$/.test(e.attributes.time ?? '')) problems.push(`<${e.name}> time="${e.attributes.time}" is not seconds`);
  };
  compare(root, cases);
  for (const s of suites) compare(s, s.children.filter((c) => c.name === 'testcase'));
  for (const c of cases) {
    if (!c.attributes.name || !c.attributes.classname) problems.push('a <testcase> lacks name or classname');
    for (const f of c.children.filter((x) => x.name === 'failure')) {
      if (!/^[A-Z]+(-[A-Z]+)+$/.test(f.attributes.type ?? '')) problems.push(`<failure> type="${f.attributes.type}" is not a rule ID`);
      if (!(f.attributes.message ?? '').startsWith(`${f.attributes.type}: `)) problems.push('<failure> message does not start with its rule ID');
      // a --require testcase fails for a rule no property checked: there is no case to replay
      if (c.attributes.classname !== 'hvspec.require' && !/^hvspec replay hv1\.[A-Za-z0-9_-]+$/m.test(f.text)) problems.push('<failure> holds no replay line');
    }
  }
  return problems;
}
