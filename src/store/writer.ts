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
 * Reads: the `Store` also exposes the read queries of src/store/queries.ts as methods.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { DOUBLE, INTEGER, USMALLINT, VARCHAR, BIGINT, DuckDBDataChunk, type DuckDBValue } from '@duckdb/node-api';
import duckdbBindings from '@duckdb/node-bindings';
import { FteError } from '../errors.js';
import type { CostRow } from '../cost/types.js';
import type { ConfusionRow, EvalRow, PredictionRow } from '../eval/types.js';
import { baselineRunId, type ArtifactRow, type RunOutcome, type RunStatus } from '../store/types.js';

export { baselineRunId };
import type { StepMetric } from '../train/types.js';
import { CHUNK_ROWS, Db, openDb, quoteIdent, sqlTimestamp, stringList, type AppendColumn, type TxHandle } from './db.js';
import { StoreCorruptError, StoreLockedError, StoreVersionError } from './errors.js';
import { SCHEMA_VERSION, migrate, readSchemaVersion } from './schema.js';
import * as q from './queries.js';

/** What "best variant" means for an experiment: `val_loss`, `perplexity` or `<slice>/<metric>`, and its direction. */
export interface Objective {
  metric: string;
  goal: 'minimize' | 'maximize';
}

export type SweepStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** A hyperparameter value as a spec resolves it. */
export type ParamValue = number | string | boolean | string[] | null;

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
}

export interface OpenStoreOptions {
  /** Open with DuckDB's READ_ONLY access mode: never creates or modifies the file (read commands). */
  readOnly?: boolean;
  /** With `readOnly`: false refuses every file and URL but the store (DuckDB `enable_external_access=false`). */
  externalAccess?: boolean;
  /**
   * Read-only opens: when another process holds the write lock (a running sweep) and its snapshot
   * (`snapshotPath(file)`) exists, open the snapshot instead and call this with one line for stderr:
   * `store is locked by a running sweep (pid N); showing its snapshot from HH:MM:SS` (local time of
   * the snapshot). Without it, or without a snapshot, the lock stays a `StoreLockedError`.
   */
  onSnapshot?: (line: string) => void;
}

/**
 * The read-only copy of the store at `file` that a running sweep publishes for readers
 * (`<file>.snapshot`, e.g. `.fte/fte.duckdb.snapshot`): DuckDB lets no other process open a file
 * while one writes it, so `fte runs` / `fte show` read this instead while a sweep runs.
 */
export function snapshotPath(file: string): string {
  return `${file}.snapshot`;
}

