/**
 * `fte export`: copy store tables out with DuckDB's own `COPY ... TO` (Parquet, CSV with a header
 * line, or newline-delimited JSON), so any tool can read them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnknownNameError, UserInputError } from '../errors.js';
import { checkOutputFile, makeDirs, samePath, writeOutputFileWith } from '../fsutil.js';
import { quoteIdent, type Db } from './db.js';
import { oneLine } from './sql.js';

/** Output formats and the COPY options each uses. */
export const EXPORT_FORMATS = {
  parquet: { ext: 'parquet', options: '(FORMAT parquet)' },
  csv: { ext: 'csv', options: '(FORMAT csv, HEADER true)' },
  json: { ext: 'json', options: '(FORMAT json)' },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/**
 * What a whole-store export writes, one file each: the documented tables and the two views
 * (`step_metrics` in its documented long form, `run_summary`). The internal `step_metric_points`,
 * `step_series` and `schema_version` can still be exported by name with `table`.
 */
export const DEFAULT_EXPORT_TABLES = [
  'experiments',
  'sweeps',
  'runs',
  'run_params',
  'step_metrics',
  'eval_results',
  'predictions',
  'costs',
  'artifacts',
  'run_summary',
] as const;

export interface ExportOptions {
  format: string;
  /** With `table`: the output file. Without: a folder, created if needed, that gets `<table>.<ext>` per table. */
  out: string;
  /** One table or view; default every table of DEFAULT_EXPORT_TABLES. */
  table?: string;
  /** Replace existing output files. Default false: an existing file is refused before anything is written. */
  force?: boolean;
  /** Files never to write over, whatever `force` says: the store and its WAL (`storeFiles(db)`). */
  protect?: readonly string[];
}

export interface ExportResult {
  format: ExportFormat;
  out: string;
  tables: { table: string; path: string; rows: number }[];
}

/**
 * Export one table (to a file) or the whole store (to a folder).
 * @throws UnknownNameError unknown format or table (lists the valid ones); UserInputError `out` is a
 *   file where a folder is needed, its parent folder is missing, a folder cannot be created or a file
 *   cannot be written, an output file exists without `force`, or an output is the store or its WAL
 *   (one line naming the path). Every output is checked before the first is written; each is written
 *   to a temporary file and renamed.
 */
export async function exportStore(db: Db, options: ExportOptions): Promise<ExportResult> {
  const formats = Object.keys(EXPORT_FORMATS) as ExportFormat[];
  if (!formats.includes(options.format as ExportFormat)) throw new UnknownNameError('export format', options.format, formats);
  const format = options.format as ExportFormat;
  const spec = EXPORT_FORMATS[format];
  const catalog = (
    await db.all<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database() ORDER BY 1`,
    )
  ).map((r) => r.name);
  let jobs: { table: string; path: string }[];
  let createdDir = false;
  if (options.table) {
    if (!catalog.includes(options.table)) throw new UnknownNameError('table', options.table, catalog);
    jobs = [{ table: options.table, path: options.out }];
  } else {
    if (fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) {
      throw new UserInputError(`--out ${options.out} is a file; exporting every table needs a folder (or pass --table)`);
    }
    // The folder itself must not be the store or its WAL (a folder named like the WAL breaks the store's next open).
    for (const p of options.protect ?? []) {
      if (samePath(options.out, p)) throw new UserInputError(`--out ${options.out} is ${p.endsWith('.wal') ? "the store's write-ahead log" : 'the store'} (${p}); choose another folder`);
    }
    createdDir = !fs.existsSync(options.out);
    makeDirs(options.out);
    jobs = DEFAULT_EXPORT_TABLES.filter((t) => catalog.includes(t)).map((t) => ({ table: t, path: path.join(options.out, `${t}.${spec.ext}`) }));
  }
  const fileOpts = { force: options.force, protect: options.protect, flag: options.table ? '--out' : 'export file' };
  try {
    for (const job of jobs) checkOutputFile(job.path, fileOpts);
  } catch (err) {
    if (createdDir) fs.rmSync(options.out, { recursive: true, force: true }); // a refusal leaves no new folder behind
    throw err;
  }
  const tables: ExportResult['tables'] = [];
  for (const job of jobs) {
    // The path is a bound parameter; the table name was checked against the catalog; the options come from EXPORT_FORMATS.
    let res: Record<string, number>[] = [];
    await writeOutputFileWith(job.path, fileOpts, async (tmp) => {
      try {
        res = await db.all<Record<string, number>>(`COPY (SELECT * FROM ${quoteIdent(job.table)}) TO $1 ${spec.options}`, [tmp]);
      } catch (err) {
        throw new UserInputError(`cannot write ${job.path}: ${oneLine((err as Error).message)}`);
      }
    });
    const first = res[0] ? Object.values(res[0])[0] : 0;
    tables.push({ table: job.table, path: job.path, rows: Number(first ?? 0) });
  }
  return { format, out: options.out, tables };
}
