/**
 * A mistake in how the user called hvspec (unknown option, missing file, bad
 * value). The dispatcher prints its message without a stack trace and exits 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
