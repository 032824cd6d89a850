/**
 * The DuckDB connection layer: one `DuckDBInstance` per file per process, one connection per store,
 * every call serialised (a DuckDB connection runs one statement at a time, and a transaction must not
 * interleave with another caller's statements), bound parameters always, and plain JS values out.
 *
 * Nothing here knows fte's tables; see schema.ts (DDL), writer.ts (writes) and queries.ts (reads).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { FteError } from '../errors.js';
import { StoreCorruptError, StoreMissingError, mapOpenError } from './errors.js';
import { makeDirs } from '../fsutil.js';

/** A JS value as read back: numbers (BIGINT too, when within 2^53), strings, booleans, ISO timestamps. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };
export type PlainRow = Record<string, Plain>;

/** A bound value with its DuckDB type given (where the client cannot infer it, e.g. an empty list). */
export class TypedParam {
  constructor(
    readonly value: DuckDBValue,
    readonly type: DuckDBType,
  ) {}
}

/** A value bound to a `$n` parameter (the client infers the DuckDB type; `null` binds SQL NULL). */
export type Bindable = DuckDBValue | TypedParam;

/** A `VARCHAR[]` parameter (empty lists included). */
export function stringList(xs: readonly string[]): TypedParam {
  return new TypedParam(listValue([...xs]), LIST(VARCHAR));
}

/** Values and types for the client; an `undefined` type entry means "infer" (DuckDBPreparedStatement.bind). */
function split(params: Bindable[]): [DuckDBValue[] | undefined, DuckDBType[] | undefined] {
  if (params.length === 0) return [undefined, undefined];
  if (!params.some((p) => p instanceof TypedParam)) return [params as DuckDBValue[], undefined];
  return [params.map((p) => (p instanceof TypedParam ? p.value : p)), params.map((p) => (p instanceof TypedParam ? p.type : undefined)) as DuckDBType[]];
}

/**
 * Convert what the client's JS converter returns into JSON-safe plain values: `bigint` -> number
 * (string when beyond Number.MAX_SAFE_INTEGER), `Date` -> ISO-8601 UTC string, nested lists/structs
 * recursively.
 */
export function toPlain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object') {
    const out: Record<string, Plain> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toPlain(x);
    return out;
  }
  return String(v);
}

