/**
 * The report view model's shapes: plain text and numbers per section (no HTML, no SVG).
 */
import type { CostSectionView } from './cost-view.js';

export interface KeyValue {
  label: string;
  value: string;
}

export interface BestVariantView {
  runId: string;
  label: string;
  objectiveText: string;
  /** Where `objectiveText` comes from: `test` (the held-out value of the objective metric) or `validation` (val_loss). */
  objectiveSplit: 'test' | 'validation';
  params: KeyValue[];
  why: string[];
}

export interface VerdictView {
  /** The other subject's stored name (`base`, `prompting`, `rag`, a named baseline or extra model), or `run:<runId>` for the runner-up. */
  against: string;
  /** Who, as the text names it: `the base model`, `the runner-up run-2 (r=4 lr=3e-4)`. */
  label: string;
  /** `<slice>/<metric>` tested, on the test split. */
  metric: string;
  split: 'test';
  /** The stored test values of the metric (clean inputs): the best variant's and the other's. */
  bestValue: number;
  otherValue: number;
  outcome: 'better' | 'worse' | 'ns' | 'untested';
  /** best − other, metric's unit (paired difference; stored values when untested). */
  diff: number | null;
  ci95: [number, number] | null;
  pValue: number | null;
  /** `mcnemar-exact` or `paired-bootstrap:1000:seed=12345`; null when untested. */
  test: string | null;
  /** `significantly better than the base model (+0.408 [+0.3, +0.52], p < 0.001)`. */
  text: string;
}

export interface SummaryView {
  experiment: string;
  description: string;
  sweepId: string;
  facts: KeyValue[];
  dataset: KeyValue[];
  objective: { key: string; goal: string; text: string };
  best: BestVariantView | null;
  headline: string;
  /**
   * The best variant against the base model, the runner-up run, prompting and RAG on the objective
   * (test split, clean inputs), by the paired test of stored predictions (src/report/verdicts.ts).
   */
  verdicts: VerdictView[];
  /**
   * Plain warnings about subjects the summary compares (verdicts, tiles, headline): one that saw no
   * demonstrations at all, one whose requests failed (src/eval/subject-notes.ts). Shown under the headline.
   */
  caveats: string[];
  /** An evaluation without training (`fte eval`): the subject with the best test value of the objective, and why; null otherwise. */
  top: TopSubjectView | null;
  /** Key figures shown as tiles beside the best variant (filled in by `buildReportViewModel`). */
  tiles: { label: string; value: string; sub: string; cls: string }[];
  /** The ROI recommendation (src/cost), repeated in the summary. */
  recommendation: string;
}

/** The best subject of an evaluation without training (no variants): its test value of the objective and the paired tests against the others. */
export interface TopSubjectView {
  subject: string;
  label: string;
  /** `local fte-tiny-base`, `openai gpt-4o-mini @ http://127.0.0.1:8000/v1`; '' when no `subjects` row was stored. */
  provider: string;
  /** `<slice>/<metric>` on the test split (test perplexity when the objective is validation loss, which no untrained subject has). */
  metric: string;
  valueText: string;
  /** The stored 95% interval, `[0.68, 0.9]`, or ''. */
  ci: string;
  why: string[];
}

/** One subject of the Subjects table: how it was evaluated and what its requests met. */
export interface SubjectTableRow {
  subject: string;
  label: string;
  /** `local fte-tiny-base`, `openai gpt-4o-mini @ <endpoint>` (src/eval/subject-notes.ts `providerLabel`). */
  provider: string;
  /** `few-shot (k = 4)`, `RAG BM25 (k = 3)`, `zero-shot`. */
  prompt: string;
  /** Test value of the objective metric (clean inputs) and its stored 95% interval ('' when none). */
  value: string;
  ci: string;
  examples: string;
  /** Prompt and completion tokens per answered clean request, rounded; `—` when none was answered. */
  tokensIn: string;
  tokensOut: string;
  /** `0`, or `3 of 44` requests that failed after retries; `errorsTitle` holds the first failure. */
  errors: string;
  errorsTitle: string;
  cached: string;
  /** `bad` when any request failed, else ''. */
  errorsCls: string;
  /** `none`, `no demonstrations (k = 2)`, `3 of 8 lost demonstrations · 2 of 8 inputs cut`. */
  truncation: string;
  /** `bad` for a subject that saw no demonstrations at all, `warn` for partial truncation, else ''. */
  truncationCls: string;
}

