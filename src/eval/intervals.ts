/**
 * Confidence intervals of stored metrics: a seeded percentile bootstrap over the evaluated examples
 * (src/stats). Corpus metrics (BLEU, chrF, classification F1/P/R, perplexity) are resampled at the
 * corpus level: resample examples, sum their sufficient statistics, recompute the corpus statistic
 * (sacrebleu's bootstrap); metrics that are a mean of per-example scores resample those scores.
 */
import { StatsInputError, bootstrapCorpus, bootstrapInterval, type BootstrapResult } from '../stats/index.js';
import type { MetricDef, MetricInput } from './metrics/registry.js';

/** The spec's `evaluate.bootstrap`: resamples (default 1000) and seed (default 12345). */
export interface BootstrapSpec {
  resamples: number;
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapSpec = { resamples: 1000, seed: 12345 };

/** The interval columns of an `EvalRow` (empty when no interval is defined). */
export interface IntervalFields {
  ciLow?: number;
  ciHigh?: number;
  ciSignature?: string;
}

function fields(r: BootstrapResult, level: 'corpus' | 'mean'): IntervalFields {
  if (r.n === 0 || !Number.isFinite(r.ciLow) || !Number.isFinite(r.ciHigh)) return {};
  return { ciLow: r.ciLow, ciHigh: r.ciHigh, ciSignature: `${r.signature}|over:examples|level:${level}` };
}

/**
 * The 95% interval of metric `m` on `input` from its per-example statistics (`m.statistics`).
 * @returns empty fields when the metric has no statistics, there are no examples, or a resample
 *   gives a non-finite value
 */
export function metricInterval(m: MetricDef, input: MetricInput, opts: BootstrapSpec = DEFAULT_BOOTSTRAP): IntervalFields {
  if (!m.statistics) return {};
  const st = m.statistics(input);
  if (st.stats.length === 0) return {};
  try {
    const level = st.stats[0]!.length === 1 && m.kind !== 'likelihood' ? 'mean' : 'corpus';
    return fields(bootstrapCorpus(st.stats, st.aggregate, opts), level);
  } catch (err) {
    if (err instanceof StatsInputError) return {};
    throw err;
  }
}

/** The 95% interval of the mean of per-example values (0/1 shares such as consistency). */
export function meanInterval(values: number[], opts: BootstrapSpec = DEFAULT_BOOTSTRAP): IntervalFields {
  if (values.length === 0) return {};
  return fields(bootstrapInterval(values, opts), 'mean');
}
