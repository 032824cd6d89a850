/**
 * The one writer of fte's DuckDB store. The parent process (src/run) opens it once per sweep; worker
 * processes never write, they send events (src/run/protocol.ts) that the parent turns into calls here.
 *
 * Crash safety: a run's final rows (runs row, params, eval results, predictions, costs, artifacts,
 * remaining step metrics) are written by `writeRunOutcome` in ONE transaction. Step metrics are
 * buffered and appended (DuckDB Appender) in batches while the run goes; an interrupted run keeps the
 * batches already committed. DuckDB lets one process open a file for writing, so a run still
 * `running` or `queued` when the file is next opened for writing belonged to a dead process:
 * `openStore` marks it (and its sweep) `interrupted`.
 *
 * Reads: `Store` extends `StoreReader` (./reader.ts), the read queries as methods. Opening and
 * closing is ./open.ts, ids ./ids.ts, the step-metric buffer ./step-buffer.ts, the snapshot
 * copy ./snapshot.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import { BOOLEAN, DOUBLE, INTEGER, VARCHAR, BIGINT, type DuckDBValue } from '@duckdb/node-api';
import { FteError } from '../errors.js';
import type { CostRow } from '../cost/types.js';
import type { ConfusionRow, EvalRow, PredictionRow, SubjectRow } from '../eval/types.js';
import type { ArtifactRow, Objective, ParamValue, RunOutcome } from './types.js';
import type { StepMetric } from '../train/types.js';
import { Db, sqlTimestamp, stringList, type AppendColumn, type TxHandle } from './db.js';
import { baselineRunId, newSweepId } from './ids.js';
import { StoreReader } from './reader.js';
import { copyDatabase, snapshotPath } from './snapshot.js';
import { StepBuffer, appendPoints } from './step-buffer.js';

export type { Objective, ParamValue };


export type SweepStatus = 'running' | 'completed' | 'failed' | 'interrupted';


export interface ExperimentInput {
  /** Experiment name from the spec (also its `experiment_id`). */
  name: string;
  specPath: string;
  /** Hash of the spec file's content (any stable hex string). */
  specHash: string;
  /** Default `{ metric: 'val_loss', goal: 'minimize' }`. */
  objective?: Objective;
}

export interface SweepInput {
  experimentId: string;
  /** Chosen by the store when absent: `YYYYMMDD-HHMMSS-xxxx` (UTC, sorts by time). */
  sweepId?: string;
  gitCommit?: string | null;
  /** Default `os.hostname()`. */
  host?: string;
  backend?: string | null;
  /** The resolved spec (an object, stored as JSON, or a JSON string). */
  specJson: unknown;
  /** Run limits (`{ maxSteps, limitTrain, limitEval }`), stored as JSON. */
  limits?: unknown;
  /** The prepared dataset's manifest (fingerprint, split sizes, data-quality figures), stored as JSON. */
  datasetManifest?: unknown;
  /** Base model folder or name. */
  baseModel?: string | null;
  /** Default: the experiment's objective. */
  objective?: Objective;
  /** ISO-8601; default now. */
  startedAt?: string;
}

export interface StartRunInput {
  runId: string;
  sweepId: string;
  variantKey: string;
  method: string;
  params: Record<string, ParamValue>;
  /** ISO-8601; default now. */
  startedAt?: string;
  backend?: string;
  device?: string;
  /** The machine that runs it (a queue worker's host name for a remote run); default `os.hostname()`; null: unknown. */
  host?: string | null;
}

const nowSql = (): string => sqlTimestamp(new Date());

