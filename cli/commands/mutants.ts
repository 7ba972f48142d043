/**
 * `hvspec mutants [--catalogue NAME] [--only NAME,...]`: runs the seeded-bug catalogues (CATALOGUES:
 * the bundled hypervisor's, and the foreign-hv fixture's through its profile; each mutant with the
 * rule its catalogue's table says it breaks) through the suite, stopping at the first failing
 * property, and prints the kill matrix: the property that caught it, the rules its counterexample
 * cites, the counterexample's size, and the time. Exit 1 when a mutant survives or is caught citing
 * another rule than its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { counterexampleSize, DEFAULT_SEED, loadImage, propertiesChecking, runSuite } from '../../properties/index.js';
import { DEFAULT_PROFILE, loadProfile } from '../../properties/profile/profile.js';
import { formatOptions, integerOption, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../usage.js';
import { citedRules } from '../reports/verdict.js';
import { seedOption } from './check.js';
import { canRunInWorkers, runInWorkers } from './suite-parallel.js';

/**
 * The most RAM the catalogue's platforms get: every seeded bug is killed within 4 GiB, and a mutant
 * first caught after the boot property would otherwise sit through its 10 and 16 GiB boots
 * (about 15 s each on the loaded 2-core machine) before the property that catches it runs.
 */
export const MUTANTS_MAX_RAM = 4n << 30n;

/** A catalogue of seeded bugs: built images, the table naming the rule each breaks, the profile they are checked through. */
export interface MutantCatalogue {
  readonly name: string;
  /** Folder of the built `<mutant>.elf` images, from the package root. */
  readonly images: string;
  /** The Markdown file whose table rows start `| \`mutant\` | RULE-ID |`. */
  readonly table: string;
  /** The profile the images are checked through (none: the bundled hypervisor's). */
  readonly profile?: string;
  /** The most RAM a generated platform gets. */
  readonly maxRam: bigint;
  /** How its mutants are named in --only and the matrix: bare for the first catalogue, `catalogue/mutant` after. */
  readonly prefix: string;
}

/**
 * The catalogues, the bundled hypervisor's first. foreign-hv boots under OpenSBI, whose waiting
 * harts spin (bootStepBudget), and every one of its bugs dies within 256 MiB.
 */
export const CATALOGUES: readonly MutantCatalogue[] = [
  { name: 'hvspec-hv', images: 'hypervisor/build/mutants', table: 'hypervisor/mutants/README.md', maxRam: MUTANTS_MAX_RAM, prefix: '' },
  { name: 'foreign-hv', images: 'test/fixtures/foreign-hv/build/mutants', table: 'test/fixtures/foreign-hv/README.md', profile: 'test/fixtures/foreign-hv/foreign-hv.json', maxRam: 256n << 20n, prefix: 'foreign-hv/' },
];

const OPTIONS: readonly OptionSpec[] = [
  { name: '--catalogue', value: 'NAME', help: `${CATALOGUES.map((c) => c.name).join(', ')} or all (default all); the second's mutants are named foreign-hv/NAME` },
  { name: '--only', value: 'NAME,...', help: 'run only these mutants' },
  { name: '--seed', value: 'S', help: `fast-check seed, decimal or 0x hex (default 0x${DEFAULT_SEED.toString(16)})` },
  { name: '--jobs', value: 'N', help: `mutants checked at once, each in a worker thread (default: one per core, here ${availableParallelism()});\n1 checks them one after another in this thread. The matrix is the same whatever N, but the times` },
];

