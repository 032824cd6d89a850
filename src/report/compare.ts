/**
 * `fte compare`'s comparison, a pure function of its two sides: two results (a run, a sweep's best
 * run, or one of a sweep's baselines) compared metric by metric, with thresholds, robustness and
 * cost deltas, a params diff and the predictions that changed. The comparison is plain data (its
 * JSON is `fte compare --format json`); markdown.ts renders it as a pull-request comment. The sides
 * come from ./compare-refs.ts, which reads the store.
 */
import { UnknownNameError, UserInputError } from '../errors.js';
import { ExampleMismatchError, pairedExamples, pairedTest, type PairedTestResult } from '../eval/paired.js';
import { ORIGINAL_SUFFIX, originalOf } from '../eval/slices.js';
import type { EvalRow, PredictionRow, Subject } from '../eval/types.js';
import { fmtParam } from '../format.js';
import type { ReviewSummary } from '../review/summary.js';
import { lowerIsBetter, type Objective } from './objective.js';
import { preferredMetric } from './view-model.js';

export const BASELINE_SUBJECTS = ['base', 'prompting', 'rag'] as const;

/** One side of a comparison, resolved from a REF. */
export interface CompareSide {
  /** The REF as given (or as defaulted). */
  ref: string;
  /** Human label: `run-3 (r=8 lr=2e-4)`, `Base model (sw-1)`. */
  label: string;
  kind: 'run' | 'baseline';
  sweepId: string;
  experiment: string;
  runId: string | null;
  subject: Subject;
  params: Record<string, unknown>;
  /** This side's eval rows, subject-agnostic (the subject column is this side's subject). */
  evalRows: EvalRow[];
  predictions: PredictionRow[];
  /** Measured USD of the run (train + eval); 0 for a baseline. */
  runUsd: number | null;
  /** Training on the spec's target device (USD); 0 for a baseline. */
  targetTrainUsd: number | null;
  /** USD per request, as `fte roi` prices it (else the stored per-request inference cost). */
  perRequestUsd: number | null;
  /** One-off USD amortised in the monthly cost (fine-tuned: training + data preparation, as `fte roi`); 0 for a baseline. */
  oneOffUsd: number | null;
  /** USD per month at `monthlyRequests`, exactly as `fte roi` computes it (src/cost/sweep-roi.ts `roiForSweep`); null when the sweep cannot be priced. */
  monthlyUsd: number | null;
  /** Requests per month the monthly cost is computed at. */
  monthlyRequests: number;
  /** How `fte roi` prices this side, e.g. `self-hosted A100-80GB (1 always on)`, `gpt-4o-mini API`. */
  pricing: string | null;
  objective: Objective;
  limited: boolean;
  /** How this side's subject was evaluated, in words: a baseline without demonstrations, cut inputs, failed requests (src/report/subjects.ts). */
  notes?: string[];
  /**
   * This side's results on the sweep's out-of-distribution examples (split `ood`) and what they are;
   * absent when its sweep scored none.
   */
  ood?: { description: string; evalRows: EvalRow[]; predictions: PredictionRow[] };
  /** Human review of this side's run (`fte review`, src/review/summary.ts); absent or null when not reviewed (a baseline side never is). */
  review?: ReviewSummary | null;
}

/**
 * Both sides' human ratings (`fte review`) in a comparison. Ratings are information for the reader of
 * the pull request: they never change the headline, the thresholds, `regression` or the exit code of
 * `fte compare --fail-on-regression` (only the paired tests of the metrics do).
 */
export interface ReviewComparison {
  /** Each side's ratings: mean and 95% interval per rubric item, the blind preference rate with its Wilson interval; null when that side was not reviewed. */
  base: ReviewSummary | null;
  head: ReviewSummary | null;
  /** Both sides reviewed on the same rubric (the same items on the same scales): shown side by side. */
  sameRubric: boolean;
}

