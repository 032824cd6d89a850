/**
 * The report's verdicts (DESIGN.md, "Verdicts"): the best variant against another subject on one
 * metric, decided by the paired test of their stored clean test predictions (src/eval/paired.ts:
 * exact McNemar for 0/1 metrics, paired bootstrap otherwise). "Better" and "worse" only when the
 * test is significant at `alpha`; otherwise "not distinguishable", with the interval shown.
 * Pure over `ReportData`'s predictions; `fte sweep`'s summary asks the store for the same tests
 * (./verdict.ts `sweepVerdict`).
 */
import { ExampleMismatchError, pairedExamples, pairedTest, type PairedTestResult } from '../eval/paired.js';
import type { PredictionRow } from '../eval/types.js';
import { fmtDelta } from '../format.js';
import { DEFAULT_ALPHA, deltaText, pText } from './compare.js';
import { lowerIsBetter } from './objective.js';

export interface Verdict {
  /** `better` / `worse`: significant at `alpha`; `ns`: no significant difference; `untested`: no paired test was possible. */
  outcome: 'better' | 'worse' | 'ns' | 'untested';
  /** The paired test (head − other), null when untested. */
  test: PairedTestResult | null;
  /** Why there is no test (`no per-example predictions`, `scored on different examples`...). */
  reason?: string;
}

/**
 * The verdict of `head` against `other` on `slice`/`metric` from their stored clean predictions.
 * @param head the best variant's predictions (one subject); `other` the other subject's
 * @param opts.alpha significance level (default 0.05, as `fte compare`); resamples/seed for the bootstrap
 */
export function verdictOf(
  metric: string,
  slice: string,
  head: readonly PredictionRow[],
  other: readonly PredictionRow[],
  opts: { alpha?: number; resamples?: number; seed?: number } = {},
): Verdict {
  const h = pairedExamples(head, slice);
  const o = pairedExamples(other, slice);
  if (h.examples.length === 0 || o.examples.length === 0) return { outcome: 'untested', test: null, reason: 'no per-example predictions stored' };
  let test: PairedTestResult | null;
  try {
    test = pairedTest(metric, h.examples, o.examples, { labels: h.labels ?? o.labels, resamples: opts.resamples, seed: opts.seed });
  } catch (err) {
    if (err instanceof ExampleMismatchError) return { outcome: 'untested', test: null, reason: 'scored on different examples' };
    throw err;
  }
  if (!test) return { outcome: 'untested', test: null, reason: `no per-example statistics for ${metric}` };
  const improvement = lowerIsBetter(metric) ? -test.diff : test.diff;
  const significant = test.pValue < (opts.alpha ?? DEFAULT_ALPHA);
  return { outcome: significant && improvement > 0 ? 'better' : significant && improvement < 0 ? 'worse' : 'ns', test };
}

/**
 * One phrase for a verdict against `who`:
 * `significantly better than the base model (+0.408 [+0.3, +0.52], p < 0.001)`,
 * `not distinguishable from run-2 (+0.077 [−0.05, +0.2], p = 0.34)`,
 * `+0.05 vs RAG, not tested (no per-example predictions stored)`.
 * @param delta head − other from the stored values, used only when untested
 */
export function verdictText(v: Verdict, who: string, delta: number | null): string {
  if (!v.test) return `${delta === null ? '' : `${fmtDelta(delta)} vs `}${who}, not tested (${v.reason ?? 'no paired test'})`;
  const d = deltaText({ delta: v.test.diff, ci95: v.test.ci95, pValue: v.test.pValue });
  if (v.outcome === 'better') return `significantly better than ${who} (${d})`;
  if (v.outcome === 'worse') return `significantly worse than ${who} (${d})`;
  return `not distinguishable from ${who} (${d})`;
}

/** `p < 0.001` etc., or '' when untested. */
export function verdictP(v: Verdict): string {
  return v.test ? pText(v.test.pValue) : '';
}