function json(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Tables holding a run's results (replaced as a whole by writeRunOutcome / writeBaselineResults). */
const RESULT_TABLES = ['eval_results', 'confusion_matrix', 'predictions', 'subjects', 'costs', 'artifacts'] as const;

const EVAL_COLUMNS: AppendColumn<EvalRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.subject },
  { type: VARCHAR, get: (r) => r.perturbation },
  { type: VARCHAR, get: (r) => r.slice },
  { type: VARCHAR, get: (r) => r.metric },
  { type: DOUBLE, get: (r) => (Number.isFinite(r.value) ? r.value : null) },
  { type: INTEGER, get: (r) => Math.round(r.n) },
  { type: VARCHAR, get: (r) => r.signature ?? null },
  { type: VARCHAR, get: (r) => r.split ?? 'test' },
  { type: DOUBLE, get: (r) => (r.ciLow !== undefined && Number.isFinite(r.ciLow) ? r.ciLow : null) },
  { type: DOUBLE, get: (r) => (r.ciHigh !== undefined && Number.isFinite(r.ciHigh) ? r.ciHigh : null) },
  { type: VARCHAR, get: (r) => r.ciSignature ?? null },
];
const CONFUSION_COLUMNS: AppendColumn<ConfusionRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.subject },
  { type: VARCHAR, get: (r) => r.split },
  { type: VARCHAR, get: (r) => r.slice },
  { type: VARCHAR, get: (r) => r.gold },
  { type: VARCHAR, get: (r) => r.predicted },
  { type: INTEGER, get: (r) => r.count },
];
/**
 * Most characters of `input`, `reference` and `prediction` stored per row in `predictions` (4 KiB of
 * text): enough to read a sample output, while one huge example cannot grow the store by megabytes.
 * Longer text is cut to this length, its last characters replaced by TRUNCATION_MARK.
 */
export const PREDICTION_TEXT_CAP = 4096;
/** Ends a stored text that was cut at PREDICTION_TEXT_CAP. */
export const TRUNCATION_MARK = ' …[truncated]';

/** `text` unchanged when within PREDICTION_TEXT_CAP characters, else its start + TRUNCATION_MARK (exactly the cap). */
export function capPredictionText(text: string): string {
  if (text.length <= PREDICTION_TEXT_CAP) return text;
  let head = text.slice(0, PREDICTION_TEXT_CAP - TRUNCATION_MARK.length);
  // Do not leave half a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(head)) head = `${head.slice(0, -1)} `;
  return head + TRUNCATION_MARK;
}

