/**
 * The sweep's verdict in numbers (what `fte sweep` prints under its table, DESIGN.md "Verdicts"):
 * the best variant (chosen on the validation objective) with its held-out test value and 95%
 * interval, and paired tests of it on the test examples against the runner-up and each baseline
 * (base model, prompting, RAG). "Better" means significant at `alpha`, nothing else.
 */
import { lowerIsBetter } from '../eval/metrics/direction.js';
import { ExampleMismatchError, pairedExamples, pairedTest, type PairedTestResult } from '../eval/paired.js';
import type { Subject } from '../eval/types.js';
import type { Db } from '../store/db.js';
import { baselineRunId } from '../store/ids.js';
import { evalResults, predictions } from '../store/queries.js';
import { DEFAULT_ALPHA } from './compare.js';

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
  /** The best variant's held-out test value of the objective metric and its 95% interval. */
  test: { value: number; ciLow: number | null; ciHigh: number | null; n: number | null } | null;
  comparisons: VerdictComparison[];
  /** Why a comparison is missing (e.g. predictions on different examples), one line each. */
  notes: string[];
}

/**
 * Paired verdicts for the best run of `sweepId`.
 * @returns null for the `val_loss` objective (no test predictions measure it)
 */
export async function sweepVerdict(
  db: Db,
  sweepId: string,
  bestRunId: string,
  runnerUpRunId: string | null,
  objectiveKey: string,
  alpha = DEFAULT_ALPHA,
): Promise<SweepVerdict | null> {
  if (objectiveKey === 'val_loss') return null;
  const slash = objectiveKey.indexOf('/');
  const slice = slash >= 0 ? objectiveKey.slice(0, slash) : 'all';
  const metric = slash >= 0 ? objectiveKey.slice(slash + 1) : objectiveKey;
  const baselines = baselineRunId(sweepId);
  const ids = [bestRunId, ...(runnerUpRunId ? [runnerUpRunId] : []), baselines];
  const rows = await predictions(db, { runIds: ids, perturbation: 'none' });
  const of = (runId: string, subject: Subject) => pairedExamples(rows.filter((p) => p.runId === runId && p.subject === subject), slice);
  const best = of(bestRunId, 'finetuned');
  const evals = await evalResults(db, { runIds: [bestRunId], split: 'test' });
  const row = evals.find((e) => e.subject === 'finetuned' && e.perturbation === 'none' && e.slice === slice && e.metric === metric && e.value !== null);
  const verdict: SweepVerdict = {
    metric: objectiveKey,
    alpha,
    test: row ? { value: row.value!, ciLow: row.ciLow, ciHigh: row.ciHigh, n: row.n } : null,
    comparisons: [],
    notes: [],
  };
  const others: Array<[VerdictComparison['against'], string, Subject]> = [
    ...(runnerUpRunId ? [['runner-up', runnerUpRunId, 'finetuned'] as [VerdictComparison['against'], string, Subject]] : []),
    ['base', baselines, 'base'],
    ['prompting', baselines, 'prompting'],
    ['rag', baselines, 'rag'],
  ];
  const lower = lowerIsBetter(metric);
  for (const [against, runId, subject] of others) {
    const other = of(runId, subject);
    if (best.examples.length === 0 || other.examples.length === 0) continue;
    let t: PairedTestResult | null;
    try {
      t = pairedTest(metric, best.examples, other.examples, { labels: best.labels ?? other.labels });
    } catch (err) {
      if (!(err instanceof ExampleMismatchError)) throw err;
      verdict.notes.push(`vs ${against}: ${err.message}`);
      continue;
    }
    if (!t) continue;
    const improvement = lower ? -t.diff : t.diff;
    const outcome = t.pValue < alpha && improvement !== 0 ? (improvement > 0 ? 'better' : 'worse') : 'ns';
    verdict.comparisons.push({ against, runId: subject === 'finetuned' ? runId : null, diff: t.diff, ci95: t.ci95, pValue: t.pValue, test: t.test, n: t.n, outcome });
  }
  return verdict;
}
