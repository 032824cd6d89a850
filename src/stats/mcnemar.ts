import { binomialCdf } from './binomial.js';
import { StatsInputError } from './errors.js';

/** The result of {@link mcnemar}. */
export interface McNemarResult {
  /** Two-sided exact p-value in [0, 1]. */
  pValue: number;
  /** Discordant pairs where system A is right (1) and system B wrong (0). */
  b: number;
  /** Discordant pairs where system A is wrong (0) and system B right (1). */
  c: number;
  /** Number of examples (pairs), concordant ones included. */
  n: number;
  /** The test statistic as statsmodels reports it for `exact=True`: `min(b, c)`. */
  statistic: number;
  /** Names the procedure, stored beside the p-value. */
  signature: 'mcnemar-exact';
}

/**
 * Exact two-sided McNemar test of two systems scored 0/1 on the same examples: a two-sided binomial
 * (sign) test on the discordant pairs.
 *
 * `pValue = min(1, 2 * BinomCDF(min(b, c); b + c, 0.5))`, and 1 when `b + c = 0` (no discordant pair,
 * no evidence), exactly as `statsmodels.stats.contingency_tables.mcnemar(table, exact=True)` computes
 * it with `table = [[both right, b], [c, both wrong]]` (McNemar 1947; statsmodels
 * `contingency_tables.py`). Matches statsmodels to 1e-9 (test/stats/fixtures/mcnemar.json).
 *
 * @param a per-example correctness of system A, each 0 or 1, shape [n]
 * @param b per-example correctness of system B on the same examples in the same order, shape [n]
 * @throws StatsInputError when the lengths differ or a value is not 0 or 1 (booleans are refused too:
 *   pass numbers)
 */
export function mcnemar(a: readonly number[], b: readonly number[]): McNemarResult {
  if (a.length !== b.length) {
    throw new StatsInputError(`mcnemar: the two systems must be scored on the same examples; got ${a.length} and ${b.length} values`);
  }
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if ((x !== 0 && x !== 1) || (y !== 0 && y !== 1)) {
      throw new StatsInputError(`mcnemar: values must be 0 or 1; example ${i} has ${String(x)} and ${String(y)}`);
    }
    if (x === 1 && y === 0) onlyA++;
    else if (x === 0 && y === 1) onlyB++;
  }
  const statistic = Math.min(onlyA, onlyB);
  const pValue = Math.min(1, 2 * binomialCdf(statistic, onlyA + onlyB, 0.5));
  return { pValue, b: onlyA, c: onlyB, n: a.length, statistic, signature: 'mcnemar-exact' };
}
