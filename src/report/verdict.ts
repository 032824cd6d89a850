/**
 * The sweep's verdict in numbers (what `fte sweep` prints under its table, DESIGN.md "Verdicts"):
 * the best variant (chosen on the validation objective) with its held-out test value and 95%
 * interval, and paired tests of it on the test examples against the runner-up and each baseline
 * (base model, prompting, RAG, and any extra model the spec names). "Better" means significant at
 * `alpha`, nothing else.
 */
import type { PredictionRow, Subject } from '../eval/types.js';
import type { Db } from '../store/db.js';
import { baselineRunId } from '../store/ids.js';
import { evalResults, predictions, type PredictionRecord } from '../store/queries.js';
import { DEFAULT_ALPHA } from './compare.js';
import { verdictOf } from './verdicts.js';

/** One paired comparison of the best variant (head) against another subject (base side). */
export interface VerdictComparison {
  against: 'runner-up' | Subject;
  /** The runner-up's run id, or null for a baseline. */
  runId: string | null;
  /** best − other on the test examples, metric's unit, with the paired test (null when not testable). */
  diff: number;
  ci95: [number, number];
  pValue: number;
  test: string;
  n: number;
  /** `better` / `worse` when significant at `alpha` (in the metric's good direction), else `ns`. */
  outcome: 'better' | 'worse' | 'ns';
}

export interface SweepVerdict {
  /** The objective as `<slice>/<metric>` (or a bare metric for slice `all`). */
  metric: string;
  alpha: number;
  /** Which examples: `test` (the held-out split) or `ood` (the out-of-distribution examples). */
  split: 'test' | 'ood';
  /** The best variant's value of the objective metric on `split` and its 95% interval. */
  test: { value: number; ciLow: number | null; ciHigh: number | null; n: number | null } | null;
  comparisons: VerdictComparison[];
  /** Why a comparison is missing (e.g. predictions on different examples), one line each. */
  notes: string[];
}

/**
 * Paired verdicts for the best run of `sweepId` on the test examples (or, with `split` `ood`, on the
 * out-of-distribution examples).
 * @returns null for the `val_loss` objective (no test predictions measure it), and on `ood` when the
 *   best run has no value there
 */
export async function sweepVerdict(
  db: Db,
  sweepId: string,
  bestRunId: string,
  runnerUpRunId: string | null,
  objectiveKey: string,
  alpha = DEFAULT_ALPHA,
  split: 'test' | 'ood' = 'test',
): Promise<SweepVerdict | null> {
  if (objectiveKey === 'val_loss') return null;
  const slash = objectiveKey.indexOf('/');
  const slice = slash >= 0 ? objectiveKey.slice(0, slash) : 'all';
  const metric = slash >= 0 ? objectiveKey.slice(slash + 1) : objectiveKey;
  const baselines = baselineRunId(sweepId);
  const ids = [bestRunId, ...(runnerUpRunId ? [runnerUpRunId] : []), baselines];
  const rows = await predictions(db, { runIds: ids, perturbation: 'none', split });
  const of = (runId: string, subject: Subject) => rows.filter((p) => p.runId === runId && p.subject === subject);
  const best = of(bestRunId, 'finetuned');
  const evals = await evalResults(db, { runIds: [bestRunId], split });
  const row = evals.find((e) => e.subject === 'finetuned' && e.perturbation === 'none' && e.slice === slice && e.metric === metric && e.value !== null);
  if (split === 'ood' && !row) return null;
  const verdict: SweepVerdict = {
    metric: objectiveKey,
    alpha,
    split,
    test: row ? { value: row.value!, ciLow: row.ciLow, ciHigh: row.ciHigh, n: row.n } : null,
    comparisons: [],
    notes: [],
  };
  // Every baseline and extra model the sweep evaluated, in the order they were evaluated (`majority` has no predictions).
  const subjects = [...new Set(rows.filter((p) => p.runId === baselines && p.subject !== 'finetuned' && p.subject !== 'majority').map((p) => p.subject))];
  const order = ['base', 'prompting', 'rag'];
  subjects.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const others: Array<[VerdictComparison['against'], string, Subject]> = [
    ...(runnerUpRunId ? [['runner-up', runnerUpRunId, 'finetuned'] as [VerdictComparison['against'], string, Subject]] : []),
    ...subjects.map((s) => [s, baselines, s] as [VerdictComparison['against'], string, Subject]),
  ];
  for (const [against, runId, subject] of others) {
    const other = of(runId, subject);
    if (best.length === 0 || other.length === 0) continue;
    // The same verdict rule as the report (./verdicts.ts).
    const v = verdictOf(metric, slice, toRows(best), toRows(other), { alpha });
    if (!v.test) {
      verdict.notes.push(`vs ${against}: not tested (${v.reason ?? 'no paired test'})`);
      continue;
    }
    const t = v.test;
    verdict.comparisons.push({ against, runId: subject === 'finetuned' ? runId : null, diff: t.diff, ci95: t.ci95, pValue: t.pValue, test: t.test, n: t.n, outcome: v.outcome === 'untested' ? 'ns' : v.outcome });
  }
  return verdict;
}

/** Store records as the prediction rows `verdictOf` reads. */
function toRows(records: PredictionRecord[]): PredictionRow[] {
  return records.map((p) => ({
    subject: p.subject, perturbation: p.perturbation, exampleId: p.exampleId, input: p.input ?? '', reference: p.reference ?? '', prediction: p.prediction ?? '', scores: p.scores,
    ...(p.category !== null ? { category: p.category } : {}), ...(p.labels ? { labels: p.labels } : {}),
  }));
}
