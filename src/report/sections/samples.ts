/**
 * Section 8: sample outputs for qualitative review, worst regressions (fine-tuned vs base) first;
 * in an evaluation without training, the best subject's worst regressions against the reference
 * subject (the base model when evaluated).
 */
import type { PredictionRow } from '../../eval/types.js';
import type { ReportData, RunData } from '../data.js';
import { fmtDelta, fmtNum, truncate } from '../../format.js';
import { lowerIsBetter, type Objective } from '../objective.js';
import type { SampleView, SamplesView } from '../view-types.js';
import { deltaReference, referenceWords } from './baselines.js';
import { orderSubjects, preferredMetric, SUBJECT_LABEL, subjectLabel } from './common.js';

/**
 * The score an example is ranked by: the objective metric when its prediction carries it, else its
 * headline score (a classification example has `f1_macro`, a generation example `rougeL`...).
 */
export function sampleScoreName(objective: Objective, scores: Record<string, number>): string | null {
  const keys = Object.keys(scores);
  if (keys.includes(objective.metric)) return objective.metric;
  return preferredMetric(keys) ?? keys[0] ?? null;
}

/**
 * The sample outputs.
 * @param head without a best run (an evaluation without training), the subject whose outputs are
 *   ranked (the summary's top subject); ignored when `best` is set
 */
export function buildSamples(data: ReportData, best: RunData | null, objective: Objective, max: number, head: string | null = null): SamplesView {
  const headSubject = best ? 'finetuned' : head;
  if (!headSubject) return { scoreName: '—', versus: '', items: [], note: 'No best run, so no sample outputs.' };
  const clean = (p: PredictionRow): boolean => p.perturbation === 'none';
  const ft = best ? best.predictions.filter((p) => p.subject === 'finetuned' && clean(p)) : data.baselines.predictions.filter((p) => p.subject === headSubject && clean(p));
  const baselinePreds = [...data.baselines.predictions, ...(best ? best.predictions.filter((p) => p.subject !== 'finetuned') : [])].filter((p) => clean(p) && p.subject !== headSubject);
  const others = orderSubjects(baselinePreds.map((p) => p.subject));
  const subjects = [headSubject, ...others];
  // Regressions are against the base model, else the first other subject.
  const ref = deltaReference(others);
  const names = new Set<string>();
  const items = ft.map((f) => {
    const bySubject = new Map<string, PredictionRow>([[headSubject, f]]);
    for (const p of baselinePreds) if (p.exampleId === f.exampleId && !bySubject.has(p.subject)) bySubject.set(p.subject, p);
    const scoreName = sampleScoreName(objective, f.scores);
    if (scoreName) names.add(scoreName);
    const lower = scoreName ? lowerIsBetter(scoreName) : false;
    const fs = scoreName ? f.scores[scoreName] : undefined;
    const bs = scoreName && ref ? bySubject.get(ref)?.scores[scoreName] : undefined;
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
          return { subject: subjectLabel(s), text: p ? truncate(p.prediction, 400) : '—', score: sc === undefined ? '—' : fmtNum(sc, 3), cls: s === headSubject ? 'ft' : '' };
        }),
      } satisfies SampleView,
    };
  });
  // Worst regressions (vs the reference) first; unscored examples last.
  items.sort((a, b) => (a.improvement === null ? 1 : b.improvement === null ? -1 : a.improvement - b.improvement));
  const shown = items.slice(0, max).map((x) => x.view);
  const scoreNames = [...names].join(' / ') || 'score';
  return {
    scoreName: scoreNames,
    versus: ref === null ? '' : ref === 'base' ? 'base' : subjectLabel(ref),
    items: shown,
    note: `${shown.length} of ${ft.length} test examples of ${best ? `${SUBJECT_LABEL.finetuned} run ${best.runId}` : subjectLabel(headSubject)}, ${
      ref ? `ordered by the change of each example's score (${scoreNames}) vs ${referenceWords(ref)}, worst regression first` : `in stored order (no other subject to compare with)`
    }.`,
  };
}
