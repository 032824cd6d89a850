import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import { mulberry32 } from '../random.js';
import { checkParamValue } from './define.js';
import { SpecError } from './errors.js';
import { paramsSchema, type Distribution, type ExperimentSpec, type Method, type Params } from './schema.js';
import { tpePropose, type SearchDimension, type TpeTrial } from './tpe.js';

/** A variant's fully resolved hyperparameters: every params field, with alpha resolved. */
export type ResolvedParams = Params & { alpha: number };

/** One variant of a sweep. */
export interface Variant {
  /** Stable key: hash of method, resolved params, base-model and dataset fingerprints (see variantKey). */
  key: string;
  /** Position in the sweep (0-based), in expansion order. */
  index: number;
  method: Method;
  params: ResolvedParams;
  /** Just the parameters the sweep varies (name -> value), for tables. */
  swept: Record<string, unknown>;
  /** A grid variant's position in the full grid (0-based, first parameter slowest), before runCap. */
  gridIndex?: number;
}

/** Fingerprints that make a variant key change when the model or the data change. */
export interface Fingerprints {
  baseModel: string;
  dataset: string;
}

/**
 * The stable variant key: the first 16 hex digits of sha256 over the canonical JSON of
 * `{ method, params, baseModel, dataset }`. Same inputs -> same key; any change -> a different key.
 */
export function variantKey(method: Method, params: ResolvedParams, fp: Fingerprints): string {
  const payload = canonicalJson({ v: 1, method, params, baseModel: fp.baseModel, dataset: fp.dataset });
  return createHash('sha256').update(payload).digest('hex').slice(0, 16);
}

/** Draw one value from a W&B-style distribution (min/max are values, not logs; see src/experiment/wandb.ts for W&B's log bounds). */
export function sample(dist: Distribution, rand: () => number): unknown {
  const min = dist.min ?? 0;
  const max = dist.max ?? 0;
  const q = dist.q;
  const quantize = (x: number) => (q ? Math.round(x / q) * q : x);
  switch (dist.distribution) {
    case 'categorical':
      return dist.values![Math.floor(rand() * dist.values!.length)];
    case 'uniform':
      return quantize(min + (max - min) * rand());
    case 'q_uniform':
      return quantize(min + (max - min) * rand());
    case 'log_uniform':
    case 'log_uniform_values':
    case 'q_log_uniform_values':
      return quantize(Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * rand()));
    case 'int_uniform':
      return Math.floor(min + (max - min + 1) * rand());
  }
}

type ParamDef = unknown[] | Distribution | ((resolved: Record<string, unknown>) => unknown);

/**
 * Expand a spec's sweep into its variants.
 *
 * - grid: the cartesian product of the list parameters in declaration order (the first parameter
 *   varies slowest), then derived (function) parameters evaluated per combination in declaration order.
 *   With `runCap` below the grid's size the sweep runs a seeded random subset of the grid
 *   (`sweep.seed`; a lazy Fisher-Yates permutation of the combination indices, so a huge grid is never
 *   built, and a larger cap with the same seed runs a superset), listed in grid order; `runCap`
 *   counts distinct variants. Every grid variant carries its `gridIndex`.
 * - random: `runCap` seeded draws (mulberry32, `sweep.seed`) from lists and distributions, with no
 *   repeated variant; a sweep of finite lists stops when every combination was drawn.
 *
 * - bayes: the first `bayesStartup(runCap)` seeded random draws (as `random`); the rest of the
 *   runCap are proposed during the sweep by `proposeVariant` (TPE) from the runs' results.
 *
 * Alpha defaults to 2 x rank when neither params nor the sweep sets it. Every variant is validated.
 *
 * @throws SpecError naming the field path (`sweep.parameters.alpha`) and the variant, on a bad value.
 */
