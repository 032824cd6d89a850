/**
 * fte's DuckDB schema: the tables, the `run_summary` view and forward migrations.
 *
 * Layout (names kept stable so SQL written against them keeps working):
 *   schema_version(version, description, applied_at)
 *   experiments(experiment_id, name, spec_path, spec_hash, created_at, updated_at, objective_metric, objective_goal)
 *   sweeps(sweep_id, experiment_id, status, started_at, finished_at, git_commit, host, backend, spec_json,
 *          limits_json, dataset_manifest_json, base_model, objective_metric, objective_goal)
 *   runs(run_id, sweep_id, variant_key, method, status, started_at, finished_at, wall_seconds, device, backend,
 *        tokens_trained, trainable_params, total_params, adapter_bytes, peak_memory_bytes, best_step,
 *        checkpoint_path, error, + run_seq, kind, steps, best_val_loss, final_val_loss, stopped_early,
 *        base_weight_bytes, divergence_reason, estimated_memory_bytes, host, planned_steps)
 *     -- peak_memory_bytes: MEASURED training peak (live tfjs tensor bytes, each buffer once, tracked at
 *     -- every allocation; src/train/memory-meter.ts), from schema 5 on (before: the estimate);
 *     -- estimated_memory_bytes: the pre-training estimate (src/train/memory.ts), NULL before schema 5
 *     -- host: the machine that ran the run (os.hostname() of the local sweep, or of the `fte worker`
 *     -- that took its queue job); NULL in runs stored before schema 7
 *     -- status: queued -> running -> completed | failed | diverged | interrupted | stopped (schema 10:
 *     -- ended early by the sweep's hyperband early termination; curves kept, not evaluated)
 *     -- planned_steps: the optimizer steps the run would have trained (steps: those it trained); NULL
 *     -- in runs stored before schema 11
 *   run_params(run_id, name, value_double, value_text, value_json)      -- long form, one row per hyperparameter
 *     -- plus, written when a variant's training ends: promptFormat (chat_template | flat | mixed: how
 *     -- its training examples became text) and chatTemplate (the template's model folder/file and
 *     -- sha256, when used); absent in runs stored before fte recorded them
 *   step_metrics(run_id, step, epoch, split, name, value)               -- a VIEW, see below
 *   eval_results(run_id, subject, perturbation, slice, metric, value, n, signature, split, ci_low, ci_high, ci_signature)
 *     -- subject: finetuned | majority | a baseline or extra model by name (base, prompting, rag by
 *     -- default; see subjects); split 'val' (selection: the objective)
 *     -- or 'test' (the held-out result) or 'ood' (schema 11: the out-of-distribution examples, scored like test); ci_low/ci_high: 95% bootstrap interval of value (same unit),
 *     -- NULL where undefined; ci_signature names the procedure (resamples, seed, corpus/mean level)
 *     -- perturbation: 'none' (clean, whole slice); '<p>' (perturbed, only the examples p changed:
 *     -- n = changed count, as HELM); '<p>:original' (clean, those same examples: drop = paired
 *     -- difference of the two; n = 0 and value NULL when p changed none); 'worst_case' (per example
 *     -- worst of clean and every perturbation, whole slice). See src/eval/evaluate.ts.
 *   confusion_matrix(run_id, subject, split, slice, gold, predicted, count)
 *     -- classification slices, clean inputs; predicted NULL = an invalid answer (maps to no label)
 *   predictions(run_id, subject, perturbation, example_id, input, reference, prediction, scores_json, category, labels_json,
 *               prompt_tokens, completion_tokens, error, cached, demonstrations, demonstrations_dropped, tokens_cut, split)
 *     -- split: 'test' or 'ood' (schema 11; rows before it are test)
 *     -- category: the example's slice (NULL when uncategorised); labels_json: its classification
 *     -- slice's fixed label set (JSON array; NULL otherwise), so two subjects can be paired per slice;
 *     -- prompt/completion_tokens: the request's usage as the provider reported it (NULL when it reported none); error: why the
 *     -- request failed (scored as an empty answer); demonstrations(_dropped), tokens_cut: what a local
 *     -- model's context cut (NULL in rows written before schema 4)
 *   subjects(run_id, subject, kind, prompt, k, provider, model, endpoint, examples, answered, requests, errors, first_error,
 *            cached, demonstrations_dropped, inputs_cut, no_demonstrations, prompt_tokens, completion_tokens, wall_seconds,
 *            api_prompt_tokens, api_completion_tokens, api_tokenizer, usage_not_reported, prompt_format, chat_template)
 *     -- how each subject was evaluated: kind finetuned | base | prompting | rag | model; provider local |
 *     -- openai; counts over clean examples except requests / errors / cached (every request);
 *     -- api_*: the same answered requests counted with an OpenAI tokenizer (api_tokenizer, o200k_base),
 *     -- the prompts as built before any truncation (NULL when the tokenizer is not installed, and before schema 5);
 *     -- usage_not_reported: clean answered requests whose API reported no (or no sane) usage, so prompt/completion_tokens
 *     -- leave them out and cost estimates their tokens (0 for local models; NULL before schema 9: unknown)
 *     -- prompt_format: how the model read the clean prompts (src/providers/chat-text.ts PromptFormat:
 *     -- chat_template, flat, mixed, messages for an API); chat_template: the template's model folder/file
 *     -- and sha256 when one was used; both NULL for majority and before schema 11
 *   reviews(run_id, example_id, reviewer, seq, rubric_json, baseline_subject, baseline_run_id, run_position,
 *           run_scores_json, baseline_scores_json, preference, note, complete, source, updated_at)
 *     -- fte review: one row per (run, example, reviewer), rewritten after every answer (complete once all
 *     -- are given); the baseline's output was shown blind at position A or B (run_position is the run's);
 *     -- scores_json: {item: 1..5}; preference run | baseline | tie (NULL: not given); source terminal | csv
 *   costs(run_id, component, device, hours, tokens, usd, price_source)
 *   artifacts(run_id, kind, path, bytes, sha256)
 *   run_summary                                                          -- a VIEW, one row per variant run
 *
 * Step metrics are the one large table (10,000 runs x 1,000 steps x 3 metrics = 30 M rows). They are
 * stored all-numeric in `step_metric_points(run_seq, step, epoch, series_id, value)` with the
 * `(split, name)` pairs in `step_series`, and exposed as the view `step_metrics` with the documented
 * columns. Reason (measured, bench/README.md): the client appends numeric columns from typed arrays
 * but each VARCHAR value with one native call, so three strings per row capped ingest near 0.6 M rows/s,
 * and an integer `run_seq` lets DuckDB's row-group min/max (zonemaps) skip everything but one run's
 * points when `fte show` reads a curve.
 *
 * Baselines (untuned base model, prompting, RAG) are evaluated once per sweep and stored under a
 * pseudo-run `<sweep_id>:baselines` with `runs.kind = 'baselines'` (its `total_params`: the local base
 * model's parameter count, when one was loaded); `run_summary` and run listings only show `kind = 'variant'`.
 *
 * No foreign-key constraints: DuckDB checks them eagerly and they forbid updating referenced rows;
 * the keys are documented above and kept by the one writer (src/store/writer.ts).
 */
