/**
 * A worker thread of suite-parallel.ts: loads the image as the main thread did, then runs each
 * property it is sent as runLimitedSuite would (runSettingsProperty) and posts back its result and
 * coverage, and its progress on the way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PROPERTIES } from '../../properties/index.js';
import { loadUserImage } from './image.js';
import type { WorkerMessage, WorkerSetup, WorkerTask } from './suite-parallel.js';
import { runSettingsProperty, suiteOptions, type SuiteSettings } from './suite-run.js';

const port = parentPort!;
const { source, settings } = workerData as WorkerSetup;
const image = loadUserImage(source.command, source.option, source.path, source.symbols, source.profile);
const full: SuiteSettings = { ...settings, image };
const post = (m: WorkerMessage) => port.postMessage(m);

port.on('message', (task: WorkerTask) => {
  const started = performance.now();
  try {
    const definition = PROPERTIES.find((d) => d.name === task.name)!;
    const options = suiteOptions(full, (_, done, total) => post({ kind: 'progress', name: task.name, done, total }));
    const { result, coverage } = runSettingsProperty(definition, full, options, task.remainingMs);
    post({ kind: 'result', name: task.name, result: { ...result, ms: performance.now() - started }, coverage });
  } catch (e) {
    post({ kind: 'error', name: task.name, error: e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e) });
  }
});
