import fc from 'fast-check';

/**
 * Every property test in the suite runs with one fixed seed unless HVSPEC_SEED
 * says otherwise, so CI is replayable. fast-check prints `seed` and `path` on
 * failure; re-run with HVSPEC_SEED=<seed> (and fc's `path` option) to replay.
 * HVSPEC_RUNS scales the number of runs of properties that do not set their own.
 */
const seed = process.env.HVSPEC_SEED === undefined ? 0x5eed : Number(process.env.HVSPEC_SEED);
if (!Number.isSafeInteger(seed)) {
  throw new Error(`HVSPEC_SEED must be an integer, got ${JSON.stringify(process.env.HVSPEC_SEED)}`);
}
const runs = process.env.HVSPEC_RUNS === undefined ? 100 : Number(process.env.HVSPEC_RUNS);
if (!Number.isSafeInteger(runs) || runs < 1) {
  throw new Error(`HVSPEC_RUNS must be a positive integer, got ${JSON.stringify(process.env.HVSPEC_RUNS)}`);
}

fc.configureGlobal({ seed, numRuns: runs });
