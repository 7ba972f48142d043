/**
 * What `hvspec ARGS` does: the command list for a bare `hvspec`, `help`, `-h` and `--help`; the
 * version for `-V` and `--version`; otherwise the named subcommand's module. A leading option that
 * is neither is a usage error naming it (a mistyped global flag is not an option of any command).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RISCV_ISA } from '../emulator/board/virt-dtb.js';
import { EXIT_OK, UsageError } from './usage.js';

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
    summary: 'print the rules of the model (ID, statement, where checked), or with --map its memory map',
    load: async () => (await import('./commands/spec.js')).spec,
  },
  profile: {
    summary: 'write a starting image profile (--profile FILE of check) inferred from an ELF',
    load: async () => (await import('./commands/profile.js')).profile,
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

export const COMMAND_NAMES = Object.keys(COMMANDS);

export function commandList(): string {
  const width = Math.max(...COMMAND_NAMES.map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: hvspec <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'global options:',
    '  -h, --help     this list (hvspec help <command>: that command\'s options)',
    '  -V, --version  the version and the emulated ISA',
    '',
    "Run 'hvspec <command> --help' for a command's options.",
  ].join('\n');
}

/** The package's version, from package.json next to cli/ (or dist/cli/ when built). */
export function packageVersion(): string {
  const root = fileURLToPath(new URL('.', import.meta.url)).replace(/(?:dist\/)?cli\/?$/, '');
  return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
}

/** `hvspec --version`: the version, and the ISA the emulator's harts implement (their riscv,isa). */
export function versionText(): string {
  return `hvspec ${packageVersion()}\nemulator ISA: ${DEFAULT_RISCV_ISA} (RV64, Sv39; the riscv,isa of every hart in the device tree)`;
}

/** Runs `hvspec ARGV`; returns the exit code, throws UsageError for a usage mistake. */
export async function dispatch(argv: readonly string[], out: { write: (text: string) => unknown } = process.stdout): Promise<number> {
  const [first, ...rest] = argv;
  // `hvspec help check` is `hvspec check --help`
  if (first === 'help' && rest.length > 0) {
    const entry = COMMANDS[rest[0]!];
    if (entry === undefined) throw new UsageError(`help: unknown command '${rest[0]}'\n\n${commandList()}`);
    return (await entry.load())(['--help']);
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    out.write(`${commandList()}\n`);
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    out.write(`${versionText()}\n`);
    return EXIT_OK;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (global options are -h/--help and -V/--version; a command's options go after it, e.g. 'hvspec start ${first}')\n\n${commandList()}`);
  const entry = COMMANDS[first];
  if (entry === undefined) throw new UsageError(`unknown command '${first}'\n\n${commandList()}`);
  return (await entry.load())(rest);
}
