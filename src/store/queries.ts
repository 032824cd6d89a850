/**
 * The read queries other stages call (report, compare, ROI, commands). Every function takes an open
 * `Db` (a `Store` exposes them as methods: `store.listRuns(...)`), binds its values as parameters,
 * and returns plain, JSON-serialisable records (camelCase; timestamps as ISO-8601 UTC strings;
 * BIGINT columns as numbers).
 *
 * Baseline results live under the pseudo-run `<sweep_id>:baselines` (`kind: 'baselines'`); run
 * listings skip it, result queries (`evalResults`, `predictions`, `costs`) include it unless told not to.
 *
 * Size: one file (~770 lines) on purpose: each record type sits beside the one query that fills it,
 * so a column change is one edit here; the records are plain data and the queries share helpers.
 */
import { dirname } from 'node:path';
import { UnknownNameError, UserInputError } from '../errors.js';
import { lowerIsBetter } from '../eval/metrics/direction.js';
import type { Subject, SubjectKind, SubjectRow } from '../eval/types.js';
import type { PromptFormat } from '../providers/chat-text.js';
import type { ParamValue, RunStatus } from '../store/types.js';
import { quoteIdent, stringList, type Bindable, type Db, type PlainRow } from './db.js';
import { paramColumns, runMetricsSql, snakeCase, type ParamColumn } from './schema.js';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'diverged', 'interrupted', 'stopped'];

/** One run as listings show it (a `run_summary` row plus its params in their spec form). */
export interface RunRecord {
  runId: string;
  sweepId: string;
  /** `variant` for trained runs, `baselines` for a sweep's baseline pseudo-run. */
  kind: 'variant' | 'baselines';
  experimentId: string | null;
  experiment: string | null;
  variantKey: string | null;
  method: string | null;
  status: RunStatus;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds. */
  wallSeconds: number | null;
  device: string | null;
  backend: string | null;
  /** The machine that ran the run (`os.hostname()` of the sweep or of the queue worker); null for runs stored before schema 5. */
  host: string | null;
  /** Hyperparameters as resolved by the sweep, keyed by spec name (`learningRate`). */
  params: Record<string, ParamValue>;
  steps: number | null;
  /** Optimizer steps the run would have trained (a `stopped` run trained fewer); null for runs stored before schema 11. */
  plannedSteps: number | null;
  bestStep: number | null;
  stoppedEarly: boolean | null;
  bestValLoss: number | null;
  finalValLoss: number | null;
  /** exp(mean token NLL) on the test completions (eval_results finetuned/none/all/perplexity). */
  perplexity: number | null;
  /**
   * The ranking number, always from validation: `split` is `val`, or `test` only for runs stored
   * before validation metrics existed (see runMetricsSql); null when there is no value.
   */
  objective: { metric: string; goal: 'minimize' | 'maximize'; value: number | null; split: 'val' | 'test' | null };
  tokensTrained: number | null;
  trainableParams: number | null;
  totalParams: number | null;
  /** Bytes. */
  adapterBytes: number | null;
  /** Measured peak training memory (live tensor bytes), bytes; the estimate in runs stored before schema 5. */
  peakMemoryBytes: number | null;
  /** The pre-training memory estimate, bytes (null before schema 5). */
  estimatedMemoryBytes: number | null;
  /** Bytes. */
  baseWeightBytes: number | null;
  /** Sum of the run's cost rows, USD. */
  usd: number | null;
  divergenceReason: string | null;
  error: string | null;
}

export interface ListRunsOptions {
  /** A sweep id, or `latest`. Default: every sweep. */
  sweep?: string;
  /** One status or several. */
  status?: RunStatus | RunStatus[];
  /** Only these runs (any sweep): how `fte sweep` ranks its variants, reused ones included, by the store's rule. */
  runIds?: string[];
  /**
   * `objective` (the validation objective, best first by each sweep's goal; ties: lower final validation loss, then earlier run, see `bestRun`), a `run_summary` column (`final_val_loss`,
   * `learning_rate` or `learningRate`, `wall_seconds`...), or a test-split evaluation metric of the fine-tuned
   * model on clean inputs: `<slice>/<metric>` or `<metric>` (slice `all`), e.g. `bleu`,
   * `classify/f1_macro`. Default: start order.
   */
  sort?: string;
  /** Default: `asc` for columns and for lower-is-better metrics (loss, perplexity, ter, wer...), `desc` for other metrics; for `objective`, `asc` means best first. */
  order?: 'asc' | 'desc';
  /** Default: all. */
  limit?: number;
  offset?: number;
}

export interface RunList {
  /** Runs matching the filters before `limit`. */
  total: number;
  sort: { key: string; order: 'asc' | 'desc'; source: 'default' | 'objective' | 'column' | 'eval' };
  runs: (RunRecord & { sortValue?: number | string | null })[];
}

export interface CurveSummary {
  split: string;
  name: string;
  points: number;
  firstStep: number;
  lastStep: number;
  first: number | null;
  last: number | null;
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
}

export interface EvalResultRecord {
  runId: string;
  sweepId: string;
  kind: 'variant' | 'baselines';
  subject: Subject;
  perturbation: string;
  slice: string;
  metric: string;
  value: number | null;
  n: number | null;
  signature: string | null;
  /** `val` (selection) or `test` (held-out result). */
  split: 'val' | 'test' | 'ood';
  /** 95% bootstrap interval of `value` (null where undefined) and its procedure. */
  ciLow: number | null;
  ciHigh: number | null;
  ciSignature: string | null;
}

