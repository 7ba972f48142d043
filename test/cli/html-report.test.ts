/**
 * The HTML report (cli/reports/html.ts) from real runs: a few properties on the unmodified hypervisor
 * (everything holds, every map as the model expects) and on the cpu-struct-global mutant (boot fails
 * on MAP-GLOBAL; every hart's cpu-struct rows differ). The HTML string is checked structurally
 * always; when Debian's chromium is installed the page is also opened headless, screenshotted and
 * its rendered DOM checked for the elements a reader needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, renderHtmlReport, statusRows, type HartMap, type HtmlReportInput } from '../../cli/reports/html.js';
import { formatSize } from '../../model/index.js';
import {
  bootHypervisor,
  DEFAULT_PLATFORM_SPEC,
  expectedRunsForDiff,
  loadImage,
  readAllHartTables,
  runSuite,
  type HypervisorImage,
  type PropertyResult,
} from '../../properties/index.js';

const HYPERVISOR = 'hypervisor/build/hypervisor.elf';
const MUTANT = 'hypervisor/build/mutants/cpu-struct-global.elf';
const CHROMIUM = '/usr/bin/chromium';
const SEED = 0x5eed;
const spec = DEFAULT_PLATFORM_SPEC; // 4 harts, 256 MiB, builtin firmware

function mapsOf(image: HypervisorImage): HartMap[] {
  const booted = bootHypervisor(image, spec);
  return readAllHartTables(booted.machine).map(({ hart, table }) => ({ hart, observed: table.runs, expected: expectedRunsForDiff(booted.platform, hart, table.runs), layout: booted.platform }));
}

function reportOf(image: HypervisorImage, results: readonly PropertyResult[], maps: readonly HartMap[]): HtmlReportInput {
  return {
    title: `hvspec check ${image.name}`,
    image: { path: image.name, digest: image.digest },
    platform: { harts: spec.harts, bootHart: spec.bootHart, ram: formatSize(spec.ramSize), firmware: spec.firmware, seed: SEED },
    results,
    maps,
  };
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

let good: { input: HtmlReportInput; html: string };
let bad: { input: HtmlReportInput; html: string };
const dir = mkdtempSync(join(tmpdir(), 'hvspec-html-'));

beforeAll(() => {
  // scale 0.1: one generated case per property (boot also runs its three examples)
  const real = loadImage(HYPERVISOR);
  const realResults = runSuite({ image: real, seed: SEED, scale: 0.1, only: ['stack-overflow', 'stack-overflow-sp'] }).properties;
  const goodInput = reportOf(real, realResults, mapsOf(real));
  good = { input: goodInput, html: renderHtmlReport(goodInput) };
  const mutant = loadImage(MUTANT);
  const mutantResults = runSuite({ image: mutant, seed: SEED, scale: 0.1, only: ['boot', 'stack-overflow-sp'] }).properties;
  const badInput = reportOf(mutant, mutantResults, mapsOf(mutant));
  bad = { input: badInput, html: renderHtmlReport(badInput) };
  writeFileSync(join(dir, 'good.html'), good.html);
  writeFileSync(join(dir, 'bad.html'), bad.html);
}, 60_000);

afterAll(() => {
  if (process.env.HVSPEC_KEEP_HTML === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`HTML reports and screenshots kept in ${dir}`);
});

describe('HTML report: the page as written', () => {
  it('is one self-contained document: no scripts, no external fonts, images, styles or links', () => {
    for (const { html } of [good, bad]) {
      expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|@font-face|src=/i);
      // the only URL is the SVG namespace; url() only points at patterns inside the page
      expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:|\/\/[a-z]/i);
      for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
      expect(html.trimEnd().endsWith('</html>')).toBe(true);
    }
  });

  it('has one summary row per property, failures first, verdicts in words as well as colour', () => {
    const rows = [...bad.html.matchAll(/<tr class="result verdict-(\w+)" data-property="([a-z-]+)">.*?<\/tr>/g)];
    expect(rows.map((r) => r[2])).toEqual(['boot', 'stack-overflow-sp']);
    expect(rows.map((r) => r[1])).toEqual(['failed', 'passed']);
    expect(rows[0]![0]).toContain('✗ failed');
    expect(rows[0]![0]).toContain('MAP-GLOBAL');
    expect(rows[1]![0]).toContain('✓ passed');
    const goodRows = [...good.html.matchAll(/<tr class="result verdict-(\w+)" data-property="([a-z-]+)">/g)];
    expect(goodRows.map((r) => [r[2], r[1]])).toEqual([
      ['stack-overflow', 'passed'],
      ['stack-overflow-sp', 'passed'],
    ]);
    expect(good.html).not.toContain('Counterexamples');
  });

  it('draws one SVG per hart with a title, every region kind, and the guard page unmapped', () => {
    for (const { html } of [good, bad]) {
      const maps = html.slice(html.indexOf('id="maps-h"'));
      const svgs = [...maps.matchAll(/<svg class="memory-map" id="[^"]+" data-hart="(\d+)"[^>]*>\s*<title id="[^"]+">([^<]+)<\/title>/g)];
      expect(svgs.map((m) => Number(m[1]))).toEqual([0, 1, 2, 3]);
      expect(count(maps, /<g class="guard-page" /g)).toBe(4);
      for (const kind of ['text', 'rodata', 'data', 'cpu-struct', 'linear-map', 'device']) expect(maps, kind).toContain(`class="va-run kind-${kind} `);
      expect(maps).toContain('cpu guard (unmapped) · 4 KiB · 0xffffffc040000000');
      // the labels use the model's region names, as ptdump and spec --map do
      for (const name of ['device uart', 'text', 'rodata', 'data+bss', 'cpu stack', 'cpu info', 'cpu trap stack']) expect(maps, name).toContain(`>${escapeHtml(name)} · `);
      expect(maps).toContain('linear map · 256 MiB');
    }
  });

  it('on the unmodified image every map row is the same as the model', () => {
    const maps = good.html.slice(good.html.indexOf('id="maps-h"'));
    expect(count(maps, /<tr class="diff-row status-same">/g)).toBeGreaterThan(4 * 8);
    expect(maps).not.toMatch(/class="[^"]*status-(missing|unexpected|differs)/);
    for (const m of good.input.maps) expect(statusRows(m.expected, m.observed).every((r) => r.status === 'same')).toBe(true);
  });

  it('shows the failure: rule ID and statement, counterexample text, the diff rows highlighted', () => {
    const boot = bad.input.results.find((r) => r.property === 'boot')!;
    expect(boot.verdict).toBe('failed');
    const section = bad.html.slice(bad.html.indexOf('<section class="failure" id="failure-boot"'), bad.html.indexOf('id="maps-h"'));
    expect(section).toContain('<span class="rule-id">MAP-GLOBAL</span> violated');
    expect(section).toContain('Every leaf is global except the cpu struct');
    expect(section).toContain(escapeHtml(boot.report!));
    expect(section).toContain('hvspec replay hv1.');
    // the cpu struct's 7 pages, each expected without G and observed with it: 7 pairs that differ
    const differs = [...section.matchAll(/<tr class="diff-row status-differs"><td>([-+])<\/td><td>differs<\/td><td>(?:cpu stack|cpu info|cpu trap stack)<\/td>.*?<code>([-RWXUGAD]{7})<\/code><\/td><\/tr>/g)];
    expect(differs.map((m) => m[1])).toEqual(Array.from({ length: 7 }, () => ['-', '+']).flat());
    expect(differs.filter((m) => m[1] === '-').every((m) => m[2] === 'RW---AD')).toBe(true);
    expect(differs.filter((m) => m[1] === '+').every((m) => m[2] === 'RW--GAD')).toBe(true);
    // every hart's map of the mutant shows the same 14 rows as differing
    const maps = bad.html.slice(bad.html.indexOf('id="maps-h"'));
    expect(count(maps, /<tr class="diff-row status-differs">/g)).toBe(4 * 14);
    expect(count(maps, /<h3 id="hart-\d-h">Hart \d: 14 rows differ from the model<\/h3>/g)).toBe(4);
  });

  it('marks a mapped guard page as such (no-guard-page mutant), not as a hole', () => {
    const mutant = loadImage('hypervisor/build/mutants/no-guard-page.elf');
    const maps = mapsOf(mutant);
    const html = renderHtmlReport({ ...reportOf(mutant, [], maps) });
    expect(count(html, /<g class="guard-page guard-mapped" /g)).toBe(4);
    expect(count(html, /<g class="va-run kind-cpu-struct status-unexpected">/g)).toBe(4);
    expect(count(html, />cpu guard MAPPED · 4 KiB · RW---AD · 0xffffffc040000000<\/text>/g)).toBe(4);
    expect(html).not.toContain('cpu guard (unmapped) · 4 KiB');
    expect(count(html, /<tr class="diff-row status-unexpected"><td>\+<\/td><td>unexpected<\/td><td>cpu guard MAPPED<\/td>/g)).toBe(4);
  });

  it('draws every seeded bug\'s maps with finite coordinates, and marks what differs', () => {
    const small = { ...spec, harts: 2, ramSize: 32n << 20n };
    const mutants = readdirSync('hypervisor/build/mutants').filter((f) => f.endsWith('.elf'));
    expect(mutants.length).toBeGreaterThan(10);
    let differing = 0;
    for (const file of mutants) {
      const image = loadImage(join('hypervisor/build/mutants', file));
      let booted;
      try {
        booted = bootHypervisor(image, small);
      } catch {
        continue; // a mutant that does not boot here has no maps to draw
      }
      const maps = readAllHartTables(booted.machine).map(({ hart, table }) => ({ hart, observed: table.runs, expected: expectedRunsForDiff(booted.platform, hart, table.runs), layout: booted.platform }));
      const html = renderHtmlReport(reportOf(image, [], maps));
      expect(html, file).not.toMatch(/NaN|undefined|Infinity/);
      expect(count(html, /<svg class="memory-map"/g), file).toBe(2);
      const rows = maps.flatMap((m) => statusRows(m.expected, m.observed)).filter((r) => r.status !== 'same').length;
      expect(count(html, /<tr class="diff-row status-(missing|unexpected|differs)">/g), file).toBe(rows);
      if (rows > 0) differing += 1;
      // the linear map one page short: the page the model maps and the table does not is drawn and labelled
      if (file === 'linear-map-short.elf') expect(count(html, /<g class="va-hole">.*?<\/g>\s*<text [^>]*>not mapped · 4 KiB · 0xffffffe001fff000<\/text>/g)).toBe(2);
      else expect(html, file).not.toContain('class="va-hole"');
    }
    // the map-breaking bugs (MAP-*, STACK-GUARD's mapped guard) show up in the maps
    expect(differing).toBeGreaterThanOrEqual(8);
  });

  it('shows wall time, cites a rule once, and no run count for a skipped property', () => {
    const boot = bad.input.results.find((r) => r.property === 'boot')!;
    const c = boot.counterexample!;
    const html = renderHtmlReport({
      ...bad.input,
      results: [{ ...boot, counterexample: { ...c, also: [{ rule: c.rule, message: 'again' }] }, violated: [c.rule, c.rule] }, { ...bad.input.results[1]!, verdict: 'skipped', runs: 2, reason: 'no console' }],
      maps: [],
    });
    expect(html).toContain('<th scope="col">wall time</th>');
    expect(html).toContain(`<strong class="rule-id">${c.rule}</strong>`);
    expect(html).toMatch(/<tr class="result verdict-skipped"[^>]*><th scope="row">[^<]+<\/th><td>[^<]*<\/td><td class="num">–<\/td>/);
  });

  it('escapes every piece of text it is given', () => {
    const hostile = '<script>alert("x")</script> & \'q\'';
    const base = bad.input.results[1]!;
    const html = renderHtmlReport({
      ...bad.input,
      title: hostile,
      image: { path: hostile },
      platform: { ...bad.input.platform, ram: hostile, firmware: hostile },
      results: [{ ...base, verdict: 'skipped', reason: hostile }],
      maps: [],
      mapsNote: hostile,
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"x"');
    expect(count(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;q&#39;/g)).toBe(7); // <title> and <h1>, image, RAM, firmware, reason, maps note
    expect(html).toContain('<span class="verdict verdict-skipped">– skipped</span>');
  });
});

const chromium = existsSync(CHROMIUM);
if (!chromium) console.warn(`test/cli/html-report.test.ts: headless checks skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

function runChromium(args: string[]): { stdout: string; stderr: string } {
  const profile = mkdtempSync(join(dir, 'profile-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  const run = spawnSync(CHROMIUM, [...flags, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`chromium exited with ${run.status}: ${run.stderr}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!chromium)(`HTML report in headless Chromium (${CHROMIUM})`, () => {
  it('renders to a screenshot of the requested size that is not blank', () => {
    const png = join(dir, 'bad.png');
    runChromium([`--screenshot=${png}`, '--window-size=1400,2000', `file://${join(dir, 'bad.html')}`]);
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.toString('latin1', 12, 16)).toBe('IHDR');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1400, 2000]);
    // a blank 1400x2000 page compresses to a few KiB; tables, colours and pictures do not
    expect(statSync(png).size).toBeGreaterThan(100_000);
  });

  it('has, once rendered, the summary rows, one SVG per hart, the guard pages, the failing rule and the highlighted diff', () => {
    const dom = runChromium(['--dump-dom', `file://${join(dir, 'bad.html')}`]).stdout;
    expect(dom).toContain('<title>hvspec check hypervisor/build/mutants/cpu-struct-global.elf</title>');
    const summary = dom.slice(dom.indexOf('<table class="summary">'), dom.indexOf('</table>', dom.indexOf('<table class="summary">')));
    expect([...summary.matchAll(/<tr class="result verdict-(\w+)" data-property="([a-z-]+)">/g)].map((m) => `${m[2]}:${m[1]}`)).toEqual(['boot:failed', 'stack-overflow-sp:passed']);
    const maps = dom.slice(dom.indexOf('id="maps-h"'));
    expect([...maps.matchAll(/<svg class="memory-map"[^>]* data-hart="(\d)"/g)].map((m) => m[1])).toEqual(['0', '1', '2', '3']);
    expect(count(maps, /<g class="guard-page" id="[^"]+-guard"><rect [^>]*><\/rect><title>cpu guard: /g)).toBe(4);
    expect(dom).toContain('<span class="rule-id">MAP-GLOBAL</span> violated');
    expect(count(dom, /<tr class="diff-row status-differs">/g)).toBe(14 + 4 * 14);
    // SVG titles survive parsing as SVG title elements (tooltips and accessible names)
    expect(count(maps, /<svg [^>]*>\s*<title id="[^"]+">[^<]+<\/title>/g)).toBe(4);
  });

  it('renders the unmodified image\'s report too', () => {
    const dom = runChromium(['--dump-dom', `file://${join(dir, 'good.html')}`]).stdout;
    expect(count(dom, /<tr class="result verdict-passed"/g)).toBe(2);
    expect(count(dom, /<svg class="memory-map"/g)).toBe(4);
    expect(dom).not.toMatch(/class="[^"]*status-(missing|unexpected|differs)/);
  });
});