export function expandSweep(spec: ExperimentSpec, fp: Fingerprints): Variant[] {
  const params = spec.sweep.parameters as Record<string, ParamDef>;
  const names = Object.keys(params);
  const listNames = names.filter((n) => typeof params[n] !== 'function');
  const derivedNames = names.filter((n) => typeof params[n] === 'function');

  let combos: Iterable<Record<string, unknown>>;
  let cap = Infinity;
  let gridSubset = false;
  if (spec.sweep.strategy === 'grid') {
    const lists = listNames.map((name) => [name, listValues(params[name]!)] as const);
    cap = spec.sweep.runCap ?? Infinity;
    const size = lists.reduce((n, [, values]) => n * values.length, 1);
    gridSubset = cap < size;
    combos = gridSubset ? randomGridCombinations(lists, size, spec.sweep.seed) : indexed(gridCombinations(lists));
  } else if (spec.sweep.strategy === 'bayes') {
    if (spec.sweep.runCap === undefined) throw new SpecError(undefined, 'sweep.runCap', 'a bayes sweep needs runCap (the number of variants to run), got nothing');
    combos = randomCombinations(spec, params, listNames, bayesStartup(spec.sweep.runCap));
  } else {
    combos = randomCombinations(spec, params, listNames);
  }

  const variants: Variant[] = [];
  const keys = new Set<string>();
  for (const combo of combos) {
    if (variants.length >= cap) break;
    const v = resolveCombo(spec, combo, fp, variants.length);
    if (keys.has(v.key)) continue; // two combinations that resolve to the same variant run once
    keys.add(v.key);
    variants.push(v);
  }
  if (gridSubset) {
    variants.sort((a, b) => a.gridIndex! - b.gridIndex!);
    variants.forEach((v, i) => (v.index = i));
  }
  return variants;
}

/**
 * Seeded random variants a bayes sweep of `runCap` runs starts with, before TPE proposes from their
 * results: ceil(runCap / 3), at least 2 and at most 10 (Optuna's default startup), and never more than runCap.
 */
export function bayesStartup(runCap: number): number {
  return Math.min(runCap, Math.max(2, Math.min(10, Math.ceil(runCap / 3))));
}

/** The TPE search space of a spec's list and distribution parameters (derived parameters are applied per variant). */
export function searchSpace(spec: ExperimentSpec): SearchDimension[] {
  const out: SearchDimension[] = [];
  for (const [name, def] of Object.entries(spec.sweep.parameters as Record<string, ParamDef>)) {
    if (typeof def === 'function') continue;
    if (Array.isArray(def)) {
      out.push({ name, kind: 'categorical', choices: def });
      continue;
    }
    const d = def as Distribution;
    const min = d.min ?? 0;
    const max = d.max ?? 0;
    switch (d.distribution) {
      case 'categorical':
        out.push({ name, kind: 'categorical', choices: d.values ?? [] });
        break;
      case 'int_uniform':
        out.push({ name, kind: 'int', low: min, high: max });
        break;
      case 'uniform':
      case 'q_uniform':
        out.push({ name, kind: 'float', low: min, high: max, log: false, ...(d.q ? { q: d.q } : {}) });
        break;
      default:
        out.push({ name, kind: 'float', low: min, high: max, log: true, ...(d.q ? { q: d.q } : {}) });
    }
  }
  return out;
}

/** A finished (or running: objective null) variant of a bayes sweep, for `proposeVariant`. */
export interface BayesTrial {
  variant: Variant;
  /** Validation objective; null while running, or when the run failed, diverged or was stopped before any value. */
  objective: number | null;
}

/**
 * The next variant of a bayes sweep: TPE (src/experiment/tpe.ts) over `searchSpace(spec)` from the
 * trials so far (running ones count as bad: constant liar), seeded by `sweep.seed`, with the spec's
 * objective goal; derived parameters and validation as in `expandSweep`. A proposal whose variant
 * already exists (in `trials` or `taken`) is redrawn, up to 50 times; null when every draw repeats
 * (a small finite space is exhausted).
 * @throws SpecError as expandSweep for a bad resolved value.
 */
export function proposeVariant(spec: ExperimentSpec, fp: Fingerprints, trials: readonly BayesTrial[], index: number, taken: ReadonlySet<string> = new Set()): Variant | null {
  const space = searchSpace(spec);
  const history: TpeTrial[] = trials.map((t) => ({ values: t.variant.swept, objective: t.objective }));
  const keys = new Set([...taken, ...trials.map((t) => t.variant.key)]);
  const runCap = spec.sweep.runCap ?? trials.length + 1;
  for (let draw = 0; draw < 50; draw++) {
    const combo = tpePropose(space, history, { goal: spec.objective.goal, seed: spec.sweep.seed, startup: bayesStartup(runCap) }, draw);
    const v = resolveCombo(spec, combo, fp, index);
    if (!keys.has(v.key)) return v;
  }
  return null;
}

