/**
 * Running SQL a user typed (`fte query`). Statements are classified with DuckDB's own parser
 * (`extractStatements` + the prepared statement's `statementType`), all before any runs, so a
 * modifying statement without `write` is refused up front; the read path also opens the file with
 * DuckDB's READ_ONLY access mode, so DuckDB enforces it too.
 */
import { StatementType } from '@duckdb/node-api';
import { QueryError } from './errors.js';
import { toPlain, type Db, type PlainRow } from './db.js';

/** Statement types that change the database (or the catalog, attached files, installed extensions). */
const MODIFYING: ReadonlySet<StatementType> = new Set([
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.CREATE,
  StatementType.DROP,
  StatementType.ALTER,
  StatementType.CREATE_FUNC,
  StatementType.VACUUM,
  StatementType.ATTACH,
  StatementType.DETACH,
  StatementType.COPY_DATABASE,
  StatementType.MERGE_INTO,
  StatementType.EXTENSION,
  StatementType.LOAD,
  StatementType.UPDATE_EXTENSIONS,
]);

/** Statement types that write files outside the store (`COPY ... TO`, `EXPORT DATABASE`). */
const WRITES_FILES: ReadonlySet<StatementType> = new Set([StatementType.COPY, StatementType.EXPORT]);

export interface QueryColumn {
  name: string;
  /** DuckDB type, e.g. `VARCHAR`, `DOUBLE`, `BIGINT`. */
  type: string;
}

/** The last statement's result. */
export interface QueryResult {
  columns: QueryColumn[];
  rows: PlainRow[];
  rowCount: number;
  /** How many statements ran. */
  statements: number;
}

export interface RunSqlOptions {
  /** Allow statements that modify the store (DDL, DML). Default false. */
  write?: boolean;
}

/**
 * 1-based index of the first `EXPORT DATABASE` statement in `sql`, or 0. DuckDB creates the target
 * folder while *preparing* that statement, so it must be refused on the text, before `prepare`.
 * Comments are removed first; a `;` inside a string literal can only cause a false refusal.
 */
function exportStatementIndex(sql: string): number {
  const parts = sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ').split(';').filter((s) => s.trim() !== '');
  return parts.findIndex((s) => /^\s*EXPORT\s+DATABASE\b/i.test(s)) + 1;
}

/** DuckDB's error without its multi-line caret display: `Parser Error: syntax error at or near "selec" (line 1)`. */
export function oneLine(message: string): string {
  const lines = message.replace(/^Failed to extract statements: /, '').split('\n').map((l) => l.trim()).filter(Boolean);
  const head = lines[0] ?? message;
  const line = lines.find((l) => /^LINE \d+:/.test(l));
  return line ? `${head} (${line.split(':')[0]!.toLowerCase()})` : head;
}

function typeName(t: unknown): string {
  return String(t);
}

/**
 * Run `sql` (one or more `;`-separated statements) and return the last one's rows.
 * @throws QueryError invalid SQL (one line), or a modifying statement without `write`
 */
export async function runSql(db: Db, sql: string, options: RunSqlOptions = {}): Promise<QueryResult> {
  const write = options.write ?? false;
  return db.exclusive(async () => {
    const conn = db.connection;
    let extracted;
    try {
      extracted = await conn.extractStatements(sql);
    } catch (err) {
      throw new QueryError(`invalid SQL: ${oneLine((err as Error).message)}`);
    }
    if (extracted.count === 0) throw new QueryError('no SQL statement given');
    // Read-only: prepare (and so classify) every statement before running any. With write, prepare
    // each just before it runs, since a later statement may use a table an earlier one creates.
    const prepare = async (i: number) => {
      try {
        return await extracted.prepare(i);
      } catch (err) {
        throw new QueryError(`invalid SQL${extracted.count > 1 ? ` (statement ${i + 1})` : ''}: ${oneLine((err as Error).message)}`);
      }
    };
    const upfront = [];
    const exportAt = write ? 0 : exportStatementIndex(sql);
    if (exportAt) throw new QueryError(`statement ${exportAt} is EXPORT, which writes files; fte query is read-only unless --write is given`);
    if (!write) {
      for (let i = 0; i < extracted.count; i++) {
        const p = await prepare(i);
        if (WRITES_FILES.has(p.statementType)) {
          throw new QueryError(`statement ${i + 1} is ${StatementType[p.statementType]}, which writes files; fte query is read-only unless --write is given`);
        }
        if (MODIFYING.has(p.statementType)) {
          throw new QueryError(`statement ${i + 1} is ${StatementType[p.statementType]}, which modifies the store; fte query is read-only unless --write is given`);
        }
        upfront.push(p);
      }
    }
    let result: QueryResult = { columns: [], rows: [], rowCount: 0, statements: extracted.count };
    for (let i = 0; i < extracted.count; i++) {
      const p = upfront[i] ?? (await prepare(i));
      if (p.parameterCount > 0) throw new QueryError(`statement ${i + 1} has ${p.parameterCount} parameter placeholder(s); fte query takes literal SQL`);
      try {
        const reader = await p.runAndReadAll();
        const names = reader.columnNames();
        const types = reader.columnTypes();
        const rows = reader.getRowObjectsJS().map((r) => toPlain(r) as PlainRow);
        result = {
          columns: names.map((name, c) => ({ name, type: typeName(types[c]) })),
          rows,
          rowCount: rows.length,
          statements: extracted.count,
        };
      } catch (err) {
        const msg = (err as Error).message;
        if (/read-only mode/i.test(msg)) {
          throw new QueryError(`statement ${i + 1} modifies the store; fte query is read-only unless --write is given`);
        }
        throw new QueryError(`${extracted.count > 1 ? `statement ${i + 1} failed: ` : ''}${oneLine(msg)}`);
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
