/**
 * The read side of an open store: the queries of ./queries.ts as methods on the connection the
 * store holds. `Store` (./writer.ts) extends it with the writes; read-only commands use the same
 * class (opened with `readOnly`).
 */
import type { RunStatus } from './types.js';
import { stringList, type Db } from './db.js';
import * as q from './queries.js';

/** An open store's reads. All calls are serialised on one connection. */
export class StoreReader {
  /** True when this read-only store is a running sweep's snapshot (see `OpenStoreOptions.onSnapshot`). */
  fromSnapshot = false;

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
  /** See `queries.servingCatalog`. */
  servingCatalog(): Promise<{ sweeps: q.SweepBaseRecord[]; runs: q.RunCheckpointRecord[] }> {
    return q.servingCatalog(this.db);
  }
  /** See `queries.artifacts`. */
  artifacts(selector: q.ResultSelector): Promise<q.ArtifactRecord[]> {
    return q.artifacts(this.db, selector);
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
}