import { paramsSchema } from '../experiment/schema.js';
import type { TxHandle } from './db.js';

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = 13;

/** One forward migration: DDL run in one transaction, then `schema_version` gets a row. */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

const RUN_STATUSES = `('queued', 'running', 'completed', 'failed', 'diverged', 'interrupted')`;
/** Run statuses from schema 6 on: `stopped` (ended early by the sweep's hyperband early termination). */
const RUN_STATUSES_V10 = `('queued', 'running', 'completed', 'failed', 'diverged', 'interrupted', 'stopped')`;
export const SWEEP_STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;

/** Forward migrations, in order. Never edit a shipped one: add the next. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'experiments, sweeps, runs, params, step metrics, eval results, predictions, costs, artifacts',
    statements: [
      `CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        description VARCHAR NOT NULL,
        applied_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE experiments (
        experiment_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        spec_path VARCHAR,
        spec_hash VARCHAR,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP,
        objective_metric VARCHAR NOT NULL DEFAULT 'val_loss',
        objective_goal VARCHAR NOT NULL DEFAULT 'minimize' CHECK (objective_goal IN ('minimize', 'maximize'))
      )`,
      `CREATE TABLE sweeps (
        sweep_id VARCHAR PRIMARY KEY,
        experiment_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        git_commit VARCHAR,
        host VARCHAR,
        backend VARCHAR,
        spec_json VARCHAR,
        limits_json VARCHAR,
        dataset_manifest_json VARCHAR,
        base_model VARCHAR,
        objective_metric VARCHAR NOT NULL DEFAULT 'val_loss',
        objective_goal VARCHAR NOT NULL DEFAULT 'minimize' CHECK (objective_goal IN ('minimize', 'maximize'))
      )`,
      `CREATE SEQUENCE run_seq_counter START 1`,
      `CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        run_seq INTEGER NOT NULL DEFAULT nextval('run_seq_counter'),
        sweep_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL DEFAULT 'variant' CHECK (kind IN ('variant', 'baselines')),
        variant_key VARCHAR,
        method VARCHAR,
        status VARCHAR NOT NULL CHECK (status IN ${RUN_STATUSES}),
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        wall_seconds DOUBLE,
        device VARCHAR,
        backend VARCHAR,
        tokens_trained BIGINT,
        trainable_params BIGINT,
        total_params BIGINT,
        adapter_bytes BIGINT,
        peak_memory_bytes BIGINT,
        base_weight_bytes BIGINT,
        best_step INTEGER,
        steps INTEGER,
        best_val_loss DOUBLE,
        final_val_loss DOUBLE,
        stopped_early BOOLEAN,
        divergence_reason VARCHAR,
        checkpoint_path VARCHAR,
        error VARCHAR
      )`,
      `CREATE TABLE run_params (
        run_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        value_double DOUBLE,
        value_text VARCHAR,
        value_json VARCHAR NOT NULL
      )`,
      `CREATE TABLE step_series (
        series_id USMALLINT PRIMARY KEY,
        split VARCHAR NOT NULL,
        name VARCHAR NOT NULL
      )`,
      `CREATE TABLE step_metric_points (
        run_seq INTEGER NOT NULL,
        step INTEGER NOT NULL,
        epoch DOUBLE,
        series_id USMALLINT NOT NULL,
        value DOUBLE
      )`,
      `CREATE VIEW step_metrics AS
        SELECT r.run_id, p.step, p.epoch, s.split, s.name, p.value
        FROM step_metric_points p
        JOIN runs r ON r.run_seq = p.run_seq
        JOIN step_series s ON s.series_id = p.series_id`,
      `CREATE TABLE eval_results (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL CHECK (subject IN ('finetuned', 'base', 'prompting', 'rag')),
        perturbation VARCHAR NOT NULL,
        slice VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        n INTEGER,
        signature VARCHAR
      )`,
      `CREATE TABLE predictions (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        perturbation VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        input VARCHAR,
        reference VARCHAR,
        prediction VARCHAR,
        scores_json VARCHAR
      )`,
      `CREATE TABLE costs (
        run_id VARCHAR NOT NULL,
        component VARCHAR NOT NULL,
        device VARCHAR,
        hours DOUBLE,
        tokens BIGINT,
        usd DOUBLE,
        price_source VARCHAR
      )`,
      `CREATE TABLE artifacts (
        run_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        bytes BIGINT,
        sha256 VARCHAR
      )`,
    ],
  },
  {
    version: 2,
    description: "eval_results: split (val | test; existing rows test), 95% intervals (ci_low, ci_high, ci_signature), subject majority; confusion_matrix",
    statements: [
      `CREATE TABLE eval_results_v2 (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL CHECK (subject IN ('finetuned', 'base', 'prompting', 'rag', 'majority')),
        perturbation VARCHAR NOT NULL,
        slice VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        n INTEGER,
        signature VARCHAR,
        split VARCHAR NOT NULL DEFAULT 'test' CHECK (split IN ('val', 'test')),
        ci_low DOUBLE,
        ci_high DOUBLE,
        ci_signature VARCHAR
      )`,
      `INSERT INTO eval_results_v2 (run_id, subject, perturbation, slice, metric, value, n, signature, split)
        SELECT run_id, subject, perturbation, slice, metric, value, n, signature, 'test' FROM eval_results`,
      `DROP VIEW IF EXISTS run_summary`,
      `DROP TABLE eval_results`,
      `ALTER TABLE eval_results_v2 RENAME TO eval_results`,
      `CREATE TABLE confusion_matrix (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        split VARCHAR NOT NULL CHECK (split IN ('val', 'test')),
        slice VARCHAR NOT NULL,
        gold VARCHAR NOT NULL,
        predicted VARCHAR,
        count INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    description: 'predictions: category (the example\'s slice) and labels_json (its fixed label set) for paired tests per slice',
    statements: [`ALTER TABLE predictions ADD COLUMN category VARCHAR`, `ALTER TABLE predictions ADD COLUMN labels_json VARCHAR`],
  },
  {
    version: 4,
    description: 'providers: subjects by name (eval_results.subject unrestricted), subjects table (provider, model, errors, truncation), per-request usage, errors and truncation in predictions',
    statements: [
      `CREATE TABLE eval_results_v4 (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL CHECK (subject <> ''),
        perturbation VARCHAR NOT NULL,
        slice VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        n INTEGER,
        signature VARCHAR,
        split VARCHAR NOT NULL DEFAULT 'test' CHECK (split IN ('val', 'test')),
        ci_low DOUBLE,
        ci_high DOUBLE,
        ci_signature VARCHAR
      )`,
      `INSERT INTO eval_results_v4 SELECT run_id, subject, perturbation, slice, metric, value, n, signature, split, ci_low, ci_high, ci_signature FROM eval_results`,
      `DROP VIEW IF EXISTS run_summary`,
      `DROP TABLE eval_results`,
      `ALTER TABLE eval_results_v4 RENAME TO eval_results`,
      `ALTER TABLE predictions ADD COLUMN prompt_tokens INTEGER`,
      `ALTER TABLE predictions ADD COLUMN completion_tokens INTEGER`,
      `ALTER TABLE predictions ADD COLUMN error VARCHAR`,
      `ALTER TABLE predictions ADD COLUMN cached BOOLEAN`,
      `ALTER TABLE predictions ADD COLUMN demonstrations INTEGER`,
      `ALTER TABLE predictions ADD COLUMN demonstrations_dropped INTEGER`,
      `ALTER TABLE predictions ADD COLUMN tokens_cut INTEGER`,
      `CREATE TABLE subjects (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        prompt VARCHAR NOT NULL,
        k INTEGER NOT NULL,
        provider VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        endpoint VARCHAR NOT NULL,
        examples INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        first_error VARCHAR,
        cached INTEGER NOT NULL,
        demonstrations_dropped INTEGER NOT NULL,
        inputs_cut INTEGER NOT NULL,
        no_demonstrations INTEGER NOT NULL,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        wall_seconds DOUBLE
      )`,
    ],
  },
  {
    version: 5,
    description: 'subjects: the clean requests counted with an OpenAI tokenizer (api_prompt_tokens, api_completion_tokens, api_tokenizer) for the fte roi --api-model what-if',
    statements: [
      `ALTER TABLE subjects ADD COLUMN api_prompt_tokens BIGINT`,
      `ALTER TABLE subjects ADD COLUMN api_completion_tokens BIGINT`,
      `ALTER TABLE subjects ADD COLUMN api_tokenizer VARCHAR`,
    ],
  },
  {
    version: 6,
    description: 'runs.estimated_memory_bytes: the pre-training memory estimate; peak_memory_bytes is measured from now on',
    statements: [`ALTER TABLE runs ADD COLUMN estimated_memory_bytes BIGINT`],
  },
  {
    version: 7,
    description: 'runs.host: the machine that ran each run (sweeps across machines: fte worker on other hosts)',
    statements: [`ALTER TABLE runs ADD COLUMN host VARCHAR`],
  },
  {
    version: 8,
    description: 'reviews: human review of a run\'s test outputs (fte review): rubric scores of the run\'s and a blind, shuffled baseline\'s output, the preference and a note, saved as given',
    statements: [
      `CREATE TABLE reviews (
        run_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        reviewer VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        rubric_json VARCHAR NOT NULL,
        baseline_subject VARCHAR,
        baseline_run_id VARCHAR,
        run_position VARCHAR CHECK (run_position IN ('A', 'B')),
        run_scores_json VARCHAR NOT NULL,
        baseline_scores_json VARCHAR NOT NULL,
        preference VARCHAR CHECK (preference IN ('run', 'baseline', 'tie')),
        note VARCHAR,
        complete BOOLEAN NOT NULL,
        source VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
    ],
  },
  {
    version: 9,
    description: 'subjects: usage_not_reported (clean answered requests whose API reported no usage; their tokens are estimated, never priced as 0)',
    statements: [`ALTER TABLE subjects ADD COLUMN usage_not_reported INTEGER`],
  },
  {
    version: 10,
    description: "runs.status: 'stopped' (a run ended early by the sweep's hyperband early termination; curves kept, not evaluated)",
    statements: [
      // DuckDB cannot alter a CHECK constraint: the runs table is rebuilt with the same columns.
      `DROP VIEW IF EXISTS run_summary`,
      `DROP VIEW IF EXISTS step_metrics`,
      `CREATE TABLE runs_v10 (
        run_id VARCHAR PRIMARY KEY,
        run_seq INTEGER NOT NULL DEFAULT nextval('run_seq_counter'),
        sweep_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL DEFAULT 'variant' CHECK (kind IN ('variant', 'baselines')),
        variant_key VARCHAR,
        method VARCHAR,
        status VARCHAR NOT NULL CHECK (status IN ${RUN_STATUSES_V10}),
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        wall_seconds DOUBLE,
        device VARCHAR,
        backend VARCHAR,
        tokens_trained BIGINT,
        trainable_params BIGINT,
        total_params BIGINT,
        adapter_bytes BIGINT,
        peak_memory_bytes BIGINT,
        base_weight_bytes BIGINT,
        best_step INTEGER,
        steps INTEGER,
        best_val_loss DOUBLE,
        final_val_loss DOUBLE,
        stopped_early BOOLEAN,
        divergence_reason VARCHAR,
        checkpoint_path VARCHAR,
        error VARCHAR,
        estimated_memory_bytes BIGINT,
        host VARCHAR
      )`,
      `INSERT INTO runs_v10 SELECT run_id, run_seq, sweep_id, kind, variant_key, method, status, started_at, finished_at, wall_seconds, device, backend,
        tokens_trained, trainable_params, total_params, adapter_bytes, peak_memory_bytes, base_weight_bytes, best_step, steps, best_val_loss,
        final_val_loss, stopped_early, divergence_reason, checkpoint_path, error, estimated_memory_bytes, host FROM runs`,
      `DROP TABLE runs`,
      `ALTER TABLE runs_v10 RENAME TO runs`,
      `CREATE VIEW step_metrics AS
        SELECT r.run_id, p.step, p.epoch, s.split, s.name, p.value
        FROM step_metric_points p
        JOIN runs r ON r.run_seq = p.run_seq
        JOIN step_series s ON s.series_id = p.series_id`,
    ],
  },
  {
    version: 11,
    description: "split 'ood': out-of-distribution test examples in eval_results, confusion_matrix and predictions (predictions.split; existing rows test)",
    statements: [
      // DuckDB cannot alter a CHECK constraint: eval_results and confusion_matrix are rebuilt with the same columns.
      `DROP VIEW IF EXISTS run_summary`,
      `CREATE TABLE eval_results_v11 (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL CHECK (subject <> ''),
        perturbation VARCHAR NOT NULL,
        slice VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        n INTEGER,
        signature VARCHAR,
        split VARCHAR NOT NULL DEFAULT 'test' CHECK (split IN ('val', 'test', 'ood')),
        ci_low DOUBLE,
        ci_high DOUBLE,
        ci_signature VARCHAR
      )`,
      `INSERT INTO eval_results_v11 SELECT run_id, subject, perturbation, slice, metric, value, n, signature, split, ci_low, ci_high, ci_signature FROM eval_results`,
      `DROP TABLE eval_results`,
      `ALTER TABLE eval_results_v11 RENAME TO eval_results`,
      `CREATE TABLE confusion_matrix_v11 (
        run_id VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        split VARCHAR NOT NULL CHECK (split IN ('val', 'test', 'ood')),
        slice VARCHAR NOT NULL,
        gold VARCHAR NOT NULL,
        predicted VARCHAR,
        count INTEGER NOT NULL
      )`,
      `INSERT INTO confusion_matrix_v11 SELECT run_id, subject, split, slice, gold, predicted, count FROM confusion_matrix`,
      `DROP TABLE confusion_matrix`,
      `ALTER TABLE confusion_matrix_v11 RENAME TO confusion_matrix`,
      `ALTER TABLE predictions ADD COLUMN split VARCHAR DEFAULT 'test'`,
    ],
  },
  {
    version: 12,
    description: 'subjects: prompt_format (chat_template | flat | mixed | messages: how the model read the prompts) and chat_template (the template used)',
    statements: [`ALTER TABLE subjects ADD COLUMN prompt_format VARCHAR`, `ALTER TABLE subjects ADD COLUMN chat_template VARCHAR`],
  },
  {
    version: 13,
    description: 'runs.planned_steps: the optimizer steps a run would have trained (a run stopped by hyperband: planned minus trained is what it did not spend)',
    statements: [`ALTER TABLE runs ADD COLUMN planned_steps INTEGER`],
  },
];

/** How a hyperparameter becomes a `run_summary` column. */
export interface ParamColumn {
  /** Name as in the spec and in `run_params.name` (`learningRate`). */
  param: string;
  /** Column name in `run_summary` (snake_case: `learning_rate`). */
  column: string;
  kind: 'double' | 'text' | 'boolean';
}

