/**
 * Tree-structured Parzen Estimator (TPE), as Optuna's `TPESampler` does it with its defaults
 * (independent sampling per parameter): Bergstra et al. 2011, "Algorithms for Hyper-Parameter
 * Optimization" (NeurIPS), and Watanabe 2023, "Tree-Structured Parzen Estimator: Understanding Its
 * Algorithm Components and Their Roles for Better Empirical Performance" (arXiv:2304.11127).
 *
 * Given the trials so far (objective values, null for trials still running or failed), the best
 * `gamma(n) = min(ceil(0.1 n), 25)` completed trials form the "below" group and the rest (running and
 * failed trials included: Optuna's constant liar, so parallel workers do not all propose the same
 * point) the "above" group. Per parameter, a Parzen estimator l(x) is fitted to the below group and
 * g(x) to the above group; `candidates` points are drawn from l and the one maximising
 * log l(x) - log g(x) (the expected-improvement ratio) is proposed. Before `startup` completed trials
 * the proposal is a draw from the prior (random search).
 *
 * Estimators (in the parameter's internal space: log for log-uniform, value otherwise):
 * - numeric (uniform, log-uniform, int): a mixture of Gaussians truncated to [low, high], one per
 *   observation plus a prior component at the middle with sigma = high - low (weight `priorWeight`);
 *   each observation's sigma is the larger gap to its sorted neighbours (hyperopt's rule), clipped to
 *   [(high - low) / min(100, 1 + n), high - low] (Optuna's "magic clip"). Integers are drawn on
 *   [low - 0.5, high + 0.5] and rounded; `q` rounds to a multiple of q.
 * - categorical: choice i has weight count_i + priorWeight / k.
 *
 * Pure and seeded: the same history and seed give the same proposal.
 */
import { mulberry32 } from '../random.js';

/** One searched parameter. `low`/`high` are values (not logs); `log` searches log(x) uniformly. */
export type SearchDimension =
  | { name: string; kind: 'float'; low: number; high: number; log: boolean; q?: number }
  | { name: string; kind: 'int'; low: number; high: number }
  | { name: string; kind: 'categorical'; choices: readonly unknown[] };

/** A trial: its parameter values and its objective (null while it runs, or when it failed or diverged). */
export interface TpeTrial {
  values: Record<string, unknown>;
  objective: number | null;
}

export interface TpeOptions {
  goal: 'minimize' | 'maximize';
  /** Seed of the draws (mulberry32). */
  seed: number;
  /** Completed trials before TPE takes over from random draws. Default 10 (Optuna's). */
  startup?: number;
  /** Candidates drawn from l(x) per parameter. Default 24 (Optuna's). */
  candidates?: number;
  /** Weight of the prior component. Default 1 (Optuna's). */
  priorWeight?: number;
}

/** Optuna's default split: the best min(ceil(0.1 n), 25) of n completed trials are "below". */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Propose the next trial's values from the history (see the module comment).
 * `draw` is an extra stream index: proposal `k` of the same history uses seed `seed + k` (a caller
 * retrying after a duplicate proposal passes 1, 2, ...).
 */
