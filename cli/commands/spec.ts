/**
 * `hvspec spec [--map [--image FILE]]`: prints the model's rules (ID, statement, where checked: the
 * model function SPEC.md names and the properties that judge it), or with --map the model's
 * expected memory map of the default platform with the bundled image's sections (or FILE's).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../model/index.js';
import { PROPERTIES } from '../../properties/index.js';
import { formatOptions, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_OK, UsageError } from '../usage.js';
import { loadUserImage } from './image.js';
import { bundledImagePath, imagePlatform, memoryMapReport } from './start.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: '--map', help: "print the model's expected memory map of the default platform instead,\nwith the bundled image's sections (hypervisor/build/hypervisor.elf)" },
  { name: '--image', value: 'FILE', help: "with --map: that image's sections instead" },
  { name: '--symbols', value: 'FILE', help: 'with --image: JSON object renaming the symbols the suite reads' },
];

const USAGE = `usage: hvspec spec [--map [--image FILE]]

Prints every rule of the model: its ID, its statement, and where it is checked
(the model's function, from SPEC.md, and the properties that judge it).

${formatOptions(OPTIONS)}`;

/** rule ID -> the model functions SPEC.md's "Checked in." paragraph names (`fn` in `file`). */
export function checkedIn(specText: string): Map<string, string> {
  const where = new Map<string, string>();
  for (const section of specText.split(/^### /m).slice(1)) {
    const id = section.slice(0, section.indexOf('\n')).trim();
    const m = /\*\*Checked in\.\*\*([\s\S]*?)(?:;|\n\n|$)/.exec(section);
    if (m === null) continue;
    const names = [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!);
    const fns = names.filter((n) => !n.includes('/'));
    const file = names.find((n) => n.startsWith('model/'));
    if (fns.length > 0) where.set(id, `${fns.join(', ')}${file ? ` (${file})` : ''}`);
  }
  return where;
}

export function specReport(specText: string): string {
  const where = checkedIn(specText);
  const lines: string[] = [`${RULES.length} rules (SPEC.md; cite them by ID)`, ''];
  for (const rule of RULES) {
    const properties = PROPERTIES.filter((p) => (p.rules as readonly string[]).includes(rule.id)).map((p) => p.name);
    lines.push(rule.id, `  ${rule.statement}`, `  model:      ${where.get(rule.id) ?? 'see SPEC.md'}`, `  properties: ${properties.length > 0 ? properties.join(', ') : '(none)'}`, '');
  }
  return lines.join('\n');
}

export async function spec(args: string[]): Promise<number> {
  const parsed = parseOptions('spec', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`spec: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  const imagePath = textOption(parsed, '--image');
  if (!parsed.values.has('--map') && (imagePath !== undefined || parsed.values.has('--symbols'))) throw new UsageError(`spec: --image and --symbols go with --map\n\n${USAGE}`);
  if (imagePath === undefined && parsed.values.has('--symbols')) throw new UsageError(`spec: --symbols goes with --image FILE`);
  if (parsed.values.has('--map')) {
    const image = imagePath === undefined ? loadUserImage('spec', 'bundled image', bundledImagePath()) : loadUserImage('spec', '--image', imagePath, textOption(parsed, '--symbols'));
    process.stdout.write(memoryMapReport(imagePlatform(image), image.name));
    return EXIT_OK;
  }
  const root = fileURLToPath(new URL('.', import.meta.url)).replace(/(?:dist\/)?cli\/commands\/?$/, '');
  let text = '';
  try {
    text = readFileSync(`${root}SPEC.md`, 'utf8');
  } catch {
    // an installed copy without SPEC.md still lists the rules, with "see SPEC.md"
  }
  process.stdout.write(specReport(text));
  return EXIT_OK;
}
