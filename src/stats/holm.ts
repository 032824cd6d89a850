import { StatsInputError } from './errors.js';

/**
 * Holm's step-down adjusted p-values for m comparisons (Holm 1979), equal to
 * `statsmodels.stats.multitest.multipletests(p, method='holm')[1]`: sort ascending,
 * `adj_(i) = min(1, max_{j <= i} (m - j) * p_(j))` for 0-based rank i, then return in input order.
 * Reject comparison k at level alpha when `adjusted[k] <= alpha`; controls the family-wise error rate.
 *
 * @param pValues raw p-values, shape [m], each in [0, 1]
 * @returns adjusted p-values, shape [m], same order as the input; [] for []
 * @throws StatsInputError when a value is not a number in [0, 1]
 */
export function holmBonferroni(pValues: readonly number[]): number[] {
  const m = pValues.length;
  pValues.forEach((p, i) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new StatsInputError(`holmBonferroni: p-value ${i} must be in [0, 1], got ${String(p)}`);
  });
  const order = pValues.map((_, i) => i).sort((x, y) => pValues[x]! - pValues[y]! || x - y);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, (m - rank) * pValues[idx]!);
    adjusted[idx] = Math.min(1, running);
  });
  return adjusted;
}
