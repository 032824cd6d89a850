/**
 * The store read behind `fte roi`: everything src/cost's `computeSweepRoi` needs about one sweep, as
 * plain records (no pricing, no metric direction, no messages beyond "no sweep").
 */
import { UserInputError } from '../errors.js';
import type { Subject } from '../eval/types.js';
import type { Db } from './db.js';
import { bestRun, costs, evalResults, getSweep, latestSweep, listSweeps, subjectRecords, sweepRuns, type CostRecord, type EvalResultRecord, type RunRecord, type SubjectRecord, type SweepDetail, type SweepRecord } from './queries.js';
import { baselineRunId } from './types.js';

/** Mean clean-input prompt and prediction lengths (characters) of one subject in one run. */
export interface PredictionLengths {
  runId: string;
  subject: Subject;
  /** Predictions averaged (perturbation `none`). */
  n: number;
  /** Mean `length(input)` in characters (Unicode code points, DuckDB `length`); a null input counts 0. */
  meanInputChars: number;
  /** Mean `length(prediction)` in characters; a null prediction counts 0. */
  meanOutputChars: number;
}

/** What `computeSweepRoi` (src/cost/sweep-roi.ts) reads from the store for one sweep. */
export interface RoiInputs {
  /** The store's file, for messages. */
  dbFile: string;
  sweep: SweepDetail;
  /** The sweep's variant runs, in start order. */
  runs: RunRecord[];
  /** The sweep's baseline pseudo-run id (`<sweep>:baselines`). */
  baselinesRunId: string;
  /** Eval results on clean inputs (perturbation `none`) with a value, variant runs and baselines. */
  evals: EvalResultRecord[];
  /** Every `costs` row of the sweep, baselines included. */
  costs: CostRecord[];
  /** The sweep's best run by the store's one ranking (queries.ts `bestRun`), or null. */
  bestRunId: string | null;
  /** Mean clean prediction lengths per (run, subject), from one grouped query. */
  predictionLengths: PredictionLengths[];
  /** Other sweeps with completed runs, newest first; read only when this sweep has no completed run (else empty). */
  sweepsWithCompletedRuns: SweepRecord[];
  /** How the baselines were evaluated (provider, model); empty for stores before schema 4. */
  subjects?: SubjectRecord[];
  /** Parameters of the local base model the baselines were evaluated on (`runs.total_params` of the pseudo-run); null when not recorded. */
  baselinesTotalParams?: number | null;
}

/**
 * Reads sweep `sweepId` (default and `latest`: the newest) for the ROI computation.
 * @throws UserInputError when the store has no sweep or no sweep `sweepId`.
 */
export async function readRoiInputs(db: Db, opts: { sweepId?: string } = {}): Promise<RoiInputs> {
  const latest = opts.sweepId ? null : await latestSweep(db);
  if (!opts.sweepId && !latest) throw new UserInputError(`no sweep in ${db.file}; run one first: fte sweep experiments/lora-rank.ts`);
  const sweep = await getSweep(db, opts.sweepId ?? latest!.sweepId);
  const runs = await sweepRuns(db, sweep.sweepId);
  const anyCompleted = runs.some((r) => r.status === 'completed');
  const sweepsWithCompletedRuns = anyCompleted ? [] : (await listSweeps(db)).filter((s) => s.sweepId !== sweep.sweepId && s.runCounts.completed > 0);
  const evals = (await evalResults(db, { sweepId: sweep.sweepId })).filter((e) => e.perturbation === 'none' && e.value !== null);
  return {
    dbFile: db.file,
    sweep,
    runs,
    baselinesRunId: baselineRunId(sweep.sweepId),
    evals,
    costs: await costs(db, { sweepId: sweep.sweepId }),
    bestRunId: anyCompleted ? ((await bestRun(db, sweep.sweepId))?.runId ?? null) : null,
    predictionLengths: await predictionLengths(db, sweep.sweepId),
    sweepsWithCompletedRuns,
    subjects: await subjectRecords(db, { runIds: [baselineRunId(sweep.sweepId)] }),
    baselinesTotalParams: await baselinesTotalParams(db, sweep.sweepId),
  };
}

/** `runs.total_params` of a sweep's baselines pseudo-run, or null. */
async function baselinesTotalParams(db: Db, sweepId: string): Promise<number | null> {
  const rows = await db.all(`SELECT total_params FROM runs WHERE run_id = $1`, [baselineRunId(sweepId)]);
  const v = rows[0]?.total_params;
  return v === null || v === undefined ? null : Number(v);
}

/** Mean clean prediction lengths per (run, subject) of a sweep and its baselines: one grouped query. */
export async function predictionLengths(db: Db, sweepId: string): Promise<PredictionLengths[]> {
  const rows = await db.all(
    `SELECT p.run_id, p.subject, count(*) AS n,
            avg(length(coalesce(p.input, ''))) AS input_chars, avg(length(coalesce(p.prediction, ''))) AS output_chars
       FROM predictions p JOIN runs r ON r.run_id = p.run_id
      WHERE r.sweep_id = $1 AND p.perturbation = 'none' AND coalesce(p.split, 'test') = 'test'
      GROUP BY p.run_id, p.subject ORDER BY p.run_id, p.subject`,
    [sweepId],
  );
  return rows.map((r) => ({
    runId: String(r.run_id),
    subject: r.subject as Subject,
    n: Number(r.n),
    meanInputChars: Number(r.input_chars),
    meanOutputChars: Number(r.output_chars),
  }));
}
