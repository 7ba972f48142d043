/**
 * `hvspec run <kernel.elf> [options]`: boots QEMU's `virt` machine on the
 * emulator with the given firmware and payload, prints the console to stdout
 * and exits with the program's code (test finisher, SBI system reset or
 * HTIF), 124 when the instruction budget runs out or every hart idles for
 * good, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { isElf } from '../../emulator/board/images.js';
import { runVirt, parseRamSize } from '../../emulator/board/run-virt.js';
import { ElfError } from '../../emulator/elf.js';
import { HtifError } from '../../emulator/htif.js';
import { existingFile, formatOptions, integerOption, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_FAILED, UsageError } from '../usage.js';
import { ISA_NAMES, type IsaName } from '../../emulator/hart/hart.js';

/** Exit code when the run cannot finish: budget exhausted or all harts idle for good (as timeout(1) does). */
export const EXIT_BUDGET = 124;

const MAX_HARTS = 8;

const OPTIONS: readonly OptionSpec[] = [
  { name: '--harts', value: 'N', help: 'number of harts, 1 to 8 (default 1)' },
  { name: '--mem', value: 'SIZE', help: 'RAM size, 16M to 16G, e.g. 128M, 2G (default 128M)' },
  { name: '--firmware', value: 'F', help: [
    "'builtin' (default: SBI answered by the emulator, payload entered in S-mode),",
    "'none' (bare M-mode at the ELF's entry), or the path of M-mode firmware such as",
    'OpenSBI fw_dynamic.elf (loaded like QEMU -bios, payload like -kernel)'].join('\n') },
  { name: '--boot-hart', value: 'K', help: 'the hart builtin firmware boots on (default 0)' },
  { name: '--dtb', value: 'FILE', help: 'use this device tree blob instead of the generated one (as QEMU -dtb)' },
  { name: '--input', value: 'TEXT', help: [
    'console input, queued at reset (firmware that resets the UART FIFO, as',
    'OpenSBI does, drops the bytes it holds then, as on hardware: see --input-after)'].join('\n') },
  { name: '--input-file', value: 'F', help: 'console input read from a file' },
  { name: '--input-after', value: 'TEXT', help: [
    'give the input only once the console has printed TEXT (e.g. the payload\'s',
    'ready line), so firmware that resets the UART FIFO cannot drop it'].join('\n') },
  { name: '--isa', value: 'ISA', help: `the harts' ISA: ${ISA_NAMES.join(' or ')} (default rv64imach: with the hypervisor extension; the device tree's riscv,isa follows)` },
  { name: '--max-instructions', value: 'N', help: `stop after N instructions (all harts together) and exit ${EXIT_BUDGET}` },
  { name: '--trace', help: 'print every retired instruction to stderr (Spike --log-commits format)' },
];

const USAGE = `usage: hvspec run <kernel.elf> [options]\n\n${formatOptions(OPTIONS)}`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseOptions('run', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`run: expected one ELF file, got ${parsed.positionals.length}\n\n${USAGE}`);
  const elf = existingFile('run', 'kernel', parsed.positionals[0]!);

  const hartsText = textOption(parsed, '--harts');
  const harts = hartsText === undefined ? 1 : integerOption('run', '--harts', hartsText, 1, MAX_HARTS);
  const bootText = textOption(parsed, '--boot-hart');
  const bootHart = bootText === undefined ? 0 : integerOption('run', '--boot-hart', bootText, 0, harts - 1);
  const memText = textOption(parsed, '--mem');
  let mem: number | undefined;
  if (memText !== undefined) {
    try {
      mem = parseRamSize(memText);
    } catch (e) {
      throw new UsageError(`run: --mem: ${(e as Error).message}`);
    }
  }
  const firmware = textOption(parsed, '--firmware') ?? 'builtin';
  if (firmware !== 'builtin' && firmware !== 'none') existingFile('run', '--firmware', firmware);
  // Real firmware takes a payload like QEMU's -kernel: an ELF, or a raw image placed at 0x8020_0000.
  // Without it there is no loader convention for raw bytes, so anything but an ELF is a mistake.
  if ((firmware === 'builtin' || firmware === 'none') && !isElf(readFileSync(elf))) {
    throw new UsageError(`run: ${elf}: not an ELF file (raw images are accepted only with --firmware PATH, as QEMU's -kernel)`);
  }
  const dtb = textOption(parsed, '--dtb');
  if (dtb !== undefined) existingFile('run', '--dtb', dtb);
  const inputText = textOption(parsed, '--input');
  const inputFile = textOption(parsed, '--input-file');
  if (inputText !== undefined && inputFile !== undefined) throw new UsageError('run: give --input or --input-file, not both');
  const input = inputFile === undefined ? inputText : readFileSync(existingFile('run', '--input-file', inputFile));
  const inputAfter = textOption(parsed, '--input-after');
  if (inputAfter !== undefined && input === undefined) throw new UsageError('run: --input-after needs --input or --input-file');
  if (inputAfter === '') throw new UsageError('run: --input-after: empty text');
  const isaText = textOption(parsed, '--isa');
  if (isaText !== undefined && !(ISA_NAMES as readonly string[]).includes(isaText)) {
    throw new UsageError(`run: --isa: '${isaText}' is not one of ${ISA_NAMES.join(', ')}`);
  }
  const isa = isaText as IsaName | undefined;
  const budgetText = textOption(parsed, '--max-instructions');
  const maxInstructions = budgetText === undefined ? undefined : integerOption('run', '--max-instructions', budgetText, 1, Number.MAX_SAFE_INTEGER);

  try {
    const result = runVirt({
      elf, harts, bootHart, firmware,
      ...(mem === undefined ? {} : { mem }),
      ...(dtb === undefined ? {} : { dtb }),
      ...(input === undefined ? {} : { input }),
      ...(inputAfter === undefined ? {} : { inputAfter }),
      ...(maxInstructions === undefined ? {} : { maxInstructions }),
      ...(isa === undefined ? {} : { isa }),
      onConsole: (text) => process.stdout.write(text),
      ...(parsed.values.has('--trace') ? { trace: (line: string) => process.stderr.write(line + '\n') } : {}),
    });
    if (result.inputGiven === false) process.stderr.write(`hvspec run: the console never printed ${JSON.stringify(inputAfter)}, so the input was not given\n`);
    if (result.reason === 'idle') process.stderr.write('hvspec run: every hart is waiting with no interrupt that could wake it; stopping\n');
    return result.exitCode ?? EXIT_BUDGET;
  } catch (e) {
    if (e instanceof HtifError) {
      process.stderr.write(`hvspec run: ${e.message}\n`);
      return EXIT_FAILED;
    }
    // Not an ELF, not RISC-V, a segment outside RAM, a platform the board refuses: the caller's mistake.
    if (e instanceof ElfError || e instanceof RangeError || (e instanceof Error && /^(kernel|firmware|device tree) file /.test(e.message))) {
      throw new UsageError(`run: ${e.message}`);
    }
    throw e;
  }
}
