/**
 * `hvspec replay TOKEN [--image FILE] [--symbols FILE] [--firmware FILE]`: re-runs one counterexample exactly (the
 * token holds the shrunk case: property, platform, program, schedule) on the image it names, and
 * prints its trace: the console, the traps the harts took, and the check's verdict. Exit 1 when it
 * still fails, 0 when it now holds, 2 on bad usage (bad token, missing image, another image).
 */
import { existsSync } from 'node:fs';
import { hex } from '../../model/index.js';
import { checkProgram, decodeToken, formatCounterexample, formatPlatformSpec, PROPERTIES, runCase, TokenError, type BootedHypervisor, type Case, type PlatformSpec, type ReplayCase } from '../../properties/index.js';
import { formatOptions, parseOptions, textOption, type OptionSpec } from '../options.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../usage.js';
import { loadUserImage, openSbiFile } from './image.js';
import { CliBootCache } from './suite-run.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: '--image', value: 'FILE', help: 'the image to replay on (default: the path the token names); its sha256 must match' },
  { name: '--symbols', value: 'FILE', help: 'the symbols file the counterexample was found with, if any' },
  { name: '--profile', value: 'FILE', help: 'the image profile the counterexample was found with, if any' },
  { name: '--firmware', value: 'FILE', help: "the OpenSBI fw_dynamic.elf given to check --firmware, if any (default: Debian's)" },
  { name: '--traps', value: 'N', help: 'show the last N synchronous traps besides SBI calls (default 20)' },
];

const USAGE = `usage: hvspec replay TOKEN [options]

Re-runs one counterexample exactly and prints the console, the traps and the failing check.
Exit 1 when it still fails, 0 when it now holds.

${formatOptions(OPTIONS)}`;

/** A BootCache that remembers the last machine it handed out, so its console and traps can be shown after the case. */
class WatchedBootCache extends CliBootCache {
  last: BootedHypervisor | undefined;
  override get(spec: PlatformSpec, strictTlb = false): BootedHypervisor {
    this.last = super.get(spec, strictTlb);
    return this.last;
  }
}

export function caseOf(replay: ReplayCase): Case {
  return {
    platform: replay.platform,
    ...(replay.program ? { program: checkProgram(replay.program) } : {}),
    ...(replay.schedule ? { schedule: replay.schedule } : {}),
    ...(replay.sp !== undefined ? { sp: replay.sp } : {}),
    ...(replay.guest ? { guest: replay.guest } : {}),
  };
}

/** A privilege level as the privileged spec writes it (mstatus.MPP encoding: 0 U, 1 S, 3 M). */
export function privilegeName(level: number): string {
  return ({ 0: 'U', 1: 'S', 3: 'M' } as Record<number, string>)[level] ?? `privilege ${level}`;
}

export async function replay(args: string[]): Promise<number> {
  const parsed = parseOptions('replay', args, OPTIONS, USAGE);
  if (parsed.values.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`replay: expected one replay token, got ${parsed.positionals.length}\n\n${USAGE}`);
  let token: ReplayCase;
  try {
    token = decodeToken(parsed.positionals[0]!);
  } catch (e) {
    if (e instanceof TokenError) throw new UsageError(`replay: ${e.message}`);
    throw e;
  }
  const trapsText = textOption(parsed, '--traps');
  const showTraps = trapsText === undefined ? 20 : Number(trapsText);
  if (!/^\d+$/.test(trapsText ?? '0')) throw new UsageError(`replay: --traps must be a whole number, got '${trapsText}'`);
  const imagePath = textOption(parsed, '--image') ?? token.image.name;
  if (textOption(parsed, '--image') === undefined && !existsSync(imagePath)) {
    throw new UsageError(`replay: the token's image '${imagePath}' (sha256 ${token.image.digest}) is not here; give its path with --image FILE`);
  }
  const image = loadUserImage('replay', textOption(parsed, '--image') === undefined ? "the token's image" : '--image', imagePath, textOption(parsed, '--symbols'), textOption(parsed, '--profile'));
  if (image.digest !== token.image.digest) {
    throw new UsageError(`replay: the token is for ${token.image.name} (sha256 ${token.image.digest}), but ${image.name} has sha256 ${image.digest}`);
  }
  const definition = PROPERTIES.find((p) => p.name === token.property)!;
  const firmwareText = textOption(parsed, '--firmware');
  const cache = new WatchedBootCache(image, firmwareText === undefined ? undefined : openSbiFile('replay', '--firmware', firmwareText));
  const out: string[] = [`replaying ${token.property} on ${image.name} (sha256 ${image.digest})`, `platform: ${formatPlatformSpec(token.platform)}`];
  const outcome = runCase(definition, cache, caseOf(token), { ...(token.seed !== undefined ? { seed: token.seed } : {}), ...(token.path !== undefined ? { path: token.path } : {}) });
  const booted = cache.last;
  if (booted !== undefined) {
    out.push('', '--- console (boot and case) ---', booted.machine.console.trimEnd());
    const traps = booted.traps.filter((t) => !t.interrupt && t.cause !== 8 && t.cause !== 9);
    out.push('', `--- traps: ${traps.length} synchronous besides SBI calls${traps.length > showTraps ? `, the last ${showTraps}` : ''}; (S -> M) is the privilege mode before -> after the trap (U, S, M) ---`);
    for (const t of traps.slice(-showTraps)) out.push(`step ${t.time}: hart ${t.hartId} ${t.name} at pc ${hex(t.pc)} stval ${hex(t.tval)} (${privilegeName(t.from)} -> ${privilegeName(t.to)})`);
  }
  out.push('', '--- check ---');
  if (outcome.kind === 'held') out.push(`${token.property}: the case now holds`);
  else if (outcome.kind === 'skipped') out.push(`${token.property}: the case could not run: ${outcome.reason}`);
  else out.push(formatCounterexample(outcome.counterexample));
  process.stdout.write(`${out.join('\n')}\n`);
  if (outcome.kind === 'skipped') throw new UsageError(`replay: the case cannot run here: ${outcome.reason}`);
  return outcome.kind === 'failed' ? EXIT_FAILED : EXIT_OK;
}
