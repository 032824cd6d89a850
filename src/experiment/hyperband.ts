/**
 * Hyperband early termination with W&B sweeps' semantics (Li et al. 2018, "Hyperband: A Novel
 * Bandit-Based Approach to Hyperparameter Optimization", JMLR; W&B's `early_terminate: {type: hyperband}`).
 *
 * An iteration is one validation evaluation of a run (every `evalEvery` optimizer steps and at each
 * epoch end). Brackets sit at `round(minIter * eta^k)` iterations, k = 0, 1, 2, ... (at most `maxIter`
 * when given). When a run reaches a bracket, its value there (the best validation loss so far; lower
 * is better: the only objective available while training) joins the values every run of the sweep
 * had at that bracket, and the run is stopped when its value is worse than the cut-off: the `1/eta`
 * quantile (linear interpolation, numpy's default) of those values, i.e. only the best 1/eta of the
 * runs that reached the bracket go on. The first run to reach a bracket always continues.
 */

/** `sweep.earlyTerminate` as the spec gives it. */
export interface HyperbandSpec {
  type: 'hyperband';
  /** First bracket, in validation evaluations (>= 1). */
  minIter: number;
  /** Bracket spacing and the kept fraction 1/eta (> 1). Default 3 (W&B's). */
  eta: number;
  /** No bracket beyond this many evaluations. */
  maxIter?: number;
}

/** Bracket iterations `round(minIter * eta^k)`, increasing, up to `maxIter` (or `limit`, default 1000). */
export function hyperbandBrackets(h: HyperbandSpec, limit = 1000): number[] {
  const top = Math.min(h.maxIter ?? limit, limit);
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const it = Math.round(h.minIter * h.eta ** k);
    if (it > top) break;
    if (out.at(-1) !== it) out.push(it);
  }
  return out;
}

/** The q-quantile of `values` (0 <= q <= 1) with linear interpolation between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * The sweep-wide record of values at each bracket, and the stop decision (see the module comment).
 * One instance per sweep, in the parent process (the one place that sees every run).
 */
export class HyperbandState {
  private readonly brackets: Set<number>;
  private readonly seen = new Map<number, number[]>();
  constructor(readonly spec: HyperbandSpec) {
    this.brackets = new Set(hyperbandBrackets(spec));
  }
  /** True when `iteration` (1-based count of a run's validation evaluations) is a bracket. */
  isBracket(iteration: number): boolean {
    return this.brackets.has(iteration);
  }
  /**
   * Record a run's value (best validation loss so far) at a bracket and decide: `stop` when it is
   * above the 1/eta quantile of every value recorded at that bracket (this one included); `cutoff`
   * is that quantile. Not a bracket: never stop.
   */
  decide(iteration: number, value: number): { stop: boolean; cutoff: number | null } {
    if (!this.isBracket(iteration)) return { stop: false, cutoff: null };
    const values = this.seen.get(iteration) ?? [];
    values.push(Number.isFinite(value) ? value : Infinity);
    this.seen.set(iteration, values);
    const finite = values.filter(Number.isFinite);
    if (!Number.isFinite(value)) return { stop: true, cutoff: finite.length ? quantile(finite, 1 / this.spec.eta) : null };
    const cutoff = quantile(finite, 1 / this.spec.eta);
    return { stop: value > cutoff, cutoff };
  }
}
