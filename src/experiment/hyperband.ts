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

/** A run as the savings of early termination need it (a `runs` row: status, steps, wall time, planned steps). */
export interface RunSteps {
  status: string;
  /** Optimizer steps the run would have trained (`runs.planned_steps`; null for runs stored before fte recorded it). */
  plannedSteps: number | null | undefined;
  /** Optimizer steps it trained. */
  steps: number | null | undefined;
  /** Its training wall time, seconds. */
  wallSeconds: number | null | undefined;
}

/** What early termination saved over a set of runs (`earlyTerminationSavings`). */
export interface EarlyTerminationSavings {
  /** Runs with status `stopped`. */
  stopped: number;
  /** Optimizer steps not trained: planned minus trained, summed over the stopped runs whose plan is known. */
  stepsSaved: number;
  /** Estimated wall seconds not spent: each such run's steps not trained x its measured seconds per step. */
  wallSecondsSaved: number;
  /** Stopped runs left out of the two sums: planned steps not recorded (stored before fte kept them) or no step trained. */
  unknown: number;
}

/** How `earlyTerminationSavings` computes its figures, in one sentence for readers of the report. */
export const SAVINGS_METHOD =
  'Steps not run = each stopped run\'s planned optimizer steps minus the steps it trained, summed; time saved = each stopped run\'s measured seconds per step (its training wall time, validation passes included, divided by the steps it trained) x its steps not run, summed: an estimate at the pace it had.';

/**
 * The steps and time a sweep's early termination did not spend: over the runs with status `stopped`,
 * planned minus trained optimizer steps, and those steps at each run's own measured pace
 * (wall seconds / steps trained). The one computation behind `fte sweep`'s hyperband line and the
 * report's sweep section. A stopped run whose planned steps are unknown (stored before they were
 * recorded) or that trained no step is counted in `stopped` and `unknown`, not in the sums.
 */
export function earlyTerminationSavings(runs: readonly RunSteps[]): EarlyTerminationSavings {
  const out: EarlyTerminationSavings = { stopped: 0, stepsSaved: 0, wallSecondsSaved: 0, unknown: 0 };
  for (const r of runs) {
    if (r.status !== 'stopped') continue;
    out.stopped++;
    const saved = stepsNotRun(r);
    if (!saved) {
      out.unknown++;
      continue;
    }
    out.stepsSaved += saved.steps;
    out.wallSecondsSaved += saved.wallSeconds;
  }
  return out;
}

/** One stopped run's steps not trained and their estimated wall seconds; null when it was not stopped or its plan or pace is unknown. */
export function stepsNotRun(r: RunSteps): { steps: number; wallSeconds: number } | null {
  const { plannedSteps: planned, steps, wallSeconds } = r;
  if (r.status !== 'stopped' || planned == null || steps == null || !(steps > 0) || wallSeconds == null || !Number.isFinite(wallSeconds)) return null;
  const left = Math.max(0, planned - steps);
  return { steps: left, wallSeconds: (wallSeconds / steps) * left };
}
