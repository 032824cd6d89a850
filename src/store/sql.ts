/**
 * Running SQL a user typed (`fte query`).
 *
 * Read-only (no `write`) is enforced by DuckDB, not by scanning the text:
 * - the store is opened with `access_mode=READ_ONLY`, `lock_configuration=true` (no SET, RESET or
 *   `log_query_path`) and no extension auto-install/auto-load (see db.ts);
 * - before anything is prepared on that connection, DuckDB's parser (`json_serialize_sql`, which
 *   serialises SELECT statements only) must find nothing but SELECTs (`WITH`, `FROM`-first,
 *   `DESCRIBE`, `SHOW`, `SUMMARIZE`, `VALUES` included). Otherwise the statements are prepared on a
 *   probe connection with no file access (db.ts `openProbe`; DuckDB creates an `EXPORT DATABASE`
 *   folder while binding) to name the first one by its DuckDB statement type, and nothing runs.
 * Plain SELECTs may still read local files (`read_csv('x.csv')`), as the DuckDB CLI does, unless the
 * store was opened with `externalAccess: false`.
 *
 * The last statement's result is streamed and at most `limit` rows are read, so a huge result costs
 * `limit` rows of memory, not the whole result.
 */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { QueryError } from './errors.js';
import { openProbe, toPlain, type Db, type PlainRow } from './db.js';

/** Rows `fte query` prints unless `--limit` says otherwise. */
export const DEFAULT_QUERY_LIMIT = 1000;

const WRITES_FILES: ReadonlySet<StatementType> = new Set([StatementType.COPY, StatementType.EXPORT, StatementType.COPY_DATABASE]);
const SETTINGS: ReadonlySet<StatementType> = new Set([StatementType.SET, StatementType.VARIABLE_SET, StatementType.PRAGMA]);
const EXTENSIONS: ReadonlySet<StatementType> = new Set([StatementType.LOAD, StatementType.EXTENSION, StatementType.UPDATE_EXTENSIONS]);
/** Statement types that change the database (or the catalog, attached files). */
const MODIFYING: ReadonlySet<StatementType> = new Set([
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.CREATE,
  StatementType.DROP,
  StatementType.ALTER,
  StatementType.CREATE_FUNC,
  StatementType.VACUUM,
  StatementType.ANALYZE,
  StatementType.ATTACH,
  StatementType.DETACH,
  StatementType.MERGE_INTO,
]);

export interface QueryColumn {
  name: string;
  /** DuckDB type, e.g. `VARCHAR`, `DOUBLE`, `BIGINT`. */
  type: string;
}

/** The last statement's result (its first `limit` rows). */
export interface QueryResult {
  columns: QueryColumn[];
  rows: PlainRow[];
  /** Rows returned here (`rows.length`, at most `limit`). */
  rowCount: number;
  /** How many statements ran. */
  statements: number;
  /** The row cap that applied. */
  limit: number;
  /** True when the result had more than `limit` rows (only the first `limit` are in `rows`). */
  truncated: boolean;
}

export interface RunSqlOptions {
  /** Allow statements that modify the store (DDL, DML), settings and files. Default false. */
  write?: boolean;
  /** Read at most this many rows of the last statement's result (a positive integer). Default 1000. */
  limit?: number;
}

/** DuckDB's error without its multi-line caret display: `Parser Error: syntax error at or near "selec" (line 1)`. */
export function oneLine(message: string): string {
  const lines = message.replace(/^Failed to extract statements: /, '').split('\n').map((l) => l.trim()).filter(Boolean);
  const head = lines[0] ?? message;
  const line = lines.find((l) => /^LINE \d+:/.test(l));
  return line ? `${head} (${line.split(':')[0]!.toLowerCase()})` : head;
}

const READ_ONLY = 'fte query is read-only unless --write is given';

/** Why statement `n` (1-based) of DuckDB type `type` is refused without --write. */
function refusal(n: number, type: StatementType): string {
  const name = StatementType[type] ?? String(type);
  if (WRITES_FILES.has(type)) return `statement ${n} is ${name}, which writes files; ${READ_ONLY}`;
  if (SETTINGS.has(type)) return `statement ${n} is ${name}, which changes settings; ${READ_ONLY}`;
  if (EXTENSIONS.has(type)) return `statement ${n} is ${name}, which installs or loads extensions; ${READ_ONLY}`;
  if (MODIFYING.has(type)) return `statement ${n} is ${name}, which modifies the store; ${READ_ONLY}`;
  return `statement ${n} is ${name}; fte query runs only SELECT statements unless --write is given`;
}

/**
 * DuckDB's parser on `sql` (parses only; binds and runs nothing): `statements` is how many there
 * are when all are SELECTs, `null` when any is not (or the text does not parse).
 */
async function selectCount(conn: DuckDBConnection, sql: string): Promise<number | null> {
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const j = JSON.parse(String(reader.getRows()[0]![0])) as { error: boolean; statements?: unknown[] };
  return j.error ? null : (j.statements?.length ?? 0);
}

/**
 * Name the first statement that is not a SELECT, by its DuckDB type, from a probe connection with no
 * file access (so nothing is created while binding). A statement that cannot be bound there (it
 * reaches a file or URL) is named when no statement has a known non-SELECT type.
 */
