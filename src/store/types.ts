/** The store's own vocabulary: run status lifecycle, artifact rows and the outcome of a run it writes in one transaction. */
import type { Method } from '../model/names.js';
import type { CostRow } from '../cost/types.js';
import type { ConfusionRow, EvalRow, PredictionRow, SubjectRow } from '../eval/types.js';
import type { StepMetric, TrainSummary } from '../train/types.js';

/**
 * What "best variant" means for an experiment, as the store keeps it per experiment and per sweep:
 * `metric` is `val_loss`, `perplexity` or `<slice>/<metric>` (as the spec writes it), `goal` its
 * direction. The report's parsed form (src/report/objective.ts) is derived from this one.
 */
export interface Objective {
  metric: string;
  goal: 'minimize' | 'maximize';
}

/** A hyperparameter value as a spec resolves it (stored in `run_params`). */
export type ParamValue = number | string | boolean | string[] | null;

/**
 * Status lifecycle of a run: queued -> running -> completed | failed | diverged | interrupted | stopped.
 * `stopped`: ended early by the sweep's early termination (hyperband, src/experiment/hyperband.ts);
 * its curves and best checkpoint so far are kept, it is not evaluated and never ranked as best
 * (schema 6).
 */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'diverged' | 'interrupted' | 'stopped';

/** One `artifacts` row. kind: `adapter`, `checkpoint`, `adapter_config`, `model`. */
export interface ArtifactRow {
  kind: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** Everything one run produced; the store writes it in one transaction. */
export interface RunOutcome {
  runId: string;
  variantKey: string;
  method: Method;
  status: RunStatus;
  params: Record<string, number | string | boolean | string[]>;
  startedAt: string;
  finishedAt: string;
  train?: TrainSummary;
  stepMetrics: StepMetric[];
  evalRows: EvalRow[];
  /** Confusion matrices of the classification slices (absent in outcomes from older workers). */
  confusion?: ConfusionRow[];
  predictions: PredictionRow[];
  /** How each subject of the run was evaluated (provider, model, errors, truncation); absent in outcomes from older workers. */
  subjects?: SubjectRow[];
  costs: CostRow[];
  artifacts: ArtifactRow[];
  error?: string;
}

/** The pseudo-run holding a sweep's baseline results (`runs.kind = 'baselines'`): `<sweepId>:baselines`. */
export function baselineRunId(sweepId: string): string {
  return `${sweepId}:baselines`;
}
