/**
 * `hvspec mutants [--only NAME,...]`: runs the seeded-bug catalogue (hypervisor/build/mutants/*.elf,
 * each with the rule hypervisor/mutants/README.md says it breaks) through the suite, stopping at
 * the first failing property, and prints the kill matrix: the property that caught it, the rules
 * its counterexample cites, the counterexample's size, and the time. Exit 1 when a mutant survives
 * or is caught citing another rule than its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { counterexampleSize, DEFAULT_SEED, loadImage, runSuite } from '../../properties/index.js';
import { formatOptions, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../usage.js';
import { citedRules } from '../reports/verdict.js';
import { seedOption } from './check.js';

/**
 * The most RAM the catalogue's platforms get: every seeded bug is killed within 4 GiB, and a mutant
 * first caught after the boot property would otherwise sit through its 10 and 16 GiB boots
 * (about 15 s each on the loaded 2-core machine) before the property that catches it runs.
 */
export const MUTANTS_MAX_RAM = 4n << 30n;

const OPTIONS: readonly OptionSpec[] = [
  { name: '--only', value: 'NAME,...', help: 'run only these mutants' },
  { name: '--seed', value: 'S', help: `fast-check seed, decimal or 0x hex (default 0x${DEFAULT_SEED.toString(16)})` },
];

const USAGE = `usage: hvspec mutants [options]

Runs every seeded bug (hypervisor/build/mutants/*.elf) through the suite and prints the kill
matrix. Exit 1 when a mutant survives or is caught citing another rule than its own.

Expect 5 to 10 minutes and about 0.4 GB of memory for the whole catalogue: /usr/bin/time -v
node dist/cli/hvspec.js mutants took 9 min 17 s wall time with 417 MB maximum resident set size
on 2 cores shared with other jobs (4 min 41 s when the machine was quiet). --only NAME runs one
mutant: from under a second to about two minutes.

${formatOptions(OPTIONS)}`;

const root = () => fileURLToPath(new URL('.', import.meta.url)).replace(/(?:dist\/)?cli\/commands\/?$/, '');

/** mutant name -> the rule it breaks, from the catalogue's table in hypervisor/mutants/README.md. */
export function catalogueRules(readme: string): Map<string, string> {
  const rules = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `([a-z0-9-]+)` \| ([A-Z]+(?:-[A-Z]+)+) \|/gm)) rules.set(m[1]!, m[2]!);
  return rules;
}

export interface KillRow {
  readonly mutant: string;
  readonly breaks: string;
  readonly caughtBy?: string;
  readonly cites: readonly string[];
  readonly size?: number;
  readonly ms: number;
  readonly killed: boolean;
}

export function formatKillMatrix(rows: readonly KillRow[]): string {
  const header = ['mutant', 'breaks', 'caught by', 'cites', 'size', 'time', 'verdict'];
  const cells = rows.map((r) => [r.mutant, r.breaks, r.caughtBy ?? '-', r.cites.join(',') || '-', r.size === undefined ? '-' : String(r.size), `${(r.ms / 1000).toFixed(1)} s`, r.killed ? 'killed' : r.caughtBy ? 'WRONG RULE' : 'SURVIVED']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n');
}

export async function mutants(args: string[]): Promise<number> {
  const parsed = parseOptions('mutants', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`mutants: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  const seedText = textOption(parsed, '--seed');
  const seed = seedText === undefined ? DEFAULT_SEED : seedOption('mutants', seedText);
  const rules = catalogueRules(readFileSync(join(root(), 'hypervisor/mutants/README.md'), 'utf8'));
  const dir = join(root(), 'hypervisor/build/mutants');
  const built = readdirSync(dir).filter((f) => f.endsWith('.elf')).map((f) => f.slice(0, -4)).sort();
  const onlyText = textOption(parsed, '--only');
  const selected = onlyText === undefined ? built : onlyText.split(',').map((n) => n.trim());
  for (const name of selected) {
    if (!built.includes(name)) throw new UsageError(`mutants: --only: no mutant '${name}' (built: ${built.join(', ')})`);
    if (!rules.has(name)) throw new UsageError(`mutants: ${name} is not in hypervisor/mutants/README.md's table`);
  }
  const rows: KillRow[] = [];
  for (const name of selected) {
    const started = performance.now();
    const result = runSuite({ image: loadImage(join(dir, `${name}.elf`), name), seed, failFast: true, maxRamSize: MUTANTS_MAX_RAM });
    const failed = result.properties.find((p) => p.verdict === 'failed');
    const c = failed?.counterexample;
    // citedRules lists a rule cited twice (as the rule and again under `also`) once
    const cites = failed ? citedRules(failed) : [];
    const row: KillRow = { mutant: name, breaks: rules.get(name)!, ...(failed ? { caughtBy: failed.property } : {}), cites, ...(c ? { size: counterexampleSize(c) } : {}), ms: performance.now() - started, killed: cites.includes(rules.get(name)!) };
    rows.push(row);
    process.stdout.write(`  ${name}: ${row.killed ? 'killed' : row.caughtBy ? 'caught citing another rule' : 'SURVIVED'} (${(row.ms / 1000).toFixed(1)} s)\n`);
  }
  const survivors = rows.filter((r) => !r.killed);
  process.stdout.write(`\n${formatKillMatrix(rows)}\n\n${rows.length - survivors.length} of ${rows.length} mutants killed${survivors.length ? `; not killed: ${survivors.map((r) => r.mutant).join(', ')}` : ''}\n`);
  return survivors.length === 0 ? EXIT_OK : EXIT_FAILED;
}
