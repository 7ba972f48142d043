/** Runs a KMEM program (the model-based test, fc.modelRun) on a booted machine and reports the first broken rule or reply. */
import fc from 'fast-check';
import type { Violation } from '../../model/index.js';
import type { ConsoleCommand } from '../arbitraries/program.js';
import type { BootedHypervisor } from '../harness/hypervisor.js';
import type { BootedFailure } from '../property/definition.js';
import { ContradictsModel } from '../observe/memory.js';
import { programCommands } from './commands.js';
import { initialModel, StepFailure, type KmemReal, type KmemTestModel } from './model.js';

/** Runs a KMEM program (model-based) on a booted machine; the first broken rule or reply, with the transcript. */
export function runProgram(booted: BootedHypervisor, program: readonly ConsoleCommand[]): BootedFailure | Violation | undefined {
  const real: KmemReal = { booted, transcript: [] };
  let model: KmemTestModel;
  try {
    model = initialModel(booted);
  } catch (e) {
    // the allocator the boot left is no state of the model: there is nothing to continue from
    if (!(e instanceof ContradictsModel)) throw e;
    return { ...e.violation, transcript: [] };
  }
  booted.shadow.startHistory();
  // remember which command was running, so minimization can cut the program after it
  let running = -1;
  const commands = programCommands(program).map((command, index) => ({
    check: (m: Readonly<KmemTestModel>) => command.check(m),
    run: (m: KmemTestModel, r: KmemReal) => {
      running = index;
      command.run(m, r);
    },
    toString: () => command.toString(),
  }));
  try {
    fc.modelRun(() => ({ model, real }), commands);
  } catch (e) {
    if (e instanceof ContradictsModel) return { ...e.violation, transcript: real.transcript, failedAt: running };
    if (!(e instanceof StepFailure)) throw e;
    return { rule: e.violation.rule, message: e.violation.message, also: e.also, transcript: real.transcript, failedAt: running, ...(e.hart === undefined ? {} : { hart: e.hart }) };
  }
  return undefined;
}
