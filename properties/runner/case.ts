/**
 * One case of a property: boot (or restore) its platform, run the property's check, and turn a
 * failure into a Counterexample (replay token, transcript, ptdump diff, where the hart trapped).
 */
import { bootCompletes, mergeRuns, RULE_IDS, type RuleId } from '../../model/index.js';
import { claimsRule, type ImageProfile } from '../profile/profile.js';
import { formatPlatformSpec } from '../arbitraries/platform.js';
import { bootTrap } from '../checks/boot.js';
import { BootFailure, Unsupported, type BootedHypervisor } from '../harness/hypervisor.js';
import { isReplyFailure } from '../kmem/model.js';
import { ContradictsModel, MissingSymbolError, missingSymbolsReason, readTranslatingHartTables, textSymbol } from '../observe/memory.js';
import { NoQuiescentHart } from '../kmem/calls.js';
import { neededSymbols, type Case, type CaseOutcome, type PropertyDefinition } from '../property/definition.js';
import { diffRows, expectedRunsForDiff } from '../report/ptdump.js';
import type { ReplayCase } from '../report/token.js';
import type { BootCache } from './boot-cache.js';

/** Runs one case of a property: boots (or restores), checks, and builds the counterexample. */
export function runCase(definition: PropertyDefinition, cache: BootCache, c: Case, extra: { seed?: number; path?: string } = {}): CaseOutcome {
  const replay: ReplayCase = {
    v: 1,
    property: definition.name,
    image: { name: cache.image.name, digest: cache.image.digest },
    platform: c.platform,
    ...(c.program ? { program: c.program } : {}),
    ...(c.schedule ? { schedule: c.schedule } : {}),
    ...(c.sp !== undefined ? { sp: c.sp } : {}),
    ...(c.hart !== undefined ? { hart: c.hart } : {}),
    ...(c.guest ? { guest: c.guest } : {}),
    ...extra,
  };
  let booted: BootedHypervisor;
  try {
    booted = cache.get(c.platform, definition.strictTlb ?? false);
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'skipped', reason: e.message };
    if (!(e instanceof BootFailure)) throw e;
    const where = e.trap ? { hart: e.trap.hartId, pc: e.trap.pc, what: `${e.trap.name} stval=0x${e.trap.tval.toString(16)}`, time: e.trap.time } : undefined;
    const traps = e.trap ? [bootTrap(e.trap)] : [];
    const panic = e.consoleTail.split('\n').find((l) => l.startsWith('PANIC '));
    const boot = bootCompletes({ platform: c.platform, ready: false, detail: e.message, ...(panic ? { panic } : {}), traps, satpRoots: e.satpRoots, ...(e.earlyRoot === undefined ? {} : { earlyRoot: e.earlyRoot }) });
    if (boot === undefined) return { kind: 'skipped', reason: `${formatPlatformSpec(c.platform)} is outside what the design supports (${e.message})` };
    return { kind: 'failed', counterexample: { rule: boot.rule, message: `${boot.message}; console ends:\n${e.consoleTail}`, also: [], replay, ...(where ? { where } : {}) } };
  }
  const needsConsole = typeof definition.needsConsole === 'function' ? definition.needsConsole(cache.image.profile) : (definition.needsConsole ?? false);
  if (needsConsole && !booted.hasConsole) {
    return { kind: 'skipped', wholeImage: true, reason: `${cache.image.name} has no hvspec console (it booted and settled without printing the ready line), and ${definition.name} drives the hypervisor through it` };
  }
  const missing = neededSymbols(definition, cache.image.profile).filter((name) => cache.image.elf.symbol(name) === undefined);
  if (missing.length > 0) return { kind: 'skipped', wholeImage: true, reason: missingSymbolsReason(cache.image.name, definition.name, missing) };
  const before = new Set(booted.coverage);
  const checked = judge(definition, booted, c);
  if ('skipped' in checked) return { kind: 'skipped', reason: checked.skipped };
  let failure = checked.failure;
  cache.note(booted, before);
  if (failure === undefined) return { kind: 'held' };
  if (isReplyFailure(failure) && !(definition.strictTlb ?? false)) {
    // A reply the model did not expect may be a stale translation: the same case in strict TLB mode
    // runs identically (strict mode only adds checks) and says so by rule.
    const strict = cache.get(c.platform, true);
    const rerun = judge(definition, strict, c);
    const again = 'failure' in rerun ? rerun.failure : undefined;
    if (again !== undefined && again.rule === 'TLB-DISCIPLINE') {
      failure = { ...again, also: [{ rule: failure.rule, message: failure.message }] };
      booted = strict;
    }
  }
  const hart = 'hart' in failure ? failure.hart : undefined;
  const trap = hart === undefined ? undefined : [...booted.traps].reverse().find((t) => t.hartId === hart && !t.interrupt && t.cause !== 8 && t.cause !== 9);
  const mapHart = /^hart (\d+)/.exec(failure.message)?.[1];
  const mapDiff = (() => {
    if (!failure.rule.startsWith('MAP-') && failure.rule !== 'STACK-GUARD') return undefined;
    const harts = readTranslatingHartTables(booted.machine);
    const h = harts.find((t) => t.hart === Number(mapHart ?? 0)) ?? harts[0];
    if (h === undefined) return undefined;
    const observed = mergeRuns(h.table.runs);
    const expected = expectedRunsForDiff(booted.platform, h.hart, observed);
    // named by the booted platform's layout, as ptdump names them (a run is not named by its flags alone)
    const { ramBase, image, devices, design } = booted.platform;
    const layout = { ramBase, image, devices, design: { cpuStruct: design.cpuStruct } };
    return diffRows(expected, observed).some((r) => r.mark !== ' ') ? { hart: h.hart, expected, observed, layout } : undefined;
  })();
  return {
    kind: 'failed',
    ...('failedAt' in failure && failure.failedAt !== undefined ? { failedAt: failure.failedAt } : {}),
    counterexample: {
      rule: failure.rule,
      message: failure.message,
      also: 'also' in failure ? (failure.also ?? []) : [],
      replay: { ...replay, platform: c.platform },
      ...('transcript' in failure && failure.transcript ? { transcript: failure.transcript } : {}),
      ...(mapDiff ? { mapDiff } : {}),
      ...('gStageDiff' in failure && failure.gStageDiff ? { gStageDiff: failure.gStageDiff } : {}),
      ...(trap ? { where: { hart: trap.hartId, pc: trap.pc, what: `${trap.name} stval=0x${trap.tval.toString(16)}${instructionAt(booted, trap.hartId, trap.pc)}`, time: trap.time } } : {}),
    },
  };
}

