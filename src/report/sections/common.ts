/**
 * Helpers shared by the report sections: subjects, swept parameters, headline metrics.
 */
import type { EvalRow } from '../../eval/types.js';
import { fmtNum } from '../../format.js';
import type { ReportData, RunData } from '../data.js';

/**
 * The built-in subjects in the order the report shows them; `majority` (classification's
 * majority-class baseline) last. A spec's named baselines and extra models (`evaluate.baselines`
 * with a `name`, `evaluate.models`) come after `rag`, before `majority` (see `orderSubjects`).
 */
export const SUBJECTS = ['finetuned', 'base', 'prompting', 'rag', 'majority'] as const;

export const SUBJECT_LABEL: Record<string, string> = { finetuned: 'Fine-tuned', base: 'Base model', prompting: 'Prompting', rag: 'RAG', majority: 'Majority class' };

/** A subject as the report names it: the built-in label (`Base model`), else its stored name (`gpt-mini`). */
export function subjectLabel(subject: string): string {
  return SUBJECT_LABEL[subject] ?? subject;
}

/**
 * Distinct subject names in report order: finetuned, base, prompting, rag, then every other name in
 * the order first seen (the spec's named baselines and extra models), `majority` last.
 */
export function orderSubjects(names: Iterable<string>): string[] {
  const seen = uniq([...names]);
  const rank = (s: string): number => (s === 'majority' ? 1e9 : SUBJECTS.indexOf(s as (typeof SUBJECTS)[number]) >= 0 ? SUBJECTS.indexOf(s as (typeof SUBJECTS)[number]) : 100 + seen.indexOf(s));
  return seen.sort((a, b) => rank(a) - rank(b));
}

/** Parameters whose value differs between runs, most distinct values first (ties: declaration order). */
export function sweptParams(runs: readonly Pick<RunData, 'params' | 'method'>[]): string[] {
  const distinct = new Map<string, Set<string>>();
  for (const r of runs) {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    for (const [k, v] of Object.entries(all)) {
      if (!distinct.has(k)) distinct.set(k, new Set());
      distinct.get(k)!.add(JSON.stringify(v));
    }
  }
  const keys = [...distinct.entries()].filter(([, s]) => s.size > 1);
  // 'alpha' is usually a function of 'rank' (alpha = 2 x rank): keep it out when it adds nothing.
  return keys
    .map(([k, s], i) => ({ k, n: s.size, i }))
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .map((x) => x.k)
    .filter((k, _i, all) => !(k === 'alpha' && all.includes('rank') && alphaFollowsRank(runs)));
}

export function alphaFollowsRank(runs: readonly Pick<RunData, 'params'>[]): boolean {
  const seen = new Map<string, string>();
  for (const r of runs) {
    const key = JSON.stringify(r.params.rank);
    const v = JSON.stringify(r.params.alpha);
    if (seen.has(key) && seen.get(key) !== v) return false;
    seen.set(key, v);
  }
  return true;
}

/** Ordered distinct values of a key across runs. */
export function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/**
 * An evaluation without training (`fte eval SPEC`): no runs, only the baselines' and extra models'
 * results. Its report compares the subjects among themselves.
 */
export function isEvalOnly(data: Pick<ReportData, 'runs' | 'baselines'>): boolean {
  return data.runs.length === 0 && data.baselines.evalRows.length > 0;
}

/** The subjects the best variant is compared with beside the base model: every one `rows` hold but `finetuned`, `base` and `majority`, in report order. */
export function otherSubjects(rows: readonly Pick<EvalRow, 'subject'>[]): string[] {
  return subjectsPresent(rows).filter((s) => s !== 'finetuned' && s !== 'base' && s !== 'majority');
}

/** The subjects `rows` hold, in report order (`orderSubjects`). */
export function subjectsPresent(rows: readonly Pick<EvalRow, 'subject'>[]): string[] {
  return orderSubjects(rows.map((r) => r.subject));
}

export const PREFERRED = ['f1_macro', 'accuracy', 'rougeL', 'rougeLsum', 'bleu', 'chrf', 'exact_match', 'f1', 'rouge1'];

/** The headline metric among a slice's metrics (classification F1, then ROUGE-L, BLEU...). */
export function preferredMetric(metrics: readonly string[]): string | null {
  for (const p of PREFERRED) if (metrics.includes(p)) return p;
  return metrics.find((m) => m !== 'consistency') ?? null;
}

/** `perplexity` for slice `all`, `classify/f1_macro` otherwise. */
export function keyLabel(slice: string, metric: string): string {
  return slice === 'all' ? metric : `${slice}/${metric}`;
}

/** ISO time as `2026-11-29 07:00 UTC`. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The one-line legend printed under every table whose values carry an interval. */
export const CI_LEGEND = 'Brackets: 95% bootstrap interval over test examples.';

/**
 * A stored 95% interval as `[0.68, 0.9]` (3 significant digits), or '' when the row has none.
 * The report's one interval style: the value, then its interval in brackets (bootstrap intervals are
 * not symmetric, so no `±`).
 */
export function fmtCi(row: Pick<EvalRow, 'ciLow' | 'ciHigh'> | undefined): string {
  if (!row || row.ciLow === undefined || row.ciHigh === undefined || !Number.isFinite(row.ciLow) || !Number.isFinite(row.ciHigh)) return '';
  return `[${fmtNum(row.ciLow, 3)}, ${fmtNum(row.ciHigh, 3)}]`;
}