const PREDICTION_COLUMNS: AppendColumn<PredictionRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.subject },
  { type: VARCHAR, get: (r) => r.perturbation },
  { type: VARCHAR, get: (r) => r.exampleId },
  { type: VARCHAR, get: (r) => capPredictionText(r.input) },
  { type: VARCHAR, get: (r) => capPredictionText(r.reference) },
  { type: VARCHAR, get: (r) => capPredictionText(r.prediction) },
  { type: VARCHAR, get: (r) => JSON.stringify(r.scores ?? {}) },
  { type: VARCHAR, get: (r) => r.category ?? null },
  { type: VARCHAR, get: (r) => (r.labels ? JSON.stringify(r.labels) : null) },
  { type: INTEGER, get: (r) => intOrNull(r.promptTokens) },
  { type: INTEGER, get: (r) => intOrNull(r.completionTokens) },
  { type: VARCHAR, get: (r) => (r.error !== undefined ? capPredictionText(r.error) : null) },
  { type: BOOLEAN, get: (r) => (r.cached === undefined ? null : r.cached) },
  { type: INTEGER, get: (r) => intOrNull(r.demonstrations) },
  { type: INTEGER, get: (r) => intOrNull(r.demonstrationsDropped) },
  { type: INTEGER, get: (r) => intOrNull(r.tokensCut) },
  { type: VARCHAR, get: (r) => r.split ?? 'test' },
];
/** A per-request count for an INTEGER column: rounded; NULL (unknown) when absent, not finite or outside the int32 range, so one absurd figure never fails a write. */
function intOrNull(x: number | undefined): number | null {
  if (x === undefined || !Number.isFinite(x)) return null;
  const v = Math.round(x);
  return v >= -2147483648 && v <= 2147483647 ? v : null;
}
const SUBJECT_COLUMNS: AppendColumn<SubjectRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.subject },
  { type: VARCHAR, get: (r) => r.kind },
  { type: VARCHAR, get: (r) => r.prompt },
  { type: INTEGER, get: (r) => r.k },
  { type: VARCHAR, get: (r) => r.provider },
  { type: VARCHAR, get: (r) => r.model },
  { type: VARCHAR, get: (r) => r.endpoint },
  { type: INTEGER, get: (r) => r.examples },
  { type: INTEGER, get: (r) => r.answered },
  { type: INTEGER, get: (r) => r.requests },
  { type: INTEGER, get: (r) => r.errors },
  { type: VARCHAR, get: (r) => (r.firstError !== undefined ? capPredictionText(r.firstError) : null) },
  { type: INTEGER, get: (r) => r.cached },
  { type: INTEGER, get: (r) => r.demonstrationsDropped },
  { type: INTEGER, get: (r) => r.inputsCut },
  { type: INTEGER, get: (r) => r.noDemonstrations },
  { type: BIGINT, get: (r) => BigInt(Math.round(r.promptTokens)) },
  { type: BIGINT, get: (r) => BigInt(Math.round(r.completionTokens)) },
  { type: DOUBLE, get: (r) => (Number.isFinite(r.wallSeconds) ? r.wallSeconds : null) },
  { type: BIGINT, get: (r) => (r.apiPromptTokens !== undefined && Number.isFinite(r.apiPromptTokens) ? BigInt(Math.round(r.apiPromptTokens)) : null) },
  { type: BIGINT, get: (r) => (r.apiCompletionTokens !== undefined && Number.isFinite(r.apiCompletionTokens) ? BigInt(Math.round(r.apiCompletionTokens)) : null) },
  { type: VARCHAR, get: (r) => r.apiTokenizer ?? null },
  { type: INTEGER, get: (r) => intOrNull(r.usageNotReported) },
  { type: VARCHAR, get: (r) => r.promptFormat ?? null },
  { type: VARCHAR, get: (r) => r.chatTemplate ?? null },
];
const COST_COLUMNS: AppendColumn<CostRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.component },
  { type: VARCHAR, get: (r) => r.device },
  { type: DOUBLE, get: (r) => r.hours },
  { type: BIGINT, get: (r) => BigInt(Math.round(r.tokens ?? 0)) },
  { type: DOUBLE, get: (r) => r.usd },
  { type: VARCHAR, get: (r) => r.priceSource },
];
const ARTIFACT_COLUMNS: AppendColumn<ArtifactRow & { runId: string }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.kind },
  { type: VARCHAR, get: (r) => r.path },
  { type: BIGINT, get: (r) => BigInt(Math.round(r.bytes ?? 0)) },
  { type: VARCHAR, get: (r) => r.sha256 },
];
const PARAM_COLUMNS: AppendColumn<{ runId: string; name: string; value: ParamValue }>[] = [
  { type: VARCHAR, get: (r) => r.runId },
  { type: VARCHAR, get: (r) => r.name },
  { type: DOUBLE, get: (r) => (typeof r.value === 'number' ? r.value : typeof r.value === 'boolean' ? (r.value ? 1 : 0) : null) },
  {
    type: VARCHAR,
    get: (r) => (typeof r.value === 'string' ? r.value : Array.isArray(r.value) ? r.value.join(',') : typeof r.value === 'boolean' ? String(r.value) : null),
  },
  { type: VARCHAR, get: (r) => JSON.stringify(r.value ?? null) },
];

/**
 * An open store. All calls are serialised on one connection; writer methods throw `FteError` when
 * the store was opened read-only.
 */
export class Store extends StoreReader {
  /** Runs marked `interrupted` when this (writable) store was opened. */
  interruptedOnOpen = 0;
  /** Per run started here: its params as JSON (an outcome with the same params skips rewriting them). */
  private readonly startedParams = new Map<string, string>();
  private readonly runSeqs = new Map<string, number>();
  private readonly steps: StepBuffer;

  constructor(db: Db) {
    super(db);
    this.steps = new StepBuffer(db);
  }

  /**
   * Publish a consistent read-only copy of the whole store at `snapshotPath(file)` for readers
   * while this process holds the write lock: buffered step metrics are flushed, then DuckDB copies
   * every table, view and sequence (`ATTACH` + `COPY FROM DATABASE`, in one transaction of this
   * connection) into a temporary file beside the store, which is renamed over the previous snapshot
   * (readers that have the old one open keep reading it). Cost: one full copy of the store.
   * @returns the snapshot's path
   * @throws FteError when the store is read-only or in memory
   */
  async writeSnapshot(): Promise<string> {
    if (this.readOnly || this.file === ':memory:') throw new FteError(`database ${this.file} is ${this.readOnly ? 'open read-only' : 'in memory'}; no snapshot`);
    if (this.steps.length > 0) await this.flush();
    return copyDatabase(this.db, snapshotPath(this.file));
  }

