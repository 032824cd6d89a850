/**
 * Lower tail of the binomial distribution, `P(X <= k)` for `X ~ Binomial(n, p)`, computed in log space
 * so that it stays exact to ~1e-12 for n in the millions (where `C(n, k)` and `p^n` overflow or
 * underflow a double).
 *
 * Method: `log C(n, i)` by the running sum `sum_{j=1..i} log((n - j + 1) / j)` (Neumaier-compensated,
 * so half a million terms do not accumulate rounding), each term
 * `log pmf(i) = log C(n, i) + i log p + (n - i) log(1 - p)`, then log-sum-exp over `i = 0..k`.
 * Equal to `scipy.stats.binom.cdf(k, n, p)` (which statsmodels' exact McNemar calls) to within
 * floating-point rounding; see test/stats/mcnemar.test.ts.
 *
 * @param k number of successes, an integer (values below 0 give 0, values >= n give 1)
 * @param n number of trials, a non-negative integer
 * @param p success probability in [0, 1]
 * @returns a probability in [0, 1]
 */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const logPmf = new Float64Array(k + 1); // [k + 1]: log pmf(i), i = 0..k
  let logChoose = 0; // log C(n, i), running; compensation below
  let comp = 0;
  let max = -Infinity;
  for (let i = 0; i <= k; i++) {
    if (i > 0) {
      const term = Math.log((n - i + 1) / i);
      const t = logChoose + term;
      comp += Math.abs(logChoose) >= Math.abs(term) ? logChoose - t + term : term - t + logChoose;
      logChoose = t;
    }
    const v = logChoose + comp + i * logP + (n - i) * logQ;
    logPmf[i] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(logPmf[i]! - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}
