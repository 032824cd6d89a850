/**
 * `fte report`: one sweep -> one self-contained HTML file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** File-name-safe form of an id (`[A-Za-z0-9._-]`). */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Renders the report of a sweep and writes it.
 * @throws StoreMissingError (no database file), UserInputError (no such sweep).
 */
export async function writeReport(opts: WriteReportOptions): Promise<WriteReportResult> {
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
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return {
    path,
    sweepId: data.sweep.sweepId,
    experiment: data.sweep.experimentName,
    bestRunId: vm.summary.best?.runId ?? null,
    bytes: Buffer.byteLength(html),
    limited: vm.limited !== null,
  };
}
