/**
 * A small declarative option parser shared by every hvspec command, so that
 * all of them accept `--flag value` and `--flag=value`, reject unknown
 * options, and name the command, the option and the bad value in errors.
 */
import { UsageError } from './usage.js';

export interface OptionSpec {
  /** The long name, with its dashes: `--harts`. */
  readonly name: string;
  /** Name of the value in the help text (`N`, `SIZE`); absent for a switch. */
  readonly value?: string;
  /** One line, or several separated by newlines (formatOptions indents them). */
  readonly help: string;
}

export interface ParsedOptions {
  /** Each given option's last value (`true` for a switch). */
  readonly values: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

/** Formats the option list of a command's help text. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const left = specs.map((s) => (s.value === undefined ? s.name : `${s.name} ${s.value}`));
  const width = Math.max(...left.map((l) => l.length));
  const indent = ' '.repeat(width + 4);
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}  ${s.help.split('\n').join(`\n${indent}`)}`).join('\n');
}

/**
 * Parses `args` against `specs`. `--help`/`-h` is always accepted and
 * reported as the value of `--help`. Throws UsageError (with `usage`
 * appended) for an unknown option or a missing value.
 */
export function parseOptions(command: string, args: readonly string[], specs: readonly OptionSpec[], usage: string): ParsedOptions {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      values.set('--help', true);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`${command}: unknown option '${name}'\n\n${usage}`);
    if (spec.value === undefined) {
      if (eq > 0) throw new UsageError(`${command}: ${name} takes no value`);
      values.set(name, true);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${command}: ${name} needs a value (${spec.value})\n\n${usage}`);
    values.set(name, value);
  }
  return { values, positionals };
}

/** The option's text value, or undefined when it was not given. */
export function textOption(parsed: ParsedOptions, name: string): string | undefined {
  const v = parsed.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Parses a whole number in [min, max] given as an option value; throws a UsageError naming both. */
export function integerOption(command: string, name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new UsageError(`${command}: ${name} must be ${range}, got '${text}'`);
  }
  return n;
}
