/**
 * Typed errors. Library code throws these; only commands turn them into exit codes
 * (see src/cli/base-command.ts): a user error prints one line and exits with `exitCode`.
 */
export class FteError extends Error {
  /** Process exit code the command should use (2 = bad input/usage, 1 = failure found). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'FteError';
    this.exitCode = exitCode;
  }
}

/** Bad input a user can fix: a spec, a data file, a flag, a missing file. Exit code 2. */
export class UserInputError extends FteError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UserInputError';
  }
}

/** Anything chosen by name from a registry that does not exist; the message lists the valid names. */
export class UnknownNameError extends UserInputError {
  constructor(kind: string, name: string, known: readonly string[]) {
    super(`unknown ${kind} '${name}'; known: ${known.join(', ')}`);
    this.name = 'UnknownNameError';
  }
}