/** One confusion_matrix cell (`predicted` null = an invalid answer). */
export interface ConfusionRecord {
  runId: string;
  subject: Subject;
  split: 'val' | 'test' | 'ood';
  slice: string;
  gold: string;
  predicted: string | null;
  count: number;
}

export interface PredictionRecord {
  runId: string;
  sweepId: string;
  subject: Subject;
  perturbation: string;
  exampleId: string;
  input: string | null;
  reference: string | null;
  prediction: string | null;
  scores: Record<string, number>;
  /** The example's slice (NULL when uncategorised or stored before schema 3). */
  category: string | null;
  /** Its classification slice's fixed label set, or null. */
  labels: string[] | null;
  /** `test`, or `ood` for an out-of-distribution example (schema 11). */
  split: 'test' | 'ood';
}

export interface CostRecord {
  runId: string;
  sweepId: string;
  kind: 'variant' | 'baselines';
  component: string;
  device: string | null;
  hours: number | null;
  tokens: number | null;
  usd: number | null;
  priceSource: string | null;
}

export interface ArtifactRecord {
  runId: string;
  sweepId: string;
  kind: string;
  path: string;
  /** Bytes. */
  bytes: number | null;
  sha256: string | null;
}

export interface RunDetail {
  run: RunRecord;
  /** One entry per (split, name) curve: train/val loss, learning rate, tokens/s... */
  curves: CurveSummary[];
  /** This run's eval rows (test and val), then its sweep's baseline rows (subjects base/prompting/rag/majority). */
  evals: EvalResultRecord[];
  /** Confusion matrices of the run's classification slices, then the baselines'. */
  confusion: ConfusionRecord[];
  /** How the run's subjects and its sweep's baselines were evaluated (provider, model, errors, truncation); empty before schema 4. */
  subjects?: SubjectRecord[];
  costs: CostRecord[];
  artifacts: ArtifactRecord[];
}

export interface StepMetricRecord {
  runId: string;
  step: number;
  epoch: number | null;
  split: string;
  name: string;
  value: number | null;
}

export interface StepMetricsOptions {
  split?: 'train' | 'val';
  names?: string[];
  /** Keep at most about this many points per run and curve (every k-th step, plus the last). */
  maxPoints?: number;
}

/** Which runs' results: a sweep (with its baselines unless `includeBaselines: false`) and/or run ids. */
export interface ResultSelector {
  sweepId?: string;
  runIds?: string[];
  /** Default true. */
  includeBaselines?: boolean;
  /**
   * Which split's eval rows: `test` (default: the held-out result every verdict reports), `val`
   * (the selection numbers), `ood` (the out-of-distribution examples), or `both` (every split).
   */
  split?: 'val' | 'test' | 'ood' | 'both';
}

export interface PredictionSelector extends ResultSelector {
  subject?: Subject;
  perturbation?: string;
  limit?: number;
  /** Which examples: `test` (default: the held-out split every verdict pairs on), `ood`, or `both`. */
  split?: 'test' | 'ood' | 'both';
}

export interface SweepRecord {
  sweepId: string;
  experimentId: string;
  experiment: string | null;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  gitCommit: string | null;
  host: string | null;
  backend: string | null;
  baseModel: string | null;
  objective: { metric: string; goal: 'minimize' | 'maximize' };
  /** Variant runs by status, plus `total`. */
  runCounts: Record<RunStatus | 'total', number>;
}

export interface SweepDetail extends SweepRecord {
  specPath: string | null;
  specHash: string | null;
  /** Parsed `spec_json`, `limits_json`, `dataset_manifest_json` (null when absent). */
  spec: unknown;
  limits: unknown;
  datasetManifest: unknown;
}

const list = stringList;

function parseJson(s: unknown): unknown {
  if (typeof s !== 'string') return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));


function toRunRecord(r: PlainRow, params: Record<string, ParamValue>): RunRecord {
  return {
    runId: String(r.run_id),
    sweepId: String(r.sweep_id),
    kind: (r.kind as RunRecord['kind']) ?? 'variant',
    experimentId: str(r.experiment_id),
    experiment: str(r.experiment),
    variantKey: str(r.variant_key),
    method: str(r.method),
    status: r.status as RunStatus,
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    wallSeconds: num(r.wall_seconds),
    device: str(r.device),
    backend: str(r.backend),
    host: str(r.host),
    params,
    steps: num(r.steps),
    plannedSteps: num(r.planned_steps),
    bestStep: num(r.best_step),
    stoppedEarly: r.stopped_early === null || r.stopped_early === undefined ? null : Boolean(r.stopped_early),
    bestValLoss: num(r.best_val_loss),
    finalValLoss: num(r.final_val_loss),
    perplexity: num(r.perplexity),
    objective: {
      metric: String(r.objective_metric ?? 'val_loss'),
      goal: (r.objective_goal as 'minimize' | 'maximize') ?? 'minimize',
      value: num(r.objective),
      split: (str(r.objective_split) as 'val' | 'test' | null) ?? null,
    },
    tokensTrained: num(r.tokens_trained),
    trainableParams: num(r.trainable_params),
    totalParams: num(r.total_params),
    adapterBytes: num(r.adapter_bytes),
    peakMemoryBytes: num(r.peak_memory_bytes),
    estimatedMemoryBytes: num(r.estimated_memory_bytes),
    baseWeightBytes: num(r.base_weight_bytes),
    usd: num(r.usd),
    divergenceReason: str(r.divergence_reason),
    error: str(r.error),
  };
}

