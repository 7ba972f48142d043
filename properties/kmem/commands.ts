/**
 * The KMEM model-based test's command list: one arbitrary per console command kind, each building
 * the command from generated data (positions), and the swarm (a random subset of kinds per program).
 */
import fc from 'fast-check';
import { COMMAND_ARBITRARIES, COMMAND_KINDS, programArbitrary, type CommandKind, type ConsoleCommand, type ProgramArbitraryOptions } from '../arbitraries/program.js';
import { AllocCommand } from './commands/alloc.js';
import type { KmemCommand } from './commands/base.js';
import { BatchCommand } from './commands/batch.js';
import { DrainCommand } from './commands/drain.js';
import { DoubleFreeCommand } from './commands/double-free.js';
import { FreeMisalignedCommand } from './commands/free-misaligned.js';
import { FreeOutOfRangeCommand } from './commands/free-out-of-range.js';
import { FreeReservedCommand } from './commands/free-reserved.js';
import { FreeCommand } from './commands/free.js';
import { ProbeCommand } from './commands/probe.js';
import { RecurseCommand } from './commands/recurse.js';

/** The command object for one generated command. */
export function commandOf(data: ConsoleCommand): KmemCommand {
  switch (data.kind) {
    case 'alloc':
      return new AllocCommand(data);
    case 'free':
      return new FreeCommand(data);
    case 'double-free':
      return new DoubleFreeCommand(data);
    case 'free-reserved':
      return new FreeReservedCommand(data);
    case 'free-misaligned':
      return new FreeMisalignedCommand(data);
    case 'free-out-of-range':
      return new FreeOutOfRangeCommand(data);
    case 'recurse':
      return new RecurseCommand(data);
    case 'probe':
      return new ProbeCommand(data);
    case 'batch':
      return new BatchCommand(data);
    case 'drain':
      return new DrainCommand(data);
  }
}

/** Command arbitraries for the given kinds (all by default). */
export function kmemCommandArbitraries(kinds: readonly CommandKind[] = COMMAND_KINDS): fc.Arbitrary<KmemCommand>[] {
  return kinds.map((k) => COMMAND_ARBITRARIES[k].map(commandOf, (c) => (c as KmemCommand).data));
}

/**
 * A program for fc.modelRun, as data: a swarm of enabled kinds, then commands of those kinds. (Data,
 * not fc.commands, so a counterexample is exactly what a replay token carries; fc.modelRun still
 * skips a command whose precondition fails, as fc.commands would.)
 */
export function kmemProgramArbitrary(options: ProgramArbitraryOptions = {}): fc.Arbitrary<ConsoleCommand[]> {
  return programArbitrary(options);
}

/** The command objects of a program, for fc.modelRun. */
export function programCommands(program: readonly ConsoleCommand[]): KmemCommand[] {
  return program.map(commandOf);
}
