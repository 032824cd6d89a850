/**
 * `fte report`: one sweep -> one self-contained HTML file.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserInputError } from '../errors.js';
import { openStore } from '../store/writer.js';
import { loadReportData } from './load.js';
import { renderReportHtml } from './render.js';
import { buildReportViewModel } from './view-model.js';

/** fte's version from package.json (`0.0.0` when it cannot be read). */
export function fteVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface WriteReportOptions {
  /** DuckDB file (opened read-only). */
  db: string;
  /** Sweep id; default the latest sweep. */
  sweepId?: string;
  /** Output file; default `reports/<experiment>-<sweep>.html`. */
  out?: string;
  /** Timestamp in the footer (ISO); default now. */
  generatedAt?: string;
}

export interface WriteReportResult {
  path: string;
  sweepId: string;
  experiment: string;
  bestRunId: string | null;
  bytes: number;
  limited: boolean;
}

/**
 * Writes `text` to a user-given `--out` path, as `fte export` does: the parent folder must exist
 * (it is never created), and the path must not be a folder.
 * @throws UserInputError (exit 2, one line naming the path) when the folder is missing or `out` is a folder.
 */
export function writeOutputFile(out: string, text: string): void {
  const dir = dirname(out);
  if (!existsSync(dir)) throw new UserInputError(`folder ${dir} does not exist (for --out ${out})`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserInputError(`--out ${out} is a folder; give a file name`);
  writeFileSync(out, text);
}

/** File-name-safe form of an id (`[A-Za-z0-9._-]`). */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Renders the report of a sweep and writes it.
 * The default path's `reports/` folder is created; an explicit `out` must be in an existing folder.
 * @throws StoreMissingError (no database file), UserInputError (no such sweep; `out`'s folder missing).
 */
export async function writeReport(opts: WriteReportOptions): Promise<WriteReportResult> {
  // Fail before reading the store when the folder is missing.
  if (opts.out !== undefined && !existsSync(dirname(opts.out))) throw new UserInputError(`folder ${dirname(opts.out)} does not exist (for --out ${opts.out})`);
  const store = await openStore(opts.db, { readOnly: true });
  let data;
  try {
    data = await loadReportData(store.db, opts.sweepId);
  } finally {
    await store.close();
  }
  const vm = buildReportViewModel(data, { generatedAt: opts.generatedAt });
  const html = await renderReportHtml(vm, { version: fteVersion() });
  const path = opts.out ?? join('reports', `${safeName(data.sweep.experimentName)}-${safeName(data.sweep.sweepId)}.html`);
  if (opts.out === undefined) mkdirSync(dirname(path), { recursive: true });
  writeOutputFile(path, html);
  return {
    path,
    sweepId: data.sweep.sweepId,
    experiment: data.sweep.experimentName,
    bestRunId: vm.summary.best?.runId ?? null,
    bytes: Buffer.byteLength(html),
    limited: vm.limited !== null,
  };
}
