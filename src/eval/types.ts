/** What the evaluation stage produces: subjects, metric rows, per-example predictions and token usage. */
/**
 * Subjects scored on the same test split. `majority` is the majority-class baseline of classification
 * slices (always the most frequent training label; no model).
 */
export type Subject = 'finetuned' | 'base' | 'prompting' | 'rag' | 'majority';

/**
 * Which split a number is computed on: `val` ranks variants (the objective), `test` is the held-out
 * result reported once per variant. Baselines are scored on `test` only.
 */
export type EvalSplit = 'val' | 'test';

/** One `eval_results` row: metric value for a subject x split x perturbation x slice. */
export interface EvalRow {
  subject: Subject;
  /** Default `test` (rows written before the split existed are test rows). */
  split?: EvalSplit;
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
  /** 95% bootstrap interval of `value` (same unit); absent when undefined (n = 0, or no per-example statistics). */
  ciLow?: number;
  ciHigh?: number;
  /** The interval's procedure, e.g. `bootstrap-percentile:1000:seed=12345:ci=0.95|over:examples|level:corpus`. */
  ciSignature?: string;
}

/**
 * One cell of a classification slice's confusion matrix (clean inputs): how many examples with true
 * label `gold` were answered `predicted` (null = an invalid answer, mapped to no label).
 */
export interface ConfusionRow {
  subject: Subject;
  split: EvalSplit;
  slice: string;
  gold: string;
  predicted: string | null;
  count: number;
}

/** One `predictions` row. */
export interface PredictionRow {
  subject: Subject;
  perturbation: string;
  exampleId: string;
  input: string;
  reference: string;
  prediction: string;
  /** Per-example scores by metric name; `nll_mean` (nats/token) and `nll_tokens` on clean rows where token NLLs were computed. */
  scores: Record<string, number>;
  /** The example's category (its slice); absent when uncategorised. */
  category?: string;
  /** The fixed label set of the example's classification slice; absent for generation slices. */
  labels?: string[];
}

/** Token usage of one subject's evaluation (drives the per-request cost of each approach). */
export interface SubjectUsage {
  examples: number;
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
}