async function firstRefusal(db: Db, sql: string): Promise<string> {
  const probe = await openProbe(db);
  try {
    const extracted = await probe.connection.extractStatements(sql);
    const failed: Array<{ n: number; message: string }> = [];
    for (let i = 0; i < extracted.count; i++) {
      try {
        const p = await extracted.prepare(i);
        if (p.statementType !== StatementType.SELECT) return refusal(i + 1, p.statementType);
      } catch (err) {
        failed.push({ n: i + 1, message: oneLine((err as Error).message) });
      }
    }
    const first = failed[0];
    // DuckDB rewrites some PRAGMAs (PRAGMA version, PRAGMA table_info) into SELECTs when binding
    if (!first) return `a statement is not a SELECT (a PRAGMA? use its table function, e.g. select * from pragma_table_info('runs')); fte query runs only SELECT statements unless --write is given`;
    const which = failed.length === 1 ? `statement ${first.n} is` : `one of statements ${failed.map((f) => f.n).join(', ')} is`;
    const files = /^Permission Error/.test(first.message) ? ' and reaches files' : '';
    return `${which} not a SELECT${files} (${first.message}); fte query runs only SELECT statements unless --write is given`;
  } finally {
    probe.close();
  }
}

/**
 * Run `sql` (one or more `;`-separated statements) and return the last one's first `limit` rows.
 * @throws QueryError empty or invalid SQL (one line), a statement other than SELECT without `write`,
 *   a parameter placeholder, or a statement that fails (its DuckDB error, one line)
 */
export async function runSql(db: Db, sql: string, options: RunSqlOptions = {}): Promise<QueryResult> {
  const write = options.write ?? false;
  const limit = options.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new QueryError(`limit must be a positive integer, got ${limit}`);
  if (sql.trim() === '') throw new QueryError('empty SQL: no statement given');
  return db.exclusive(async () => {
    const conn = db.connection;
    const selects = await selectCount(conn, sql);
    // (extractStatements fails with "Error in native callback" on text without statements, e.g. ';')
    if (selects === 0) throw new QueryError('empty SQL: no statement given');
    let extracted;
    try {
      extracted = await conn.extractStatements(sql);
    } catch (err) {
      throw new QueryError(`invalid SQL: ${oneLine((err as Error).message)}`);
    }
    if (extracted.count === 0) throw new QueryError('empty SQL: no statement given');
    if (!write && selects === null) throw new QueryError(await firstRefusal(db, sql));
    const failed = (i: number, err: unknown): QueryError => {
      const msg = (err as Error).message;
      if (/read-only mode/i.test(msg)) return new QueryError(`statement ${i + 1} modifies the store; ${READ_ONLY}`);
      return new QueryError(`${extracted.count > 1 ? `statement ${i + 1} failed: ` : ''}${oneLine(msg)}`);
    };
    let result: QueryResult = { columns: [], rows: [], rowCount: 0, statements: extracted.count, limit, truncated: false };
    for (let i = 0; i < extracted.count; i++) {
      let p;
      try {
        p = await extracted.prepare(i);
      } catch (err) {
        const msg = oneLine((err as Error).message);
        const where = extracted.count > 1 ? `statement ${i + 1}: ` : '';
        // a file refused by --no-external-access, or a URL that needs an extension, is not a mistake in the SQL
        if (/^Permission Error/.test(msg)) throw new QueryError(`${where}${msg.replace(/ \(line \d+\)$/, '')}`);
        if (/^Missing Extension Error/.test(msg)) throw new QueryError(`${where}${msg.replace(/ \(line \d+\)$/, '')}; fte does not install DuckDB extensions`);
        throw new QueryError(`invalid SQL${extracted.count > 1 ? ` (statement ${i + 1})` : ''}: ${msg}`);
      }
      if (p.parameterCount > 0) throw new QueryError(`statement ${i + 1} has ${p.parameterCount} parameter placeholder(s); fte query takes literal SQL`);
      try {
        if (i < extracted.count - 1) {
          // An earlier statement's rows are not shown: run it (a write runs to completion), read nothing.
          if (write) await p.run();
          else await p.stream();
          continue;
        }
        const reader = await p.streamAndReadUntil(limit + 1);
        const names = reader.columnNames();
        const types = reader.columnTypes();
        const all = reader.getRowObjectsJS();
        const rows = all.slice(0, limit).map((r) => toPlain(r) as PlainRow);
        result = {
          columns: names.map((name, c) => ({ name, type: String(types[c]) })),
          rows,
          rowCount: rows.length,
          statements: extracted.count,
          limit,
          truncated: all.length > limit,
        };
      } catch (err) {
        throw failed(i, err);
      }
    }
    return result;
  });
}

/** RFC 4180 CSV: header line, then rows; fields with `,` `"` CR or LF are quoted, quotes doubled. */
export function toCsv(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  const field = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const names = result.columns.map((c) => c.name);
  const lines = [names.map(field).join(',')];
  for (const r of result.rows) lines.push(names.map((n) => field(r[n])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
