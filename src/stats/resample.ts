import { StatsInputError } from './errors.js';
import { mulberry32 } from './random.js';

/** Options shared by every bootstrap in this stage. */
export interface ResampleOptions {
  /** Number of bootstrap resamples, an integer >= 1. Default 1000 (sacrebleu's `--paired-bs-n` default). */
  resamples?: number;
  /** Seed of the mulberry32 generator that draws the resamples, an integer. Default 12345 (sacrebleu's `SACREBLEU_SEED` default). */
  seed?: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_SEED = 12345;

/** Validated `{ resamples, seed }`. @throws StatsInputError on a non-integer or < 1 resample count or a non-integer seed */
export function resolveResampleOptions(options: ResampleOptions | undefined, fn: string): { resamples: number; seed: number } {
  const resamples = options?.resamples ?? DEFAULT_RESAMPLES;
  const seed = options?.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new StatsInputError(`${fn}: resamples must be an integer >= 1, got ${String(resamples)}`);
  }
  if (!Number.isInteger(seed)) throw new StatsInputError(`${fn}: seed must be an integer, got ${String(seed)}`);
  return { resamples, seed };
}

/**
 * The seeded resample indices: `resamples` rows, each `n` example indices drawn uniformly with
 * replacement (as sacrebleu's `rng.choice(n, size=(resamples, n), replace=True)`), each row shape [n].
 * The rows come from one mulberry32 stream, so they are a pure function of (n, resamples, seed). One
 * buffer is reused: a row is valid until the next one is drawn (memory O(n), not O(resamples * n)).
 */
export function* resampleIndices(n: number, resamples: number, seed: number): Generator<Uint32Array> {
  const rng = mulberry32(seed);
  const row = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) row[i] = Math.floor(rng() * n);
    yield row;
  }
}

/**
 * Applies a corpus aggregate to summed statistics and insists on a finite number.
 * @throws StatsInputError when the aggregate returns NaN or an infinity
 */
export function score(aggregate: (summed: number[]) => number, summed: number[], fn: string, what: string): number {
  const v = aggregate(summed);
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new StatsInputError(`${fn}: the aggregate returned ${String(v)} for ${what} (summed statistics [${summed.join(', ')}]); it must return a finite number for any resample`);
  }
  return v;
}

/**
 * Checks per-example sufficient statistics: a non-empty array of equal-length vectors of finite
 * numbers. Returns the vector length (the statistics' dimension), or 0 when there are no examples.
 * @throws StatsInputError on ragged or non-finite statistics
 */
export function checkStats(stats: readonly (readonly number[])[], fn: string): number {
  if (stats.length === 0) return 0;
  const dim = stats[0]!.length;
  for (let i = 0; i < stats.length; i++) {
    const row = stats[i]!;
    if (row.length !== dim) throw new StatsInputError(`${fn}: every example needs ${dim} statistics; example ${i} has ${row.length}`);
    for (const v of row) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new StatsInputError(`${fn}: example ${i} has a non-finite statistic ${String(v)}`);
    }
  }
  return dim;
}

/** Column sums of `stats` over the examples listed in `indices` (all examples when omitted), shape [dim]. */
export function sumStats(stats: readonly (readonly number[])[], dim: number, indices?: ArrayLike<number>): number[] {
  const sums = new Array<number>(dim).fill(0);
  const count = indices ? indices.length : stats.length;
  for (let j = 0; j < count; j++) {
    const row = stats[indices ? indices[j]! : j]!;
    for (let d = 0; d < dim; d++) sums[d]! += row[d]!;
  }
  return sums;
}

/**
 * The percentile interval of bootstrap replicates: with `alpha = 1 - confidence` and R replicates
 * sorted ascending, `[sorted[lo], sorted[R - 1 - lo]]` where `lo = floor(R * alpha / 2)`. For R = 1000
 * and 95% that is the 26th and 975th values, sacrebleu's `estimate_ci` (`n // 40`, `n - n // 40 - 1`).
 * Replicates that are NaN sort last. An empty list gives [NaN, NaN].
 */
export function percentileInterval(replicates: readonly number[], confidence: number): [number, number] {
  const r = replicates.length;
  if (r === 0) return [NaN, NaN];
  const sorted = Float64Array.from(replicates).sort(); // typed-array sort is numeric, NaN last
  const lo = Math.min(r - 1, Math.floor((r * (1 - confidence)) / 2 + 1e-9));
  return [sorted[lo]!, sorted[r - 1 - lo]!];
}