/**
 * The property's check on one booted case: its failure (or none), or why it cannot judge the image
 * (a symbol an observation needs is missing). An observation that is no state of the model is the
 * failure it carries.
 */
function judge(definition: PropertyDefinition, booted: BootedHypervisor, c: Case): { failure: ReturnType<PropertyDefinition['check']> } | { skipped: string } {
  try {
    return { failure: withoutWaived(definition.check(booted, c), booted.image.profile) };
  } catch (e) {
    if (e instanceof MissingSymbolError || e instanceof NoQuiescentHart) return { skipped: e.message };
    if (e instanceof ContradictsModel) return { failure: e.violation };
    throw e;
  }
}

/**
 * The failure as the image's profile claims it: a violation of a rule it waives is no failure; when
 * the first rule broken is waived, the first claimed one among the others leads.
 */
export function withoutWaived(failure: ReturnType<PropertyDefinition['check']>, profile: ImageProfile): ReturnType<PropertyDefinition['check']> {
  if (failure === undefined) return undefined;
  const claimed = (rule: string): boolean => !(RULE_IDS as readonly string[]).includes(rule) || claimsRule(profile, rule as RuleId);
  const also = ('also' in failure ? (failure.also ?? []) : []).filter((a) => claimed(a.rule));
  if (claimed(failure.rule)) return { ...failure, also };
  const [first, ...rest] = also;
  return first === undefined ? undefined : { ...failure, ...first, also: rest };
}

/** ", instruction 0x..." for the instruction word at `pc` as hart `hart` fetches it now (with its symbol), or "". */
function instructionAt(booted: BootedHypervisor, hart: number, pc: bigint): string {
  const at = booted.machine.translate(hart, pc, 'fetch');
  const pa = 'pa' in at ? at.pa : pc;
  if (!booted.machine.bus.ram.contains(Number(pa), 4)) return '';
  const bytes = booted.machine.readPhysical(pa, 4);
  const half = bytes[0]! | (bytes[1]! << 8);
  const word = (half & 3) === 3 ? (half | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0 : half;
  const symbol = textSymbol(booted.image.elf, booted.platform, pc);
  return `, instruction 0x${word.toString(16).padStart((half & 3) === 3 ? 8 : 4, '0')}${symbol ? ` in ${symbol}` : ''}`;
}
