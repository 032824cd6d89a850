/** What the evaluation stage produces: subjects, metric rows, per-example predictions and token usage. */
import type { PromptFormat } from '../providers/chat-text.js';

/**
 * A subject scored on the test split, by name: `finetuned` (the run's own model), `majority` (the
 * majority-class baseline of classification slices: the most frequent training label, no model), and
 * the spec's baselines and extra models by their names (`base`, `prompting`, `rag` by default, or a
 * `name` given in `evaluate.baselines` / `evaluate.models`).
 */
export type Subject = string;

/** What a subject is: the run's model, a baseline kind, an extra model (`evaluate.models`), or the majority class. */
export type SubjectKind = 'finetuned' | 'base' | 'prompting' | 'rag' | 'model' | 'majority';

/**
 * One `subjects` row: how a subject was evaluated (provider, model, prompt) and what its requests
 * met: errors, cache hits, and what a local model's context cut. Counts are over the clean test
 * requests (one per example) unless named otherwise.
 */
export interface SubjectRow {
  subject: Subject;
  kind: SubjectKind;
  /** `zero_shot` | `few_shot` | `bm25`; `none` for `majority`. */
  prompt: string;
  /**
   * How the model read the clean requests (src/providers/chat-text.ts `PromptFormat`): `chat_template`
   * (a local model's own chat template: chat rows asked zero-shot), `flat` (fte's text format),
   * `mixed`, or `messages` (an API). Absent for `majority`, and in stores before it was recorded.
   */
  promptFormat?: PromptFormat;
  /** The chat template's label (model folder/file, sha256) when `promptFormat` is `chat_template` or `mixed`. */
  chatTemplate?: string;
  /** Demonstrations asked for (few-shot k, RAG k); 0 for zero-shot. */
  k: number;
  /** `local` | `openai` | `none` (majority). */
  provider: string;
  /** The model as the provider names it (`fte-tiny-base`, `gpt-4o-mini`, a run id). */
  model: string;
  /** `in-process` or the API base URL. */
  endpoint: string;
  /** Clean test examples (requests). */
  examples: number;
  /** Clean requests answered (not failed): the denominator of tokens per request. */
  answered: number;
  /** Requests sent or answered, perturbed and out-of-distribution ones included. */
  requests: number;
  /** Requests that failed after every retry (perturbed and out-of-distribution ones included); each scored as an empty answer. */
  errors: number;
  /** One failure message, for the summary (the first). */
  firstError?: string;
  /** Requests answered from the response cache (every request, as `requests`). */
  cached: number;
  /** Clean examples whose prompt lost at least one demonstration to the context. */
  demonstrationsDropped: number;
  /** Clean examples whose prompt lost tokens beyond whole demonstrations (the input itself was cut). */
  inputsCut: number;
  /** Clean examples that saw no demonstration at all although k > 0. */
  noDemonstrations: number;
  /**
   * Clean-request totals as the model reported them (API `usage`; local: tokens fed and generated).
   * Requests whose API reported no usage add nothing (see `usageNotReported`).
   */
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
  /**
   * The same clean answered requests counted with an OpenAI tokenizer (`apiTokenizer`, `o200k_base`):
   * the prompt as built (chat messages before any truncation to a local model's context, with the
   * chat format's per-message tokens) and the answer text. What an API would bill for these requests;
   * the what-if `fte roi --api-model` prices a local subject with them. Absent when the tokenizer
   * package is not installed, and in stores before schema 5.
   */
  apiPromptTokens?: number;
  apiCompletionTokens?: number;
  apiTokenizer?: string;
  /**
   * Clean answered requests whose API reported no usage (or an absurd one: src/providers/openai.ts
   * `reportedCount`): `promptTokens` / `completionTokens` leave them out, and cost accounting
   * estimates their tokens (src/eval/subject-tokens.ts) rather than pricing them at 0. 0 for local
   * models; absent in stores before schema 6 (unknown).
   */
  usageNotReported?: number;
}

/**
 * Which split a number is computed on: `val` ranks variants (the objective), `test` is the held-out
 * result reported once per variant, `ood` the out-of-distribution examples (when the dataset has
 * them), scored like `test`. Baselines are scored on `test` and `ood` only.
 */
export type EvalSplit = 'val' | 'test' | 'ood';

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
  /** `test` (default) or `ood`; validation predictions are not stored. */
  split?: 'test' | 'ood';
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
  /** Tokens of this request as the model reported them (API `usage`; local: fed / generated); absent when the API reported none. */
  promptTokens?: number;
  completionTokens?: number;
  /** Why the request failed (it is scored as an empty answer); absent on success. */
  error?: string;
  /** Answered from the response cache. */
  cached?: boolean;
  /** Demonstrations in the request, and how many a local model's context dropped. */
  demonstrations?: number;
  demonstrationsDropped?: number;
  /** Tokens cut from the left beyond whole demonstrations. */
  tokensCut?: number;
}

/** Token usage of one subject's evaluation (drives the per-request cost of each approach). */
export interface SubjectUsage {
  examples: number;
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
}
