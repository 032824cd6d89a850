/**
 * The messages between the parent process and its workers (each stage owns the rows it produces:
 * data/example.ts, train/types.ts, eval/types.ts, cost/types.ts, store/types.ts). Everything here is plain, serialisable
 * data (no tensors, no class instances, no functions) so that it crosses a process boundary (Node IPC
 * today, a queue for a remote worker later) as JSON.
 *
 * Flow: the parent (src/run) sends a `WorkerTask` per variant; the worker trains (src/train) and
 * evaluates (src/eval), sending `WorkerMessage`s; the parent is the only database writer (src/store)
 * and writes a `RunOutcome` in one transaction when the run ends.
 */
import type { ExperimentSpec, Method, Params } from '../experiment/schema.js';
import type { CostRow } from '../cost/types.js';
import type { ConfusionRow, EvalRow, PredictionRow, Subject, SubjectRow, SubjectUsage } from '../eval/types.js';
import type { RunOutcome } from '../store/types.js';
import type { StepMetric } from '../train/types.js';
import type { HyperbandSpec } from '../experiment/hyperband.js';

/** A variant as the sweep engine resolved it. */
export interface VariantTask {
  key: string;
  method: Method;
  params: Params & { alpha: number };
}

/** Parent -> worker. */
export type ParentMessage =
  | { type: 'task'; runId: string; variant: VariantTask; context: SweepContext }
  | { type: 'baselines'; context: SweepContext }
  /** The answer to a `milestone`: stop the run there (hyperband) or go on. */
  | { type: 'verdict'; runId: string; stop: boolean }
  | { type: 'shutdown' };

/** Shared per-sweep context a worker needs (paths only, so a remote worker can fetch them). */
export interface SweepContext {
  sweepId: string;
  specPath: string;
  /** Folder with train/val/test.jsonl + manifest.json (prepared once per sweep). */
  dataDir: string;
  baseModelDir: string;
  backend: string;
  /** Folder where this sweep's checkpoints go. */
  outDir: string;
  limits: { maxSteps?: number; limitTrain?: number; limitEval?: number };
  /** The spec's plain-data sections a worker needs (no functions, so it serialises). */
  evaluate: ExperimentSpec['evaluate'];
  earlyStopping: ExperimentSpec['earlyStopping'];
  cost: ExperimentSpec['cost'];
  /** Early termination of the sweep (hyperband); absent: none. */
  earlyTerminate?: HyperbandSpec;
  /** Response cache of API providers, kept beside the store (`<db>.responses/`); absent: no caching. */
  responseCacheDir?: string;
}

/** Worker -> parent. */
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started'; runId: string; backend: string; device: string; pid: number }
  | { type: 'step'; runId: string; metrics: StepMetric[]; totalSteps: number; tokensPerSecond: number }
  | { type: 'eval'; runId: string; metrics: StepMetric[] }
  /** A run reached a hyperband bracket (`iteration` validation evaluations, best validation loss `value`); the worker waits for a `verdict`. */
  | { type: 'milestone'; runId: string; iteration: number; value: number }
  | { type: 'phase'; runId: string; phase: string }
  /** `errorKind: 'input'`: the run failed on bad input (spec, data, model files: a UserInputError), which a retry cannot fix. */
  | { type: 'end'; outcome: RunOutcome; errorKind?: 'input' }
  | { type: 'baselines-done'; rows: EvalRow[]; confusion?: ConfusionRow[]; predictions: PredictionRow[]; subjects?: SubjectRow[]; usage: Partial<Record<Subject, SubjectUsage>>; costs: CostRow[]; /** Parameters of the local base model, when one was loaded. */ totalParams?: number }
  | { type: 'error'; runId: string | null; message: string };
