/**
 * `hvspec profile --image FILE [--out FILE]`: writes a starting profile for an image, inferred from
 * its ELF (properties/profile/infer.ts), and lists what was inferred and how, and what was not and
 * what stands in its place, for the user to edit before `hvspec check --profile`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ElfError, parseElf } from '../../emulator/elf.js';
import { inferProfile, ProfileInferenceError, type ProfileFinding } from '../../properties/profile/infer.js';
import { checkProfile, ProfileError } from '../../properties/profile/profile.js';
import { existingFile, formatOptions, parseOptions, textOption, type OptionSpec } from '../options.js';
import { writeFileAtomically } from '../reports/write.js';
import { EXIT_OK, UsageError } from '../usage.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: '--image', value: 'FILE', help: 'the hypervisor image (a RISC-V ELF with its symbol table)' },
  { name: '--out', value: 'FILE', help: 'write the profile there (default: standard output; the notes go to standard error)' },
  { name: '--force', help: 'with --out: replace an existing file' },
];

const USAGE = `usage: hvspec profile --image FILE [--out FILE [--force]]

Writes a starting profile (properties/profile/README.md) for an image that is not
the bundled hypervisor, inferred from its ELF: the allocator's functions and, from
their code, where free stores a page, whether it returns a verdict or panics and
whether alloc clears the frame; panic functions and panic text; layout symbols
(or sections); the load offset; which functions write satp, hgatp and M-mode CSRs.
It then lists what it inferred and how, and what it could not infer and what it
wrote instead: check those before trusting a verdict.

${formatOptions(OPTIONS)}`;

const formatFindings = (title: string, findings: readonly ProfileFinding[]): string => {
  if (findings.length === 0) return `${title}: none`;
  const width = Math.max(...findings.map((f) => f.field.length));
  return [`${title}:`, ...findings.map((f) => `  ${f.field.padEnd(width)}  ${f.note}`)].join('\n');
};

export async function profile(args: string[]): Promise<number> {
  const parsed = parseOptions('profile', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`profile: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  const imagePath = textOption(parsed, '--image');
  if (imagePath === undefined) throw new UsageError(`profile: --image FILE is required\n\n${USAGE}`);
  const out = textOption(parsed, '--out');
  const force = parsed.values.has('--force');
  if (force && out === undefined) throw new UsageError('profile: --force only goes with --out FILE');
  if (out !== undefined && existsSync(out) && !force) throw new UsageError(`profile: --out '${out}' exists (add --force to replace it)`);
  existingFile('profile', '--image', imagePath);
  let inferred;
  try {
    inferred = inferProfile(parseElf(readFileSync(imagePath), imagePath));
  } catch (e) {
    if (e instanceof ElfError || e instanceof ProfileInferenceError) throw new UsageError(`profile: --image ${e.message}`);
    throw e;
  }
  const text = `${JSON.stringify(inferred.json, null, 2)}\n`;
  // what is written must load as it stands (placeholders are symbol names, so only check finds them missing)
  try {
    checkProfile(JSON.parse(text), out ?? '(standard output)');
  } catch (e) {
    if (e instanceof ProfileError) throw new Error(`profile: the inferred profile does not load (${e.message}); this is a bug in hvspec profile`);
    throw e;
  }
  if (out === undefined) process.stdout.write(text);
  else writeFileAtomically(out, text);
  const next = out === undefined ? 'save it to a file' : `edit ${out}`;
  process.stderr.write(`${formatFindings(`inferred from ${imagePath}`, inferred.inferred)}\n\n${formatFindings('not inferred (defaults or FILL_IN placeholders written: check each)', inferred.notInferred)}\n\n${out === undefined ? '' : `wrote ${out}; `}${next}, then: hvspec check --image ${imagePath} --profile ${out ?? 'FILE'}\n`);
  return EXIT_OK;
}
