/**
 * Section 8: sample outputs for qualitative review, worst regressions (fine-tuned vs base) first.
 */
import type { PredictionRow } from '../../eval/types.js';
import type { ReportData, RunData } from '../data.js';
import { fmtDelta, fmtNum, truncate } from '../../format.js';
import { lowerIsBetter, type Objective } from '../objective.js';
import type { SampleView, SamplesView } from '../view-types.js';
import { preferredMetric, SUBJECT_LABEL, SUBJECTS } from './common.js';

/**
 * The score an example is ranked by: the objective metric when its prediction carries it, else its
 * headline score (a classification example has `f1_macro`, a generation example `rougeL`...).
 */
export function sampleScoreName(objective: Objective, scores: Record<string, number>): string | null {
  const keys = Object.keys(scores);
  if (keys.includes(objective.metric)) return objective.metric;
  return preferredMetric(keys) ?? keys[0] ?? null;
}

export function buildSamples(data: ReportData, best: RunData | null, objective: Objective, max: number): SamplesView {
  if (!best) return { scoreName: '—', items: [], note: 'No best run, so no sample outputs.' };
  const ft = best.predictions.filter((p) => p.subject === 'finetuned' && p.perturbation === 'none');
  const baselinePreds = [...data.baselines.predictions, ...best.predictions.filter((p) => p.subject !== 'finetuned')].filter((p) => p.perturbation === 'none');
  const subjects = SUBJECTS.filter((s) => s === 'finetuned' || baselinePreds.some((p) => p.subject === s));
  const names = new Set<string>();
  const items = ft.map((f) => {
    const bySubject = new Map<string, PredictionRow>([['finetuned', f]]);
    for (const p of baselinePreds) if (p.exampleId === f.exampleId && !bySubject.has(p.subject)) bySubject.set(p.subject, p);
    const scoreName = sampleScoreName(objective, f.scores);
    if (scoreName) names.add(scoreName);
    const lower = scoreName ? lowerIsBetter(scoreName) : false;
    const fs = scoreName ? f.scores[scoreName] : undefined;
    const bs = scoreName ? bySubject.get('base')?.scores[scoreName] : undefined;
    const improvement = fs !== undefined && bs !== undefined ? (lower ? bs - fs : fs - bs) : null;
    return {
      improvement,
      view: {
        exampleId: f.exampleId,
        scoreName: scoreName ?? 'score',
        input: truncate(f.input, 600),
        reference: truncate(f.reference, 400),
        delta: improvement === null ? '—' : fmtDelta(improvement),
        deltaCls: improvement === null || improvement === 0 ? '' : improvement > 0 ? 'good' : 'bad',
        outputs: subjects.map((s) => {
          const p = bySubject.get(s);
          const sc = p && scoreName ? p.scores[scoreName] : undefined;
          return { subject: SUBJECT_LABEL[s] ?? s, text: p ? truncate(p.prediction, 400) : '—', score: sc === undefined ? '—' : fmtNum(sc, 3), cls: s === 'finetuned' ? 'ft' : '' };
        }),
      } satisfies SampleView,
    };
  });
  // Worst regressions (fine-tuned vs base) first; unscored examples last.
  items.sort((a, b) => (a.improvement === null ? 1 : b.improvement === null ? -1 : a.improvement - b.improvement));
  const shown = items.slice(0, max).map((x) => x.view);
  const scoreNames = [...names].join(' / ') || 'score';
  return {
    scoreName: scoreNames,
    items: shown,
    note: `${shown.length} of ${ft.length} test examples of ${SUBJECT_LABEL.finetuned} run ${best.runId}, ordered by the change of each example's score (${scoreNames}) vs the base model, worst regression first.`,
  };
}
