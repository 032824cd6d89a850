/**
 * Section 8: sample outputs for qualitative review, worst regressions (fine-tuned vs base) first.
 */
import type { PredictionRow } from '../../run/protocol.js';
import type { ReportData, RunData } from '../data.js';
import { fmtDelta, fmtNum, truncate } from '../format.js';
import { lowerIsBetter, type Objective } from '../objective.js';
import type { SampleView, SamplesView } from '../view-types.js';
import { preferredMetric, SUBJECT_LABEL, SUBJECTS, uniq } from './common.js';

/** The per-example score used to rank samples: the objective metric when predictions carry it, else the first common score. */
export function sampleScoreName(objective: Objective, preds: readonly PredictionRow[]): string | null {
  const keys = uniq(preds.flatMap((p) => Object.keys(p.scores)));
  if (keys.includes(objective.metric)) return objective.metric;
  return preferredMetric(keys) ?? keys[0] ?? null;
}

export function buildSamples(data: ReportData, best: RunData | null, objective: Objective, max: number): SamplesView {
  if (!best) return { scoreName: '—', items: [], note: 'No best run, so no sample outputs.' };
  const ft = best.predictions.filter((p) => p.subject === 'finetuned' && p.perturbation === 'none');
  const baselinePreds = [...data.baselines.predictions, ...best.predictions.filter((p) => p.subject !== 'finetuned')].filter((p) => p.perturbation === 'none');
  const scoreName = sampleScoreName(objective, [...ft, ...baselinePreds]);
  const lower = scoreName ? lowerIsBetter(scoreName) : false;
  const subjects = SUBJECTS.filter((s) => s === 'finetuned' || baselinePreds.some((p) => p.subject === s));
  const items = ft.map((f) => {
    const bySubject = new Map<string, PredictionRow>([['finetuned', f]]);
    for (const p of baselinePreds) if (p.exampleId === f.exampleId && !bySubject.has(p.subject)) bySubject.set(p.subject, p);
    const fs = scoreName ? f.scores[scoreName] : undefined;
    const bs = scoreName ? bySubject.get('base')?.scores[scoreName] : undefined;
    const improvement = fs !== undefined && bs !== undefined ? (lower ? bs - fs : fs - bs) : null;
    return {
      improvement,
      view: {
        exampleId: f.exampleId,
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
  return {
    scoreName: scoreName ?? '—',
    items: shown,
    note: `${shown.length} of ${ft.length} test examples of ${SUBJECT_LABEL.finetuned} run ${best.runId}, ordered by ${scoreName ?? 'score'} change vs the base model, worst regression first.`,
  };
}
