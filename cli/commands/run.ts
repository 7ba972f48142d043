/**
 * `hvspec run <elf> [--firmware none] [--max-instructions N] [--trace]`:
 * runs a RISC-V ELF on one hart in M-mode at its entry (no firmware), prints
 * its HTIF console output to stdout, and returns its exit code (124 when the
 * instruction budget runs out). --trace writes one Spike --log-commits style
 * line per retired instruction to stderr.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ElfError } from '../../emulator/elf.js';
import { HtifError } from '../../emulator/htif.js';
import { runElf } from '../../emulator/run.js';
import { EXIT_FAILED, UsageError } from '../usage.js';

/** Exit code when the instruction budget runs out (as timeout(1) does). */
export const EXIT_BUDGET = 124;

const USAGE = `usage: hvspec run <elf> [--firmware none] [--max-instructions N] [--trace]

  --firmware none        start hart 0 in M-mode at the ELF's entry (the only mode so far)
  --max-instructions N   stop after N instructions and exit ${EXIT_BUDGET}
  --trace                print every retired instruction to stderr (Spike --log-commits format:
                         register written, memory read and written)`;

interface RunArgs {
  file: string;
  maxInstructions: number | undefined;
  trace: boolean;
  help: boolean;
}

function parseArgs(args: string[]): RunArgs {
  const out: RunArgs = { file: '', maxInstructions: undefined, trace: false, help: false };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new UsageError(`run: ${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        out.help = true;
        break;
      case '--trace':
        out.trace = true;
        break;
      case '--firmware': {
        const v = value();
        if (v !== 'none') throw new UsageError(`run: --firmware ${v} is not supported (only 'none')\n\n${USAGE}`);
        break;
      }
      case '--max-instructions': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`run: --max-instructions must be a positive integer, got '${v}'`);
        out.maxInstructions = n;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`run: unknown option '${arg}'\n\n${USAGE}`);
        files.push(arg);
    }
  }
  if (out.help) return out;
  if (files.length !== 1) throw new UsageError(`run: expected one ELF file, got ${files.length}\n\n${USAGE}`);
  out.file = files[0]!;
  if (!existsSync(out.file) || !statSync(out.file).isFile()) throw new UsageError(`run: no such file '${out.file}'`);
  return out;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const bytes = readFileSync(parsed.file);
  try {
    const result = runElf(bytes, {
      fileName: parsed.file,
      ...(parsed.maxInstructions === undefined ? {} : { maxInstructions: parsed.maxInstructions }),
      onConsole: (text) => process.stdout.write(text),
      ...(parsed.trace ? { trace: (line: string) => process.stderr.write(line + '\n') } : {}),
    });
    return result.reason === 'budget' ? EXIT_BUDGET : (result.exitCode ?? EXIT_BUDGET);
  } catch (e) {
    // A file that is not a runnable RISC-V ELF is the caller's mistake: name it, no stack trace.
    if (e instanceof HtifError) {
      process.stderr.write(`hvspec run: ${e.message}\n`);
      return EXIT_FAILED;
    }
    if (e instanceof ElfError || (e instanceof Error && e.message.startsWith(`${parsed.file}:`))) throw new UsageError(`run: ${e.message}`);
    throw e;
  }
}