/** One combination of list/distribution values -> its validated variant (derived parameters, alpha default, method rules). */
function resolveCombo(spec: ExperimentSpec, combo: Record<string, unknown>, fp: Fingerprints, index: number): Variant {
  const params = spec.sweep.parameters as Record<string, ParamDef>;
  const names = Object.keys(params);
  const derivedNames = names.filter((n) => typeof params[n] === 'function');
  {
    const resolved: Record<string, unknown> = { method: spec.method, ...spec.params, ...combo };
    delete (resolved as { [GRID_INDEX]?: number })[GRID_INDEX];
    for (const name of derivedNames) {
      let value: unknown;
      try {
        value = (params[name] as (r: Record<string, unknown>) => unknown)({ ...resolved });
      } catch (err) {
        throw new SpecError(undefined, `sweep.parameters.${name}`, `the function threw for ${describeCombo(combo)}: ${(err as Error).message}`);
      }
      try {
        checkParamValue(name, value, `sweep.parameters.${name}`);
      } catch (err) {
        throw new SpecError(undefined, `sweep.parameters.${name}`, `${(err as SpecError).message.replace(/^sweep\.parameters\.[\w.]+: /, '')} (for ${describeCombo(combo)})`);
      }
      resolved[name] = value;
    }
    const method = resolved.method as Method;
    delete resolved.method;
    if (resolved.alpha === undefined) resolved.alpha = 2 * (resolved.rank as number);
    const checked = paramsSchema.safeParse(resolved);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new SpecError(undefined, `params.${issue.path.join('.')}`, `${issue.message} (for ${describeCombo(combo)})`);
    }
    checkMethodRules(method, checked.data as ResolvedParams, combo);
    const full = checked.data as ResolvedParams;
    const key = variantKey(method, full, fp);
    const swept: Record<string, unknown> = {};
    for (const n of names) swept[n] = n === 'method' ? method : (full as Record<string, unknown>)[n];
    const gridIndex = (combo as { [GRID_INDEX]?: number })[GRID_INDEX];
    return { key, index, method, params: full, swept, ...(gridIndex !== undefined ? { gridIndex } : {}) };
  }
}

/** Where a grid combination sits in the full grid (a symbol: never a parameter name). */
const GRID_INDEX = Symbol('gridIndex');

function* indexed(combos: Iterable<Record<string, unknown>>): Generator<Record<string, unknown>> {
  let i = 0;
  for (const c of combos) yield Object.assign(c, { [GRID_INDEX]: i++ });
}

/**
 * The grid's combinations in a seeded random order (mulberry32(seed)): a lazy Fisher-Yates shuffle of
 * the indices 0..size-1 that stores only the swapped positions, each index decoded as an odometer
 * reading (first parameter slowest). The first N draws are the same for every N (nested subsets).
 * @throws SpecError when the grid has more than 2^53 combinations.
 */
export function* randomGridCombinations(lists: ReadonlyArray<readonly [string, readonly unknown[]]>, size: number, seed: number): Generator<Record<string, unknown>> {
  if (!Number.isSafeInteger(size)) throw new SpecError(undefined, 'sweep.parameters', `a grid of ${size} combinations is too large to sample; use strategy 'random'`);
  const rand = mulberry32(seed);
  const swapped = new Map<number, number>();
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (size - i));
    const at = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    swapped.delete(i);
    let rest = at;
    const combo: Record<string, unknown> = {};
    for (let p = lists.length - 1; p >= 0; p--) {
      const [name, values] = lists[p]!;
      combo[name] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    const ordered: Record<string, unknown> = {};
    for (const [name] of lists) ordered[name] = combo[name];
    yield Object.assign(ordered, { [GRID_INDEX]: at });
  }
}

/** The values of a list parameter (a list, or a categorical distribution's values). */
function listValues(def: ParamDef): unknown[] {
  return Array.isArray(def) ? def : (def as Distribution).values ?? [];
}

