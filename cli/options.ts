/**
 * A small declarative option parser shared by every hvspec command, so that
 * all of them accept `--flag value` and `--flag=value`, reject unknown
 * options, and name the command, the option and the bad value in errors.
 */
import { existsSync, statSync } from 'node:fs';
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

/** An inclusive range `A-B`, or a single value `N` (A = B = N). */
export interface InclusiveRange<T> {
  readonly min: T;
  readonly max: T;
}

/**
 * Parses `N` or `A-B` with `parse` (which throws a message for a bad value) and checks
 * `min <= A <= B <= max`; every error names the command, the option and the text given.
 */
export function rangeOption<T extends number | bigint>(command: string, name: string, text: string, parse: (part: string) => T, min: T, max: T, show: (value: T) => string = String): InclusiveRange<T> {
  const parts = text.split('-');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) throw new UsageError(`${command}: ${name} must be N or A-B, got '${text}'`);
  const values = parts.map((p) => {
    try {
      return parse(p.trim());
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${command}: ${name} '${text}': ${(e as Error).message}`);
    }
  });
  const lo = values[0]!;
  const hi = values[values.length - 1]!;
  if (lo > hi) throw new UsageError(`${command}: ${name} range '${text}' is empty (${show(lo)} > ${show(hi)})`);
  if (lo < min || hi > max) throw new UsageError(`${command}: ${name} '${text}' is outside ${show(min)}-${show(max)}`);
  return { min: lo, max: hi };
}

/** A duration such as `90s`, `5m`, `1h`, `500ms` or plain seconds, in milliseconds. */
export function durationOption(command: string, name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = m === null ? NaN : Number(m[1]) * unit[(m[2] ?? 's') as keyof typeof unit];
  if (!(ms > 0)) throw new UsageError(`${command}: ${name} must be a positive duration such as 90s, 5m or 1h, got '${text}'`);
  return ms;
}

/** Checks that `path` names a regular file; the error names the command and the option. */
export function existingFile(command: string, option: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`${command}: ${option} '${path}': no such file`);
  if (!statSync(path).isFile()) throw new UsageError(`${command}: ${option} '${path}': not a regular file`);
  return path;
}
