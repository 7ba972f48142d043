/**
 * Counterexamples as a person reads them: the rule ID and its one-sentence statement (from the
 * model), what broke it, the shrunk platform, program and schedule, the expected and observed
 * mappings as a ptdump diff, the hart and instruction where it went wrong, and one replay line.
 */
import { GUEST_RAM_BASE, hex, RULES, type LeafRun, type RegionLayout, type RuleId } from '../../model/index.js';
import { formatPlatformSpec, type PlatformSpec } from '../arbitraries/platform.js';
import { formatSchedule, type ScheduleSlice } from '../arbitraries/schedule.js';
import { diffRows, formatPtdump, G_STAGE_HEADER, gStageDiffRows, trimDiff } from './ptdump.js';
import { encodeToken, type ReplayCase } from './token.js';

/** What a failure cites: always a model rule (RULES in model/rules/rule.ts). */
export type FailureId = RuleId;

/** A failure: a rule's violation. */
export interface Failure {
  readonly rule: FailureId;
  readonly message: string;
}

export interface Where {
  readonly hart: number;
  readonly pc: bigint;
  /** e.g. "StoreAMOPageFault stval=0xffffffc040000ff8" or "kalloc() returned 0x...". */
  readonly what: string;
  /** The machine clock (instructions retired, all harts). */
  readonly time?: number;
}

/** A VM's G-stage table (runs by GPA) against the model's, for guest failures. */
export interface GStageDiff {
  readonly vm: number;
  readonly ramSize: bigint;
  readonly expected: readonly LeafRun[];
  readonly observed: readonly LeafRun[];
}

export interface Counterexample {
  readonly rule: FailureId;
  readonly message: string;
  /** Further rules the same case violates (RULES order). */
  readonly also: readonly Failure[];
  readonly replay: ReplayCase;
  /** The program as it ran: each command's console line and reply. */
  readonly transcript?: readonly string[];
  /** The hart's map against the model's; `layout` (the booted platform's devices, image sections, cpu struct) names its regions. */
  readonly mapDiff?: { readonly hart: number; readonly expected: readonly LeafRun[]; readonly observed: readonly LeafRun[]; readonly layout?: RegionLayout };
  readonly where?: Where;
  /** A VM's G-stage table against the model's (the guest property). */
  readonly gStageDiff?: GStageDiff;
}

export function ruleStatement(rule: FailureId): string {
  return RULES.find((r) => r.id === rule)?.statement ?? '(unknown rule)';
}

/** Counts what a person has to read: commands + schedule slices + differing map rows (the "size" of a counterexample). */
export function counterexampleSize(c: Counterexample): number {
  const diff = c.mapDiff ? diffRows(c.mapDiff.expected, c.mapDiff.observed).filter((r) => r.mark !== ' ').length : 0;
  return (c.replay.program?.length ?? 0) + (c.replay.schedule?.length ?? 0) + diff;
}

/** A word as a POSIX shell reads it: quoted when it holds anything but plain path characters. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The command that replays a case: `hvspec replay <token>`, then `replayArgs` (what the run was
 * given that the token does not carry, e.g. `--symbols FILE`, `--firmware FILE`).
 */
export function replayCommandLine(replay: ReplayCase, replayArgs: readonly string[] = []): string {
  return ['hvspec', 'replay', encodeToken(replay), ...replayArgs.map(shellWord)].join(' ');
}

export function formatCounterexample(c: Counterexample, replayArgs: readonly string[] = []): string {
  const lines: string[] = [];
  lines.push(`${c.rule} violated: ${c.message}`);
  lines.push(`  rule: ${ruleStatement(c.rule)}`);
  for (const v of c.also) lines.push(`  also ${v.rule}: ${v.message}`);
  lines.push(`property: ${c.replay.property} on ${c.replay.image.name} (sha256 ${c.replay.image.digest})`);
  lines.push(`platform: ${formatPlatformSpec(c.replay.platform)}`);
  if (c.replay.schedule !== undefined) lines.push(`schedule: ${formatSchedule(c.replay.schedule as ScheduleSlice[])}`);
  if (c.transcript !== undefined && c.transcript.length > 0) {
    lines.push('program:');
    for (const t of c.transcript) lines.push(`  ${t}`);
  }
  if (c.where) lines.push(`where: hart ${c.where.hart} at pc ${hex(c.where.pc)}: ${c.where.what}${c.where.time === undefined ? '' : ` (step ${c.where.time})`}`);
  if (c.mapDiff) {
    lines.push(`hart ${c.mapDiff.hart}'s map, - expected (model) + observed:`);
    const rows = trimDiff(diffRows(c.mapDiff.expected, c.mapDiff.observed, c.mapDiff.layout));
    for (const l of formatPtdump(rows).split('\n')) lines.push(`  ${l}`);
  }
  if (c.gStageDiff) {
    const { vm, ramSize, expected, observed } = c.gStageDiff;
    lines.push(`vm ${vm}'s G-stage table, - expected (model) + observed:`);
    const rows = gStageDiffRows(expected, observed, GUEST_RAM_BASE, ramSize);
    const shown = rows.some((r) => r.mark !== ' ') ? trimDiff(rows) : rows;
    for (const l of formatPtdump(shown, G_STAGE_HEADER).split('\n')) lines.push(`  ${l}`);
  }
  const seed = c.replay.seed === undefined ? '' : ` (fast-check seed ${c.replay.seed}${c.replay.path ? ` path "${c.replay.path}"` : ''})`;
  lines.push(`replay: ${replayCommandLine(c.replay, replayArgs)}${seed}`);
  return lines.join('\n');
}

/** Formats a spec for fc's reporter (platform line only). */
export function describePlatform(spec: PlatformSpec): string {
  return formatPlatformSpec(spec);
}