/**
 * The grid's combinations, lazily, in declaration order (the first parameter varies slowest, an
 * odometer over the value indices): a capped sweep never builds the cartesian product.
 */
export function* gridCombinations(lists: ReadonlyArray<readonly [string, readonly unknown[]]>): Generator<Record<string, unknown>> {
  if (lists.some(([, values]) => values.length === 0)) return;
  const at = lists.map(() => 0);
  for (;;) {
    const combo: Record<string, unknown> = {};
    lists.forEach(([name, values], i) => (combo[name] = values[at[i]!]));
    yield combo;
    let i = lists.length - 1;
    while (i >= 0 && ++at[i]! === lists[i]![1].length) at[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * Number of combinations of a sweep's list parameters (the grid's size before runCap and before
 * duplicate variants are merged), counted without expanding; null when a parameter is a continuous
 * distribution (a random sweep's space is then unbounded).
 */
export function sweepSpaceSize(spec: ExperimentSpec): number | null {
  let size = 1;
  for (const def of Object.values(spec.sweep.parameters as Record<string, ParamDef>)) {
    if (typeof def === 'function') continue;
    if (!Array.isArray(def) && def.distribution !== 'categorical') return null;
    size *= listValues(def).length;
  }
  return size;
}

/** Seeded draws of a random sweep, without repeats (at most runCap, or every combination of finite lists). */
function randomCombinations(spec: ExperimentSpec, params: Record<string, ParamDef>, listNames: string[], runCap = spec.sweep.runCap): Record<string, unknown>[] {
  const combos: Record<string, unknown>[] = [];
  const total = sweepSpaceSize(spec) ?? Infinity;
  const cap = Math.min(runCap ?? total, total);
  if (!Number.isFinite(cap)) throw new SpecError(undefined, 'sweep.runCap', 'a random sweep over continuous distributions needs runCap, got nothing');
  const rand = mulberry32(spec.sweep.seed);
  const seen = new Set<string>();
  let attempts = 0;
  while (combos.length < cap && attempts < cap * 1000) {
    attempts++;
    const combo: Record<string, unknown> = {};
    for (const name of listNames) {
      const def = params[name]!;
      combo[name] = Array.isArray(def) ? def[Math.floor(rand() * def.length)] : sample(def as Distribution, rand);
    }
    const id = JSON.stringify(combo);
    if (seen.has(id)) continue;
    seen.add(id);
    combos.push(combo);
  }
  return combos;
}

/**
 * Warnings for values listed twice in one grid parameter (`sweep.parameters.rank[2]: duplicate value 4
 * (same as rank[0]; the grid runs it once)`). Values compare as canonical JSON, so `['c_attn']` twice counts.
 */
export function duplicateGridValues(spec: ExperimentSpec): string[] {
  if (spec.sweep.strategy !== 'grid') return [];
  const out: string[] = [];
  for (const [name, def] of Object.entries(spec.sweep.parameters as Record<string, ParamDef>)) {
    if (typeof def === 'function') continue;
    const where = Array.isArray(def) ? name : `${name}.values`;
    const first = new Map<string, number>();
    listValues(def).forEach((v, i) => {
      const id = canonicalJson(v);
      const j = first.get(id);
      if (j === undefined) first.set(id, i);
      else out.push(`sweep.parameters.${where}[${i}]: duplicate value ${JSON.stringify(v)} (same as ${where}[${j}]; the grid runs it once)`);
    });
  }
  return out;
}

/** Cross-field rules per method, checked per variant. */
function checkMethodRules(method: Method, params: ResolvedParams, combo: Record<string, unknown>): void {
  if (method === 'full') return;
  if (!(params.alpha > 0)) throw new SpecError(undefined, 'params.alpha', `expected a positive number, got ${params.alpha} (for ${describeCombo(combo)})`);
  if (params.targetModules.length === 0) throw new SpecError(undefined, 'params.targetModules', `LoRA needs at least one target module (for ${describeCombo(combo)})`);
}

function describeCombo(combo: Record<string, unknown>): string {
  const parts = Object.entries(combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'the base parameters';
}
