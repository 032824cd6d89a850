/**
 * `fte report`: one sweep -> one self-contained HTML file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOutputFile, storeFiles, writeOutputFile } from '../fsutil.js';
import { openStore } from '../store/open.js';
import { loadReportData } from './load.js';
import { renderReportHtml } from './render.js';
import { buildReportViewModel } from './view-model.js';
import type { EarlyTerminationView } from './view-types.js';

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
  /** Output file; default `reports/<experiment>-<sweep>.html` (fte's own name: replaced on a re-run). */
  out?: string;
  /** Replace an existing `out` (never the store or its WAL). Default false. */
  force?: boolean;
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
  /** The sweep section's early termination figures (runs stopped, steps not run, estimated seconds saved); null when none. */
  earlyTermination: Pick<EarlyTerminationView, 'rule' | 'stopped' | 'stepsSaved' | 'wallSecondsSaved' | 'unknown'> | null;
}

/** The one safe writer of user-named output files (see src/fsutil.ts); `fte compare --out` uses it too. */
export { writeOutputFile } from '../fsutil.js';

/** File-name-safe form of an id (`[A-Za-z0-9._-]`). */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Renders the report of a sweep and writes it.
 * The default path's `reports/` folder is created and a report already there is replaced; an
 * explicit `out` must be in an existing folder, must not exist unless `force`, and is never the
 * store or its WAL. Written to a temporary file, then renamed.
 * @throws StoreMissingError (no database file), UserInputError (no such sweep; `out`'s folder missing;
 *   `out` exists without `force`; `out` is the store).
 */
export async function writeReport(opts: WriteReportOptions): Promise<WriteReportResult> {
  // Fail before reading the store when the output cannot be written.
  const protect = storeFiles(opts.db);
  if (opts.out !== undefined) checkOutputFile(opts.out, { force: opts.force, protect });
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
  writeOutputFile(path, html, { force: opts.out === undefined || opts.force, protect });
  return {
    path,
    sweepId: data.sweep.sweepId,
    experiment: data.sweep.experimentName,
    bestRunId: vm.summary.best?.runId ?? null,
    bytes: Buffer.byteLength(html),
    limited: vm.limited !== null,
    earlyTermination: vm.sweepTable.earlyTermination ? (({ rule, stopped, stepsSaved, wallSecondsSaved, unknown }) => ({ rule, stopped, stepsSaved, wallSecondsSaved, unknown }))(vm.sweepTable.earlyTermination) : null,
  };
}