export interface SubjectsView {
  /** The value column's metric, `classify/f1_macro (test)`. */
  metric: string;
  rows: SubjectTableRow[];
  /** Plain notes (src/eval/subject-notes.ts `subjectNotes`), one line each, ending with a full stop. */
  notes: string[];
}

/** Section 5's heading and its lede: who is compared, and what deltas are against. */
export interface BaselinesIntroView {
  title: string;
  lede: string;
  /** `the base model`, a subject's label, or '' when no subject can be a reference. */
  reference: string;
}

export interface TableCell {
  text: string;
  /** Sort key (number as string for numeric columns, so the inline script sorts numerically). */
  sort: string;
  cls?: string;
  /** A second, smaller line (e.g. `early stop`). */
  sub?: string;
  /** The value's stored 95% interval, `[0.68, 0.9]` (test split); absent when none. */
  ci?: string;
}

export interface SweepTableView {
  columns: { label: string; numeric: boolean; title?: string }[];
  rows: { runId: string; label: string; best: boolean; status: string; cells: TableCell[] }[];
  /** What the sweep's early termination did not spend; null when the spec sets none and no run was stopped. */
  earlyTermination: EarlyTerminationView | null;
}

/**
 * The sweep's early termination (hyperband): runs stopped, optimizer steps not run and the estimated
 * time saved, from `earlyTerminationSavings` (src/experiment/hyperband.ts), the computation behind
 * `fte sweep`'s hyperband line.
 */
export interface EarlyTerminationView {
  /** The rule as the spec sets it: `hyperband (minIter 1, eta 3)`; `hyperband` when the spec does not say. */
  rule: string;
  /** Runs with status `stopped`. */
  stopped: number;
  /** Optimizer steps not trained (planned minus trained, summed over the stopped runs). */
  stepsSaved: number;
  /** Estimated wall seconds not spent (each stopped run's steps not trained at its measured seconds per step). */
  wallSecondsSaved: number;
  /** Stopped runs stored without planned steps (before schema 11): counted, not in the sums. */
  unknown: number;
  /** The three figures as shown: runs stopped, training steps not run, estimated time saved. */
  facts: KeyValue[];
  /** How the figures are computed, in one or two sentences. */
  method: string;
}

export interface CurvePoint {
  variant: string;
  split: 'train' | 'val';
  step: number;
  loss: number;
}

export interface CurvesView {
  points: CurvePoint[];
  /** Final point of runs that stopped early (patience), were stopped by hyperband, or diverged, labelled. */
  markers: { variant: string; step: number; loss: number; kind: 'early stop' | 'hyperband stop' | 'diverged' }[];
  notes: string[];
}

export interface HeatmapView {
  x: string;
  y: string;
  cells: { x: string; y: string; xSort: number; ySort: number; value: number | null; text: string; best: boolean }[];
  note: string;
}

export interface BaselineMetricRow {
  metric: string;
  direction: 'higher' | 'lower';
  n: string;
  /** `ci`: the stored 95% interval, `[0.68, 0.9]`, or ''. */
  /** `deltaCls` is `good`/`bad` only when the paired test vs the base model is significant; `deltaTitle` gives its p-value. */
  cells: { subject: string; text: string; ci: string; best: boolean; delta: string; deltaCls: string; deltaTitle: string }[];
}

export interface BaselineSliceView {
  slice: string;
  rows: BaselineMetricRow[];
  /** Long-form data for the grouped bar chart; `ciLow`/`ciHigh` (the stored 95% interval) draw its error bars. */
  chart: { metric: string; subject: string; value: number; ciLow?: number; ciHigh?: number }[];
}

export interface RobustnessTableView {
  title: string;
  slice: string;
  metric: string;
  subjects: string[];
  rows: { perturbation: string; cells: { text: string; ci: string; drop: string; dropCls: string }[] }[];
  consistency: { perturbation: string; cells: string[] }[];
  chart: { perturbation: string; subject: string; drop: number }[];
}

