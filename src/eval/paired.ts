/**
 * Paired significance of two subjects scored on the same examples, metric by metric (DESIGN.md,
 * "Verdicts"): exact McNemar for metrics that score each example 0 or 1 (accuracy, exact match,
 * invalid rate), and Koehn's (2004) paired bootstrap, as sacrebleu's `--paired-bs` runs it, for the
 * rest, corpus metrics included (BLEU, chrF, macro-F1 and perplexity are recomputed from summed
 * per-example statistics on every resample). Both tests name themselves in a signature stored and
 * shown beside the p-value. The interval is always the paired bootstrap's 95% percentile interval of
 * the difference head − base.
 */
import { UserInputError } from '../errors.js';
import { mcnemar, pairedBootstrapCorpus } from '../stats/index.js';
import { getMetric, type MetricStatistics } from './metrics/registry.js';

/** Metrics whose per-example statistic is correct/incorrect (0 or 1 on the metric's scale): McNemar applies. */
export const ZERO_ONE_METRICS: ReadonlySet<string> = new Set(['accuracy', 'exact_match', 'invalid_rate']);

/** One example of one subject, as stored in `predictions` (clean inputs). */
export interface PairedExample {
  exampleId: string;
  prediction: string;
  reference: string;
  /** Perplexity only: the example's summed token NLL (nats) and its token count. */
  nll?: { sum: number; tokens: number };
}

/** A stored prediction row as `predictions` holds it (PredictionRow or the store's PredictionRecord). */
export interface StoredPrediction {
  exampleId: string;
  perturbation: string;
  prediction: string | null;
  reference: string | null;
  scores: Record<string, number>;
  category?: string | null;
  labels?: readonly string[] | null;
}

/**
 * The clean predictions of one subject on `slice` (`all`: every example) as paired-test examples,
 * with the slice's fixed label set when the rows carry one (schema 3; older rows carry none).
 */
export function pairedExamples(rows: readonly StoredPrediction[], slice: string): { examples: PairedExample[]; labels?: string[] } {
  const inSlice = rows.filter((p) => p.perturbation === 'none' && (slice === 'all' || p.category === slice));
  const labels = [...new Set(inSlice.flatMap((p) => p.labels ?? []))];
  const examples = inSlice.map((p): PairedExample => {
    const mean = p.scores.nll_mean;
    const tokens = p.scores.nll_tokens;
    return { exampleId: p.exampleId, prediction: p.prediction ?? '', reference: p.reference ?? '', ...(mean !== undefined && tokens ? { nll: { sum: mean * tokens, tokens } } : {}) };
  });
  return labels.length ? { examples, labels } : { examples };
}

export interface PairedTestOptions {
  /** Classification: the slice's fixed label set (default: the distinct true labels). */
  labels?: readonly string[];
  /** Bootstrap resamples (default 1000) and seed (default 12345), as src/stats. */
  resamples?: number;
  seed?: number;
}

/** The paired test of one metric: head − base. */
export interface PairedTestResult {
  metric: string;
  /** `mcnemar-exact` or `paired-bootstrap:<resamples>:seed=<seed>`. */
  test: string;
  /** Two-sided p-value of "no difference". */
  pValue: number;
  /** head − base on all examples, in the metric's unit. */
  diff: number;
  /** 95% percentile interval of head − base from the paired bootstrap, metric's unit. */
  ci95: [number, number];
  /** Paired examples. */
  n: number;
  /** McNemar only: examples head got right and base wrong (b), and the opposite (c). */
  discordant?: { headOnly: number; baseOnly: number };
}

/** Two sides scored on different example sets: a comparison of them would not be paired. */
export class ExampleMismatchError extends UserInputError {
  constructor(
    readonly headCount: number,
    readonly baseCount: number,
    readonly common: number,
  ) {
    super(`the two sides were scored on different examples (head ${headCount}, base ${baseCount}, ${common} in common); a paired comparison needs the same test examples`);
  }
}

/**
 * Aligns `base` to `head`'s example order.
 * @throws ExampleMismatchError when the example id sets differ (or an id repeats).
 */
export function alignExamples(head: readonly PairedExample[], base: readonly PairedExample[]): PairedExample[] {
  const byId = new Map(base.map((e) => [e.exampleId, e]));
  const common = head.filter((e) => byId.has(e.exampleId)).length;
  if (common !== head.length || common !== base.length || byId.size !== base.length || new Set(head.map((e) => e.exampleId)).size !== head.length) {
    throw new ExampleMismatchError(head.length, base.length, common);
  }
  return head.map((e) => byId.get(e.exampleId)!);
}

/** The metric's per-example statistics on one side, or null when the stored predictions cannot give them. @throws UnknownNameError */
function statisticsOf(metric: string, side: readonly PairedExample[], labels: readonly string[] | undefined): MetricStatistics | null {
  const def = getMetric(metric);
  if (!def.statistics) return null;
  if (metric === 'perplexity') {
    // [sum NLL, tokens] per example from the stored sums, with the registry's own aggregate (exp(sum / tokens)).
    if (side.some((e) => !e.nll)) return null;
    const { aggregate } = def.statistics({ predictions: [], references: [], tokenNllPerExample: [] });
    return { stats: side.map((e) => [e.nll!.sum, e.nll!.tokens]), aggregate };
  }
  return def.statistics({ predictions: side.map((e) => e.prediction), references: side.map((e) => [e.reference]), ...(labels ? { labels } : {}) });
}

/**
 * The paired test of `metric` between `head` and `base` (same examples, any order).
 * @returns null when the metric cannot be tested from stored predictions (no statistics, no NLL)
 * @throws ExampleMismatchError when the two sides were scored on different examples; UnknownNameError for an unknown metric
 */
export function pairedTest(metric: string, head: readonly PairedExample[], base: readonly PairedExample[], opts: PairedTestOptions = {}): PairedTestResult | null {
  const alignedBase = alignExamples(head, base);
  const sh = statisticsOf(metric, head, opts.labels);
  const sb = statisticsOf(metric, alignedBase, opts.labels);
  if (!sh || !sb) return null;
  const boot = pairedBootstrapCorpus(sh.stats, sb.stats, sh.aggregate, { resamples: opts.resamples, seed: opts.seed });
  const common = { metric, diff: boot.diff, ci95: boot.ci95, n: boot.n };
  if (ZERO_ONE_METRICS.has(metric)) {
    const unit = (v: number) => (v === 0 ? 0 : 1);
    const m = mcnemar(sh.stats.map((s) => unit(s[0]!)), sb.stats.map((s) => unit(s[0]!)));
    return { ...common, test: m.signature, pValue: m.pValue, discordant: { headOnly: m.b, baseOnly: m.c } };
  }
  return { ...common, test: boot.signature, pValue: boot.pValue };
}
