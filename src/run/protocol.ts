/**
 * The contracts between the stages and the worker protocol. Everything here is plain, serialisable
 * data (no tensors, no class instances, no functions) so that it crosses a process boundary (Node IPC
 * today, a queue for a remote worker later) as JSON.
 *
 * Flow: the parent (src/run) sends a `WorkerTask` per variant; the worker trains (src/train) and
 * evaluates (src/eval), sending `WorkerMessage`s; the parent is the only database writer (src/store)
 * and writes a `RunOutcome` in one transaction when the run ends.
 */
import type { ExperimentSpec, Method, Params } from '../spec/schema.js';

/** Status lifecycle of a run: queued -> running -> completed | failed | diverged | interrupted. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'diverged' | 'interrupted';

/** One example in fte's internal form (every dataset format normalises to this). */
export interface Example {
  /** Stable id within the dataset (e.g. `L12` for source line 12, or the suite's own id). */
  id: string;
  /** Model input, already rendered with the suite's prompt template where one applies. */
  prompt: string;
  /** Target output (loss is computed on these tokens only). */
  completion: string;
  /** Slice / class used for stratified splits and per-slice evaluation (e.g. `classify`, `subject`). */
  category?: string;
  meta?: Record<string, unknown>;
}

/** One point of a curve (`step_metrics` row). split: `train` | `val`; name: `loss`, `learning_rate`, `tokens_per_second`, `grad_norm`. */
export interface StepMetric {
  step: number;
  epoch: number;
  split: 'train' | 'val';
  name: string;
  value: number;
}

/** Subjects scored on the same test split. */
export type Subject = 'finetuned' | 'base' | 'prompting' | 'rag';

/** One `eval_results` row: metric value for a subject x perturbation x slice. */
export interface EvalRow {
  subject: Subject;
  /** `none` for clean inputs, otherwise the perturbation name; `worst_case` for HELM's worst case over clean+perturbed. */
  perturbation: string;
  /** `all` or a category. */
  slice: string;
  /** Metric name, e.g. `bleu`, `rougeL`, `f1_macro`, `accuracy`, `perplexity`, `consistency`. */
  metric: string;
  value: number;
  /** Number of examples the value is over. */
  n: number;
  /** Signature naming every option that changes the number (sacrebleu style). */
  signature?: string;
}

/** One `predictions` row. */
export interface PredictionRow {
  subject: Subject;
  perturbation: string;
  exampleId: string;
  input: string;
  reference: string;
  prediction: string;
  scores: Record<string, number>;
}

/** One `costs` row. component: `train`, `eval`, `train_target_device`, `inference_per_request_<subject>` ... */
export interface CostRow {
  component: string;
  device: string;
  hours: number;
  tokens: number;
  usd: number;
  priceSource: string;
  /** Estimated FLOPs of the work the row prices (training 4N + 2n per token, inference 2N), when known. */
  flops?: number;
}

/** One `artifacts` row. kind: `adapter`, `checkpoint`, `adapter_config`, `model`. */
export interface ArtifactRow {
  kind: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** What the trainer reports at the end of a run (src/train emits it in its `end` event). */
export interface TrainSummary {
  status: 'completed' | 'diverged';
  bestStep: number;
  bestValLoss: number | null;
  finalValLoss: number | null;
  stoppedEarly: boolean;
  steps: number;
  tokensTrained: number;
  trainableParams: number;
  totalParams: number;
  /** Bytes of the saved adapter (LoRA/QLoRA) or full weights. */
  adapterBytes: number;
  /** Estimated training memory in bytes (weights + grads + optimizer + activations), see src/train/memory. */
  peakMemoryBytes: number;
  /** Memory of the frozen base weights as stored (fp32 or NF4), bytes. */
  baseWeightBytes: number;
  wallSeconds: number;
  backend: string;
  device: string;
  /** Folder holding the best checkpoint (adapter_config.json + adapter_model.safetensors, or config.json + model.safetensors). */
  checkpointPath: string;
  divergenceReason?: string;
}

/** A variant as the sweep engine resolved it. */
export interface VariantTask {
  key: string;
  method: Method;
  params: Params & { alpha: number };
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
  predictions: PredictionRow[];
  costs: CostRow[];
  artifacts: ArtifactRow[];
  error?: string;
}

/** Parent -> worker. */
export type ParentMessage =
  | { type: 'task'; runId: string; variant: VariantTask; context: SweepContext }
  | { type: 'baselines'; context: SweepContext }
  | { type: 'shutdown' };

/** Token usage of one subject's evaluation (drives the per-request cost of each approach). */
export interface SubjectUsage {
  examples: number;
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
}

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
}

/** Worker -> parent. */
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started'; runId: string; backend: string; device: string; pid: number }
  | { type: 'step'; runId: string; metrics: StepMetric[]; totalSteps: number; tokensPerSecond: number }
  | { type: 'eval'; runId: string; metrics: StepMetric[] }
  | { type: 'phase'; runId: string; phase: string }
  | { type: 'end'; outcome: RunOutcome }
  | { type: 'baselines-done'; rows: EvalRow[]; predictions: PredictionRow[]; usage: Partial<Record<Subject, SubjectUsage>>; costs: CostRow[] }
  | { type: 'error'; runId: string | null; message: string };