export interface SampleView {
  exampleId: string;
  /** The per-example score this example is ranked by. */
  scoreName: string;
  input: string;
  reference: string;
  delta: string;
  deltaCls: string;
  outputs: { subject: string; text: string; score: string; cls: string }[];
}

export interface SamplesView {
  scoreName: string;
  /** Who each example's change is against: `base`, another subject's label, or '' when there is none. */
  versus: string;
  items: SampleView[];
  note: string;
}

/** One subject's headline metric in and out of distribution (section 6b). */
export interface OodShiftRow {
  subject: string;
  label: string;
  /** Value on the in-distribution test split, its 95% interval and n. */
  inDist: string;
  inCi: string;
  inN: string;
  /** Value on the out-of-distribution examples, its 95% interval and n. */
  ood: string;
  oodCi: string;
  oodN: string;
  /** OOD − test, signed; `changeCls` bad/good only when the two intervals do not overlap. */
  change: string;
  changeCls: string;
  changeTitle: string;
}

export interface OodShiftTable {
  slice: string;
  metric: string;
  /** `classify/f1_macro`, or the bare metric for slice `all`. */
  title: string;
  direction: 'higher' | 'lower';
  rows: OodShiftRow[];
}

/** Section 6b: the out-of-distribution examples beside the test split. */
export interface OodSectionView {
  /** How the OOD examples differ from the training data (the dataset manifest's `ood.description`). */
  description: string;
  examples: number | null;
  /** The summary's sentence for the best variant; null without one. */
  headline: string | null;
  /** Why there is no side-by-side table (no slice and metric shared by both splits); null when there is one. */
  note: string | null;
  shift: OodShiftTable[];
  /** Every subject on the OOD examples, with paired tests against the reference subject (as section 5). */
  baselines: BaselineSliceView[];
  /** Robustness on the OOD examples (as section 6). */
  robustness: RobustnessTableView[];
}

/** One reviewed run's human ratings (`fte review`), as text cells. */
export interface ReviewTableView {
  runId: string;
  /** `run-4 (r=8 lr=3e-4), the best variant`. */
  label: string;
  /** `10 of 11 examples complete, by ann, bo`. */
  coverage: string;
  /** The blind baseline's subject(s), '' when the run was reviewed alone. */
  baseline: string;
  /** Per rubric item: mean, its 95% interval and n, for the run and the blind baseline. */
  items: { item: string; scale: string; run: string; runCi: string; runN: string; baseline: string; baselineCi: string; baselineN: string }[];
  /** The blind preference rate (run preferred, ties left out) with its 95% Wilson interval; null without a baseline. */
  preference: { rate: string; ci: string; decided: string; run: string; baseline: string; tie: string } | null;
}

export interface ReviewSectionView {
  /** Every reviewed run of the sweep, the best first. */
  tables: ReviewTableView[];
  note: string;
}

export interface ReportViewModel {
  title: string;
  generatedAt: string;
  limited: string | null;
  /** An evaluation without training (`fte eval`: baselines and extra models only, no variants). */
  evalOnly: boolean;
  summary: SummaryView;
  /** How each baseline, extra model and the best run's model was evaluated (stores before schema 4 have none). */
  subjects: SubjectsView;
  baselinesIntro: BaselinesIntroView;
  sweepTable: SweepTableView;
  curves: CurvesView;
  heatmap: HeatmapView | null;
  baselines: BaselineSliceView[];
  robustness: RobustnessTableView[];
  /** Null when the sweep scored no out-of-distribution examples. */
  ood: OodSectionView | null;
  cost: CostSectionView;
  samples: SamplesView;
  /** Human review of the sweep's runs (`fte review`); null when none was reviewed. */
  review: ReviewSectionView | null;
  warnings: string[];
}

export interface ViewModelOptions {
  /** Timestamp printed in the footer (ISO). Default now. */
  generatedAt?: string;
  /** Sample outputs shown. Default 10. */
  samples?: number;
}
