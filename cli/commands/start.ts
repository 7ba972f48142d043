/**
 * `hvspec start` (and `npm start`): the main job. Boots the bundled hypervisor
 * (hypervisor/build/hypervisor.elf) and runs the whole property suite with the default budget, as
 * `hvspec check --image hypervisor/build/hypervisor.elf` does; it takes the same options but
 * --image. `memoryMapReport` prints the model's expected map of an image (`hvspec spec --map`).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { earlyBootTable, expectedAddressSpace, formatSize, hex, IMAGE_SYMBOLS, imageLayoutFromSymbols, VIRT_RAM_BASE, virtPlatform, type Platform } from '../../model/index.js';
import type { HypervisorImage } from '../../properties/index.js';
import { earlyBootRows, expectedRows, formatMapTable } from '../memory-map-table.js';
import { formatOptions, parseOptions } from '../options.js';
import { EXIT_OK, UsageError } from '../usage.js';
import { runRequest, SUITE_OPTIONS, suiteRequest } from './check.js';
import { loadUserImage } from './image.js';

/** The bundled image, found from this file (cli/commands/ in the sources, dist/cli/commands/ when built). */
export function bundledImagePath(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.replace(/(?:dist\/)?cli\/commands\/?$/, '');
  const path = `${root}hypervisor/build/hypervisor.elf`;
  const near = relative(process.cwd(), path);
  return near.startsWith('..') ? path : near;
}

const HELP = `usage: hvspec start [options]    (npm start)

The main job: boots the bundled hypervisor (hypervisor/build/hypervisor.elf) and runs
the whole property suite with the default budget. Exit 0 when every property holds and
every state a property claims to reach was reached, 1 when one fails (its counterexample
and replay command are printed), a claimed state was never reached, or a --require'd
rule was not checked.
Check your own image with 'hvspec check --image FILE'.

${formatOptions(SUITE_OPTIONS)}`;

/** The default platform (QEMU virt: 4 harts, 256 MiB) with `image`'s section layout, from its linker symbols. */
export function imagePlatform(image: HypervisorImage): Platform {
  const symbols: Record<string, bigint | undefined> = {};
  for (const name of IMAGE_SYMBOLS) symbols[name] = image.elf.symbol(name)?.value;
  return virtPlatform({ image: imageLayoutFromSymbols(symbols, VIRT_RAM_BASE) });
}

/** The model's expected memory map of `platform` (with the sections of `imageName`), as text: the early boot table, then hart 0's final address space. */
export function memoryMapReport(platform: Platform, imageName: string): string {
  const lines = [
    `Expected memory map (SPEC.md): ${platform.harts} harts, ${formatSize(platform.ramSize)} of RAM at ${hex(platform.ramBase)}, boot hart ${platform.bootHart}, the sections of ${imageName}`,
    '',
    'Early boot table (before C code; gigapages only):',
    formatMapTable(earlyBootRows(earlyBootTable(platform))),
    '',
    'Final page table of hart 0 (mem/vmem.c):',
    formatMapTable(expectedRows(expectedAddressSpace(platform, 0))),
    '',
  ];
  if (platform.harts > 1) {
    lines.push(`Harts 1-${platform.harts - 1}: the same table, except that the cpu stack, cpu info and cpu trap stack (same VAs) are backed by each hart's own frames.`, '');
  }
  return lines.join('\n');
}

export async function start(args: string[]): Promise<number> {
  const parsed = parseOptions('start', args, SUITE_OPTIONS, HELP);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${HELP}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`start: unexpected argument '${parsed.positionals[0]}'\n\n${HELP}`);
  const path = bundledImagePath();
  const image = loadUserImage('start', 'bundled image', path);
  return runRequest(suiteRequest('start', parsed, image, { command: 'start', option: 'bundled image', path }));
}