/** A SQL string literal (a file path for ATTACH, which cannot be bound). */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function hhmmss(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

/** Step-metric rows buffered before one appender flush. */
export const STEP_FLUSH_ROWS = 131_072;
/** ... or after this many milliseconds since the last flush (checked on each append). */
export const STEP_FLUSH_MS = 5_000;

/** Default sweep id: `YYYYMMDD-HHMMSS-xxxx` (UTC + 4 random hex digits). */
export function newSweepId(now = new Date()): string {
  const s = now.toISOString();
  return `${s.slice(0, 10).replaceAll('-', '')}-${s.slice(11, 19).replaceAll(':', '')}-${crypto.randomBytes(2).toString('hex')}`;
}

const nowSql = (): string => sqlTimestamp(new Date());

function json(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Open the store at `file` (`':memory:'` for tests): applies forward migrations and marks runs left
 * `running`/`queued` by a dead process as `interrupted` (writable opens only).
 * @throws StoreLockedError another process holds the file (message names the file and its PID);
 *   StoreMissingError read-only open of a missing file; StoreCorruptError not a DuckDB file / not an
 *   fte store; StoreVersionError the file's schema is newer than this build (or older, read-only).
 *   The file is left untouched in every error case.
 */
export async function openStore(file: string, options: OpenStoreOptions = {}): Promise<Store> {
  let db: Db;
  let fromSnapshot = false;
  try {
    db = await openDb(file, { readOnly: options.readOnly, externalAccess: options.externalAccess });
  } catch (err) {
    const snap = snapshotPath(file);
    if (!(err instanceof StoreLockedError) || !options.readOnly || !options.onSnapshot || file === ':memory:' || !fs.existsSync(snap)) throw err;
    const taken = fs.statSync(snap).mtime;
    db = await openDb(snap, { readOnly: true, externalAccess: options.externalAccess });
    fromSnapshot = true;
    options.onSnapshot(`store is locked by a running sweep (pid ${err.pid ?? '?'}); showing its snapshot from ${hhmmss(taken)}`);
  }
  try {
    const version = await db.exclusive((tx) => readSchemaVersion(tx));
    if (version !== null && version > SCHEMA_VERSION) {
      throw new StoreVersionError(
        `database ${file} has schema version ${version}, newer than this fte supports (${SCHEMA_VERSION}); upgrade fte to read it`,
      );
    }
    if (db.readOnly) {
      if (version === null) throw new StoreCorruptError(file, 'is not an fte store (no schema_version table)');
      if (version < SCHEMA_VERSION) {
        throw new StoreVersionError(
          `database ${file} has schema version ${version}, older than this fte's ${SCHEMA_VERSION}; run a writing command (e.g. \`fte sweep\`) once to migrate it`,
        );
      }
    } else {
      await db.exclusive((tx) => migrate(tx, version ?? 0, nowSql()));
    }
    const store = new Store(db);
    store.fromSnapshot = fromSnapshot;
    // Only the first writer in this process may conclude that 'running' runs belong to a dead process.
    if (!db.readOnly && !db.shared) store.interruptedOnOpen = await store.markInterrupted();
    await store.loadSeries();
    return store;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** Open the store, run `fn`, close it (also when `fn` throws). */
export async function withStore<T>(file: string, options: OpenStoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(file, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Growable column buffers for step metrics (typed arrays: no per-row objects). */
class PointBuffer {
  length = 0;
  runSeq = new Int32Array(4096);
  step = new Int32Array(4096);
  epoch = new Float64Array(4096);
  series = new Uint16Array(4096);
  value = new Float64Array(4096);

  push(runSeq: number, step: number, epoch: number, series: number, value: number): void {
    if (this.length === this.step.length) this.grow();
    const i = this.length++;
    this.runSeq[i] = runSeq;
    this.step[i] = step;
    this.epoch[i] = epoch;
    this.series[i] = series;
    this.value[i] = value;
  }

  /** Append every row of `other` after this buffer's rows. */
  append(other: PointBuffer): void {
    for (let i = 0; i < other.length; i++) this.push(other.runSeq[i]!, other.step[i]!, other.epoch[i]!, other.series[i]!, other.value[i]!);
  }

  private grow(): void {
    const n = this.step.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint16Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(n);
      b.set(a);
      return b;
    };
    this.runSeq = g(this.runSeq, Int32Array);
    this.step = g(this.step, Int32Array);
    this.epoch = g(this.epoch, Float64Array);
    this.series = g(this.series, Uint16Array);
    this.value = g(this.value, Float64Array);
  }
}

const POINT_TYPES = [INTEGER, INTEGER, DOUBLE, USMALLINT, DOUBLE];
/** Tables holding a run's results (replaced as a whole by writeRunOutcome / writeBaselineResults). */
const RESULT_TABLES = ['eval_results', 'confusion_matrix', 'predictions', 'costs', 'artifacts'] as const;

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
export class Store {
  /** Runs marked `interrupted` when this (writable) store was opened. */
  interruptedOnOpen = 0;
  /** True when this read-only store is a running sweep's snapshot (see `OpenStoreOptions.onSnapshot`). */
  fromSnapshot = false;
  private readonly series = new Map<string, Map<string, number>>();
  private nextSeries = 1;
  private readonly newSeries: { id: number; split: string; name: string }[] = [];
  private readonly runSeqs = new Map<string, number>();
  /** Per run: highest step appended per series id (to skip outcome rows already appended). */
  private readonly maxStep = new Map<string, Map<number, number>>();
  /** Per run started here: its params as JSON (an outcome with the same params skips rewriting them). */
  private readonly startedParams = new Map<string, string>();
  private points = new PointBuffer();
  private lastFlush = Date.now();

  constructor(readonly db: Db) {}

  /** The database path as given. */
  get file(): string {
    return this.db.file;
  }

  get readOnly(): boolean {
    return this.db.readOnly;
  }

  /**
   * True when no process can be writing this file now: it is open read-only and no writable store
   * in this process shares it (DuckDB refuses a read-only open while another process writes). Runs
   * shown as `running`/`queued` then belong to a dead process; the next writable open marks them
   * `interrupted`.
   */
  get noLiveWriter(): boolean {
    return this.db.readOnly && !this.db.shared && this.db.file !== ':memory:' && !this.fromSnapshot;
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
    if (this.points.length > 0) await this.flush();
    const target = snapshotPath(this.file);
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.wal`, { force: true });
    await this.db.exclusive(async (tx) => {
      const [{ name }] = (await tx.all<{ name: string }>(`SELECT current_database() AS name`)) as [{ name: string }];
      await tx.run(`ATTACH ${sqlString(tmp)} AS fte_snapshot`);
      try {
        await tx.run(`COPY FROM DATABASE ${quoteIdent(name)} TO fte_snapshot`);
      } finally {
        await tx.run(`DETACH fte_snapshot`);
      }
    });
    fs.renameSync(tmp, target);
    return target;
  }

  /** Remove the snapshot (the sweep ended: readers can open the store itself again). */
  removeSnapshot(): void {
    if (this.file !== ':memory:') fs.rmSync(snapshotPath(this.file), { force: true });
  }

  /** @internal load the (split, name) -> series id dictionary. */
  async loadSeries(): Promise<void> {
    const rows = await this.db.all<{ series_id: number; split: string; name: string }>(`SELECT series_id, split, name FROM step_series`);
    for (const r of rows) {
      this.seriesMap(r.split).set(r.name, r.series_id);
      this.nextSeries = Math.max(this.nextSeries, r.series_id + 1);
    }
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
    await this.flushBuffered();
    await this.db.run(`UPDATE sweeps SET status = $2, finished_at = $3::TIMESTAMP WHERE sweep_id = $1`, [sweepId, status, nowSql()]);
  }

  /** Set a sweep back to `running` (clearing `finished_at`) when `fte sweep --resume` continues it. */
  async reopenSweep(sweepId: string): Promise<void> {
    this.writable();
    await this.db.run(`UPDATE sweeps SET status = 'running', finished_at = NULL WHERE sweep_id = $1`, [sweepId]);
  }

  /** Record where a run executes once its worker reports it (the worker protocol's `started` message). */
  async setRunDevice(runId: string, where: { backend: string; device: string }): Promise<void> {
    this.writable();
    await this.db.run(`UPDATE runs SET backend = $2, device = $3 WHERE run_id = $1`, [runId, where.backend, where.device]);
  }

  /** Insert the run with status `running` and its params (one transaction). Re-starting an existing run id resets its status. */
  async startRun(input: StartRunInput): Promise<void> {
    this.writable();
    await this.db.transaction(async (tx) => {
      // Plain SELECT + INSERT/UPDATE: measured ~10x faster here than INSERT ... ON CONFLICT ... RETURNING.
      const started = sqlTimestamp(input.startedAt ?? new Date());
      const existing = await tx.all<{ run_seq: number }>(`SELECT run_seq FROM runs WHERE run_id = $1`, [input.runId]);
      let seq: number;
      if (existing[0]) {
        // Re-starting a run id: what its earlier attempt stored goes, so results never mix attempts.
        seq = existing[0].run_seq;
        await tx.run(`DELETE FROM step_metric_points WHERE run_seq = $1`, [seq]);
        for (const t of RESULT_TABLES) await tx.run(`DELETE FROM ${t} WHERE run_id = $1`, [input.runId]);
        this.maxStep.delete(input.runId);
        await tx.run(
          `UPDATE runs SET sweep_id = $2, variant_key = $3, method = $4, status = 'running', started_at = $5::TIMESTAMP,
             backend = $6, device = $7, finished_at = NULL, error = NULL WHERE run_id = $1`,
          [input.runId, input.sweepId, input.variantKey, input.method, started, input.backend ?? null, input.device ?? null],
        );
      } else {
        seq = (await tx.all<{ s: number }>(`SELECT nextval('run_seq_counter')::INTEGER AS s`))[0]!.s;
        await tx.run(
          `INSERT INTO runs (run_id, run_seq, sweep_id, kind, variant_key, method, status, started_at, backend, device)
           VALUES ($1, $2, $3, 'variant', $4, $5, 'running', $6::TIMESTAMP, $7, $8)`,
          [input.runId, seq, input.sweepId, input.variantKey, input.method, started, input.backend ?? null, input.device ?? null],
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
    let maxStep = this.maxStep.get(runId);
    if (!maxStep) this.maxStep.set(runId, (maxStep = new Map()));
    for (const r of rows) {
      const sid = this.seriesId(r.split, r.name);
      this.points.push(seq, r.step, r.epoch, sid, r.value);
      const m = maxStep.get(sid);
      if (m === undefined || r.step > m) maxStep.set(sid, r.step);
    }
    if (this.points.length >= STEP_FLUSH_ROWS || Date.now() - this.lastFlush >= STEP_FLUSH_MS) await this.flushBuffered();
  }

  /** Append buffered step metrics now (one transaction). */
  async flush(): Promise<void> {
    if (this.readOnly) return;
    await this.flushBuffered();
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
    const own = new PointBuffer();
    const maxStep = this.maxStep.get(outcome.runId) ?? new Map<number, number>();
    for (const r of outcome.stepMetrics ?? []) {
      const sid = this.seriesId(r.split, r.name);
      const m = maxStep.get(sid);
      if (m !== undefined && r.step <= m) continue;
      own.push(seq, r.step, r.epoch, sid, r.value);
    }
    // Points appended during the run and new series names commit first, on their own: they belong
    // to the run even if the outcome below fails.
    await this.flushBuffered();
    await this.db.transaction(async (tx) => {
      const before = await tx.all<{ status: string }>(`SELECT status FROM runs WHERE run_id = $1`, [outcome.runId]);
      const wasOpen = before[0]?.status === 'running' || before[0]?.status === 'queued';
      await this.appendPoints(tx, own);
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
           final_val_loss = $19::DOUBLE, stopped_early = $20::BOOLEAN, divergence_reason = $21, checkpoint_path = $22, error = $23
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
        ],
      );
      if (JSON.stringify(outcome.params ?? {}) !== this.startedParams.get(outcome.runId)) {
        await this.replaceParams(tx, outcome.runId, outcome.params as Record<string, ParamValue>, false);
      }
      // A run still running/queued has no results yet (startRun clears an earlier attempt's), so
      // there is nothing to delete: this skips four table scans per run in a large store.
      await this.replaceResults(tx, outcome.runId, outcome.evalRows, outcome.predictions, outcome.costs, outcome.artifacts, !wasOpen, outcome.confusion);
    });
    this.maxStep.delete(outcome.runId);
    this.startedParams.delete(outcome.runId);
  }

  /**
   * Store a sweep's baseline results (subjects base / prompting / rag, once per sweep) under the
   * pseudo-run `baselineRunId(sweepId)` (`runs.kind = 'baselines'`, status `completed`), replacing
   * any earlier ones, in one transaction. Listings and `run_summary` ignore it; `evalResults`,
   * `predictions` and `costs` for the sweep include it.
   * @returns the pseudo-run id
   */
  async writeBaselineResults(sweepId: string, rows: EvalRow[], predictions: PredictionRow[], costs: CostRow[], confusion: ConfusionRow[] = []): Promise<string> {
    this.writable();
    const runId = baselineRunId(sweepId);
    const now = nowSql();
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO runs (run_id, sweep_id, kind, variant_key, method, status, started_at, finished_at)
         VALUES ($1, $2, 'baselines', NULL, NULL, 'completed', $3::TIMESTAMP, $3::TIMESTAMP)
         ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = 'completed'`,
        [runId, sweepId, now],
      );
      await this.replaceResults(tx, runId, rows, predictions, costs, [], true, confusion);
    });
    return runId;
  }

  /**
   * The most recent run with this variant key whose status is in `statuses` (default `completed`),
   * for resume; null when none.
   */
  async completedRunForKey(variantKey: string, options: { statuses?: RunStatus[] } = {}): Promise<string | null> {
    const statuses = options.statuses ?? ['completed'];
    const rows = await this.db.all<{ run_id: string }>(
      `SELECT run_id FROM runs WHERE kind = 'variant' AND variant_key = $1 AND list_contains($2::VARCHAR[], status)
       ORDER BY finished_at DESC NULLS LAST, run_seq DESC LIMIT 1`,
      [variantKey, stringList(statuses)],
    );
    return rows[0]?.run_id ?? null;
  }

  /**
   * Mark runs `interrupted` (with `finished_at` now): the given ids when still `running`/`queued`,
   * or, without ids, every `running`/`queued` run and every `running` sweep (what a dead process
   * left; called by `openStore`). Buffered step metrics are flushed first, in the same transaction.
   * @returns how many runs changed
   */
  async markInterrupted(runIds?: string[]): Promise<number> {
    this.writable();
    await this.flushBuffered();
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
      for (const r of changed) this.maxStep.delete(r.run_id);
      return changed.length;
    });
  }

  /** Flush buffered step metrics and close (DuckDB releases the file lock when the last user closes). */
  async close(): Promise<void> {
    try {
      if (!this.readOnly && this.points.length > 0) await this.flush();
    } finally {
      await this.db.close();
    }
  }

  // ---------------------------------------------------------------- reads (src/store/queries.ts)

  /** See `queries.listRuns`. */
  listRuns(options: q.ListRunsOptions = {}): Promise<q.RunList> {
    return q.listRuns(this.db, options);
  }
  /** See `queries.getRun`. */
  getRun(runId: string): Promise<q.RunDetail> {
    return q.getRun(this.db, runId);
  }
  /** See `queries.listSweeps`. */
  listSweeps(): Promise<q.SweepRecord[]> {
    return q.listSweeps(this.db);
  }
  /** See `queries.latestSweep`. */
  latestSweep(): Promise<q.SweepRecord | null> {
    return q.latestSweep(this.db);
  }
  /** See `queries.getSweep`. */
  getSweep(sweepId: string): Promise<q.SweepDetail> {
    return q.getSweep(this.db, sweepId);
  }
  /** See `queries.sweepRuns`. */
  sweepRuns(sweepId: string): Promise<q.RunRecord[]> {
    return q.sweepRuns(this.db, sweepId);
  }
  /** See `queries.stepMetrics`. */
  stepMetrics(runIds: string[], options: q.StepMetricsOptions = {}): Promise<q.StepMetricRecord[]> {
    return q.stepMetrics(this.db, runIds, options);
  }
  /** See `queries.evalResults`. */
  evalResults(selector: q.ResultSelector): Promise<q.EvalResultRecord[]> {
    return q.evalResults(this.db, selector);
  }
  /** See `queries.predictions`. */
  predictions(selector: q.PredictionSelector): Promise<q.PredictionRecord[]> {
    return q.predictions(this.db, selector);
  }
  /** See `queries.costs`. */
  costs(selector: q.ResultSelector): Promise<q.CostRecord[]> {
    return q.costs(this.db, selector);
  }
  /** See `queries.artifacts`. */
  artifacts(selector: q.ResultSelector): Promise<q.ArtifactRecord[]> {
    return q.artifacts(this.db, selector);
  }

  // ---------------------------------------------------------------- internals

  private writable(): void {
    if (this.db.readOnly) throw new FteError(`database ${this.file} is open read-only`);
  }

  private seriesMap(split: string): Map<string, number> {
    let m = this.series.get(split);
    if (!m) this.series.set(split, (m = new Map()));
    return m;
  }

  private seriesId(split: string, name: string): number {
    const m = this.seriesMap(split);
    let id = m.get(name);
    if (id === undefined) {
      if (this.nextSeries > 65_535) throw new FteError(`too many distinct step metric names (65,535) in ${this.file}`);
      id = this.nextSeries++;
      m.set(name, id);
      this.newSeries.push({ id, split, name });
    }
    return id;
  }

  private async runSeq(runId: string): Promise<number> {
    const known = this.runSeqs.get(runId);
    if (known !== undefined) return known;
    const rows = await this.db.all<{ run_seq: number }>(`SELECT run_seq FROM runs WHERE run_id = $1`, [runId]);
    if (!rows[0]) throw new FteError(`run '${runId}' was not started in ${this.file} (call startRun first)`);
    this.runSeqs.set(runId, rows[0].run_seq);
    return rows[0].run_seq;
  }

  /**
   * Commit new series names, then the buffered points, each in its own transaction. The buffer is
   * swapped out before the first await (appends that arrive meanwhile go to the new buffer) and put
   * back if the append fails.
   */
  private async flushBuffered(): Promise<void> {
    await this.db.exclusive(async (tx) => {
      if (this.newSeries.length) {
        const pending = this.newSeries.slice();
        await tx.transaction((t) =>
          t.append(
            'step_series',
            [
              { type: USMALLINT, get: (s: (typeof pending)[number]) => s.id },
              { type: VARCHAR, get: (s) => s.split },
              { type: VARCHAR, get: (s) => s.name },
            ],
            pending,
          ),
        );
        this.newSeries.splice(0, pending.length);
      }
      const buf = this.points;
      this.lastFlush = Date.now();
      if (buf.length === 0) return;
      this.points = new PointBuffer();
      try {
        await tx.transaction((t) => this.appendPoints(t, buf));
      } catch (err) {
        const later = this.points;
        this.points = buf;
        buf.append(later);
        throw err;
      }
    });
  }

  /** Append `buf` to step_metric_points inside the caller's transaction (the queue is held). */
  private async appendPoints(_tx: TxHandle, b: PointBuffer): Promise<void> {
    const total = b.length;
    if (total === 0) return;
    const appender = await this.db.connection.createAppender('step_metric_points');
    try {
      for (let off = 0; off < total; off += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, total - off);
        const chunk = DuckDBDataChunk.create(POINT_TYPES, n);
        const cols: [Int32Array | Float64Array | Uint16Array, boolean][] = [
          [b.runSeq, false],
          [b.step, false],
          [b.epoch, true],
          [b.series, false],
          [b.value, true],
        ];
        for (let c = 0; c < cols.length; c++) {
          const [src, nullable] = cols[c]!;
          let finite = true;
          if (nullable) for (let i = off; i < off + n && finite; i++) finite = Number.isFinite(src[i]!);
          if (finite) {
            // The column's bytes go straight into the chunk's vector (the vector's layout is the typed
            // array's: INTEGER = int32, DOUBLE = float64, USMALLINT = uint16; a fresh chunk is all-valid).
            const bytes = src.BYTES_PER_ELEMENT;
            duckdbBindings.copy_data_to_vector(duckdbBindings.data_chunk_get_vector(chunk.chunk, c), 0, src.buffer as ArrayBuffer, src.byteOffset + off * bytes, n * bytes);
          } else {
            // NaN / infinity (a diverged run) are stored as NULL.
            const v = chunk.getColumnVector(c);
            for (let i = 0; i < n; i++) {
              const x = src[off + i]!;
              v.setItem(i, Number.isFinite(x) ? x : null);
            }
            v.flush();
          }
        }
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
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
  ): Promise<void> {
    if (replace) for (const t of RESULT_TABLES) await tx.run(`DELETE FROM ${t} WHERE run_id = $1`, [runId]);
    await tx.append('eval_results', EVAL_COLUMNS, evalRows.map((r) => ({ ...r, runId })));
    await tx.append('confusion_matrix', CONFUSION_COLUMNS, confusion.map((r) => ({ ...r, runId })));
    await tx.append('predictions', PREDICTION_COLUMNS, predictions.map((r) => ({ ...r, runId })));
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
