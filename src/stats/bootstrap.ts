import { StatsInputError } from './errors.js';
import { type ResampleOptions, checkStats, percentileInterval, resampleIndices, resolveResampleOptions, score, sumStats } from './resample.js';

/** Options of {@link bootstrapInterval} and {@link bootstrapCorpus}. */
export interface BootstrapOptions extends ResampleOptions {
  /** Coverage of the percentile interval, in (0, 1). Default 0.95. */
  confidence?: number;
}

/** A metric value with its bootstrap interval. */
export interface BootstrapResult {
  /** The statistic on all examples (not the mean of the replicates); NaN when n = 0. */
  value: number;
  /** Lower end of the percentile interval, same unit as `value`; NaN when n = 0. */
  ciLow: number;
  /** Upper end of the percentile interval; NaN when n = 0. */
  ciHigh: number;
  /** Number of examples. */
  n: number;
  /** Names the procedure, e.g. `bootstrap-percentile:1000:seed=12345:ci=0.95`; stored beside the interval. */
  signature: string;
}

/**
 * The replicates of a corpus-level bootstrap: for each row of example indices, sum the listed
 * examples' statistics and apply `aggregate` (sacrebleu `_bootstrap_resample`:
 * `metric._compute_score_from_stats(stats[idxs].sum(0))`). The shared core of every bootstrap here.
 *
 * @param stats per-example sufficient statistics, shape [n][dim]
 * @param aggregate corpus score from summed statistics, [dim] -> number
 * @param indices rows of example indices, each shape [n]
 * @returns one score per row, shape [rows]
 * @throws StatsInputError when the aggregate returns a non-finite number
 */
export function corpusReplicates(
  stats: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  indices: Iterable<ArrayLike<number>>,
  fn = 'bootstrapCorpus',
): number[] {
  const dim = stats.length > 0 ? stats[0]!.length : 0;
  const out: number[] = [];
  for (const row of indices) out.push(score(aggregate, sumStats(stats, dim, row), fn, `resample ${out.length}`));
  return out;
}

/**
 * Percentile bootstrap interval of a corpus-level metric: resample the examples with replacement,
 * sum their sufficient statistics, recompute the corpus score from the sums (never an average of
 * per-example scores). This is sacrebleu's bootstrap for BLEU/chrF (`significance.py`,
 * `_bootstrap_resample`, and `estimate_ci` for the interval); Efron & Tibshirani (1993) ch. 13 for
 * the percentile interval.
 *
 * Degenerate inputs: n = 0 gives NaN value and interval; n = 1 gives a zero-width interval at the
 * value (every resample is that example).
 *
 * @param stats per-example sufficient statistics, shape [n][dim], finite numbers (e.g. BLEU's
 *   matches/totals per order and lengths; for a ratio metric `[numerator, denominator]`)
 * @param aggregate corpus score from summed statistics, [dim] -> number; must be finite on any resample
 * @param options resamples (default 1000), seed (default 12345), confidence (default 0.95)
 * @throws StatsInputError on ragged or non-finite statistics, resamples < 1 or not an integer,
 *   confidence outside (0, 1), or an aggregate that returns a non-finite number
 */
export function bootstrapCorpus(
  stats: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  options?: BootstrapOptions,
): BootstrapResult {
  return bootstrapCore(stats, aggregate, options, 'bootstrapCorpus');
}

function bootstrapCore(
  stats: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  options: BootstrapOptions | undefined,
  fn: string,
): BootstrapResult {
  const { resamples, seed } = resolveResampleOptions(options, fn);
  const confidence = options?.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new StatsInputError(`${fn}: confidence must be in (0, 1), got ${String(confidence)}`);
  const signature = `bootstrap-percentile:${resamples}:seed=${seed}:ci=${confidence}`;
  const dim = checkStats(stats, fn);
  const n = stats.length;
  if (n === 0) return { value: NaN, ciLow: NaN, ciHigh: NaN, n, signature };
  const value = score(aggregate, sumStats(stats, dim), fn, 'all examples');
  const [ciLow, ciHigh] = percentileInterval(corpusReplicates(stats, aggregate, resampleIndices(n, resamples, seed), fn), confidence);
  return { value, ciLow, ciHigh, n, signature };
}

/**
 * Percentile bootstrap interval of the mean of per-example scores (accuracy from 0/1 values, mean
 * token F1, …): {@link bootstrapCorpus} with statistics `[x_i]` and aggregate `sum / n`.
 *
 * @param values per-example scores, shape [n], finite numbers, any unit (the interval has the same unit)
 * @param options resamples (default 1000), seed (default 12345), confidence (default 0.95)
 * @returns `{ value: mean, ciLow, ciHigh, n, signature }`; n = 0 gives NaNs, n = 1 a zero-width interval
 * @throws StatsInputError on non-finite values, resamples < 1, confidence outside (0, 1)
 */
export function bootstrapInterval(values: readonly number[], options?: BootstrapOptions): BootstrapResult {
  const n = values.length;
  return bootstrapCore(
    values.map((v) => [v]),
    (summed) => summed[0]! / n,
    options,
    'bootstrapInterval',
  );
}