export interface MetricDelta {
  /** `metric` for slice `all`, else `slice/metric`. */
  key: string;
  slice: string;
  metric: string;
  direction: 'higher' | 'lower';
  base: number | null;
  head: number | null;
  delta: number | null;
  /** Change in the good direction (delta, or -delta for lower-is-better metrics). */
  improvement: number | null;
  /**
   * `better` / `worse`: significant at `alpha` by the paired test (DESIGN.md, "Verdicts"); `ns`: the
   * values differ but not significantly; `same`: equal; `untested`: the values differ and no paired
   * test was possible (no per-example predictions for this metric); `n/a`: a side has no value.
   */
  outcome: 'better' | 'worse' | 'same' | 'ns' | 'untested' | 'n/a';
  n: number | null;
  /** 95% interval of `delta` (head − base) by paired bootstrap, metric's unit; null when untested. */
  ci95: [number, number] | null;
  /** Two-sided p-value of "no difference" by the paired test; null when untested. */
  pValue: number | null;
  /** The paired test: `mcnemar-exact` (0/1-per-example metrics) or `paired-bootstrap:<R>:seed=<s>`; null when untested. */
  test: string | null;
  threshold: number | null;
  /** null when not thresholded. */
  pass: boolean | null;
}

export interface Threshold {
  /** `f1_macro` (any slice) or `classify/f1_macro`. */
  metric: string;
  /** Smallest acceptable improvement in the metric's good direction (negative = tolerated regression), metric units. */
  minImprovement: number;
}

export interface ChangedPrediction {
  exampleId: string;
  input: string;
  reference: string;
  base: string;
  head: string;
  scoreName: string | null;
  baseScore: number | null;
  headScore: number | null;
  improvement: number | null;
}

export interface Comparison {
  marker: '<!-- fte:compare -->';
  headline: 'better' | 'worse' | 'mixed' | 'unchanged';
  summary: string;
  base: Omit<CompareSide, 'evalRows' | 'predictions' | 'ood'>;
  head: Omit<CompareSide, 'evalRows' | 'predictions' | 'ood'>;
  objective: { key: string; goal: string; base: number | null; head: number | null; ci95: [number, number] | null; pValue: number | null; test: string | null; outcome: MetricDelta['outcome'] };
  /** Significance level of the verdicts. */
  alpha: number;
  metrics: MetricDelta[];
  perSlice: MetricDelta[];
  robustness: MetricDelta[];
  cost: { name: string; base: number | null; head: number | null; delta: number | null }[];
  paramsDiff: { name: string; base: string; head: string; changed: boolean }[];
  changedPredictions: ChangedPrediction[];
  thresholds: Threshold[];
  failed: string[];
  regression: boolean;
  limited: boolean;
  /** Both sides' notes on how they were evaluated (truncation, failed requests). */
  notes: string[];
  /** Human review of either side (`fte review`); null when neither was reviewed. Never part of the verdict. */
  review: ReviewComparison | null;
  /**
   * Both sides on the out-of-distribution examples (paired tests of their OOD predictions), the
   * objective first, then each slice's headline metric; null unless both sides have OOD results.
   * Information only: never in the headline, the thresholds or `regression` (so never the exit code).
   */
  ood: { description: string; metrics: MetricDelta[] } | null;
}

/**
 * Parses `--threshold METRIC=DELTA` values.
 * @throws UserInputError naming the bad value (`--threshold f1_macro: expected METRIC=DELTA`).
 */
export function parseThresholds(values: readonly string[]): Threshold[] {
  return values.map((v) => {
    const m = /^\s*([A-Za-z0-9_./-]+)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/i.exec(v);
    if (!m) throw new UserInputError(`--threshold ${v}: expected METRIC=DELTA, e.g. f1_macro=-0.02 (allow a drop of at most 0.02)`);
    return { metric: m[1]!, minImprovement: Number(m[2]) };
  });
}

// ------------------------------------------------------------------ comparison

const EPS = 1e-12;

/** Significance level of every verdict unless `--alpha` says otherwise. */
export const DEFAULT_ALPHA = 0.05;

/**
 * One metric's change. The outcome is `better` / `worse` only when the paired test is significant at
 * `alpha`; a difference without a test is `untested`, never better or worse.
 */
