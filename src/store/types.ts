/** The store's own vocabulary: run status lifecycle, artifact rows and the outcome of a run it writes in one transaction. */
import type { Method } from '../experiment/schema.js';
import type { CostRow } from '../cost/types.js';
import type { ConfusionRow, EvalRow, PredictionRow } from '../eval/types.js';
import type { StepMetric, TrainSummary } from '../train/types.js';

/** Status lifecycle of a run: queued -> running -> completed | failed | diverged | interrupted. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'diverged' | 'interrupted';

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
  costs: CostRow[];
  artifacts: ArtifactRow[];
  error?: string;
}

/** The pseudo-run holding a sweep's baseline results (`runs.kind = 'baselines'`): `<sweepId>:baselines`. */
export function baselineRunId(sweepId: string): string {
  return `${sweepId}:baselines`;
}
