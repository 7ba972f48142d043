/**
 * `hvspec ptdump --image FILE [--harts N] [--mem SIZE] [--hart K]`: boots the image (builtin
 * firmware, boot hart 0, hardware A/D) and prints each hart's final page table, one row per run
 * (VA range, PA range, size, page size, flags), marking rows that differ from the model: "-" the
 * model expects it and the table lacks it, "+" the table has it and the model does not. Exit 0 when
 * every table equals the model's, 1 when one differs or the image does not boot, 2 on bad usage.
 */
import { mergeRuns } from '../../model/index.js';
import { BootFailure, DEFAULT_PLATFORM_SPEC, diffRows, expectedRunsForDiff, formatPlatformSpec, formatPtdump, MAX_GENERATED_RAM, MIN_GENERATED_RAM, readAllHartTables, Unsupported, type HypervisorImage, type PlatformSpec } from '../../properties/index.js';
import { parseRamSize } from '../../emulator/board/run-virt.js';
import type { HartMap } from '../reports/html.js';
import { formatOptions, integerOption, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../usage.js';
import { loadUserImage } from './image.js';
import { bootBounded } from './suite-run.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: '--image', value: 'FILE', help: 'the hypervisor ELF to boot (required)' },
  { name: '--harts', value: 'N', help: `number of harts, 1 to 8 (default ${DEFAULT_PLATFORM_SPEC.harts})` },
  { name: '--mem', value: 'SIZE', help: 'RAM size, 16M to 16G, e.g. 256M (default 256M)' },
  { name: '--hart', value: 'K', help: 'print only hart K\'s table' },
  { name: '--symbols', value: 'FILE', help: 'JSON file renaming the symbols the suite reads (cli/reports/README.md)' },
];

const USAGE = `usage: hvspec ptdump --image FILE [options]

Boots the image and prints each hart's final page table; "-" marks a run the model
expects that the table lacks, "+" a run the table has that the model does not expect.
Exit 0 when every table is as the model expects, 1 otherwise.

${formatOptions(OPTIONS)}`;

/** Parses a RAM size option within 16 MiB-16 GiB (what the suite generates); errors name the option. */
export function ramSizeOption(command: string, name: string, text: string): bigint {
  let size: bigint;
  try {
    size = BigInt(parseRamSize(text));
  } catch (e) {
    throw new UsageError(`${command}: ${name}: ${(e as Error).message}`);
  }
  if (size < MIN_GENERATED_RAM || size > MAX_GENERATED_RAM || size % 4096n !== 0n) throw new UsageError(`${command}: ${name} must be a whole number of pages from 16M to 16G, got '${text}'`);
  return size;
}

/** Boots `image` on `spec` and reads every hart's final table with what the model expects of it. */
export function readHartMaps(image: HypervisorImage, spec: PlatformSpec): HartMap[] {
  const booted = bootBounded(image, spec);
  return readAllHartTables(booted.machine).map((h) => {
    const observed = mergeRuns(h.table.runs);
    return { hart: h.hart, observed, expected: expectedRunsForDiff(booted.platform, h.hart, observed), layout: booted.platform };
  });
}

export async function ptdump(args: string[]): Promise<number> {
  const parsed = parseOptions('ptdump', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`ptdump: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  const imagePath = textOption(parsed, '--image');
  if (imagePath === undefined) throw new UsageError(`ptdump: --image FILE is required\n\n${USAGE}`);
  const hartsText = textOption(parsed, '--harts');
  const harts = hartsText === undefined ? DEFAULT_PLATFORM_SPEC.harts : integerOption('ptdump', '--harts', hartsText, 1, 8);
  const memText = textOption(parsed, '--mem');
  const ramSize = memText === undefined ? DEFAULT_PLATFORM_SPEC.ramSize : ramSizeOption('ptdump', '--mem', memText);
  const hartText = textOption(parsed, '--hart');
  const only = hartText === undefined ? undefined : integerOption('ptdump', '--hart', hartText, 0, harts - 1);
  const image = loadUserImage('ptdump', '--image', imagePath, textOption(parsed, '--symbols'));

  const spec: PlatformSpec = { ...DEFAULT_PLATFORM_SPEC, harts, bootHart: 0, ramSize, firmware: 'builtin' };
  let maps: HartMap[];
  try {
    maps = readHartMaps(image, spec);
  } catch (e) {
    if (e instanceof BootFailure) {
      process.stdout.write(`${image.name} did not boot on ${formatPlatformSpec(spec)}: ${e.message}\nconsole ends:\n${e.consoleTail}\n`);
      return EXIT_FAILED;
    }
    if (e instanceof Unsupported) throw new UsageError(`ptdump: ${e.message}`);
    throw e;
  }
  let differing = 0;
  const out: string[] = [`${image.name} (sha256 ${image.digest}) on ${formatPlatformSpec(spec)}`];
  for (const map of maps) {
    if (only !== undefined && map.hart !== only) continue;
    const rows = diffRows(map.expected, map.observed, map.layout);
    const diff = rows.filter((r) => r.mark !== ' ').length;
    differing += diff;
    out.push('', `hart ${map.hart}: ${map.observed.length} runs, ${diff === 0 ? 'as the model expects' : `${diff} rows differ from the model (- expected, + observed)`}`);
    out.push(formatPtdump(rows));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return differing === 0 ? EXIT_OK : EXIT_FAILED;
}