async function paramsFor(db: Db, runIds: string[]): Promise<Map<string, Record<string, ParamValue>>> {
  const out = new Map<string, Record<string, ParamValue>>();
  if (runIds.length === 0) return out;
  const rows = await db.all<{ run_id: string; name: string; value_json: string }>(
    `SELECT run_id, name, value_json FROM run_params WHERE run_id IN (SELECT unnest($1::VARCHAR[])) ORDER BY run_id, name`,
    [list(runIds)],
  );
  for (const r of rows) {
    let p = out.get(r.run_id);
    if (!p) out.set(r.run_id, (p = {}));
    p[r.name] = parseJson(r.value_json) as ParamValue;
  }
  return out;
}

async function withParams(db: Db, rows: PlainRow[]): Promise<RunRecord[]> {
  const params = await paramsFor(db, rows.map((r) => String(r.run_id)));
  return rows.map((r) => toRunRecord(r, params.get(String(r.run_id)) ?? {}));
}

/** `latest` -> the newest sweep id; an unknown id throws `UserInputError` naming the recent ones. */
export async function resolveSweepId(db: Db, sweep: string): Promise<string> {
  if (sweep === 'latest') {
    const latest = await latestSweep(db);
    if (!latest) throw new UserInputError(`no sweeps in ${db.file} yet; run \`fte sweep\` first`);
    return latest.sweepId;
  }
  const rows = await db.all<{ sweep_id: string }>(`SELECT sweep_id FROM sweeps WHERE sweep_id = $1`, [sweep]);
  if (rows[0]) return sweep;
  const recent = await db.all<{ sweep_id: string }>(`SELECT sweep_id FROM sweeps ORDER BY started_at DESC LIMIT 5`);
  throw new UserInputError(
    `unknown sweep '${sweep}' in ${db.file}; ${recent.length ? `recent: ${recent.map((r) => r.sweep_id).join(', ')} (or 'latest')` : 'it has no sweeps yet'}`,
  );
}