/** `learningRate` -> `learning_rate`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The hyperparameters pivoted into `run_summary`: every field of the spec's `params` schema. */
export function paramColumns(): ParamColumn[] {
  const defaults = paramsSchema.parse({}) as Record<string, unknown>;
  return Object.keys(paramsSchema.shape).map((param) => {
    const d = defaults[param];
    const kind: ParamColumn['kind'] = typeof d === 'boolean' ? 'boolean' : typeof d === 'string' || Array.isArray(d) ? 'text' : 'double';
    return { param, column: snakeCase(param), kind };
  });
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * One row per run matching `where` (SQL over `r`, the runs table; parameters allowed): every runs
 * column plus `experiment_id`, `experiment`, `objective_metric`, `objective_goal`, and the computed
 * - `perplexity`: eval_results finetuned / test / none / all / perplexity (the held-out figure);
 * - `objective`: the sweep's objective (`objective_metric`, `objective_goal`), always a VALIDATION
 *   number, so that ranking never looks at test: `val_loss` is the best validation loss (the
 *   checkpoint that is kept and evaluated), falling back to the final one; `<slice>/<metric>` (or a
 *   bare `<metric>`, meaning slice `all`) is eval_results for subject `finetuned`, perturbation
 *   `none`, split `val`. Fallback: a run stored before schema 2 has no `val` rows; its objective is
 *   then its `test` value (the only number it has), and `objective_split` says so;
 * - `objective_split`: `val`, or `test` for that fallback (NULL when there is no objective value);
 * - `usd`: the sum of the run's costs rows.
 * The one definition of these figures: `run_summary` and the record queries (src/store/queries.ts)
 * both use it, the latter with a narrow `where` so only the listed runs' results are read.
 */
export function runMetricsSql(where: string): string {
  const m = 's.objective_metric';
  return `WITH b AS (
  SELECT r.*, s.experiment_id, e.name AS experiment, ${m}, s.objective_goal,
    CASE WHEN strpos(${m}, '/') > 0 THEN split_part(${m}, '/', 1) ELSE 'all' END AS objective_slice,
    CASE WHEN strpos(${m}, '/') > 0 THEN substr(${m}, strpos(${m}, '/') + 1) ELSE ${m} END AS objective_name
  FROM runs r
  JOIN sweeps s ON s.sweep_id = r.sweep_id
  LEFT JOIN experiments e ON e.experiment_id = s.experiment_id
  WHERE ${where}
),
fin AS (
  SELECT run_id, split, slice, metric, max(value) AS value
  FROM eval_results
  WHERE subject = 'finetuned' AND perturbation = 'none' AND run_id IN (SELECT run_id FROM b)
    AND ((slice = 'all' AND metric = 'perplexity') OR (slice, metric) IN (SELECT DISTINCT objective_slice, objective_name FROM b))
  GROUP BY run_id, split, slice, metric
),
cost AS (SELECT run_id, sum(usd) AS usd FROM costs WHERE run_id IN (SELECT run_id FROM b) GROUP BY run_id)
SELECT b.* EXCLUDE (objective_slice, objective_name), ppl.value AS perplexity,
  CASE WHEN b.objective_metric = 'val_loss' THEN coalesce(b.best_val_loss, b.final_val_loss)
       WHEN ov.run_id IS NOT NULL THEN ov.value
       WHEN NOT EXISTS (SELECT 1 FROM fin x WHERE x.run_id = b.run_id AND x.split = 'val') THEN ot.value END AS objective,
  CASE WHEN b.objective_metric = 'val_loss' THEN CASE WHEN coalesce(b.best_val_loss, b.final_val_loss) IS NOT NULL THEN 'val' END
       WHEN ov.value IS NOT NULL THEN 'val'
       WHEN ot.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fin x WHERE x.run_id = b.run_id AND x.split = 'val') THEN 'test' END AS objective_split,
  cost.usd
FROM b
LEFT JOIN fin ppl ON ppl.run_id = b.run_id AND ppl.split = 'test' AND ppl.slice = 'all' AND ppl.metric = 'perplexity'
LEFT JOIN fin ov ON ov.run_id = b.run_id AND ov.split = 'val' AND ov.slice = b.objective_slice AND ov.metric = b.objective_name
LEFT JOIN fin ot ON ot.run_id = b.run_id AND ot.split = 'test' AND ot.slice = b.objective_slice AND ot.metric = b.objective_name
LEFT JOIN cost ON cost.run_id = b.run_id`;
}

/**
 * `run_summary`: one row per variant run (baseline pseudo-runs excluded) with its hyperparameters
 * pivoted to snake_case columns (`learning_rate`, `target_modules`...) and its main metrics
 * (`best_val_loss`, `final_val_loss`, `perplexity`, `objective`, `usd`; see runMetricsSql).
 * Regenerated on every writable open, so new spec params appear as columns.
 */
export function runSummarySql(): string {
  const pivots = paramColumns().map(({ param, column, kind }) => {
    const where = `FILTER (WHERE name = ${sqlString(param)})`;
    if (kind === 'double') return `max(value_double) ${where} AS ${column}`;
    if (kind === 'boolean') return `bool_or(value_double <> 0) ${where} AS ${column}`;
    return `max(value_text) ${where} AS ${column}`;
  });
  return `CREATE OR REPLACE VIEW run_summary AS
WITH p AS (
  SELECT run_id, ${pivots.join(',\n    ')}
  FROM run_params GROUP BY run_id
)
SELECT m.run_id, m.run_seq, m.sweep_id, m.experiment_id, m.experiment, m.variant_key, m.method, m.status,
  m.started_at, m.finished_at, m.wall_seconds, m.device, m.backend, m.host,
  ${paramColumns().map((c) => `p.${c.column}`).join(', ')},
  m.steps, m.planned_steps, m.best_step, m.stopped_early, m.best_val_loss, m.final_val_loss, m.perplexity,
  m.objective_metric, m.objective_goal, m.objective, m.objective_split,
  m.tokens_trained, m.trainable_params, m.total_params, m.adapter_bytes, m.peak_memory_bytes, m.estimated_memory_bytes, m.base_weight_bytes,
  m.usd, m.divergence_reason, m.error
FROM (${runMetricsSql(`r.kind = 'variant'`)}) m
LEFT JOIN p ON p.run_id = m.run_id`;
}

/** The version recorded in the file, or null when it has no `schema_version` table (empty or foreign database). */
export async function readSchemaVersion(tx: Pick<TxHandle, 'all'>): Promise<number | null> {
  const t = await tx.all<{ n: number }>(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'schema_version' AND schema_name = 'main' AND database_name = current_database()`,
  );
  if (!t[0] || t[0].n === 0) return null;
  const v = await tx.all<{ v: number | null }>(`SELECT max(version) AS v FROM schema_version`);
  return v[0]?.v ?? 0;
}

/**
 * Apply every migration above `from`, each in its own transaction, then refresh `run_summary` (when
 * the list reaches this build's schema: a test that builds an older store stops short of it), then
 * CHECKPOINT when anything was applied. The checkpoint keeps DDL out of the write-ahead log: DuckDB
 * (1.5) cannot replay an `ALTER TABLE runs ...` from the WAL after a crash (runs.run_seq's default
 * calls nextval: "Calling DatabaseManager::GetDefaultDatabase with no default database set"), so a
 * process killed right after migrating would leave a store that no longer opens.
 * @returns the versions applied (empty when already current).
 */
export async function migrate(tx: TxHandle, from: number, nowSql: string, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    await tx.transaction(async (t) => {
      for (const s of m.statements) await t.run(s);
      await t.run(`INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3::TIMESTAMP)`, [m.version, m.description, nowSql]);
    });
    applied.push(m.version);
  }
  const last = Math.max(from, ...migrations.map((m) => m.version));
  if (last >= SCHEMA_VERSION) await tx.run(runSummarySql());
  if (applied.length > 0) await tx.run('CHECKPOINT');
  return applied;
}
