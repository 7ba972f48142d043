/** A worker thread of `hvspec mutants --jobs N`: checks each mutant it is sent (checkMutant) and posts back its kill-matrix row. */
import { parentPort } from 'node:worker_threads';
import { checkMutant, type KillRow, type MutantTask } from './mutants.js';
import type { PoolMessage } from './suite-parallel.js';

const port = parentPort!;
port.on('message', (m: PoolMessage<MutantTask, KillRow>) => {
  if (!('task' in m)) return;
  try {
    port.postMessage({ index: m.index, result: checkMutant(m.task) } satisfies PoolMessage<MutantTask, KillRow>);
  } catch (e) {
    port.postMessage({ index: m.index, error: e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e) } satisfies PoolMessage<MutantTask, KillRow>);
  }
});
