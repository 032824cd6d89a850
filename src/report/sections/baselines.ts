/**
 * Section 5: fine-tuned vs base vs prompting vs RAG on every metric, per slice (clean inputs).
 */
import type { EvalRow, PredictionRow } from '../../eval/types.js';
import { pText } from '../compare.js';
import { verdictOf } from '../verdicts.js';
import { fmtDelta, fmtNum } from '../../format.js';
import { evalRowOf, evalValue, lowerIsBetter } from '../objective.js';
import type { BaselineMetricRow, BaselineSliceView } from '../view-types.js';
import { fmtCi, SUBJECT_LABEL, subjectsPresent, uniq } from './common.js';

/**
 * The baselines tables. A delta against the base model is coloured only when the paired test of the
 * two subjects' stored clean predictions (`preds`, by subject) is significant at 0.05; its p-value is
 * the cell's `deltaTitle`. Without predictions for both subjects the delta stays uncoloured.
 */
export function buildBaselines(rows: EvalRow[], preds: ReadonlyMap<string, readonly PredictionRow[]> = new Map()): BaselineSliceView[] {
  const clean = rows.filter((r) => r.perturbation === 'none' && r.metric !== 'consistency');
  const subjects = subjectsPresent(clean);
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
      const baseV = evalValue(clean, 'base', slice, metric);
      const n = clean.find((r) => r.slice === slice && r.metric === metric)?.n;
      out.push({
        metric,
        direction: lower ? 'lower' : 'higher',
        n: n === undefined ? '—' : String(n),
        cells: subjects.map((s, i) => {
          const v = vals[i] ?? null;
          const d = s !== 'base' && v !== null && baseV !== null ? v - baseV : null;
          const vd = d !== null && d !== 0 ? verdictOf(metric, slice, preds.get(s) ?? [], preds.get('base') ?? []) : null;
          const deltaTitle = !vd ? '' : vd.test ? `paired test vs the base model: ${pText(vd.test.pValue)}${vd.outcome === 'ns' ? ', not significant' : ''}` : `not tested vs the base model (${vd.reason})`;
          // Bold marks a winner: not when every subject scores the same.
          const allSame = present.every((x) => x === present[0]);
          return { subject: s, text: fmtNum(v), ci: fmtCi(evalRowOf(clean, s, slice, metric)), best: v !== null && v === bestV && present.length > 1 && !allSame, delta: s === 'base' || d === null ? '' : fmtDelta(d), deltaCls: vd?.outcome === 'better' ? 'good' : vd?.outcome === 'worse' ? 'bad' : '', deltaTitle };
        }),
      });
      if (!lower) {
        subjects.forEach((s, i) => {
          const v = vals[i];
          if (v === null || v === undefined) return;
          const row = evalRowOf(clean, s, slice, metric);
          chart.push({ metric, subject: SUBJECT_LABEL[s] ?? s, value: v, ...(fmtCi(row) ? { ciLow: row!.ciLow!, ciHigh: row!.ciHigh! } : {}) });
        });
      }
    }
    return { slice, rows: out, chart };
  });
}