const USAGE = `usage: hvspec mutants [options]

Runs every seeded bug through the suite and prints the kill matrix: the bundled hypervisor's
(hypervisor/build/mutants/*.elf, table in hypervisor/mutants/README.md) and the foreign-hv
fixture's through its profile (test/fixtures/foreign-hv/build/mutants/*.elf, table in its
README). Exit 1 when a mutant survives or is caught citing another rule than its own.

Each mutant first meets the properties that judge the rule it breaks, then the rest. Expect about
a minute and 0.6 GB of memory for both catalogues (33 mutants): /usr/bin/time -v node
dist/cli/hvspec.js mutants took 50 s wall time with 619 MB maximum resident set size on 2 cores
(two worker threads, the default here; nothing else running), all 33 killed; --catalogue foreign-hv
alone: 14 s, 397 MB. --only NAME runs one mutant: from under a second to about 20 s.

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

/** One mutant to check: its image, the rule it breaks, the seed, and its catalogue's profile and RAM cap. */
export interface MutantTask {
  readonly name: string;
  readonly path: string;
  readonly breaks: string;
  readonly seed: number;
  readonly profile?: string;
  readonly maxRam: bigint;
}

/**
 * Runs the suite on one mutant, stopping at its first failing property; its row of the kill matrix.
 * The properties that check the rule it breaks run first (a mutant is killed when a counterexample
 * cites that rule), so a bug is not made to wait for every property that cannot see it.
 */
export function checkMutant(task: MutantTask): KillRow {
  const started = performance.now();
  const profile = task.profile === undefined ? DEFAULT_PROFILE : loadProfile(task.profile);
  const result = runSuite({ image: loadImage(task.path, task.name, profile), seed: task.seed, failFast: true, maxRamSize: task.maxRam, first: propertiesChecking(task.breaks) });
  const failed = result.properties.find((p) => p.verdict === 'failed');
  const c = failed?.counterexample;
  // citedRules lists a rule cited twice (as the rule and again under `also`) once
  const cites = failed ? citedRules(failed) : [];
  return { mutant: task.name, breaks: task.breaks, ...(failed ? { caughtBy: failed.property } : {}), cites, ...(c ? { size: counterexampleSize(c) } : {}), ms: performance.now() - started, killed: cites.includes(task.breaks) };
}

/** The worker entry that runs checkMutant (mutants-worker.js beside this file once built). */
const MUTANT_WORKER = new URL('./mutants-worker.js', import.meta.url);

export async function mutants(args: string[]): Promise<number> {
  const parsed = parseOptions('mutants', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`mutants: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  const seedText = textOption(parsed, '--seed');
  const seed = seedText === undefined ? DEFAULT_SEED : seedOption('mutants', seedText);
  const catalogueText = textOption(parsed, '--catalogue') ?? 'all';
  const catalogues = catalogueText === 'all' ? CATALOGUES : CATALOGUES.filter((c) => c.name === catalogueText);
  if (catalogues.length === 0) throw new UsageError(`mutants: --catalogue must be ${CATALOGUES.map((c) => c.name).join(', ')} or all, got '${catalogueText}'`);
  // every mutant of the chosen catalogues, by its matrix name
  const available = new Map<string, Omit<MutantTask, 'seed'>>();
  for (const c of catalogues) {
    const rules = catalogueRules(readFileSync(join(root(), c.table), 'utf8'));
    for (const file of readdirSync(join(root(), c.images)).filter((f) => f.endsWith('.elf')).sort()) {
      const name = `${c.prefix}${file.slice(0, -4)}`;
      const breaks = rules.get(file.slice(0, -4));
      if (breaks === undefined) throw new UsageError(`mutants: ${name} (${c.images}/${file}) is not in ${c.table}'s table`);
      available.set(name, { name, path: join(root(), c.images, file), breaks, maxRam: c.maxRam, ...(c.profile === undefined ? {} : { profile: join(root(), c.profile) }) });
    }
  }
  const built = [...available.keys()];
  const onlyText = textOption(parsed, '--only');
  const selected = onlyText === undefined ? built : onlyText.split(',').map((n) => n.trim());
  for (const name of selected) {
    if (!available.has(name)) throw new UsageError(`mutants: --only: no mutant '${name}' in ${catalogueText === 'all' ? 'the catalogues' : `the ${catalogueText} catalogue`} (built: ${built.join(', ')})`);
  }
  const jobsText = textOption(parsed, '--jobs');
  const jobs = Math.min(jobsText === undefined ? availableParallelism() : integerOption('mutants', '--jobs', jobsText, 1, 256), selected.length);
  const rows: KillRow[] = [];
  const print = (row: KillRow) => {
    rows.push(row);
    process.stdout.write(`  ${row.mutant}: ${row.killed ? 'killed' : row.caughtBy ? 'caught citing another rule' : 'SURVIVED'} (${(row.ms / 1000).toFixed(1)} s)\n`);
  };
  const tasks: MutantTask[] = selected.map((name) => ({ ...available.get(name)!, seed }));
  if (jobs > 1 && canRunInWorkers(MUTANT_WORKER)) await runInWorkers<MutantTask, KillRow>(MUTANT_WORKER, tasks, jobs, print);
  else for (const task of tasks) print(checkMutant(task));
  const survivors = rows.filter((r) => !r.killed);
  process.stdout.write(`\n${formatKillMatrix(rows)}\n\n${rows.length - survivors.length} of ${rows.length} mutants killed${survivors.length ? `; not killed: ${survivors.map((r) => r.mutant).join(', ')}` : ''}\n`);
  return survivors.length === 0 ? EXIT_OK : EXIT_FAILED;
}