let summaryColumnsCache: { file: string; columns: string[] } | null = null;
async function summaryColumns(db: Db): Promise<string[]> {
  if (summaryColumnsCache?.file === db.file) return summaryColumnsCache.columns;
  const rows = await db.all<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE run_summary)`);
  const columns = rows.map((r) => r.column_name);
  summaryColumnsCache = { file: db.file, columns };
  return columns;
}

/** Columns of the runs table itself (sortable without computing any metric). */
const RUNS_COLUMNS = new Set([
  'run_id', 'run_seq', 'sweep_id', 'variant_key', 'method', 'status', 'started_at', 'finished_at', 'wall_seconds', 'device', 'backend', 'host',
  'tokens_trained', 'trainable_params', 'total_params', 'adapter_bytes', 'peak_memory_bytes', 'estimated_memory_bytes', 'base_weight_bytes', 'best_step', 'steps', 'planned_steps',
  'best_val_loss', 'final_val_loss', 'stopped_early', 'divergence_reason', 'checkpoint_path', 'error',
]);
let paramCols: Map<string, ParamColumn> | null = null;
/** run_summary param column (`learning_rate`) -> its param (`learningRate`) and kind. */
function paramByColumn(): Map<string, ParamColumn> {
  paramCols ??= new Map(paramColumns().map((c) => [c.column, c]));
  return paramCols;
}

/** Columns runMetricsSql computes. */
const METRIC_COLUMNS = new Set(['experiment_id', 'experiment', 'objective_metric', 'objective_goal', 'perplexity', 'objective', 'usd']);

/**
 * Full records (runs row + metrics of runMetricsSql + params) for the given run ids, in that order.
 * Reads only these runs' results, so it stays fast with many runs in the store.
 */
export async function runRecords(db: Db, runIds: string[]): Promise<RunRecord[]> {
  if (runIds.length === 0) return [];
  const rows = await db.all(runMetricsSql(`r.run_id IN (SELECT unnest($1::VARCHAR[]))`), [list(runIds)]);
  const byId = new Map(rows.map((r) => [String(r.run_id), r]));
  return withParams(db, runIds.map((id) => byId.get(id)).filter((r): r is PlainRow => r !== undefined));
}

/**
 * THE ranking of runs by objective, used by every command that names a best run (`fte sweep`'s
 * summary, `fte runs --sort objective`, `fte report`, `fte compare`, `fte roi`): the best objective
 * by the sweep's goal first; ties go to the lower final validation loss (nats/token), then to the
 * earlier run (run_seq). `desc` is the exact reverse; runs without an objective come last either way.
 * Over a subquery `k` with columns `best` (objective, negated when maximised), `final_val_loss`, `run_seq`.
 */
function objectiveOrderSql(order: 'asc' | 'desc'): string {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  return `k.best ${dir} NULLS LAST, k.final_val_loss ${dir} NULLS LAST, k.run_seq ${dir}`;
}

/**
 * The best run of a sweep (`latest` accepted): the first completed run with an objective value
 * in the `listRuns(..., { sort: 'objective' })` order (see `objectiveOrderSql`), or null when no
 * completed run has one. Failed, diverged and interrupted runs never win.
 * @throws UserInputError unknown sweep
 */
export async function bestRun(db: Db, sweep: string): Promise<RunRecord | null> {
  const { runs } = await listRuns(db, { sweep, status: 'completed', sort: 'objective', limit: 1 });
  const best = runs[0];
  return best && best.objective.value !== null ? best : null;
}

/**
 * Variant runs filtered, sorted and limited. Two steps, so a store with 10,000s of runs answers fast:
 * the page of run ids is chosen by the cheapest query that yields the sort key, then full records
 * are read for that page only.
 * @throws UserInputError unknown sweep; UnknownNameError unknown status or sort key (lists the valid ones)
 */
export async function listRuns(db: Db, options: ListRunsOptions = {}): Promise<RunList> {
  const where: string[] = [`r.kind = 'variant'`];
  const params: Bindable[] = [];
  const bind = (v: Bindable): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (options.sweep) where.push(`r.sweep_id = ${bind(await resolveSweepId(db, options.sweep))}`);
  if (options.status) {
    const statuses = Array.isArray(options.status) ? options.status : [options.status];
    for (const st of statuses) if (!RUN_STATUSES.includes(st)) throw new UnknownNameError('run status', st, RUN_STATUSES);
    where.push(`list_contains(${bind(list(statuses))}::VARCHAR[], r.status)`);
  }
  if (options.runIds) where.push(`list_contains(${bind(list(options.runIds))}::VARCHAR[], r.run_id)`);
  const filter = where.join(' AND ');
  const filterParams = params.slice();
  // source of the sort key: a query over `r` (runs) or `k` (a subquery) yielding run_id, run_seq and sort_value
  let from = `(SELECT r.run_id, r.run_seq, r.started_at AS sort_value FROM runs r WHERE ${filter}) k`;
  let orderBy = 'k.sort_value ASC NULLS LAST, k.run_seq ASC';
  let sort: RunList['sort'] = { key: 'started_at', order: 'asc', source: 'default' };
  if (options.sort) {
    const key = options.sort;
    const columns = await summaryColumns(db);
    const col = columns.includes(key) ? key : columns.includes(snakeCase(key)) ? snakeCase(key) : null;
    if (key === 'objective') {
      const order = options.order ?? 'asc';
      from = `(SELECT run_id, run_seq, final_val_loss, objective AS sort_value, CASE WHEN objective_goal = 'maximize' THEN -objective ELSE objective END AS best
               FROM (${runMetricsSql(filter)})) k`;
      orderBy = objectiveOrderSql(order);
      sort = { key, order, source: 'objective' };
    } else if (col) {
      const order = options.order ?? 'asc';
      const q = quoteIdent(col);
      if (RUNS_COLUMNS.has(col)) from = `(SELECT r.run_id, r.run_seq, r.${q} AS sort_value FROM runs r WHERE ${filter}) k`;
      else if (METRIC_COLUMNS.has(col)) from = `(SELECT run_id, run_seq, ${q} AS sort_value FROM (${runMetricsSql(filter)})) k`;
      else if (paramByColumn().has(col)) {
        const pc = paramByColumn().get(col)!;
        const value = pc.kind === 'text' ? 'p.value_text' : pc.kind === 'boolean' ? '(p.value_double <> 0)' : 'p.value_double';
        from = `(SELECT r.run_id, r.run_seq, ${value} AS sort_value FROM runs r
                 LEFT JOIN run_params p ON p.run_id = r.run_id AND p.name = ${bind(pc.param)} WHERE ${filter}) k`;
      } else from = `(SELECT s.run_id, s.run_seq, s.${q} AS sort_value FROM run_summary s JOIN runs r ON r.run_id = s.run_id WHERE ${filter}) k`;
      orderBy = `k.sort_value ${order.toUpperCase()} NULLS LAST, k.run_seq`;
      sort = { key: col, order, source: 'column' };
    } else {
      const slash = key.indexOf('/');
      const slice = slash >= 0 ? key.slice(0, slash) : 'all';
      const metric = slash >= 0 ? key.slice(slash + 1) : key;
      const exists = await db.all(`SELECT 1 FROM eval_results WHERE slice = $1 AND metric = $2 AND subject = 'finetuned' LIMIT 1`, [slice, metric]);
      if (exists.length === 0) {
        const known = await db.all<{ k: string }>(
          `SELECT DISTINCT CASE WHEN slice = 'all' THEN metric ELSE slice || '/' || metric END AS k FROM eval_results WHERE subject = 'finetuned' ORDER BY k LIMIT 50`,
        );
        throw new UnknownNameError('sort key', key, ['objective', ...columns.filter((c) => c !== 'run_seq'), ...known.map((k) => k.k)]);
      }
      const order = options.order ?? (lowerIsBetter(metric) ? 'asc' : 'desc');
      from = `(SELECT r.run_id, r.run_seq, m.v AS sort_value FROM runs r
               LEFT JOIN (SELECT run_id, max(value) AS v FROM eval_results
                          WHERE subject = 'finetuned' AND split = 'test' AND perturbation = 'none' AND slice = ${bind(slice)} AND metric = ${bind(metric)}
                          GROUP BY run_id) m ON m.run_id = r.run_id
               WHERE ${filter}) k`;
      orderBy = `k.sort_value ${order.toUpperCase()} NULLS LAST, k.run_seq`;
      sort = { key, order, source: 'eval' };
    }
  }
  const limit = options.limit !== undefined ? `LIMIT ${bind(Math.max(0, Math.floor(options.limit)))}` : '';
  const offset = options.offset ? `OFFSET ${bind(Math.max(0, Math.floor(options.offset)))}` : '';
  const total = await db.all<{ n: number }>(`SELECT count(*) AS n FROM runs r WHERE ${filter}`, filterParams);
  const page = await db.all<{ run_id: string; sort_value: number | string | null }>(
    `SELECT k.run_id, k.sort_value FROM ${from} ORDER BY ${orderBy} ${limit} ${offset}`,
    params,
  );
  const runs = await runRecords(db, page.map((p) => p.run_id));
  if (sort.source !== 'default') runs.forEach((r, i) => Object.assign(r, { sortValue: page[i]!.sort_value }));
  return { total: total[0]?.n ?? 0, sort, runs };
}

/**
 * One run with its curves summary, eval results (its own, then its sweep's baselines), costs and
 * artifacts. `runId` may be a unique prefix (as git resolves commits); baseline pseudo-runs resolve too.
 * @throws UserInputError unknown or ambiguous run id
 */
export async function getRun(db: Db, runId: string): Promise<RunDetail> {
  const id = await resolveRunId(db, runId);
  const [run] = await runRecords(db, [id]);
  const seq = (await db.all<{ run_seq: number }>(`SELECT run_seq FROM runs WHERE run_id = $1`, [id]))[0]!.run_seq;
  const curves = await db.all(
    `SELECT s.split, s.name, count(*) AS points, min(p.step) AS first_step, max(p.step) AS last_step,
       arg_min(p.value, p.step) AS first, arg_max(p.value, p.step) AS last,
       min(p.value) AS min, arg_min(p.step, p.value) AS min_step, max(p.value) AS max, arg_max(p.step, p.value) AS max_step
     FROM step_metric_points p JOIN step_series s ON s.series_id = p.series_id
     WHERE p.run_seq = $1 GROUP BY s.split, s.name ORDER BY s.split DESC, s.name`,
    [seq],
  );
  const ids = run!.kind === 'variant' ? [id, `${run!.sweepId}:baselines`] : [id];
  const evals = await evalResults(db, { runIds: ids, split: 'both' });
  evals.sort((a, b) => Number(a.kind !== 'variant') - Number(b.kind !== 'variant'));
  const confusionRows = await db.all(
    `SELECT c.* FROM confusion_matrix c JOIN runs r ON r.run_id = c.run_id WHERE c.run_id IN (SELECT unnest($1::VARCHAR[]))
     ORDER BY r.kind = 'baselines', c.subject, CASE c.split WHEN 'test' THEN 0 WHEN 'ood' THEN 1 ELSE 2 END, c.slice, c.gold, c.predicted NULLS LAST`,
    [list(ids)],
  );
  const subjects = await subjectRecords(db, { runIds: ids });
  return {
    run: run!,
    curves: curves.map((c) => ({
      split: String(c.split),
      name: String(c.name),
      points: Number(c.points),
      firstStep: Number(c.first_step),
      lastStep: Number(c.last_step),
      first: num(c.first),
      last: num(c.last),
      min: num(c.min),
      minStep: num(c.min_step),
      max: num(c.max),
      maxStep: num(c.max_step),
    })),
    evals,
    confusion: confusionRows.map((c) => ({
      runId: String(c.run_id),
      subject: c.subject as Subject,
      split: c.split as 'val' | 'test' | 'ood',
      slice: String(c.slice),
      gold: String(c.gold),
      predicted: str(c.predicted),
      count: Number(c.count),
    })),
    costs: await costs(db, { runIds: [id], includeBaselines: false }),
    artifacts: await artifacts(db, { runIds: [id] }),
    subjects,
  };
}

/** Exact run id, or the one run whose id starts with `prefix`. */
export async function resolveRunId(db: Db, prefix: string): Promise<string> {
  const exact = await db.all<{ run_id: string }>(`SELECT run_id FROM runs WHERE run_id = $1`, [prefix]);
  if (exact[0]) return exact[0].run_id;
  const like = await db.all<{ run_id: string }>(`SELECT run_id FROM runs WHERE starts_with(run_id, $1) ORDER BY run_seq LIMIT 6`, [prefix]);
  if (like.length === 1) return like[0]!.run_id;
  if (like.length > 1) throw new UserInputError(`run id '${prefix}' is ambiguous in ${db.file}: ${like.slice(0, 5).map((r) => r.run_id).join(', ')}${like.length > 5 ? ', ...' : ''}`);
  throw new UserInputError(`no run '${prefix}' in ${db.file}; \`fte runs\` lists them`);
}