export function tpePropose(space: readonly SearchDimension[], history: readonly TpeTrial[], opts: TpeOptions, draw = 0): Record<string, unknown> {
  const rand = mulberry32((opts.seed + 0x9e37 * (history.length + 1) + 7919 * draw) >>> 0);
  const startup = opts.startup ?? 10;
  const nCand = opts.candidates ?? 24;
  const priorWeight = opts.priorWeight ?? 1;
  const completed = history.filter((t) => t.objective !== null && Number.isFinite(t.objective));
  const out: Record<string, unknown> = {};
  if (completed.length < startup || completed.length === 0) {
    for (const dim of space) out[dim.name] = fromInternal(dim, sampleUniform(dim, rand));
    return out;
  }
  const sign = opts.goal === 'maximize' ? -1 : 1;
  const sorted = [...completed].sort((a, b) => sign * (a.objective! - b.objective!));
  const nBelow = defaultGamma(completed.length);
  const below = sorted.slice(0, nBelow);
  const above = [...sorted.slice(nBelow), ...history.filter((t) => !completed.includes(t))];
  for (const dim of space) {
    if (dim.kind === 'categorical') {
      const l = categoricalWeights(dim, below, priorWeight);
      const g = categoricalWeights(dim, above, priorWeight);
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < nCand; c++) {
        const i = pickWeighted(l, rand);
        const score = Math.log(l[i]!) - Math.log(g[i]!);
        if (score > bestScore) [best, bestScore] = [i, score];
      }
      out[dim.name] = dim.choices[best];
      continue;
    }
    const [lo, hi] = bounds(dim);
    const l = parzen(internalValues(dim, below), lo, hi, priorWeight);
    const g = parzen(internalValues(dim, above), lo, hi, priorWeight);
    let best = NaN;
    let bestScore = -Infinity;
    for (let c = 0; c < nCand; c++) {
      const x = sampleMixture(l, lo, hi, rand);
      const score = logDensity(l, lo, hi, x) - logDensity(g, lo, hi, x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    out[dim.name] = fromInternal(dim, best);
  }
  return out;
}

/** The search range in internal space. */
function bounds(dim: Exclude<SearchDimension, { kind: 'categorical' }>): [number, number] {
  if (dim.kind === 'int') return [dim.low - 0.5, dim.high + 0.5];
  return dim.log ? [Math.log(dim.low), Math.log(dim.high)] : [dim.low, dim.high];
}

function sampleUniform(dim: SearchDimension, rand: () => number): number {
  if (dim.kind === 'categorical') return Math.floor(rand() * dim.choices.length);
  const [lo, hi] = bounds(dim);
  return lo + (hi - lo) * rand();
}

/** Internal value -> parameter value (exp for log, rounding for int and q, index for categorical). */
function fromInternal(dim: SearchDimension, x: number): unknown {
  if (dim.kind === 'categorical') return dim.choices[Math.min(dim.choices.length - 1, Math.max(0, Math.floor(x)))];
  if (dim.kind === 'int') return Math.min(dim.high, Math.max(dim.low, Math.round(x)));
  let v = dim.log ? Math.exp(x) : x;
  if (dim.q) v = Math.round(v / dim.q) * dim.q;
  return Math.min(dim.high, Math.max(dim.low, v));
}

function internalValues(dim: Exclude<SearchDimension, { kind: 'categorical' }>, trials: readonly TpeTrial[]): number[] {
  const xs: number[] = [];
  for (const t of trials) {
    const v = t.values[dim.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    xs.push(dim.kind === 'float' && dim.log ? Math.log(v) : v);
  }
  return xs;
}

function categoricalWeights(dim: Extract<SearchDimension, { kind: 'categorical' }>, trials: readonly TpeTrial[], priorWeight: number): number[] {
  const k = dim.choices.length;
  const w = new Array<number>(k).fill(priorWeight / k);
  const ids = dim.choices.map((c) => JSON.stringify(c));
  for (const t of trials) {
    const i = ids.indexOf(JSON.stringify(t.values[dim.name]));
    if (i >= 0) w[i]! += 1;
  }
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function pickWeighted(weights: readonly number[], rand: () => number): number {
  let u = rand() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** A truncated-Gaussian mixture: normalised weights, means, sigmas. */
interface Mixture {
  w: number[];
  mu: number[];
  sigma: number[];
}

/** The Parzen estimator of `xs` on [lo, hi] (see the module comment). */
export function parzen(xs: readonly number[], lo: number, hi: number, priorWeight: number): Mixture {
  const range = hi - lo;
  const prior = (lo + hi) / 2;
  const mus = [...xs, prior];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigma = new Array<number>(mus.length).fill(range);
  const minSigma = range / Math.min(100, 1 + mus.length);
  order.forEach((idx, k) => {
    const left = k > 0 ? mus[idx]! - mus[order[k - 1]!]! : mus[idx]! - lo;
    const right = k < order.length - 1 ? mus[order[k + 1]!]! - mus[idx]! : hi - mus[idx]!;
    sigma[idx] = Math.min(range, Math.max(minSigma, left, right));
  });
  sigma[mus.length - 1] = range; // the prior's
  const w = [...xs.map(() => 1), priorWeight];
  const total = w.reduce((a, b) => a + b, 0);
  return { w: w.map((x) => x / total), mu: mus, sigma };
}

function sampleMixture(m: Mixture, lo: number, hi: number, rand: () => number): number {
  const i = pickWeighted(m.w, rand);
  for (let tries = 0; tries < 100; tries++) {
    const u = 1 - rand();
    const v = rand();
    const x = m.mu[i]! + m.sigma[i]! * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, m.mu[i]!));
}

/** log of the truncated mixture's density at x. */
function logDensity(m: Mixture, lo: number, hi: number, x: number): number {
  let total = 0;
  for (let i = 0; i < m.w.length; i++) {
    const s = m.sigma[i]!;
    const z = (x - m.mu[i]!) / s;
    const mass = normalCdf((hi - m.mu[i]!) / s) - normalCdf((lo - m.mu[i]!) / s);
    total += (m.w[i]! * Math.exp(-0.5 * z * z)) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(total, 1e-300));
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
