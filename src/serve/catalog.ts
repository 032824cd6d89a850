/**
 * What `fte serve` serves, read from the store: the model ids, and for each the folders to load.
 *
 * Ids:
 * - `base`: the base model of the newest sweep. When the store's sweeps used different base models
 *   (different folders), every sweep's base is also listed as `base:<sweepId>`; `base:<sweepId>` is
 *   accepted for any sweep either way.
 * - `<runId>`: every completed variant run whose checkpoint folder exists (LoRA / QLoRA adapter, or
 *   a full fine-tuning model folder).
 * - `best:<experiment>`: the best completed run of an experiment (by name) by the store's ranking
 *   (`listRuns(..., { sort: 'objective' })`, the ranking `fte runs` / `fte sweep` use), listed when
 *   that run has an objective value and its checkpoint is on disk.
 *
 * Base folder of a sweep: the base an adapter of the sweep recorded (`base_model_name_or_path`, the
 * absolute folder it was trained on) when that folder still holds `config.json`, else the sweep's
 * `base_model` resolved as the sweep resolved it (absolute; from the working directory; beside the
 * spec; a built-in model). A LoRA / QLoRA run uses the base its adapter recorded when that exists,
 * else its sweep's. Sweeps whose base cannot be found, and runs whose checkpoint is missing, are
 * left out with one warning each.
 *
 * The store is opened read-only only for the moment of reading (a running sweep's snapshot when the
 * sweep holds the lock), so the server never holds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { resolveSpecPath } from '../experiment/load.js';
import { UserInputError } from '../errors.js';
import { withStore } from '../store/open.js';
import type { RunCheckpointRecord, SweepBaseRecord } from '../store/queries.js';

/** One servable model. */
export interface ModelEntry {
  /** The id clients send as `model`. */
  id: string;
  /** Unix seconds: the sweep's start (base), the run's finish (runs). */
  created: number;
  /** `base`, or a run's method (`lora`, `qlora`, `full`). */
  kind: string;
  /** The base model folder (config.json + model.safetensors; its tokenizer is used for every model). */
  baseDir: string;
  /** The run's checkpoint folder; absent for a base. */
  checkpointDir?: string;
  runId?: string;
  sweepId?: string;
  /** Listed by GET /v1/models (false: accepted but not listed, e.g. `base:<sweepId>` when every sweep shares one base). */
  listed: boolean;
}

export interface Catalog {
  /** By id. Aliases (`best:<experiment>`) are entries of their own pointing at the same folders. */
  models: Map<string, ModelEntry>;
  /** One line per sweep or run left out. */
  warnings: string[];
}

