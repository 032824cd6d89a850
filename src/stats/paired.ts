import { StatsInputError } from './errors.js';
import { type ResampleOptions, checkStats, percentileInterval, resampleIndices, resolveResampleOptions, score, sumStats } from './resample.js';

/** The result of {@link pairedBootstrap}: system A minus system B on the mean of per-example scores. */
export interface PairedBootstrapResult {
  /** mean(a) - mean(b) on all examples, in the scores' unit; NaN when n = 0. */
  meanDiff: number;
  /** 95% percentile interval of the resampled differences mean(a*) - mean(b*); [NaN, NaN] when n = 0. */
  ci95: [number, number];
  /** Two-sided p-value of "no difference" by sacrebleu's paired-bootstrap definition (see {@link pairedBootstrapPValue}). */
  pValue: number;
  /** Number of paired examples. */
  n: number;
  /** Number of bootstrap resamples. */
  resamples: number;
  /** Names the procedure, e.g. `paired-bootstrap:1000:seed=12345`; stored beside the p-value. */
  signature: string;
}

/** The result of {@link pairedBootstrapCorpus}: corpus score of A minus corpus score of B. */
export interface PairedBootstrapCorpusResult {
  /** aggregate(sum of A's statistics) - aggregate(sum of B's statistics) on all examples; NaN when n = 0. */
  diff: number;
  /** Corpus score of A on all examples; NaN when n = 0. */
  scoreA: number;
  /** Corpus score of B on all examples; NaN when n = 0. */
  scoreB: number;
  /** 95% percentile interval of the resampled differences; [NaN, NaN] when n = 0. */
  ci95: [number, number];
  /** See {@link PairedBootstrapResult.pValue}. */
  pValue: number;
  n: number;
  resamples: number;
  signature: string;
}

/**
 * The p-value of sacrebleu's paired bootstrap test (`significance.py`, `_paired_bs_test` and
 * `_compute_p_value`, which replicate Moses' `bootstrap-hypothesis-difference-significance.pl`,
 * after Koehn 2004). Read from sacrebleu's source, it is:
 *
 *   observed = |scoreB - scoreA|                       on all examples
 *   d_r      = |scoreA*_r - scoreB*_r|                 per resample r (absolute value first)
 *   s_r      = d_r - mean(d)                           centred
 *   c        = #{ r : s_r > observed }                 strictly greater
 *   p        = (c + 1) / (R + 1)
 *
 * One deliberate deviation: when the observed difference and every resampled difference are exactly
 * 0 (the systems agree on every example that could be drawn), sacrebleu's strict `>` gives c = 0 and
 * p = 1 / (R + 1), which would call a system significantly different from itself; here p = 1.
 * Caveat inherited from the procedure: with very few examples (n = 1, or constant per-example
 * differences) every resample shows the same non-zero difference and p = 1 / (R + 1).
 *
 * @param observedDiff the difference of the two systems' scores on all examples (sign ignored)
 * @param replicateDiffs the difference on each resample, shape [R], R >= 1 (sign ignored)
 * @returns p in (0, 1]
 * @throws StatsInputError when there are no replicates or a value is not finite
 */
export function pairedBootstrapPValue(observedDiff: number, replicateDiffs: readonly number[]): number {
  const r = replicateDiffs.length;
  if (r === 0) throw new StatsInputError('pairedBootstrapPValue: needs at least one resampled difference');
  if (!Number.isFinite(observedDiff) || replicateDiffs.some((d) => !Number.isFinite(d))) {
    throw new StatsInputError('pairedBootstrapPValue: differences must be finite numbers');
  }
  const observed = Math.abs(observedDiff);
  const abs = replicateDiffs.map(Math.abs);
  if (observed === 0 && abs.every((d) => d === 0)) return 1;
  let mean = 0;
  for (const d of abs) mean += d;
  mean /= r;
  let c = 0;
  for (const d of abs) if (d - mean > observed) c++;
  return (c + 1) / (r + 1);
}

/**
 * The core of the paired bootstraps: both systems resampled with the SAME example indices per
 * resample, each scored from its summed statistics; returns the full-data scores and the per-resample
 * differences A - B, shape [rows]. Exported for tests that feed sacrebleu's own indices.
 */
