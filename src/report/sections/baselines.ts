/**
 * Section 5: every subject (fine-tuned, base, prompting, RAG, the spec's named baselines and extra
 * models, majority class) on every metric, per slice (clean inputs).
 */
import type { EvalRow, PredictionRow } from '../../eval/types.js';
import { pText } from '../compare.js';
import { verdictOf } from '../verdicts.js';
import { fmtDelta, fmtNum } from '../../format.js';
import { evalRowOf, evalValue, lowerIsBetter } from '../objective.js';
import type { BaselineMetricRow, BaselineSliceView } from '../view-types.js';
import { fmtCi, subjectLabel, subjectsPresent, uniq } from './common.js';

/**
 * The subject deltas are taken against: `base` when present, else the first subject that is neither
 * the fine-tuned model nor the majority class (a spec may name only its own baselines), else null.
 */
export function deltaReference(subjects: readonly string[]): string | null {
  if (subjects.includes('base')) return 'base';
  return subjects.find((s) => s !== 'finetuned' && s !== 'majority') ?? null;
}

/** `the base model`, or a subject's label (`gpt-mini`). */
export function referenceWords(subject: string): string {
  return subject === 'base' ? 'the base model' : subjectLabel(subject);
}

/**
 * The baselines tables. A delta against the reference subject (`deltaReference`: the base model
 * when there is one) is coloured only when the paired test of the two subjects' stored clean
 * predictions (`preds`, by subject) is significant at 0.05; its p-value is the cell's `deltaTitle`.
 * Without predictions for both subjects the delta stays uncoloured.
 */
export function buildBaselines(rows: EvalRow[], preds: ReadonlyMap<string, readonly PredictionRow[]> = new Map()): BaselineSliceView[] {
  // The forgetting test's p-value is shown beside its change (summary), not as a metric of its own.
  const clean = rows.filter((r) => r.perturbation === 'none' && r.metric !== 'consistency' && r.metric !== 'perplexity_change_p');
  const subjects = subjectsPresent(clean);
  const ref = deltaReference(subjects);
  const refWords = ref ? referenceWords(ref) : '';
  const slices = uniq(clean.map((r) => r.slice)).sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)));
  return slices.map((slice) => {
    const metrics = uniq(clean.filter((r) => r.slice === slice).map((r) => r.metric));
    const out: BaselineMetricRow[] = [];
    const chart: BaselineSliceView['chart'] = [];
    for (const metric of metrics) {
      const lower = lowerIsBetter(metric);
      const vals = subjects.map((s) => evalValue(clean, s, slice, metric));
      const present = vals.filter((v): v is number => v !== null);
      const bestV = present.length === 0 ? null : lower ? Math.min(...present) : Math.max(...present);
      const baseV = ref ? evalValue(clean, ref, slice, metric) : null;
      const n = clean.find((r) => r.slice === slice && r.metric === metric)?.n;
      out.push({
        metric,
        direction: lower ? 'lower' : 'higher',
        n: n === undefined ? '—' : String(n),
        cells: subjects.map((s, i) => {
          const v = vals[i] ?? null;
          const d = s !== ref && v !== null && baseV !== null ? v - baseV : null;
          const vd = d !== null && d !== 0 && ref ? verdictOf(metric, slice, preds.get(s) ?? [], preds.get(ref) ?? []) : null;
          const deltaTitle = !vd ? '' : vd.test ? `paired test vs ${refWords}: ${pText(vd.test.pValue)}${vd.outcome === 'ns' ? ', not significant' : ''}` : `not tested vs ${refWords} (${vd.reason})`;
          // Bold marks a winner: not when every subject scores the same.
          const allSame = present.every((x) => x === present[0]);
          return { subject: s, text: fmtNum(v), ci: fmtCi(evalRowOf(clean, s, slice, metric)), best: v !== null && v === bestV && present.length > 1 && !allSame, delta: s === ref || d === null ? '' : fmtDelta(d), deltaCls: vd?.outcome === 'better' ? 'good' : vd?.outcome === 'worse' ? 'bad' : '', deltaTitle };
        }),
      });
      if (!lower) {
        subjects.forEach((s, i) => {
          const v = vals[i];
          if (v === null || v === undefined) return;
          const row = evalRowOf(clean, s, slice, metric);
          chart.push({ metric, subject: subjectLabel(s), value: v, ...(fmtCi(row) ? { ciLow: row!.ciLow!, ciHigh: row!.ciHigh! } : {}) });
        });
      }
    }
    return { slice, rows: out, chart };
  });
}
