/**
 * Read queries the report and `fte compare` need (src/report asks these; it never writes SQL).
 * Every query binds its parameters; results are plain rows mapped to the stage contracts of
 * src/run/protocol.ts.
 */
import { listValue as duckdbList } from '@duckdb/node-api';
import type { ArtifactRow, CostRow, EvalRow, PredictionRow, StepMetric, Subject } from '../run/protocol.js';
import type { Bindable, PlainRow } from './db.js';

/** What these queries need of a connection (`Db` from src/store/db.ts satisfies it). */
export interface Queryable {
  all<T = PlainRow>(sql: string, params?: Bindable[]): Promise<T[]>;
}

export interface SweepRecord {
  sweepId: string;
  experimentId: string;
  experimentName: string;
  specPath: string | null;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  gitCommit: string | null;
  host: string | null;
  backend: string | null;
  specJson: string | null;
  limitsJson: string | null;
  manifestJson: string | null;
  baseModel: string | null;
  objectiveMetric: string;
  objectiveGoal: 'minimize' | 'maximize';
}

export interface RunRecord {
  runId: string;
  sweepId: string;
  kind: 'variant' | 'baselines';
  variantKey: string | null;
  method: string | null;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  wallSeconds: number | null;
  device: string | null;
  backend: string | null;
  tokensTrained: number | null;
  trainableParams: number | null;
  totalParams: number | null;
  adapterBytes: number | null;
  peakMemoryBytes: number | null;
  bestStep: number | null;
  steps: number | null;
  bestValLoss: number | null;
  stoppedEarly: boolean | null;
  divergenceReason: string | null;
  error: string | null;
}

const SWEEP_COLUMNS = `s.sweep_id AS "sweepId", s.experiment_id AS "experimentId", coalesce(e.name, s.experiment_id) AS "experimentName",
  e.spec_path AS "specPath", s.status, s.started_at AS "startedAt", s.finished_at AS "finishedAt", s.git_commit AS "gitCommit",
  s.host, s.backend, s.spec_json AS "specJson", s.limits_json AS "limitsJson", s.dataset_manifest_json AS "manifestJson",
  s.base_model AS "baseModel", s.objective_metric AS "objectiveMetric", s.objective_goal AS "objectiveGoal"`;

/** One sweep with its experiment's name, or null. */
export async function getSweep(db: Queryable, sweepId: string): Promise<SweepRecord | null> {
  const rows = await db.all<SweepRecord>(`SELECT ${SWEEP_COLUMNS} FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id WHERE s.sweep_id = $1`, [sweepId]);
  return rows[0] ?? null;
}

/** The most recently started sweep (optionally of the experiment named `experiment`), or null. */
export async function latestSweep(db: Queryable, experiment?: string): Promise<SweepRecord | null> {
  const rows = experiment
    ? await db.all<SweepRecord>(
        `SELECT ${SWEEP_COLUMNS} FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id WHERE e.name = $1 OR s.experiment_id = $1 ORDER BY s.started_at DESC, s.sweep_id DESC LIMIT 1`,
        [experiment],
      )
    : await db.all<SweepRecord>(`SELECT ${SWEEP_COLUMNS} FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id ORDER BY s.started_at DESC, s.sweep_id DESC LIMIT 1`);
  return rows[0] ?? null;
}

/** Sweep ids of an experiment (by name or id), newest first. */
export async function sweepsOfExperiment(db: Queryable, experiment: string): Promise<string[]> {
  const rows = await db.all<{ id: string }>(
    `SELECT s.sweep_id AS id FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id WHERE e.name = $1 OR s.experiment_id = $1 ORDER BY s.started_at DESC, s.sweep_id DESC`,
    [experiment],
  );
  return rows.map((r) => r.id);
}

/** Up to `limit` sweep ids, newest first (for "did you mean" messages). */
export async function recentSweepIds(db: Queryable, limit = 5): Promise<string[]> {
  const rows = await db.all<{ id: string }>(`SELECT sweep_id AS id FROM sweeps ORDER BY started_at DESC LIMIT $1`, [limit]);
  return rows.map((r) => r.id);
}

const RUN_COLUMNS = `run_id AS "runId", sweep_id AS "sweepId", kind, variant_key AS "variantKey", method, status,
  started_at AS "startedAt", finished_at AS "finishedAt", wall_seconds AS "wallSeconds", device, backend,
  tokens_trained AS "tokensTrained", trainable_params AS "trainableParams", total_params AS "totalParams",
  adapter_bytes AS "adapterBytes", peak_memory_bytes AS "peakMemoryBytes", best_step AS "bestStep", steps,
  best_val_loss AS "bestValLoss", stopped_early AS "stoppedEarly", divergence_reason AS "divergenceReason", error`;