/** ISO-8601 (or DuckDB `YYYY-MM-DD hh:mm:ss`, read as UTC) -> unix seconds; 0 when unparsable. */
function unixSeconds(ts: string | null): number {
  if (!ts) return 0;
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : `${ts.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const isModelDir = (dir: string): boolean => existsSync(join(dir, 'config.json'));

/** The base folder an adapter recorded (`base_model_name_or_path`), when it is a model folder on disk. */
function adapterBase(checkpointDir: string): string | null {
  try {
    const raw = JSON.parse(readFileSync(join(checkpointDir, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path?: unknown };
    const p = raw.base_model_name_or_path;
    return typeof p === 'string' && isAbsolute(p) && isModelDir(p) ? p : null;
  } catch {
    return null;
  }
}

/** A sweep's `base_model` resolved as `fte sweep` resolves it, or null when no folder is found. */
function specBase(s: SweepBaseRecord): string | null {
  if (!s.baseModel) return null;
  const dir = resolveSpecPath({ path: resolve(s.specPath ?? 'spec') }, s.baseModel);
  return isModelDir(dir) ? dir : null;
}

/**
 * Read the catalog from the store at `dbFile`.
 * @param onSnapshot called with one line when a running sweep holds the store and its snapshot is read.
 * @throws StoreMissingError / StoreLockedError / StoreCorruptError as `openStore` (read-only);
 *   UserInputError when the store has no sweep whose base model is found.
 */
export async function readCatalog(dbFile: string, onSnapshot?: (line: string) => void): Promise<Catalog> {
  return withStore(dbFile, { readOnly: true, ...(onSnapshot ? { onSnapshot } : {}) }, async (store) => {
    const { sweeps, runs } = await store.servingCatalog();
    const warnings: string[] = [];
    const runsBySweep = new Map<string, RunCheckpointRecord[]>();
    for (const r of runs) runsBySweep.set(r.sweepId, [...(runsBySweep.get(r.sweepId) ?? []), r]);

    // 1. Base folder of each sweep (newest first).
    const baseOf = new Map<string, string>();
    for (const s of sweeps) {
      const recorded = (runsBySweep.get(s.sweepId) ?? []).map((r) => (r.checkpointDir ? adapterBase(r.checkpointDir) : null)).find((d) => d !== null);
      const dir = recorded ?? specBase(s);
      if (dir) baseOf.set(s.sweepId, dir);
      else warnings.push(`sweep ${s.sweepId}: base model '${s.baseModel ?? '?'}' not found (no config.json there); its base and runs are not served`);
    }
    const newest = sweeps.find((s) => baseOf.has(s.sweepId));
    if (!newest) {
      throw new UserInputError(sweeps.length === 0 ? `no sweeps in ${dbFile} yet; run \`fte sweep\` first` : `${dbFile}: no sweep's base model was found (${warnings.join('; ')})`);
    }
    const distinct = new Set(baseOf.values()).size > 1;
    const models = new Map<string, ModelEntry>();
    models.set('base', { id: 'base', created: unixSeconds(newest.startedAt), kind: 'base', baseDir: baseOf.get(newest.sweepId)!, sweepId: newest.sweepId, listed: true });
    for (const s of sweeps) {
      const dir = baseOf.get(s.sweepId);
      if (dir) models.set(`base:${s.sweepId}`, { id: `base:${s.sweepId}`, created: unixSeconds(s.startedAt), kind: 'base', baseDir: dir, sweepId: s.sweepId, listed: distinct });
    }

    // 2. Completed runs with their checkpoint on disk.
    for (const r of runs) {
      const sweepBase = baseOf.get(r.sweepId);
      if (!sweepBase) continue;
      const ckpt = r.checkpointDir;
      const hasAdapter = ckpt !== null && existsSync(join(ckpt, 'adapter_config.json'));
      if (!ckpt || (!hasAdapter && !existsSync(join(ckpt, 'model.safetensors')) && !existsSync(join(ckpt, 'model.safetensors.index.json')))) {
        warnings.push(`run ${r.runId}: checkpoint ${ckpt ?? '(not recorded)'} not found; not served`);
        continue;
      }
      const baseDir = (hasAdapter ? adapterBase(ckpt) : null) ?? sweepBase;
      models.set(r.runId, { id: r.runId, created: unixSeconds(r.finishedAt), kind: r.method ?? (hasAdapter ? 'lora' : 'full'), baseDir, checkpointDir: ckpt, runId: r.runId, sweepId: r.sweepId, listed: true });
    }

    // 3. best:<experiment> by the store's ranking.
    const byExperiment = new Map<string, string[]>();
    for (const r of runs) if (r.experiment !== null) byExperiment.set(r.experiment, [...(byExperiment.get(r.experiment) ?? []), r.runId]);
    for (const [experiment, ids] of byExperiment) {
      const { runs: ranked } = await store.listRuns({ runIds: ids, status: 'completed', sort: 'objective', limit: 1 });
      const best = ranked[0];
      if (!best || best.objective.value === null) continue;
      const entry = models.get(best.runId);
      if (!entry) {
        warnings.push(`best:${experiment}: its best run ${best.runId} is not servable; not listed`);
        continue;
      }
      models.set(`best:${experiment}`, { ...entry, id: `best:${experiment}` });
    }
    return { models, warnings };
  });
}
