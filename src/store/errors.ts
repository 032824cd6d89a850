/**
 * Errors the store raises. Each message is one line that names the database file, so a command can
 * print it as is (see src/cli/base-command.ts).
 */
import { FteError, UserInputError } from '../errors.js';

/** Another process holds DuckDB's file lock (DuckDB allows one writing process, or many readers). */
export class StoreLockedError extends FteError {
  /** PID of the process holding the lock, when DuckDB's message names it. */
  readonly pid: number | null;
  constructor(file: string, pid: number | null, program: string | null) {
    const who = program && !/node|fte/.test(program) ? `another process (PID ${pid ?? '?'}, ${program})` : `another fte process (PID ${pid ?? '?'})`;
    super(`database ${file} is locked by ${who}; wait for it or use --db`);
    this.name = 'StoreLockedError';
    this.pid = pid;
  }
}

/** The file exists but is not a DuckDB database, is damaged, is a folder, or is not an fte store. Exit 2. */
export class StoreCorruptError extends UserInputError {
  constructor(file: string, detail: string, untouched = true) {
    super(untouched ? `database ${file} ${detail}; it was left untouched` : `database ${file} ${detail}`);
    this.name = 'StoreCorruptError';
  }
}

/** The file was written by a newer fte (schema version above the one this build knows). Exit 2. */
export class StoreVersionError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreVersionError';
  }
}

/** A read command found no database file. */
export class StoreMissingError extends UserInputError {
  constructor(file: string) {
    super(`no database at ${file}; run \`fte sweep\` first, or point --db / FTE_DB at an existing file`);
    this.name = 'StoreMissingError';
  }
}

/** SQL a user typed (fte query) failed to parse/bind/run, or would modify the store without --write. */
export class QueryError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Reformat one of DuckDB's open errors into one of the above; anything else becomes a one-line FteError (exit 1) naming the file. */
export function mapOpenError(file: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  // DuckDB: `IO Error: Could not set lock on file "<path>": Conflicting lock is held in <program> (PID <n>) by user ...`
  const lock = /Could not set lock on file/i.test(msg) || /Conflicting lock/i.test(msg);
  if (lock) {
    const pid = /PID (\d+)/.exec(msg);
    const program = /held in (\S+)/.exec(msg);
    return new StoreLockedError(file, pid ? Number(pid[1]) : null, program ? program[1]!.split('/').pop()! : null);
  }
  if (/not a valid DuckDB database file/i.test(msg)) {
    return new StoreCorruptError(file, 'is not a valid DuckDB file (damaged, or another format)');
  }
  if (/database does not exist/i.test(msg)) return new StoreMissingError(file);
  if (/Serialization Error|Corrupt|checksum|INTERNAL Error/i.test(msg)) {
    return new StoreCorruptError(file, `could not be read (${msg.split('\n')[0]})`);
  }
  if (/version number|storage version|created by a newer/i.test(msg)) {
    return new StoreVersionError(`database ${file} was written by a newer DuckDB storage format than this fte's client reads (${msg.split('\n')[0]})`);
  }
  // Anything else still becomes one line naming the file (not DuckDB's raw multi-line message).
  return new FteError(`database ${file} could not be opened (${msg.split('\n')[0]})`);
}
