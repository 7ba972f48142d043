/**
 * `check`/`start --jobs N`: the selected properties on N worker threads, one property at a time per
 * worker, dispatched in PROPERTIES order (the long boot property first) and reported in that order,
 * whatever order they finish in. Each property runs as runLimitedSuite runs it
 * (runSettingsProperty: its own boot cache, the same seed and options), so its result, counterexample,
 * replay token and coverage are the same as in one thread; only wall times differ. With
 * --time-budget, the budget is the run's wall time: a property dispatched after it is used up (or
 * after one was stopped by it) is skipped, as in one thread, but several run against it at once.
 *
 * Workers load the built JavaScript (suite-worker.js beside this file). Node 20 cannot load the
 * TypeScript sources in a worker, so when this module itself runs from them (vitest) the suite runs
 * in this thread: the same results, without the speed-up. The tests of the parallel path run the
 * CLI built into a scratch folder (test/cli/parallel.test.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { claimedUncovered, PROPERTIES, type CoverageState, type PropertyResult, type SuiteResult } from '../../properties/index.js';
import { addCoverage, budgetSkip, coverageClaims, noCoverage, plannedRuns, type SuiteCallbacks, type SuiteSettings } from './suite-run.js';

/** How a worker loads the image the main thread loaded (loadUserImage's arguments). */
export interface ImageSource {
  readonly command: string;
  readonly option: string;
  readonly path: string;
  readonly symbols?: string;
  readonly profile?: string;
}

/** What a worker is started with: the settings but the image, which it loads itself from `source`. */
export interface WorkerSetup {
  readonly source: ImageSource;
  readonly settings: Omit<SuiteSettings, 'image'>;
}

/** main -> worker: run this property (with this much of the time budget left). */
export interface WorkerTask {
  readonly name: string;
  readonly remainingMs?: number;
}

/** worker -> main. `result.ms` is the worker's wall time for the property, sampling and shrinking included. */
export type WorkerMessage =
  | { readonly kind: 'progress'; readonly name: string; readonly done: number; readonly total: number }
  | { readonly kind: 'result'; readonly name: string; readonly result: PropertyResult; readonly coverage: Record<CoverageState, number> }
  | { readonly kind: 'error'; readonly name: string; readonly error: string };

const WORKER_ENTRY = new URL('./suite-worker.js', import.meta.url);

/** Whether work can go to worker threads: only from the built CLI (see above). */
export function canRunInWorkers(entry: URL = WORKER_ENTRY): boolean {
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(entry));
}

/** main -> a runInWorkers worker, and back. */
export type PoolMessage<T, R> = { readonly index: number; readonly task: T } | { readonly index: number; readonly result: R } | { readonly index: number; readonly error: string };

/**
 * Runs `tasks` on `workers` threads started from `entry` (which answers each { index, task } with
 * { index, result } or { index, error }), dispatched in order; `onResult` sees the results in task
 * order, whatever order they finish in. An error ends the run with it.
 */
export function runInWorkers<T, R>(entry: URL, tasks: readonly T[], workers: number, onResult: (result: R, index: number) => void): Promise<R[]> {
  const results: (R | undefined)[] = tasks.map(() => undefined);
  const pool: Worker[] = [];
  let next = 0;
  let shown = 0;
  let settled = false;
  return new Promise<R[]>((resolve, reject) => {
    const end = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      void Promise.all(pool.map((w) => w.terminate())).then(outcome, outcome);
    };
    const dispatch = (worker: Worker) => {
      if (next < tasks.length) worker.postMessage({ index: next, task: tasks[next++]! } satisfies PoolMessage<T, R>);
    };
    for (let k = 0; k < Math.min(workers, tasks.length); k++) {
      const worker = new Worker(entry);
      pool.push(worker);
      worker.on('message', (m: PoolMessage<T, R>) => {
        if (settled) return;
        if ('error' in m) return end(() => reject(new Error(`task ${m.index} stopped with an error in its worker thread:\n${m.error}`)));
        if (!('result' in m)) return;
        results[m.index] = m.result;
        dispatch(worker);
        while (shown < tasks.length && results[shown] !== undefined) onResult(results[shown]!, shown++);
        if (shown === tasks.length) end(() => resolve(results as R[]));
      });
      worker.on('error', (e) => end(() => reject(e)));
      worker.on('exit', (code) => end(() => reject(new Error(`a worker thread exited (code ${code}) before the run ended`))));
    }
    if (tasks.length === 0) resolve([]);
    for (const worker of pool) dispatch(worker);
  });
}