function selectorWhere(sel: ResultSelector, alias: string, params: Bindable[]): string {
  const parts: string[] = [];
  if (sel.sweepId) {
    params.push(sel.sweepId);
    parts.push(`r.sweep_id = $${params.length}`);
  }
  if (sel.runIds) {
    params.push(list(sel.runIds));
    parts.push(`${alias}.run_id IN (SELECT unnest($${params.length}::VARCHAR[]))`);
  }
  if (sel.includeBaselines === false) parts.push(`r.kind = 'variant'`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/**
 * eval_results rows (run x subject x split x perturbation x slice x metric) for a sweep and/or runs;
 * `sel.split` picks the split (default `test`, the held-out result).
 */
export async function evalResults(db: Db, sel: ResultSelector): Promise<EvalResultRecord[]> {
  const params: Bindable[] = [];
  const split = sel.split ?? 'test';
  let where = selectorWhere(sel, 'e', params);
  if (split !== 'both') {
    params.push(split);
    where = `${where ? `${where} AND` : 'WHERE'} e.split = $${params.length}`;
  }
  const rows = await db.all(
    `SELECT e.*, r.sweep_id, r.kind FROM eval_results e JOIN runs r ON r.run_id = e.run_id ${where}
     ORDER BY r.run_seq, e.subject, CASE e.split WHEN 'test' THEN 0 WHEN 'ood' THEN 1 ELSE 2 END, e.perturbation, e.slice, e.metric`,
    params,
  );
  return rows.map((e) => ({
    runId: String(e.run_id),
    sweepId: String(e.sweep_id),
    kind: e.kind as EvalResultRecord['kind'],
    subject: e.subject as Subject,
    perturbation: String(e.perturbation),
    slice: String(e.slice),
    metric: String(e.metric),
    value: num(e.value),
    n: num(e.n),
    signature: str(e.signature),
    split: e.split as 'val' | 'test' | 'ood',
    ciLow: num(e.ci_low),
    ciHigh: num(e.ci_high),
    ciSignature: str(e.ci_signature),
  }));
}

/** Per-example predictions; `limit` caps the rows (ordered by run, subject, perturbation, example). */
export async function predictions(db: Db, sel: PredictionSelector): Promise<PredictionRecord[]> {
  const params: Bindable[] = [];
  let where = selectorWhere(sel, 'p', params);
  const extra: string[] = [];
  if (sel.subject) {
    params.push(sel.subject);
    extra.push(`p.subject = $${params.length}`);
  }
  if (sel.perturbation) {
    params.push(sel.perturbation);
    extra.push(`p.perturbation = $${params.length}`);
  }
  if ((sel.split ?? 'test') !== 'both') {
    params.push(sel.split ?? 'test');
    extra.push(`coalesce(p.split, 'test') = $${params.length}`);
  }
  if (extra.length) where = where ? `${where} AND ${extra.join(' AND ')}` : `WHERE ${extra.join(' AND ')}`;
  let limit = '';
  if (sel.limit !== undefined) {
    params.push(Math.max(0, Math.floor(sel.limit)));
    limit = `LIMIT $${params.length}`;
  }
  const rows = await db.all(
    `SELECT p.*, r.sweep_id FROM predictions p JOIN runs r ON r.run_id = p.run_id ${where}
     ORDER BY r.run_seq, p.split, p.subject, p.perturbation, p.example_id ${limit}`,
    params,
  );
  return rows.map((p) => ({
    runId: String(p.run_id),
    sweepId: String(p.sweep_id),
    subject: p.subject as Subject,
    perturbation: String(p.perturbation),
    exampleId: String(p.example_id),
    input: str(p.input),
    reference: str(p.reference),
    prediction: str(p.prediction),
    scores: (parseJson(p.scores_json) as Record<string, number>) ?? {},
    category: str(p.category),
    labels: (parseJson(p.labels_json) as string[] | null) ?? null,
    split: (str(p.split) ?? 'test') as 'test' | 'ood',
  }));
}

/** A `subjects` row with its run: how a subject was evaluated (provider, model, prompt) and what its requests met. */
export type SubjectRecord = SubjectRow & { runId: string; sweepId: string };

/** `subjects` rows for a sweep and/or runs, in run order then the order they were evaluated (stores before schema 4 have none). */
export async function subjectRecords(db: Db, sel: ResultSelector): Promise<SubjectRecord[]> {
  const params: Bindable[] = [];
  const rows = await db.all(
    `SELECT s.*, r.sweep_id FROM subjects s JOIN runs r ON r.run_id = s.run_id ${selectorWhere(sel, 's', params)}
     ORDER BY r.run_seq, s.rowid`,
    params,
  );
  return rows.map((s) => ({
    runId: String(s.run_id),
    sweepId: String(s.sweep_id),
    subject: String(s.subject),
    kind: String(s.kind) as SubjectKind,
    prompt: String(s.prompt),
    k: Number(s.k),
    provider: String(s.provider),
    model: String(s.model),
    endpoint: String(s.endpoint),
    examples: Number(s.examples),
    answered: Number(s.answered),
    requests: Number(s.requests),
    errors: Number(s.errors),
    ...(s.first_error !== null && s.first_error !== undefined ? { firstError: String(s.first_error) } : {}),
    cached: Number(s.cached),
    demonstrationsDropped: Number(s.demonstrations_dropped),
    inputsCut: Number(s.inputs_cut),
    noDemonstrations: Number(s.no_demonstrations),
    promptTokens: Number(s.prompt_tokens),
    completionTokens: Number(s.completion_tokens),
    wallSeconds: num(s.wall_seconds) ?? Number.NaN,
    ...(num(s.api_prompt_tokens) !== null ? { apiPromptTokens: num(s.api_prompt_tokens)! } : {}),
    ...(num(s.api_completion_tokens) !== null ? { apiCompletionTokens: num(s.api_completion_tokens)! } : {}),
    ...(s.api_tokenizer !== null && s.api_tokenizer !== undefined ? { apiTokenizer: String(s.api_tokenizer) } : {}),
    ...(num(s.usage_not_reported) !== null ? { usageNotReported: num(s.usage_not_reported)! } : {}),
    ...(s.prompt_format !== null && s.prompt_format !== undefined ? { promptFormat: String(s.prompt_format) as PromptFormat } : {}),
    ...(s.chat_template !== null && s.chat_template !== undefined ? { chatTemplate: String(s.chat_template) } : {}),
  }));
}

/** costs rows (USD, hours, tokens) for a sweep and/or runs. */
export async function costs(db: Db, sel: ResultSelector): Promise<CostRecord[]> {
  const params: Bindable[] = [];
  const rows = await db.all(
    `SELECT c.*, r.sweep_id, r.kind FROM costs c JOIN runs r ON r.run_id = c.run_id ${selectorWhere(sel, 'c', params)}
     ORDER BY r.run_seq, c.component`,
    params,
  );
  return rows.map((c) => ({
    runId: String(c.run_id),
    sweepId: String(c.sweep_id),
    kind: c.kind as CostRecord['kind'],
    component: String(c.component),
    device: str(c.device),
    hours: num(c.hours),
    tokens: num(c.tokens),
    usd: num(c.usd),
    priceSource: str(c.price_source),
  }));
}

/** artifacts rows (adapter, checkpoint, ...) for a sweep and/or runs. */
export async function artifacts(db: Db, sel: ResultSelector): Promise<ArtifactRecord[]> {
  const params: Bindable[] = [];
  const rows = await db.all(
    `SELECT a.*, r.sweep_id FROM artifacts a JOIN runs r ON r.run_id = a.run_id ${selectorWhere(sel, 'a', params)} ORDER BY r.run_seq, a.kind, a.path`,
    params,
  );
  return rows.map((a) => ({
    runId: String(a.run_id),
    sweepId: String(a.sweep_id),
    kind: String(a.kind),
    path: String(a.path),
    bytes: num(a.bytes),
    sha256: str(a.sha256),
  }));
}

/**
 * Curve points of the given runs, ordered by run, split, name, step. `maxPoints` thins each curve to
 * every k-th point (k = ceil(points / maxPoints)) plus its last point, for charts.
 */
export async function stepMetrics(db: Db, runIds: string[], options: StepMetricsOptions = {}): Promise<StepMetricRecord[]> {
  if (runIds.length === 0) return [];
  const params: Bindable[] = [list(runIds)];
  const filters: string[] = [];
  if (options.split) {
    params.push(options.split);
    filters.push(`s.split = $${params.length}`);
  }
  if (options.names) {
    params.push(list(options.names));
    filters.push(`list_contains($${params.length}::VARCHAR[], s.name)`);
  }
  let thin = '';
  if (options.maxPoints && options.maxPoints > 0) {
    params.push(Math.floor(options.maxPoints));
    thin = `QUALIFY (row_number() OVER w - 1) % greatest(1, ceil(count(*) OVER w / $${params.length})::INTEGER) = 0
            OR row_number() OVER w = count(*) OVER w`;
  }
  const rows = await db.all(
    `SELECT r.run_id, p.step, p.epoch, s.split, s.name, p.value, r.run_seq
     FROM step_metric_points p
     JOIN (SELECT run_id, run_seq FROM runs WHERE run_id IN (SELECT unnest($1::VARCHAR[]))) r ON r.run_seq = p.run_seq
     JOIN step_series s ON s.series_id = p.series_id
     ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''}
     ${thin ? `WINDOW w AS (PARTITION BY p.run_seq, p.series_id ORDER BY p.step ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ${thin}` : ''}
     ORDER BY r.run_seq, s.split, s.name, p.step`,
    params,
  );
  return rows.map((r) => ({
    runId: String(r.run_id),
    step: Number(r.step),
    epoch: num(r.epoch),
    split: String(r.split),
    name: String(r.name),
    value: num(r.value),
  }));
}

const SWEEP_SELECT = `
  SELECT s.*, e.name AS experiment, e.spec_path, e.spec_hash,
    (SELECT count(*) FROM runs r WHERE r.sweep_id = s.sweep_id AND r.kind = 'variant') AS total,
    ${RUN_STATUSES.map((st) => `(SELECT count(*) FROM runs r WHERE r.sweep_id = s.sweep_id AND r.kind = 'variant' AND r.status = '${st}') AS n_${st}`).join(',\n    ')}
  FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id`;

function toSweepRecord(s: PlainRow): SweepRecord {
  const runCounts = { total: Number(s.total ?? 0) } as Record<RunStatus | 'total', number>;
  for (const st of RUN_STATUSES) runCounts[st] = Number(s[`n_${st}`] ?? 0);
  return {
    sweepId: String(s.sweep_id),
    experimentId: String(s.experiment_id),
    experiment: str(s.experiment),
    status: s.status as SweepRecord['status'],
    startedAt: String(s.started_at),
    finishedAt: str(s.finished_at),
    gitCommit: str(s.git_commit),
    host: str(s.host),
    backend: str(s.backend),
    baseModel: str(s.base_model),
    objective: { metric: String(s.objective_metric), goal: s.objective_goal as 'minimize' | 'maximize' },
    runCounts,
  };
}

/** Every sweep, newest first, with run counts by status. */
export async function listSweeps(db: Db): Promise<SweepRecord[]> {
  const rows = await db.all(`${SWEEP_SELECT} ORDER BY s.started_at DESC, s.sweep_id DESC`);
  return rows.map(toSweepRecord);
}

/** The newest sweep (of one experiment when given), or null. */
export async function latestSweep(db: Db, experimentId?: string): Promise<SweepRecord | null> {
  const rows = experimentId
    ? await db.all(`${SWEEP_SELECT} WHERE s.experiment_id = $1 ORDER BY s.started_at DESC, s.sweep_id DESC LIMIT 1`, [experimentId])
    : await db.all(`${SWEEP_SELECT} ORDER BY s.started_at DESC, s.sweep_id DESC LIMIT 1`);
  return rows[0] ? toSweepRecord(rows[0]) : null;
}

/**
 * One sweep with its spec, limits and dataset manifest parsed. `latest` is accepted.
 * @throws UserInputError unknown sweep
 */
export async function getSweep(db: Db, sweepId: string): Promise<SweepDetail> {
  const id = await resolveSweepId(db, sweepId);
  const s = (await db.all(`${SWEEP_SELECT} WHERE s.sweep_id = $1`, [id]))[0]!;
  return {
    ...toSweepRecord(s),
    specPath: str(s.spec_path),
    specHash: str(s.spec_hash),
    spec: parseJson(s.spec_json),
    limits: parseJson(s.limits_json),
    datasetManifest: parseJson(s.dataset_manifest_json),
  };
}

/** Every variant run of a sweep, in start order. `latest` is accepted. */
export async function sweepRuns(db: Db, sweepId: string): Promise<RunRecord[]> {
  return (await listRuns(db, { sweep: sweepId })).runs;
}

/** The `run_summary` columns holding hyperparameters (snake_case), for tables that show params. */
export function paramColumnNames(): { param: string; column: string }[] {
  return paramColumns().map(({ param, column }) => ({ param, column }));
}

/** A sweep's base model as its spec named it, for resolving the folder (`fte serve`). */
export interface SweepBaseRecord {
  sweepId: string;
  experiment: string | null;
  /** `sweeps.base_model`: the spec's `model.base` as written (a path, relative to the spec or the working directory, or a built-in name). */
  baseModel: string | null;
  /** `experiments.spec_path`: the spec file as the sweep was given it (relative to that sweep's working directory). */
  specPath: string | null;
  startedAt: string;
}

/** A completed variant run and its checkpoint folder (`fte serve`). */
export interface RunCheckpointRecord {
  runId: string;
  sweepId: string;
  experiment: string | null;
  method: string | null;
  finishedAt: string | null;
  /**
   * The checkpoint folder: `runs.checkpoint_path`, else the folder of the run's `adapter_config` /
   * `config` artifact; null when neither is recorded. Not checked on disk.
   */
  checkpointDir: string | null;
}

/**
 * What `fte serve` can serve: every sweep with its base model (newest first) and every completed
 * variant run with its checkpoint folder (in start order).
 */
export async function servingCatalog(db: Db): Promise<{ sweeps: SweepBaseRecord[]; runs: RunCheckpointRecord[] }> {
  const sweeps = await db.all(
    `SELECT s.sweep_id, e.name AS experiment, s.base_model, e.spec_path, s.started_at
     FROM sweeps s LEFT JOIN experiments e ON e.experiment_id = s.experiment_id
     ORDER BY s.started_at DESC, s.sweep_id DESC`,
  );
  const runs = await db.all(
    `SELECT r.run_id, r.sweep_id, e.name AS experiment, r.method, r.finished_at, r.checkpoint_path,
       (SELECT min(a.path) FROM artifacts a WHERE a.run_id = r.run_id AND a.kind IN ('adapter_config', 'config')) AS config_file
     FROM runs r JOIN sweeps s ON s.sweep_id = r.sweep_id LEFT JOIN experiments e ON e.experiment_id = s.experiment_id
     WHERE r.kind = 'variant' AND r.status = 'completed'
     ORDER BY r.run_seq`,
  );
  return {
    sweeps: sweeps.map((s) => ({ sweepId: String(s.sweep_id), experiment: str(s.experiment), baseModel: str(s.base_model), specPath: str(s.spec_path), startedAt: String(s.started_at) })),
    runs: runs.map((r) => {
      const configFile = str(r.config_file);
      const dir = str(r.checkpoint_path) ?? (configFile === null ? null : dirname(configFile));
      return { runId: String(r.run_id), sweepId: String(r.sweep_id), experiment: str(r.experiment), method: str(r.method), finishedAt: str(r.finished_at), checkpointDir: dir };
    }),
  };
}
