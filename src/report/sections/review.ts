/**
 * Human review (`fte review`) in the report and in `fte compare`: the wording of a run's ratings
 * (src/review/summary.ts computes them: the mean score per rubric item with its 95% bootstrap
 * interval, and the blind preference rate with its 95% Wilson interval), and the report's table per
 * reviewed run. Ratings are information beside the metrics: no verdict, ranking or exit code uses them.
 */
import type { ItemSummary, ReviewSummary } from '../../review/summary.js';
import type { ReportData } from '../data.js';
import { variantLabel } from '../../format.js';
import type { ReviewSectionView, ReviewTableView } from '../view-types.js';
import { sweptParams } from './common.js';

const f2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
const pct = (v: number): string => `${Math.round(100 * v)}%`;

/** `4.20 [3.80, 4.60]`: a mean score with its 95% interval; `—` without scores. */
export function reviewEstimate(x: ItemSummary['run']): string {
  return x.mean === null ? '—' : `${f2(x.mean)} [${f2(x.ciLow)}, ${f2(x.ciHigh)}]`;
}

/** `[3.80, 4.60]`, or '' without scores. */
export function reviewInterval(x: ItemSummary['run']): string {
  return x.mean === null ? '' : `[${f2(x.ciLow)}, ${f2(x.ciHigh)}]`;
}

/** `1–5`, or '' when the rubrics do not give one scale. */
export function reviewScale(it: ItemSummary): string {
  return it.scale ? `${it.scale.min}–${it.scale.max}` : '';
}

/** Who the run was compared with blind: `base`, `base, prompting`, or `the baseline`. */
export function reviewBaseline(s: ReviewSummary): string {
  return s.baselineSubjects.join(', ') || 'the baseline';
}

/** `70% [40%, 89%]`: the blind preference rate with its 95% Wilson interval; null before any decided comparison. */
export function preferenceRate(s: ReviewSummary): string | null {
  const p = s.preference;
  return p.rate === null ? null : `${pct(p.rate)} [${pct(p.ciLow!)}, ${pct(p.ciHigh!)}]`;
}

/** `preferred over base (blind) in 7 of 10 decided (70% [40%, 89%], Wilson 95%; 1 tie)`; null before any decided comparison. */
export function reviewPreferenceText(s: ReviewSummary): string | null {
  const p = s.preference;
  const rate = preferenceRate(s);
  return rate === null ? null : `preferred over ${reviewBaseline(s)} (blind) in ${p.run} of ${p.run + p.baseline} decided (${rate}, Wilson 95%; ${p.tie} tie${p.tie === 1 ? '' : 's'})`;
}

/** `10 of 11 examples complete, by ann, bo`. */
export function reviewCoverageText(s: ReviewSummary): string {
  return `${s.complete} of ${s.started} examples complete, by ${s.reviewers.join(', ')}`;
}

/** `correct 4.20 [3.80, 4.60] vs baseline 3.10 [...]; ...; preferred over base (blind) in 7 of 10 decided (70% [40%, 89%], Wilson 95%; 0 ties); 10 of 10 examples complete, by ann` */
export function reviewText(s: ReviewSummary): string {
  const items = s.items.map((it) => `${it.item} ${reviewEstimate(it.run)}${it.baseline.n > 0 ? ` vs baseline ${reviewEstimate(it.baseline)}` : ''}`);
  return [items.join('; '), reviewPreferenceText(s) ?? '', reviewCoverageText(s)].filter(Boolean).join('; ');
}

/** One review as the report's table shows it. */
export function reviewTable(s: ReviewSummary, label: string): ReviewTableView {
  const p = s.preference;
  const hasBaseline = s.baselineSubjects.length > 0 || s.items.some((it) => it.baseline.n > 0);
  return {
    runId: s.runId,
    label,
    coverage: reviewCoverageText(s),
    baseline: hasBaseline ? reviewBaseline(s) : '',
    items: s.items.map((it) => ({
      item: it.item,
      scale: reviewScale(it),
      run: f2(it.run.mean),
      runCi: reviewInterval(it.run),
      runN: String(it.run.n),
      baseline: f2(it.baseline.mean),
      baselineCi: reviewInterval(it.baseline),
      baselineN: String(it.baseline.n),
    })),
    preference: hasBaseline
      ? {
          rate: p.rate === null ? '—' : pct(p.rate),
          ci: p.rate === null ? '' : `[${pct(p.ciLow!)}, ${pct(p.ciHigh!)}]`,
          decided: String(p.run + p.baseline),
          run: String(p.run),
          baseline: String(p.baseline),
          tie: String(p.tie),
        }
      : null,
  };
}

/** The report's human-review tables: every reviewed run of the sweep, the best run first; null when none was reviewed. */
export function buildReview(data: ReportData): ReviewSectionView | null {
  const reviewed = data.runs.filter((r) => (data.reviews?.[r.runId]?.started ?? 0) > 0);
  if (reviewed.length === 0) return null;
  reviewed.sort((a, b) => (a.runId === data.bestRunId ? -1 : b.runId === data.bestRunId ? 1 : 0));
  const swept = sweptParams(data.runs);
  return {
    tables: reviewed.map((r) => {
      const short = variantLabel({ method: r.method, ...r.params }, swept, '');
      return reviewTable(data.reviews![r.runId]!, `${r.runId}${short ? ` (${short})` : ''}${r.runId === data.bestRunId ? ', the best variant' : ''}`);
    }),
    note: 'Blind human ratings from fte review: the mean score per rubric item with its 95% bootstrap interval over the reviewed examples (n), for the run’s outputs and for the baseline’s shown beside them at a random position; and how often the run’s output was preferred among decided comparisons (ties left out), with its 95% Wilson interval. Information beside the metrics: no verdict or ranking uses them.',
  };
}