  /** Remove the snapshot (the sweep ended: readers can open the store itself again). */
  removeSnapshot(): void {
    if (this.file !== ':memory:') fs.rmSync(snapshotPath(this.file), { force: true });
  }

  /** @internal load the (split, name) -> series id dictionary. */
  async loadSeries(): Promise<void> {
    await this.steps.load();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Insert or update the experiment named `name`; `experiment_id` is the name.
   * @returns experiment_id
   */
  async upsertExperiment(input: ExperimentInput): Promise<string> {
    this.writable();
    const objective = input.objective ?? { metric: 'val_loss', goal: 'minimize' };
    const now = nowSql();
    await this.db.run(
      `INSERT INTO experiments (experiment_id, name, spec_path, spec_hash, created_at, updated_at, objective_metric, objective_goal)
       VALUES ($1, $1, $2, $3, $4::TIMESTAMP, $4::TIMESTAMP, $5, $6)
       ON CONFLICT (experiment_id) DO UPDATE SET spec_path = excluded.spec_path, spec_hash = excluded.spec_hash,
         updated_at = excluded.updated_at, objective_metric = excluded.objective_metric, objective_goal = excluded.objective_goal`,
      [input.name, input.specPath, input.specHash, now, objective.metric, objective.goal],
    );
    return input.name;
  }

  /**
   * Record a new sweep (status `running`). The objective defaults to the experiment's and is copied
   * so that later spec edits do not change how an old sweep ranks its runs.
   * @returns sweep_id
   * @throws FteError unknown experiment
   */
  async createSweep(input: SweepInput): Promise<string> {
    this.writable();
    const sweepId = input.sweepId ?? newSweepId();
    await this.db.transaction(async (tx) => {
      const exp = await tx.all<{ objective_metric: string; objective_goal: string }>(
        `SELECT objective_metric, objective_goal FROM experiments WHERE experiment_id = $1`,
        [input.experimentId],
      );
      if (!exp[0]) throw new FteError(`unknown experiment '${input.experimentId}' (call upsertExperiment first)`);
      const objective = input.objective ?? { metric: exp[0].objective_metric, goal: exp[0].objective_goal };
      await tx.run(
        `INSERT INTO sweeps (sweep_id, experiment_id, status, started_at, git_commit, host, backend, spec_json, limits_json,
           dataset_manifest_json, base_model, objective_metric, objective_goal)
         VALUES ($1, $2, 'running', $3::TIMESTAMP, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          sweepId,
          input.experimentId,
          sqlTimestamp(input.startedAt ?? new Date()),
          input.gitCommit ?? null,
          input.host ?? os.hostname(),
          input.backend ?? null,
          json(input.specJson),
          json(input.limits),
          json(input.datasetManifest),
          input.baseModel ?? null,
          objective.metric,
          objective.goal,
        ],
      );
    });
    return sweepId;
  }

  /** Set a sweep's final status and `finished_at`; flushes buffered step metrics. */
  async finishSweep(sweepId: string, status: SweepStatus): Promise<void> {
    this.writable();
    await this.steps.flush();
    await this.db.run(`UPDATE sweeps SET status = $2, finished_at = $3::TIMESTAMP WHERE sweep_id = $1`, [sweepId, status, nowSql()]);
  }

  /** Set a sweep back to `running` (clearing `finished_at`) when `fte sweep --resume` continues it. */
  async reopenSweep(sweepId: string): Promise<void> {
    this.writable();
    await this.db.run(`UPDATE sweeps SET status = 'running', finished_at = NULL WHERE sweep_id = $1`, [sweepId]);
  }

  /** Record where a run executes once its worker reports it (the worker protocol's `started` message); `host` kept when absent. */
  async setRunDevice(runId: string, where: { backend: string; device: string; host?: string }): Promise<void> {
    this.writable();
    await this.db.run(`UPDATE runs SET backend = $2, device = $3, host = coalesce($4, host) WHERE run_id = $1`, [runId, where.backend, where.device, where.host ?? null]);
  }

  /** Insert the run with status `running` and its params (one transaction). Re-starting an existing run id resets its status. */
  async startRun(input: StartRunInput): Promise<void> {
    this.writable();
    await this.db.transaction(async (tx) => {
      // Plain SELECT + INSERT/UPDATE: measured ~10x faster here than INSERT ... ON CONFLICT ... RETURNING.
      const started = sqlTimestamp(input.startedAt ?? new Date());
      const host = input.host === undefined ? os.hostname() : input.host;
      const existing = await tx.all<{ run_seq: number }>(`SELECT run_seq FROM runs WHERE run_id = $1`, [input.runId]);
      let seq: number;
      if (existing[0]) {
        // Re-starting a run id: what its earlier attempt stored goes, so results never mix attempts.
        seq = existing[0].run_seq;
        await tx.run(`DELETE FROM step_metric_points WHERE run_seq = $1`, [seq]);
        for (const t of RESULT_TABLES) await tx.run(`DELETE FROM ${t} WHERE run_id = $1`, [input.runId]);
        this.steps.forget(input.runId);
        await tx.run(
          `UPDATE runs SET sweep_id = $2, variant_key = $3, method = $4, status = 'running', started_at = $5::TIMESTAMP,
             backend = $6, device = $7, host = $8, finished_at = NULL, error = NULL WHERE run_id = $1`,
          [input.runId, input.sweepId, input.variantKey, input.method, started, input.backend ?? null, input.device ?? null, host],
        );
      } else {
        seq = (await tx.all<{ s: number }>(`SELECT nextval('run_seq_counter')::INTEGER AS s`))[0]!.s;
        await tx.run(
          `INSERT INTO runs (run_id, run_seq, sweep_id, kind, variant_key, method, status, started_at, backend, device, host)
           VALUES ($1, $2, $3, 'variant', $4, $5, 'running', $6::TIMESTAMP, $7, $8, $9)`,
          [input.runId, seq, input.sweepId, input.variantKey, input.method, started, input.backend ?? null, input.device ?? null, host],
        );
      }
      this.runSeqs.set(input.runId, seq);
      await this.replaceParams(tx, input.runId, input.params, !existing[0]);
      this.startedParams.set(input.runId, JSON.stringify(input.params ?? {}));
    });
  }

  /**
   * Buffer step metrics of a running run; they are appended (DuckDB Appender, all-numeric chunks)
   * when `STEP_FLUSH_ROWS` rows are buffered or `STEP_FLUSH_MS` passed, and at `writeRunOutcome`,
   * `markInterrupted`, `finishSweep`, `flush` and `close`. A crash loses at most the unflushed buffer.
   * @throws FteError when the run was not started with `startRun` in this store
   */
  async appendStepMetrics(runId: string, rows: readonly StepMetric[]): Promise<void> {
    this.writable();
    const seq = await this.runSeq(runId);
    this.steps.add(runId, seq, rows);
    if (this.steps.due) await this.steps.flush();
  }

  /** Append buffered step metrics now (one transaction). */
  async flush(): Promise<void> {
    if (this.readOnly) return;
    await this.steps.flush();
  }

  /**
   * Write everything a run produced in ONE transaction: the runs row (status, timings, trainer
   * summary, error), its params (replaced), eval results, predictions, costs and artifacts (each
   * replaced), and the outcome's `stepMetrics` that were not already appended (a row is skipped when
   * its step is <= the highest step appended for its split/name). Step metrics still buffered from
   * `appendStepMetrics` are committed just before, on their own: they belong to the run whatever
   * happens next. If the transaction fails, none of the outcome is stored and the run stays
   * `running` (so the next open marks it `interrupted`).
   * @throws FteError when the run was never started (`startRun`)
   */
  async writeRunOutcome(outcome: RunOutcome): Promise<void> {
    this.writable();
    const seq = await this.runSeq(outcome.runId);
    const own = this.steps.unseen(outcome.runId, seq, outcome.stepMetrics);
    // Points appended during the run and new series names commit first, on their own: they belong
    // to the run even if the outcome below fails.
    await this.steps.flush();
    await this.db.transaction(async (tx) => {
      const before = await tx.all<{ status: string }>(`SELECT status FROM runs WHERE run_id = $1`, [outcome.runId]);
      const wasOpen = before[0]?.status === 'running' || before[0]?.status === 'queued';
      await appendPoints(this.db, tx, own);
      const t = outcome.train;
      const started = sqlTimestamp(outcome.startedAt);
      const finished = sqlTimestamp(outcome.finishedAt);
      const wall = t?.wallSeconds ?? (new Date(outcome.finishedAt).getTime() - new Date(outcome.startedAt).getTime()) / 1000;
      const int = (v: number | undefined | null): DuckDBValue => (v === undefined || v === null || !Number.isFinite(v) ? null : BigInt(Math.round(v)));
      const num = (v: number | undefined | null): DuckDBValue => (v === undefined || v === null || !Number.isFinite(v) ? null : v);
      await tx.run(
        `UPDATE runs SET variant_key = $2, method = $3, status = $4, started_at = $5::TIMESTAMP, finished_at = $6::TIMESTAMP,
           wall_seconds = $7, device = coalesce($8, device), backend = coalesce($9, backend), tokens_trained = $10::BIGINT,
           trainable_params = $11::BIGINT, total_params = $12::BIGINT, adapter_bytes = $13::BIGINT, peak_memory_bytes = $14::BIGINT,
           base_weight_bytes = $15::BIGINT, best_step = $16::INTEGER, steps = $17::INTEGER, best_val_loss = $18::DOUBLE,
           final_val_loss = $19::DOUBLE, stopped_early = $20::BOOLEAN, divergence_reason = $21, checkpoint_path = $22, error = $23,
           estimated_memory_bytes = $24::BIGINT, planned_steps = $25::INTEGER
         WHERE run_id = $1`,
        [
          outcome.runId,
          outcome.variantKey,
          outcome.method,
          outcome.status,
          started,
          finished,
          num(wall),
          t?.device ?? null,
          t?.backend ?? null,
          int(t?.tokensTrained),
          int(t?.trainableParams),
          int(t?.totalParams),
          int(t?.adapterBytes),
          int(t?.peakMemoryBytes),
          int(t?.baseWeightBytes),
          int(t?.bestStep),
          int(t?.steps),
          num(t?.bestValLoss),
          num(t?.finalValLoss ?? lastVal(outcome.stepMetrics)),
          t ? t.stoppedEarly : null,
          t?.divergenceReason ?? null,
          t?.checkpointPath ?? null,
          outcome.error ?? null,
          int(t?.estimatedMemoryBytes),
          int(t?.plannedSteps),
        ],
      );
      if (JSON.stringify(outcome.params ?? {}) !== this.startedParams.get(outcome.runId)) {
        await this.replaceParams(tx, outcome.runId, outcome.params as Record<string, ParamValue>, false);
      }
      // A run still running/queued has no results yet (startRun clears an earlier attempt's), so
      // there is nothing to delete: this skips four table scans per run in a large store.
      await this.replaceResults(tx, outcome.runId, outcome.evalRows, outcome.predictions, outcome.costs, outcome.artifacts, !wasOpen, outcome.confusion, outcome.subjects);
    });
    this.steps.forget(outcome.runId);
    this.startedParams.delete(outcome.runId);
  }

  /**
   * Store a sweep's baseline results (subjects base / prompting / rag, once per sweep) under the
   * pseudo-run `baselineRunId(sweepId)` (`runs.kind = 'baselines'`, status `completed`), replacing
   * any earlier ones, in one transaction. Listings and `run_summary` ignore it; `evalResults`,
   * `predictions` and `costs` for the sweep include it.
   * `opts.totalParams`: parameters of the local base model the subjects were evaluated on (kept in
   * `runs.total_params` of the pseudo-run, so that `fte roi` can size its serving without a variant run).
   * @returns the pseudo-run id
   */
  async writeBaselineResults(sweepId: string, rows: EvalRow[], predictions: PredictionRow[], costs: CostRow[], confusion: ConfusionRow[] = [], subjects: SubjectRow[] = [], opts: { totalParams?: number } = {}): Promise<string> {
    this.writable();
    const runId = baselineRunId(sweepId);
    const now = nowSql();
    const totalParams = opts.totalParams !== undefined && Number.isFinite(opts.totalParams) && opts.totalParams > 0 ? Math.round(opts.totalParams) : null;
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO runs (run_id, sweep_id, kind, variant_key, method, status, started_at, finished_at, total_params)
         VALUES ($1, $2, 'baselines', NULL, NULL, 'completed', $3::TIMESTAMP, $3::TIMESTAMP, $4)
         ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = 'completed', total_params = excluded.total_params`,
        [runId, sweepId, now, totalParams],
      );
      await this.replaceResults(tx, runId, rows, predictions, costs, [], true, confusion, subjects);
    });
    return runId;
  }

  /**
   * Mark runs `interrupted` (with `finished_at` now): the given ids when still `running`/`queued`,
   * or, without ids, every `running`/`queued` run and every `running` sweep (what a dead process
   * left; called by `openStore`). Buffered step metrics are flushed first, in the same transaction.
   * @returns how many runs changed
   */
  async markInterrupted(runIds?: string[]): Promise<number> {
    this.writable();
    await this.steps.flush();
    return this.db.transaction(async (tx) => {
      const now = nowSql();
      let changed: { run_id: string }[];
      if (runIds) {
        if (runIds.length === 0) return 0;
        changed = await tx.all(
          `UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, $1::TIMESTAMP)
           WHERE status IN ('running', 'queued') AND run_id IN (SELECT unnest($2::VARCHAR[])) RETURNING run_id`,
          [now, stringList(runIds)],
        );
      } else {
        changed = await tx.all(
          `UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, $1::TIMESTAMP)
           WHERE status IN ('running', 'queued') RETURNING run_id`,
          [now],
        );
        await tx.run(`UPDATE sweeps SET status = 'interrupted', finished_at = coalesce(finished_at, $1::TIMESTAMP) WHERE status = 'running'`, [now]);
      }
      for (const r of changed) this.steps.forget(r.run_id);
      return changed.length;
    });
  }

  /** Flush buffered step metrics and close (DuckDB releases the file lock when the last user closes). */
  async close(): Promise<void> {
    try {
      if (!this.readOnly && this.steps.length > 0) await this.flush();
    } finally {
      await this.db.close();
    }
  }

  // ---------------------------------------------------------------- internals

  private writable(): void {
    if (this.db.readOnly) throw new FteError(`database ${this.file} is open read-only`);
  }

  private async runSeq(runId: string): Promise<number> {
    const known = this.runSeqs.get(runId);
    if (known !== undefined) return known;
    const rows = await this.db.all<{ run_seq: number }>(`SELECT run_seq FROM runs WHERE run_id = $1`, [runId]);
    if (!rows[0]) throw new FteError(`run '${runId}' was not started in ${this.file} (call startRun first)`);
    this.runSeqs.set(runId, rows[0].run_seq);
    return rows[0].run_seq;
  }

  private async replaceParams(tx: TxHandle, runId: string, params: Record<string, ParamValue>, fresh: boolean): Promise<void> {
    if (!fresh) await tx.run(`DELETE FROM run_params WHERE run_id = $1`, [runId]);
    const rows = Object.entries(params ?? {}).map(([name, value]) => ({ runId, name, value: value ?? null }));
    await tx.append('run_params', PARAM_COLUMNS, rows);
  }

  private async replaceResults(
    tx: TxHandle,
    runId: string,
    evalRows: EvalRow[] = [],
    predictions: PredictionRow[] = [],
    costs: CostRow[] = [],
    artifacts: ArtifactRow[] = [],
    replace = true,
    confusion: ConfusionRow[] = [],
    subjects: SubjectRow[] = [],
  ): Promise<void> {
    if (replace) for (const t of RESULT_TABLES) await tx.run(`DELETE FROM ${t} WHERE run_id = $1`, [runId]);
    await tx.append('eval_results', EVAL_COLUMNS, evalRows.map((r) => ({ ...r, runId })));
    await tx.append('confusion_matrix', CONFUSION_COLUMNS, confusion.map((r) => ({ ...r, runId })));
    await tx.append('predictions', PREDICTION_COLUMNS, predictions.map((r) => ({ ...r, runId })));
    await tx.append('subjects', SUBJECT_COLUMNS, subjects.map((r) => ({ ...r, runId })));
    await tx.append('costs', COST_COLUMNS, costs.map((r) => ({ ...r, runId })));
    await tx.append('artifacts', ARTIFACT_COLUMNS, artifacts.map((r) => ({ ...r, runId })));
  }
}

/** Last validation loss in a list of step metrics (fallback when the trainer gave no summary). */
function lastVal(rows: readonly StepMetric[] | undefined): number | null {
  let best: StepMetric | null = null;
  for (const r of rows ?? []) if (r.split === 'val' && r.name === 'loss' && (!best || r.step >= best.step)) best = r;
  return best ? best.value : null;
}
