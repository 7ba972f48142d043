#!/usr/bin/env node
/**
 * The `hvspec` command (dispatch.ts says what each argument does). Usage mistakes print a one-line
 * error and exit 2, never a stack trace.
 */
import { dispatch } from './dispatch.js';
import { EXIT_USAGE, UsageError } from './usage.js';

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`hvspec: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      throw error;
    }
  },
);