/** `2026-11-29T07:08:55.807Z` -> `2026-11-29 07:08:55.807` (UTC, for a `$n::TIMESTAMP` cast; no session time zone involved). */
export function sqlTimestamp(iso: string | Date): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) throw new FteError(`invalid timestamp '${String(iso)}'`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Quote an identifier that was already validated against the catalog (DuckDB cannot bind identifiers). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Serialises async work: each call starts after the previous one settled. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

interface Held {
  instance: DuckDBInstance;
  readOnly: boolean;
  externalAccess: boolean;
  refs: number;
}

/** One DuckDB instance per resolved file path in this process (DuckDB: "multiple instances in the same process should not attach the same database"). */
const instances = new Map<string, Held>();

export interface OpenDbOptions {
  /**
   * Open with DuckDB's `access_mode=READ_ONLY` and `lock_configuration=true`: nothing can be written
   * to the store, no setting can change (so no `SET log_query_path`), and a missing file is an error.
   */
  readOnly?: boolean;
  /**
   * DuckDB's `enable_external_access` (default true): false refuses every file and URL but the store
   * itself (`read_csv`, `COPY`, `ATTACH`, ...). Only with `readOnly`.
   */
  externalAccess?: boolean;
}

/**
 * DuckDB settings for every instance fte opens: never download or auto-load an extension (the
 * bundled core_functions, icu, json and parquet are built in), so a query that names a remote file
 * fails with one line instead of reaching the network.
 */
function instanceConfig(readOnly: boolean, externalAccess: boolean): Record<string, string> {
  return {
    access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    ...(externalAccess ? {} : { enable_external_access: 'false' }),
    ...(readOnly ? { lock_configuration: 'true' } : {}),
  };
}

/**
 * A throw-away connection to the same store file for classifying statements before anything runs:
 * read-only, no file or network access (so preparing `EXPORT DATABASE 'x'`, which creates `x` while
 * binding, fails instead), configuration locked. For `:memory:` stores it is an empty in-memory
 * database. Close it with `close()`.
 */
export async function openProbe(db: Db): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const target = db.key ?? ':memory:';
  const instance = await DuckDBInstance.create(target, instanceConfig(target !== ':memory:', false));
  const connection = await instance.connect();
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Open (or share) the DuckDB instance for `file` and make a connection.
 * - `':memory:'` opens a private in-memory database (tests).
 * - Writable: creates the parent folder and the file if needed.
 * - Read-only: a missing file throws `StoreMissingError`; the file is never created or modified.
 * @throws StoreLockedError (another process holds the file), StoreCorruptError, StoreMissingError.
 */
export async function openDb(file: string, options: OpenDbOptions = {}): Promise<Db> {
  const readOnly = options.readOnly ?? false;
  const externalAccess = options.externalAccess ?? true;
  if (!readOnly && !externalAccess) throw new FteError('externalAccess: false is only for read-only stores');
  if (file === ':memory:') {
    const instance = await DuckDBInstance.create(':memory:', { ...instanceConfig(false, externalAccess), access_mode: 'AUTOMATIC' });
    return new Db(file, instance, await instance.connect(), readOnly, null, false);
  }
  const key = path.resolve(file);
  let held = instances.get(key);
  if (held && held.externalAccess !== externalAccess) {
    throw new FteError(`database ${file} is already open in this process with ${held.externalAccess ? '' : 'no '}external access; close it first`);
  } else if (held && !held.readOnly) {
    held.refs++;
  } else if (held && held.readOnly && !readOnly) {
    throw new FteError(`database ${file} is already open read-only in this process; close it before writing`);
  } else if (held) {
    held.refs++;
  } else {
    if (readOnly && !fs.existsSync(key)) throw new StoreMissingError(file);
    if (fs.existsSync(key) && fs.statSync(key).isDirectory()) {
      throw new StoreCorruptError(file, 'is a folder, not a DuckDB file (point --db / FTE_DB at a .duckdb file)', false);
    }
    if (!readOnly) makeDirs(path.dirname(key));
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(key, instanceConfig(readOnly, externalAccess));
    } catch (err) {
      throw mapOpenError(file, err);
    }
    held = { instance, readOnly, externalAccess, refs: 1 };
    instances.set(key, held);
  }
  try {
    return new Db(file, held.instance, await held.instance.connect(), readOnly, key, held.refs > 1);
  } catch (err) {
    release(key);
    throw mapOpenError(file, err);
  }
}

function release(key: string): void {
  const held = instances.get(key);
  if (!held) return;
  held.refs--;
  if (held.refs <= 0) {
    instances.delete(key);
    held.instance.closeSync();
  }
}

/** A column of an appended chunk: its DuckDB type and how to read it from a row. */
export interface AppendColumn<R> {
  type: DuckDBType;
  get: (row: R) => DuckDBValue;
}

/** DuckDB's standard vector size: rows per appended data chunk. */
export const CHUNK_ROWS = 2048;

/**
 * One serialised connection. `all`/`run` bind `$1..$n` positionally; `transaction` runs its body
 * between BEGIN and COMMIT (ROLLBACK on any error) with the queue held, so nothing else interleaves.
 */
export class Db {
  private readonly serial = new Serial();
  private closed = false;
  private inTx = false;

  constructor(
    /** The path as the user gave it (for messages). */
    readonly file: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly readOnly: boolean,
    /** The resolved path (null for `:memory:`). */
    readonly key: string | null,
    /** True when another store in this process already had the file open (same DuckDB instance). */
    readonly shared: boolean,
  ) {}