/** Runs the selected properties on `workers` threads; the result is runLimitedSuite's, but the times. */
export function runParallelSuite(settings: SuiteSettings, source: ImageSource, workers: number, callbacks: SuiteCallbacks = {}): Promise<SuiteResult> {
  const started = performance.now();
  const selected = PROPERTIES.filter((d) => !settings.only || settings.only.includes(d.name));
  const results: (PropertyResult | undefined)[] = selected.map(() => undefined);
  const coverage = noCoverage(settings.image);
  const { image, ...rest } = settings;
  const setup: WorkerSetup = { source, settings: rest };
  const pool: Worker[] = [];
  let next = 0; // the next property to dispatch
  let shown = 0; // the next property to report (onResult), in PROPERTIES order
  let headStarted = false; // onStart called for selected[shown]
  let budgetSpent = false;
  let settled = false;
  return new Promise<SuiteResult>((resolve, reject) => {
    const end = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      void Promise.all(pool.map((w) => w.terminate())).then(outcome, outcome);
    };
    const fail = (error: Error) => end(() => reject(error));
    const planned = (i: number) => settings.runs ?? plannedRuns(selected[i]!, settings.scale ?? 1);
    // report finished properties in order; the first unfinished one is the one the progress line shows
    const show = () => {
      while (shown < selected.length && results[shown] !== undefined) {
        if (!headStarted) callbacks.onStart?.(selected[shown]!.name, planned(shown));
        callbacks.onResult?.(results[shown]!);
        shown += 1;
        headStarted = false;
      }
      if (shown < selected.length && !headStarted && shown < next) {
        callbacks.onStart?.(selected[shown]!.name, planned(shown));
        headStarted = true;
      }
      if (shown === selected.length) {
        const properties = results as PropertyResult[];
        end(() => resolve({ image: { name: image.name, digest: image.digest }, properties, coverage, uncovered: coverageClaims(settings) ? claimedUncovered(properties, coverage, { image }) : [] }));
      }
    };
    const dispatch = (worker: Worker) => {
      while (next < selected.length) {
        const i = next++;
        const elapsed = performance.now() - started;
        if (settings.timeBudgetMs !== undefined && (budgetSpent || elapsed >= settings.timeBudgetMs)) {
          results[i] = budgetSkip(selected[i]!, settings);
          continue;
        }
        const task: WorkerTask = { name: selected[i]!.name, ...(settings.timeBudgetMs !== undefined ? { remainingMs: settings.timeBudgetMs - elapsed } : {}) };
        worker.postMessage(task);
        return;
      }
    };
    for (let k = 0; k < workers; k++) {
      const worker = new Worker(WORKER_ENTRY, { workerData: setup });
      pool.push(worker);
      worker.on('message', (m: WorkerMessage) => {
        if (settled) return;
        const i = selected.findIndex((d) => d.name === m.name);
        if (m.kind === 'progress') {
          if (i === shown && headStarted) callbacks.onProgress?.(selected[i]!.name, m.done, m.total);
          return;
        }
        if (m.kind === 'error') {
          fail(new Error(`${m.name} stopped with an error in its worker thread:\n${m.error}`));
          return;
        }
        results[i] = m.result;
        addCoverage(coverage, m.coverage);
        if (m.result.interrupted === true) budgetSpent = true;
        dispatch(worker);
        show();
      });
      worker.on('error', (e) => fail(e));
      worker.on('exit', (code) => fail(new Error(`a suite worker thread exited (code ${code}) before the run ended`)));
    }
    for (const worker of pool) dispatch(worker);
    show();
  });
}
