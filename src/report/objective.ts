/**
 * The sweep objective: which number ranks variants, and in which direction.
 *
 * A spec's `objective.metric` is `val_loss` (best validation loss seen during training),
 * `perplexity` (the fine-tuned model's test perplexity, slice `all`) or `<slice>/<metric>`
 * (e.g. `classify/f1_macro`, `subject/rougeL`): the fine-tuned subject's clean (`perturbation = none`)
 * value on that slice.
 */
import { defaultGoal } from '../eval/metrics/direction.js';
import type { EvalRow } from '../eval/types.js';
import type { Objective as StoredObjective } from '../store/types.js';
import type { RunData } from './data.js';

export type Goal = StoredObjective['goal'];

/** A stored objective (`{ metric, goal }`, src/store/types.ts) with its metric split into slice and name. */
export interface Objective {
  /** The stored `metric`, as written in the spec, e.g. `classify/f1_macro`. */
  key: StoredObjective['metric'];
  goal: Goal;
  /** `val_loss`, or the slice of an eval metric (`all` for a bare metric name). */
  slice: string;
  /** `val_loss`, or the eval metric name. */
  metric: string;
}

export { lowerIsBetter } from '../eval/metrics/direction.js';

/**
 * Reads the objective from a stored spec (`spec.objective = { metric, goal }`); defaults to
 * `val_loss` / `minimize` as the schema does.
 */
export function parseObjective(spec: Record<string, unknown>): Objective {
  const o = (spec.objective ?? {}) as { metric?: unknown; goal?: unknown };
  const key = typeof o.metric === 'string' && o.metric.length > 0 ? o.metric : 'val_loss';
  const goal: Goal = o.goal === 'maximize' || o.goal === 'minimize' ? o.goal : defaultGoal(key);
  if (key === 'val_loss') return { key, goal, slice: 'all', metric: 'val_loss' };
  const i = key.indexOf('/');
  if (i < 0) return { key, goal, slice: 'all', metric: key };
  return { key, goal, slice: key.slice(0, i), metric: key.slice(i + 1) };
}

/** Best validation loss of a run (nats/token): the trainer's figure, else the curves' minimum, else null. */
export function bestValLoss(run: Pick<RunData, 'stepMetrics'> & { bestValLoss?: number }): number | null {
  if (run.bestValLoss !== undefined && Number.isFinite(run.bestValLoss)) return run.bestValLoss;
  let best: number | null = null;
  for (const m of run.stepMetrics) {
    if (m.split === 'val' && m.name === 'loss' && Number.isFinite(m.value) && (best === null || m.value < best)) best = m.value;
  }
  return best;
}

/** The row of `slice`/`metric` for `subject` among `rows` (clean inputs by default), or undefined. */
export function evalRowOf(rows: readonly EvalRow[], subject: string, slice: string, metric: string, perturbation = 'none'): EvalRow | undefined {
  return rows.find((x) => x.subject === subject && x.slice === slice && x.metric === metric && x.perturbation === perturbation);
}

/** The clean value of `slice`/`metric` for `subject` among `rows`, or null. */
export function evalValue(rows: readonly EvalRow[], subject: string, slice: string, metric: string, perturbation = 'none'): number | null {
  const r = rows.find((x) => x.subject === subject && x.slice === slice && x.metric === metric && x.perturbation === perturbation);
  return r && Number.isFinite(r.value) ? r.value : null;
}

/** The objective's value for one fine-tuned run, or null when the run has no such number. */
export function objectiveValue(objective: Objective, run: Pick<RunData, 'stepMetrics' | 'evalRows' | 'bestValLoss'>): number | null {
  if (objective.metric === 'val_loss') return bestValLoss(run);
  return evalValue(run.evalRows, 'finetuned', objective.slice, objective.metric);
}

/**
 * The value the store ranked a run by (`runs` objective: validation where stored, else test), else
 * the objective's test value: the sweep table's order and the runner-up follow it.
 */
export function rankValue(objective: Objective, run: Pick<RunData, 'stepMetrics' | 'evalRows' | 'bestValLoss' | 'selectionObjective'>): number | null {
  if (run.selectionObjective !== undefined && Number.isFinite(run.selectionObjective)) return run.selectionObjective;
  return objectiveValue(objective, run);
}

/** The objective's value for a baseline subject (`base`, `prompting`, `rag`); null for `val_loss`. */
export function baselineObjectiveValue(objective: Objective, rows: readonly EvalRow[], subject: string): number | null {
  if (objective.metric === 'val_loss') return null;
  return evalValue(rows, subject, objective.slice, objective.metric);
}

/** `a` is better than `b` under `goal` (nulls always lose). */
export function isBetter(goal: Goal, a: number | null, b: number | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return goal === 'minimize' ? a < b : a > b;
}