export function pairedReplicates(
  statsA: readonly (readonly number[])[],
  statsB: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  indices: Iterable<ArrayLike<number>>,
  fn = 'pairedBootstrapCorpus',
): { scoreA: number; scoreB: number; diffs: number[] } {
  const dimA = checkStats(statsA, fn);
  const dimB = checkStats(statsB, fn);
  if (statsA.length !== statsB.length) {
    throw new StatsInputError(`${fn}: the two systems must be scored on the same examples; got ${statsA.length} and ${statsB.length}`);
  }
  if (dimA !== dimB) throw new StatsInputError(`${fn}: the two systems' statistics differ in length (${dimA} and ${dimB})`);
  const scoreA = score(aggregate, sumStats(statsA, dimA), fn, 'system A on all examples');
  const scoreB = score(aggregate, sumStats(statsB, dimB), fn, 'system B on all examples');
  const diffs: number[] = [];
  for (const row of indices) {
    const what = `resample ${diffs.length}`;
    diffs.push(score(aggregate, sumStats(statsA, dimA, row), fn, what) - score(aggregate, sumStats(statsB, dimB, row), fn, what));
  }
  return { scoreA, scoreB, diffs };
}

/**
 * Paired bootstrap test of two systems' corpus-level scores on the same examples (Koehn 2004,
 * "Statistical Significance Tests for Machine Translation Evaluation"; sacrebleu `--paired-bs`):
 * draw R resamples of example indices, apply each to BOTH systems, recompute both corpus scores from
 * summed statistics, and take the differences. The interval is the 95% percentile interval of the
 * differences (sacrebleu `estimate_ci`'s indices); the p-value is {@link pairedBootstrapPValue}.
 *
 * @param statsA per-example sufficient statistics of system A, shape [n][dim]
 * @param statsB the same for system B, same examples in the same order, shape [n][dim]
 * @param aggregate corpus score from summed statistics, [dim] -> number; must be finite on any resample
 * @param options resamples (default 1000), seed (default 12345)
 * @returns n = 0 gives NaN diff/scores/interval and p = 1 (no evidence)
 * @throws StatsInputError on different example counts or dimensions, ragged or non-finite statistics,
 *   resamples < 1, or an aggregate that returns a non-finite number
 */
export function pairedBootstrapCorpus(
  statsA: readonly (readonly number[])[],
  statsB: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  options?: ResampleOptions,
): PairedBootstrapCorpusResult {
  return pairedCore(statsA, statsB, aggregate, options, 'pairedBootstrapCorpus');
}

function pairedCore(
  statsA: readonly (readonly number[])[],
  statsB: readonly (readonly number[])[],
  aggregate: (summed: number[]) => number,
  options: ResampleOptions | undefined,
  fn: string,
): PairedBootstrapCorpusResult {
  const { resamples, seed } = resolveResampleOptions(options, fn);
  const signature = `paired-bootstrap:${resamples}:seed=${seed}`;
  const n = statsA.length;
  if (n === 0 && statsB.length === 0) {
    return { diff: NaN, scoreA: NaN, scoreB: NaN, ci95: [NaN, NaN], pValue: 1, n, resamples, signature };
  }
  const { scoreA, scoreB, diffs } = pairedReplicates(statsA, statsB, aggregate, resampleIndices(n, resamples, seed), fn);
  const diff = scoreA - scoreB;
  return { diff, scoreA, scoreB, ci95: percentileInterval(diffs, 0.95), pValue: pairedBootstrapPValue(diff, diffs), n, resamples, signature };
}

/**
 * Paired bootstrap test of the mean of per-example scores of two systems on the same examples:
 * {@link pairedBootstrapCorpus} with statistics `[x_i]` and aggregate `sum / n`.
 *
 * @param a per-example scores of system A, shape [n], finite numbers
 * @param b per-example scores of system B on the same examples in the same order, shape [n]
 * @param options resamples (default 1000), seed (default 12345)
 * @returns `{ meanDiff: mean(a) - mean(b), ci95: [low, high], pValue, n, resamples, signature }`;
 *   identical systems give meanDiff 0 and p = 1; n = 0 gives NaNs and p = 1
 * @throws StatsInputError on unequal lengths, non-finite values, resamples < 1
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], options?: ResampleOptions): PairedBootstrapResult {
  if (a.length !== b.length) {
    throw new StatsInputError(`pairedBootstrap: the two systems must be scored on the same examples; got ${a.length} and ${b.length} values`);
  }
  const n = a.length;
  const r = pairedCore(
    a.map((v) => [v]),
    b.map((v) => [v]),
    (summed) => summed[0]! / n,
    options,
    'pairedBootstrap',
  );
  return { meanDiff: r.diff, ci95: r.ci95, pValue: r.pValue, n: r.n, resamples: r.resamples, signature: r.signature };
}