function delta(key: string, slice: string, metric: string, b: number | null, h: number | null, n: number | null, paired: PairedTestResult | null = null, alpha = DEFAULT_ALPHA): MetricDelta {
  const lower = lowerIsBetter(metric);
  const d = b !== null && h !== null ? h - b : null;
  const imp = d === null ? null : lower ? -d : d;
  let outcome: MetricDelta['outcome'];
  if (imp === null) outcome = 'n/a';
  else if (Math.abs(imp) <= EPS * Math.max(1, Math.abs(b ?? 0))) outcome = 'same';
  else if (!paired) outcome = 'untested';
  else if (paired.pValue < alpha) outcome = imp > 0 ? 'better' : 'worse';
  else outcome = 'ns';
  return {
    key, slice, metric, direction: lower ? 'lower' : 'higher', base: b, head: h, delta: d, improvement: imp, outcome, n, threshold: null, pass: null,
    ci95: paired ? paired.ci95 : null, pValue: paired ? paired.pValue : null, test: paired ? paired.test : null,
  };
}

/**
 * The paired test of `metric` on `slice` between the two sides' stored predictions, or null when a
 * side has none for the slice (older stores, or predictions without slices).
 * @throws ExampleMismatchError (src/eval/paired.ts) when both have predictions on different examples
 */
function sidesTest(base: Pick<CompareSide, 'predictions'>, head: Pick<CompareSide, 'predictions'>, slice: string, metric: string, opts: CompareSidesOptions): PairedTestResult | null {
  const h = pairedExamples(head.predictions, slice);
  const b = pairedExamples(base.predictions, slice);
  if (h.examples.length === 0 || b.examples.length === 0) return null;
  return pairedTest(metric, h.examples, b.examples, { labels: h.labels ?? b.labels, resamples: opts.resamples, seed: opts.seed });
}

export interface CompareSidesOptions {
  /** Significance level of "better" and "worse" (default 0.05). */
  alpha?: number;
  /** Paired-bootstrap resamples (default 1000) and seed (default 12345). */
  resamples?: number;
  seed?: number;
}

function keyOf(slice: string, metric: string): string {
  return slice === 'all' ? metric : `${slice}/${metric}`;
}

/**
 * Rows that are not a metric of the side itself: the forgetting test's paired change vs the base model
 * and its p-value (slice `general`, src/eval/general.ts) belong to the run's comparison with its base,
 * not to this one; the side's own general-text perplexity and bits per byte stay.
 */
const NOT_A_SIDE_METRIC = new Set(['perplexity_change', 'perplexity_change_p']);