  /** Run SQL and return every row as plain objects (column name -> value). */
  all<T = PlainRow>(sql: string, params: Bindable[] = []): Promise<T[]> {
    return this.enqueue(() => this.allNow<T>(sql, params));
  }

  /** Run SQL for its effect. */
  run(sql: string, params: Bindable[] = []): Promise<void> {
    return this.enqueue(async () => {
      await this.connection.run(sql, ...split(params));
    });
  }

  /**
   * BEGIN; body(tx); COMMIT — or ROLLBACK and rethrow. The body gets an unqueued handle (`tx`),
   * because the queue is held for the whole transaction.
   */
  transaction<T>(body: (tx: TxHandle) => Promise<T>): Promise<T> {
    return this.enqueue(async () => this.transactionNow(body));
  }

  /** Run `fn` with the queue held (for a caller that needs several steps without interleaving). */
  exclusive<T>(fn: (tx: TxHandle) => Promise<T>): Promise<T> {
    return this.enqueue(() => fn(this.handle()));
  }

  /** Close the connection; the instance closes (and DuckDB releases the file lock) with its last user. */
  async close(): Promise<void> {
    await this.serial.run(async () => undefined);
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    if (this.key) release(this.key);
    else this.instance.closeSync();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new FteError(`database ${this.file} is closed`));
    return this.serial.run(fn);
  }

  private async allNow<T>(sql: string, params: Bindable[]): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, ...split(params));
    return reader.getRowObjectsJS().map((r) => toPlain(r) as T);
  }

  private async transactionNow<T>(body: (tx: TxHandle) => Promise<T>): Promise<T> {
    if (this.inTx) return body(this.handle());
    await this.connection.run('BEGIN TRANSACTION');
    this.inTx = true;
    try {
      const out = await body(this.handle());
      await this.connection.run('COMMIT');
      return out;
    } catch (err) {
      try {
        await this.connection.run('ROLLBACK');
      } catch {
        // DuckDB already aborted the transaction; nothing to undo.
      }
      throw err;
    } finally {
      this.inTx = false;
    }
  }

  private handle(): TxHandle {
    return {
      all: (sql, params = []) => this.allNow(sql, params),
      run: async (sql, params = []) => {
        await this.connection.run(sql, ...split(params));
      },
      append: (table, columns, rows) => this.appendNow(table, columns, rows),
      transaction: (body) => this.transactionNow(body),
    };
  }

  /**
   * Append `rows` to `table` with DuckDB's Appender, `CHUNK_ROWS` rows per data chunk. The columns
   * must be the table's columns in order. Runs inside the current transaction when there is one
   * (DuckDB appends in the connection's transaction), otherwise commits on its own.
   */
  private async appendNow<R>(table: string, columns: AppendColumn<R>[], rows: readonly R[]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.connection.createAppender(table);
    try {
      const types = columns.map((c) => c.type);
      for (let off = 0; off < rows.length; off += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows.length - off);
        const chunk = DuckDBDataChunk.create(types, n);
        for (let c = 0; c < columns.length; c++) {
          const vector = chunk.getColumnVector(c);
          const get = columns[c]!.get;
          for (let i = 0; i < n; i++) vector.setItem(i, get(rows[off + i]!));
          vector.flush();
        }
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}

/** The statements available inside `Db.transaction` / `Db.exclusive` (not queued: the caller holds the queue). */
export interface TxHandle {
  all<T = PlainRow>(sql: string, params?: Bindable[]): Promise<T[]>;
  run(sql: string, params?: Bindable[]): Promise<void>;
  append<R>(table: string, columns: AppendColumn<R>[], rows: readonly R[]): Promise<void>;
  /** Nested use joins the open transaction; otherwise BEGIN/COMMIT. */
  transaction<T>(body: (tx: TxHandle) => Promise<T>): Promise<T>;
}
