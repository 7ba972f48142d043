import { defineConfig } from 'vitest/config';

// One config for the whole suite. Property tests take their seed from
// HVSPEC_SEED (fixed by default, see properties/README.md) so CI runs are replayable.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/fast-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON summary lets .ci/run print one plain 'N passed, N failed' line at the end.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['model/**/*.ts', 'emulator/**/*.ts', 'properties/**/*.ts', 'cli/**/*.ts'],
      exclude: ['**/*.test.ts', '**/README.md'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'model/**/*.ts': { lines: 95, branches: 95 },
      },
    },
  },
});