function cleanKeys(rows: readonly EvalRow[]): { slice: string; metric: string }[] {
  const seen = new Set<string>();
  const out: { slice: string; metric: string }[] = [];
  for (const r of rows) {
    if (r.perturbation !== 'none' || r.metric === 'consistency' || NOT_A_SIDE_METRIC.has(r.metric)) continue;
    const k = `${r.slice}\u0000${r.metric}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ slice: r.slice, metric: r.metric });
    }
  }
  return out;
}

function value(rows: readonly EvalRow[], slice: string, metric: string, perturbation = 'none'): number | null {
  const r = rows.find((x) => x.slice === slice && x.metric === metric && x.perturbation === perturbation);
  return r && Number.isFinite(r.value) ? r.value : null;
}

/**
 * The two sides on the out-of-distribution examples: the objective's key (when it is a test metric)
 * and each slice's preferred higher-is-better metric, with the paired test of their OOD predictions.
 * Null unless both sides have OOD rows. An OOD pair scored on different examples is left untested.
 */
function oodDeltas(base: CompareSide, head: CompareSide, objective: Objective, alpha: number, opts: CompareSidesOptions): Comparison['ood'] {
  const b = base.ood;
  const h = head.ood;
  if (!b || !h || b.evalRows.length === 0 || h.evalRows.length === 0) return null;
  const keys = cleanKeys([...h.evalRows, ...b.evalRows]).filter((k) => k.slice !== 'general');
  const chosen: { slice: string; metric: string }[] = [];
  if (objective.metric !== 'val_loss' && keys.some((k) => k.slice === objective.slice && k.metric === objective.metric)) chosen.push({ slice: objective.slice, metric: objective.metric });
  for (const s of [...new Set(keys.map((k) => k.slice))].filter((x) => x !== 'all')) {
    const m = preferredMetric(keys.filter((k) => k.slice === s && !lowerIsBetter(k.metric)).map((k) => k.metric));
    if (m && !chosen.some((k) => k.slice === s && k.metric === m)) chosen.push({ slice: s, metric: m });
  }
  const metrics = chosen.map(({ slice, metric }) => {
    let test: PairedTestResult | null = null;
    try {
      test = sidesTest(b, h, slice, metric, opts);
    } catch (err) {
      if (!(err instanceof ExampleMismatchError)) throw err;
    }
    const n = h.evalRows.find((r) => r.slice === slice && r.metric === metric && r.perturbation === 'none')?.n ?? null;
    return delta(keyOf(slice, metric), slice, metric, value(b.evalRows, slice, metric), value(h.evalRows, slice, metric), n, test, alpha);
  });
  return metrics.length > 0 ? { description: h.description || b.description, metrics } : null;
}

function meanOf(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Compares `head` against `base`.
 * Main metrics: every clean metric of every slice, plus slice `all`'s metrics that no slice has
 * (perplexity); `perSlice`: every clean (slice, metric), `all` included. Thresholds apply to main
 * and per-slice rows whose key or bare metric name matches; with none given, the objective must
 * not regress (0). The sides' human ratings (`review`) are carried to `Comparison.review` as they are:
 * they never enter the headline, the thresholds or `regression` (so never the exit code).
 */
export function compareSides(base: CompareSide, head: CompareSide, thresholds: Threshold[] = [], opts: CompareSidesOptions = {}): Comparison {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 1)) throw new UserInputError(`--alpha must be between 0 and 1, got ${alpha}`);
  const objective = head.objective;
  const keys = cleanKeys([...head.evalRows, ...base.evalRows]);
  // Per-slice metrics are the meaningful ones when the suite has slices (BLEU over classification
  // labels and subject lines together is not); slice `all` adds what no slice has (perplexity).
  const inSlices = new Set(keys.filter((k) => k.slice !== 'all').map((k) => k.metric));
  const nOf = (slice: string, metric: string): number | null => head.evalRows.find((r) => r.slice === slice && r.metric === metric && r.perturbation === 'none')?.n ?? null;
  const tests = new Map<string, PairedTestResult | null>();
  const testOf = (slice: string, metric: string): PairedTestResult | null => {
    const k = keyOf(slice, metric);
    if (!tests.has(k)) tests.set(k, sidesTest(base, head, slice, metric, opts));
    return tests.get(k)!;
  };
  const mk = (k: { slice: string; metric: string }): MetricDelta =>
    delta(keyOf(k.slice, k.metric), k.slice, k.metric, value(base.evalRows, k.slice, k.metric), value(head.evalRows, k.slice, k.metric), nOf(k.slice, k.metric), testOf(k.slice, k.metric), alpha);
  const objKey = objective.metric === 'val_loss' ? null : keyOf(objective.slice, objective.metric);
  const main = keys.filter((k) => k.slice !== 'all' || !inSlices.has(k.metric)).map(mk);
  main.sort((a, b) => (a.key === objKey ? -1 : b.key === objKey ? 1 : 0));
  const perSlice = keys.map(mk).sort((a, b) => a.slice.localeCompare(b.slice) || a.metric.localeCompare(b.metric));

  const effective = thresholds.length > 0 ? thresholds : objKey && main.some((m) => m.key === objKey) ? [{ metric: objKey, minImprovement: 0 }] : [];
  const failed: string[] = [];
  for (const list of [main, perSlice]) {
    for (const m of list) {
      const t = effective.find((x) => x.metric === m.key) ?? effective.find((x) => x.metric === m.metric && !x.metric.includes('/'));
      if (!t) continue;
      m.threshold = t.minImprovement;
      m.pass = thresholdPass(m, t.minImprovement);
      if (m.pass === false && !failed.includes(m.key)) failed.push(m.key);
    }
  }
  const unknown = thresholds.filter((t) => !perSlice.some((m) => m.key === t.metric || m.metric === t.metric));
  if (unknown.length > 0) {
    throw new UnknownNameError('threshold metric', unknown[0]!.metric, [...new Set(perSlice.flatMap((m) => [m.key, m.metric]))]);
  }

  // Robustness: per headline (slice, metric): worst case, mean drop vs clean over perturbations; consistency.
  const robustness: MetricDelta[] = [];
  const rKeys: { slice: string; metric: string }[] = [];
  if (objKey) rKeys.push({ slice: objective.slice, metric: objective.metric });
  for (const s of [...new Set(keys.map((k) => k.slice))]) {
    const m = preferredMetric(keys.filter((k) => k.slice === s && !lowerIsBetter(k.metric)).map((k) => k.metric));
    if (m && !rKeys.some((k) => k.slice === s && k.metric === m) && s !== 'all') rKeys.push({ slice: s, metric: m });
  }
  const perturbations = [...new Set([...head.evalRows, ...base.evalRows].map((r) => r.perturbation))].filter((p) => p !== 'none' && p !== 'worst_case' && !p.endsWith(ORIGINAL_SUFFIX));
  for (const { slice, metric } of rKeys) {
    const wc = delta(`worst case ${keyOf(slice, metric)}`, slice, metric, value(base.evalRows, slice, metric, 'worst_case'), value(head.evalRows, slice, metric, 'worst_case'), null);
    if (wc.base !== null || wc.head !== null) robustness.push(wc);
    // HELM: each perturbation's drop over the inputs it changed, against clean scores of the same
    // inputs (`<p>:original`); stores from before that pairing fall back to clean over all inputs.
    const drop = (rows: EvalRow[]): number | null => {
      const ds: number[] = [];
      for (const p of perturbations) {
        const perturbed = value(rows, slice, metric, p);
        const clean = value(rows, slice, metric, originalOf(p)) ?? value(rows, slice, metric);
        if (perturbed !== null && clean !== null) ds.push(lowerIsBetter(metric) ? perturbed - clean : clean - perturbed);
      }
      return meanOf(ds);
    };
    // A drop is lower-is-better whatever the metric.
    const dd = delta(`mean drop ${keyOf(slice, metric)}`, slice, 'drop', drop(base.evalRows), drop(head.evalRows), null);
    dd.direction = 'lower';
    const imp = dd.delta === null ? null : -dd.delta;
    dd.improvement = imp;
    dd.outcome = imp === null ? 'n/a' : Math.abs(imp) <= EPS ? 'same' : 'untested';
    if (dd.base !== null || dd.head !== null) robustness.push(dd);
  }
  const consistency = (rows: EvalRow[]): number | null => meanOf(rows.filter((r) => r.metric === 'consistency' && r.slice === 'all' && Number.isFinite(r.value)).map((r) => r.value));
  const cons = delta('consistency', 'all', 'consistency', consistency(base.evalRows), consistency(head.evalRows), null);
  if (cons.base !== null || cons.head !== null) robustness.push(cons);

  const costRow = (name: string, b: number | null, h: number | null) => ({ name, base: b, head: h, delta: b !== null && h !== null ? h - b : null });
  // Per-request, one-off and monthly figures are fte roi's (src/cost/sweep-roi.ts), so compare, roi and the report agree.
  const cost = [
    costRow('run cost, measured (USD)', base.runUsd, head.runUsd),
    costRow('training + data preparation, amortised (USD, one-off)', base.oneOffUsd, head.oneOffUsd),
    costRow('inference per request (USD/request)', base.perRequestUsd, head.perRequestUsd),
    costRow(`monthly cost at ${head.monthlyRequests.toLocaleString('en-US')} requests/month (USD/month)`, base.monthlyUsd, head.monthlyUsd),
  ].filter((c) => c.base !== null || c.head !== null);

  const names = [...new Set([...Object.keys(base.params), ...Object.keys(head.params)])];
  // A parameter only one side has (a baseline has no LoRA rank) is shown, not counted as a change.
  const paramsDiff = names.map((n) => {
    const b = n in base.params ? fmtParam(base.params[n]) : '—';
    const h = n in head.params ? fmtParam(head.params[n]) : '—';
    return { name: n, base: b, head: h, changed: n in base.params && n in head.params && b !== h };
  });

  const changedPredictions = changedPreds(base, head, objective);

  const ob = objective.metric === 'val_loss' ? null : value(base.evalRows, objective.slice, objective.metric);
  const oh = objective.metric === 'val_loss' ? null : value(head.evalRows, objective.slice, objective.metric);
  const objDelta = objKey ? delta(objKey, objective.slice, objective.metric, ob, oh, null, ob !== null && oh !== null ? testOf(objective.slice, objective.metric) : null, alpha) : null;
  const { headline, summary } = headlineOf(objective, objDelta, main, failed, effective.length > 0, alpha);
  const strip = ({ evalRows: _e, predictions: _p, review: _r, ood: _o, ...rest }: CompareSide) => rest;
  return {
    marker: '<!-- fte:compare -->',
    headline,
    summary,
    base: strip(base),
    head: strip(head),
    objective: { key: objective.key, goal: objective.goal, base: ob, head: oh, ci95: objDelta?.ci95 ?? null, pValue: objDelta?.pValue ?? null, test: objDelta?.test ?? null, outcome: objDelta?.outcome ?? 'n/a' },
    alpha,
    metrics: main,
    perSlice,
    robustness,
    cost,
    paramsDiff,
    changedPredictions,
    thresholds: effective,
    failed,
    regression: failed.length > 0,
    limited: base.limited || head.limited,
    notes: [...(base.notes ?? []), ...(head.notes ?? [])],
    review: reviewComparison(base.review ?? null, head.review ?? null),
    ood: oodDeltas(base, head, objective, alpha, opts),
  };
}

/** The sides' ratings, or null when neither side's run was reviewed. Information only (see ReviewComparison). */
function reviewComparison(base: ReviewSummary | null, head: ReviewSummary | null): ReviewComparison | null {
  const b = base && base.started > 0 ? base : null;
  const h = head && head.started > 0 ? head : null;
  if (!b && !h) return null;
  const rubric = (s: ReviewSummary): string[] => s.items.map((it) => `${it.item}:${it.scale ? `${it.scale.min}-${it.scale.max}` : '?'}`).sort();
  const sameRubric = b !== null && h !== null && b.items.every((it) => it.scale !== null) && JSON.stringify(rubric(b)) === JSON.stringify(rubric(h));
  return { base: b, head: h, sameRubric };
}

/**
 * Does a thresholded metric pass? The rule (README, "fte compare"): with `t` the smallest acceptable
 * improvement in the metric's good direction, a metric FAILS when its whole 95% interval of the
 * improvement lies below `t` (the interval's upper bound < t), or, for t >= 0 (no regression
 * tolerated), when the paired test finds it significantly worse. Noise inside the interval never
 * fails a pull request. A metric without a paired test falls back to its point estimate.
 */
function thresholdPass(m: MetricDelta, t: number): boolean | null {
  if (m.improvement === null) return null;
  if (m.outcome === 'worse' && t >= 0) return false;
  const upper = m.ci95 ? (m.direction === 'lower' ? -m.ci95[0] : m.ci95[1]) : m.improvement;
  return upper >= t - EPS;
}

/** `+0.077 [−0.050, 0.200], p = 0.34` */
export function deltaText(m: Pick<MetricDelta, 'delta' | 'ci95' | 'pValue'>): string {
  const num = (v: number): string => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Number(Math.abs(v).toPrecision(3))}`;
  if (m.delta === null) return 'n/a';
  const ci = m.ci95 ? ` [${num(m.ci95[0])}, ${num(m.ci95[1])}]` : '';
  return `${num(m.delta)}${ci}${m.pValue === null ? '' : `, ${pText(m.pValue)}`}`;
}

/** `p = 0.34`, `p = 0.0021`, `p < 0.001`. */
export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${Number(p.toPrecision(2))}`;
}

/**
 * The verdict, led by the objective: `better` when the objective improved significantly (paired
 * test at `alpha`) and no thresholded metric failed; `worse` when it regressed significantly or a
 * threshold failed; otherwise `unchanged` (no significant change, with the interval shown). Without a
 * comparable objective (val_loss, or not measured on both sides) the significant metrics decide:
 * all better -> better, all worse -> worse, both -> mixed, none -> unchanged.
 * The summary is one sentence: `objective f1_macro: no significant change (+0.077 [−0.05, 0.2], p = 0.34); 0 of 15 metrics significantly better, 3 not significant`.
 */
function headlineOf(objective: Objective, obj: MetricDelta | null, main: MetricDelta[], failed: string[], thresholded: boolean, alpha: number): { headline: Comparison['headline']; summary: string } {
  const better = main.filter((m) => m.outcome === 'better');
  const worse = main.filter((m) => m.outcome === 'worse');
  const ns = main.filter((m) => m.outcome === 'ns' || m.outcome === 'untested');
  const names = (ms: MetricDelta[]): string => (ms.length === 0 ? '' : ` (${ms.slice(0, 4).map((m) => m.key).join(', ')}${ms.length > 4 ? ', ...' : ''})`);
  const moved = [
    `${better.length} of ${main.length} metrics significantly better${names(better)}`,
    ...(worse.length > 0 ? [`${worse.length} significantly worse${names(worse)}`] : []),
    ...(ns.length > 0 ? [`${ns.length} changed without significance`] : []),
  ].join(', ');
  const thresholds = failed.length > 0 ? `; ${failed.length} threshold${failed.length === 1 ? '' : 's'} failed (${failed.join(', ')})` : thresholded ? '; all thresholds pass' : '';
  let headline: Comparison['headline'];
  let lead: string;
  if (obj && obj.outcome !== 'n/a') {
    const d = deltaText(obj);
    lead =
      obj.outcome === 'same' ? `objective ${objective.key} unchanged`
      : obj.outcome === 'better' || obj.outcome === 'worse' ? `objective ${objective.key} significantly ${obj.outcome} at α = ${alpha} (${d})`
      : obj.outcome === 'ns' ? `objective ${objective.key}: no significant change at α = ${alpha} (${d})`
      : `objective ${objective.key} changed (${d}), untested: no per-example predictions to pair`;
    headline = failed.length > 0 || obj.outcome === 'worse' ? 'worse' : obj.outcome === 'better' ? 'better' : 'unchanged';
  } else {
    lead = `objective ${objective.key} not compared${objective.metric === 'val_loss' ? ' (a training loss; baselines have none)' : ''}`;
    headline = failed.length > 0 ? 'worse' : better.length > 0 && worse.length === 0 ? 'better' : worse.length > 0 && better.length === 0 ? 'worse' : better.length > 0 ? 'mixed' : 'unchanged';
  }
  return { headline, summary: `${lead}; ${moved}${thresholds}.` };
}

function changedPreds(base: CompareSide, head: CompareSide, objective: Objective, max = 5): ChangedPrediction[] {
  const clean = (ps: PredictionRow[]) => new Map(ps.filter((p) => p.perturbation === 'none').map((p) => [p.exampleId, p]));
  const b = clean(base.predictions);
  const h = clean(head.predictions);
  const out: ChangedPrediction[] = [];
  for (const [id, hp] of h) {
    const bp = b.get(id);
    if (!bp || bp.prediction === hp.prediction) continue;
    // Each example's own headline score (f1_macro for a classification example, rougeL for a generation one).
    const keys = Object.keys(hp.scores).filter((k) => k in bp.scores);
    const scoreName = keys.includes(objective.metric) ? objective.metric : preferredMetric(keys);
    const lower = scoreName ? lowerIsBetter(scoreName) : false;
    const bs = scoreName ? (bp.scores[scoreName] ?? null) : null;
    const hs = scoreName ? (hp.scores[scoreName] ?? null) : null;
    out.push({ exampleId: id, input: hp.input, reference: hp.reference, base: bp.prediction, head: hp.prediction, scoreName, baseScore: bs, headScore: hs, improvement: bs !== null && hs !== null ? (lower ? bs - hs : hs - bs) : null });
  }
  // Regressions first (qualitative review), then the biggest improvements.
  out.sort((x, y) => (x.improvement === null ? 1 : y.improvement === null ? -1 : x.improvement - y.improvement) || x.exampleId.localeCompare(y.exampleId));
  return out.slice(0, max);
}

