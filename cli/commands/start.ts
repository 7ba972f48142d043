/**
 * `hvspec start` (and `npm start`): the main job. Until the emulator and the property suite exist it
 * prints the model's expected memory map of the default platform (4 harts, 256 MiB, boot hart 0, the
 * example image layout): the early boot table, then each hart's final address space.
 */
import { earlyBootTable, expectedAddressSpace, formatSize, hex, virtPlatform, type Platform } from '../../model/index.js';
import { earlyBootRows, expectedRows, formatMapTable } from '../memory-map-table.js';
import { EXIT_OK, UsageError } from '../usage.js';

const HELP = `usage: hvspec start

Prints the reference model's expected memory map for the default platform
(QEMU virt: 4 harts, 256 MiB of RAM at 0x80000000, boot hart 0, the example image layout).`;

/** The whole report, as text. */
export function memoryMapReport(platform: Platform): string {
  const lines = [
    `Expected memory map (SPEC.md): ${platform.harts} harts, ${formatSize(platform.ramSize)} of RAM at ${hex(platform.ramBase)}, boot hart ${platform.bootHart}, example image layout`,
    '',
    'Early boot table (before C code; gigapages only):',
    formatMapTable(earlyBootRows(earlyBootTable(platform))),
    '',
    'Final page table of hart 0 (mem/vmem.c):',
    formatMapTable(expectedRows(expectedAddressSpace(platform, 0))),
    '',
  ];
  if (platform.harts > 1) {
    lines.push(
      `Harts 1-${platform.harts - 1}: the same table, except that the cpu struct (same VAs) is backed by each hart's own frames.`,
      '',
    );
  }
  return lines.join('\n');
}

export async function start(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return EXIT_OK;
  }
  if (args.length > 0) throw new UsageError(`start: unexpected argument '${args[0]}'\n\n${HELP}`);
  process.stdout.write(memoryMapReport(virtPlatform()));
  return EXIT_OK;
}
