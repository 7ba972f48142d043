#!/usr/bin/env node
/**
 * The `hvspec` command: dispatches to one module per subcommand. With no
 * subcommand it runs the main job (`npm start`). Usage mistakes print a
 * one-line error and exit 2, never a stack trace.
 */
import { EXIT_USAGE, UsageError } from './usage.js';

type Command = (args: string[]) => Promise<number>;

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  start: {
    summary: 'the main job: show the expected memory map of the default platform',
    load: async () => (await import('./commands/start.js')).start,
  },
  run: {
    summary: 'run a RISC-V ELF on the emulator and exit with its exit code',
    load: async () => (await import('./commands/run.js')).run,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: hvspec [command] [options]', '', 'commands:', ...lines, '', "Run 'hvspec <command> --help' for a command's options."].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'start' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const entry = COMMANDS[name];
  if (entry === undefined) throw new UsageError(`unknown command '${name}'\n\n${usage()}`);
  return (await entry.load())(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`hvspec: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      throw error;
    }
  },
);
