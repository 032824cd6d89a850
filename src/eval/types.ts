/** What the evaluation stage produces: subjects, metric rows, per-example predictions and token usage. */
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

/** Token usage of one subject's evaluation (drives the per-request cost of each approach). */
export interface SubjectUsage {
  examples: number;
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
}