/** Every run of a sweep (variants and the baselines pseudo-run), in the order they were created. */
export async function runsOfSweep(db: Queryable, sweepId: string): Promise<RunRecord[]> {
  return db.all<RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs WHERE sweep_id = $1 ORDER BY run_seq`, [sweepId]);
}

/** One run, or null. */
export async function getRun(db: Queryable, runId: string): Promise<RunRecord | null> {
  const rows = await db.all<RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [runId]);
  return rows[0] ?? null;
}

/** Run ids starting with `prefix` (for short ids, as git does), at most 5. */
export async function runIdsWithPrefix(db: Queryable, prefix: string): Promise<string[]> {
  const rows = await db.all<{ id: string }>(`SELECT run_id AS id FROM runs WHERE starts_with(run_id, $1) ORDER BY run_seq LIMIT 5`, [prefix]);
  return rows.map((r) => r.id);
}

/** Hyperparameters of the given runs: run id -> name -> value (as the spec wrote it). */
export async function paramsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, Record<string, number | string | boolean | string[]>>> {
  const out = new Map<string, Record<string, number | string | boolean | string[]>>();
  if (runIds.length === 0) return out;
  const rows = await db.all<{ runId: string; name: string; valueJson: string | null; valueDouble: number | null; valueText: string | null }>(
    `SELECT run_id AS "runId", name, value_json AS "valueJson", value_double AS "valueDouble", value_text AS "valueText" FROM run_params WHERE list_contains($1::VARCHAR[], run_id)`,
    [listValue(runIds)],
  );
  for (const r of rows) {
    let v: unknown = r.valueDouble ?? r.valueText;
    if (r.valueJson !== null) {
      try {
        v = JSON.parse(r.valueJson);
      } catch {
        // keep the typed column's value
      }
    }
    if (!out.has(r.runId)) out.set(r.runId, {});
    out.get(r.runId)![r.name] = v as number | string | boolean | string[];
  }
  return out;
}

/** A JS array bound as a DuckDB `VARCHAR[]` list. */
function listValue(ids: readonly string[]): Bindable {
  return duckdbList([...ids]);
}

function group<T extends { runId: string }>(rows: T[]): Map<string, Omit<T, 'runId'>[]> {
  const out = new Map<string, Omit<T, 'runId'>[]>();
  for (const { runId, ...rest } of rows) {
    if (!out.has(runId)) out.set(runId, []);
    out.get(runId)!.push(rest);
  }
  return out;
}

/** Step metrics (curves) of the given runs, by step. */
export async function stepMetricsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, StepMetric[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.all<StepMetric & { runId: string }>(
    `SELECT run_id AS "runId", step, epoch, split, name, value FROM step_metrics WHERE list_contains($1::VARCHAR[], run_id) ORDER BY run_id, step, split, name`,
    [listValue(runIds)],
  );
  return group(rows.map((r) => ({ ...r, value: r.value === null ? Number.NaN : r.value }))) as Map<string, StepMetric[]>;
}

/** Evaluation results of the given runs. */
export async function evalResultsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, EvalRow[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.all<EvalRow & { runId: string; signature: string | null }>(
    `SELECT run_id AS "runId", subject, perturbation, slice, metric, value, n, signature FROM eval_results WHERE list_contains($1::VARCHAR[], run_id) ORDER BY run_id, subject, slice, metric, perturbation`,
    [listValue(runIds)],
  );
  return group(rows.map((r) => ({ ...r, value: r.value === null ? Number.NaN : r.value, signature: r.signature ?? undefined }))) as Map<string, EvalRow[]>;
}

/** Per-example predictions of the given runs. */
export async function predictionsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, PredictionRow[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.all<{ runId: string; subject: Subject; perturbation: string; exampleId: string; input: string | null; reference: string | null; prediction: string | null; scoresJson: string | null }>(
    `SELECT run_id AS "runId", subject, perturbation, example_id AS "exampleId", input, reference, prediction, scores_json AS "scoresJson" FROM predictions WHERE list_contains($1::VARCHAR[], run_id) ORDER BY run_id, subject, perturbation, example_id`,
    [listValue(runIds)],
  );
  return group(
    rows.map((r) => ({
      runId: r.runId,
      subject: r.subject,
      perturbation: r.perturbation,
      exampleId: r.exampleId,
      input: r.input ?? '',
      reference: r.reference ?? '',
      prediction: r.prediction ?? '',
      scores: parseScores(r.scoresJson),
    })),
  ) as Map<string, PredictionRow[]>;
}

function parseScores(s: string | null): Record<string, number> {
  if (!s) return {};
  try {
    const o = JSON.parse(s) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Cost rows of the given runs. */
export async function costsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, CostRow[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.all<CostRow & { runId: string }>(
    `SELECT run_id AS "runId", component, coalesce(device, '') AS device, coalesce(hours, 0) AS hours, coalesce(tokens, 0) AS tokens, coalesce(usd, 0) AS usd, coalesce(price_source, '') AS "priceSource" FROM costs WHERE list_contains($1::VARCHAR[], run_id) ORDER BY run_id, component`,
    [listValue(runIds)],
  );
  return group(rows) as Map<string, CostRow[]>;
}

/** Artifacts of the given runs. */
export async function artifactsOfRuns(db: Queryable, runIds: readonly string[]): Promise<Map<string, ArtifactRow[]>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.all<ArtifactRow & { runId: string }>(
    `SELECT run_id AS "runId", kind, path, coalesce(bytes, 0) AS bytes, coalesce(sha256, '') AS sha256 FROM artifacts WHERE list_contains($1::VARCHAR[], run_id) ORDER BY run_id, kind, path`,
    [listValue(runIds)],
  );
  return group(rows) as Map<string, ArtifactRow[]>;
}
