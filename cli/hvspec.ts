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
    summary: 'the main job: run the whole property suite on the bundled hypervisor (npm start)',
    load: async () => (await import('./commands/start.js')).start,
  },
  check: {
    summary: 'run the property suite against your hypervisor image (--image FILE)',
    load: async () => (await import('./commands/check.js')).check,
  },
  replay: {
    summary: 're-run one counterexample from its replay token and show its trace',
    load: async () => (await import('./commands/replay.js')).replay,
  },
  ptdump: {
    summary: "boot an image and print each hart's page table, marking differences from the model",
    load: async () => (await import('./commands/ptdump.js')).ptdump,
  },
  spec: {
    summary: 'print the rules of the model (ID, statement, where checked)',
    load: async () => (await import('./commands/spec.js')).spec,
  },
  mutants: {
    summary: 'run the seeded-bug catalogue and print the kill matrix',
    load: async () => (await import('./commands/mutants.js')).mutants,
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
