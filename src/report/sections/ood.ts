/**
 * Section 6b: out-of-distribution examples (split `ood`: a suite's `ood` section, rows marked
 * `"ood": true`, or the spec's `evaluate.ood` file) beside the in-distribution test split.
 *
 * - The shift table: per subject, the headline metric of each slice on the test split and on the OOD
 *   split, each with its stored 95% bootstrap interval, and the change (OOD − test). The two splits
 *   hold different examples, so no paired test applies: a change is marked worse (or better) only
 *   when the two 95% intervals do not overlap, a conservative criterion (Schenker & Gentleman 2001:
 *   non-overlap implies a significant difference; overlap does not imply none).
 * - Every subject against the reference subject on the OOD examples (the same tables as section 5,
 *   with paired tests of the OOD predictions) and robustness under the same perturbations.
 */
import type { EvalRow, PredictionRow } from '../../eval/types.js';
import { fmtDelta, fmtNum } from '../../format.js';
import type { ReportData, RunData } from '../data.js';
import { evalRowOf, evalValue, lowerIsBetter, type Objective } from '../objective.js';
import { verdictOf, verdictText } from '../verdicts.js';
import type { OodSectionView, OodShiftTable } from '../view-types.js';
import { buildBaselines, deltaReference, referenceWords } from './baselines.js';
import { fmtCi, keyLabel, preferredMetric, subjectLabel, subjectsPresent, uniq } from './common.js';
import { buildRobustness } from './robustness.js';

/** Whether a change from `a` to `b` is clear: their 95% intervals do not overlap. `worse`/`better` by the metric's direction. */
export function intervalShift(a: Pick<EvalRow, 'ciLow' | 'ciHigh'> | undefined, b: Pick<EvalRow, 'ciLow' | 'ciHigh'> | undefined, lower: boolean): 'worse' | 'better' | 'overlap' | 'unknown' {
  if (!a || !b || a.ciLow === undefined || a.ciHigh === undefined || b.ciLow === undefined || b.ciHigh === undefined) return 'unknown';
  if (![a.ciLow, a.ciHigh, b.ciLow, b.ciHigh].every(Number.isFinite)) return 'unknown';
  if (b.ciHigh < a.ciLow) return lower ? 'better' : 'worse';
  if (b.ciLow > a.ciHigh) return lower ? 'worse' : 'better';
  return 'overlap';
}

/** The slice/metric pairs shown: the objective's, then each slice's preferred higher-is-better metric (perplexity for a loss objective). */
function shiftKeys(inRows: readonly EvalRow[], oodRows: readonly EvalRow[], objective: Objective): { slice: string; metric: string }[] {
  const keys: { slice: string; metric: string }[] = [];
  const has = (rows: readonly EvalRow[], slice: string, metric: string) => rows.some((r) => r.slice === slice && r.metric === metric && r.perturbation === 'none');
  const add = (slice: string, metric: string | null): void => {
    if (!metric || keys.some((k) => k.slice === slice && k.metric === metric)) return;
    if (has(inRows, slice, metric) && has(oodRows, slice, metric)) keys.push({ slice, metric });
  };
  if (objective.metric === 'val_loss') add('all', 'perplexity');
  else add(objective.slice, objective.metric);
  const clean = oodRows.filter((r) => r.perturbation === 'none');
  const slices = uniq(clean.map((r) => r.slice)).filter((s) => s !== 'general');
  for (const s of slices.filter((x) => x !== 'all')) add(s, preferredMetric(uniq(clean.filter((r) => r.slice === s && !lowerIsBetter(r.metric)).map((r) => r.metric))));
  if (keys.length === 0) add('all', preferredMetric(uniq(clean.filter((r) => r.slice === 'all' && !lowerIsBetter(r.metric)).map((r) => r.metric))));
  return keys;
}

/** The OOD rows and clean predictions of the best run's fine-tuned model and every baseline. */
export function oodSubjects(data: ReportData, best: RunData | null): { rows: EvalRow[]; preds: Map<string, PredictionRow[]> } {
  const ood = data.ood!;
  const rows = [...ood.baselineRows, ...(best ? (ood.runRows[best.runId] ?? []).filter((r) => r.subject === 'finetuned') : [])];
  const preds = new Map<string, PredictionRow[]>();
  for (const p of [...ood.baselinePredictions, ...(best ? (ood.runPredictions[best.runId] ?? []).filter((x) => x.subject === 'finetuned') : [])]) {
    if (p.perturbation !== 'none') continue;
    if (!preds.has(p.subject)) preds.set(p.subject, []);
    preds.get(p.subject)!.push(p);
  }
  return { rows, preds };
}

/**
 * The out-of-distribution section, or null when the sweep scored no OOD examples.
 * @param inRows the report's test-split rows (best run's fine-tuned model and the baselines)
 */
export function buildOod(data: ReportData, objective: Objective, best: RunData | null, inRows: readonly EvalRow[]): OodSectionView | null {
  if (!data.ood) return null;
  const { rows, preds } = oodSubjects(data, best);
  if (rows.length === 0) return null;
  const subjects = subjectsPresent(rows.filter((r) => r.perturbation === 'none')).filter((s) => inRows.some((r) => r.subject === s));
  const shift: OodShiftTable[] = shiftKeys(inRows, rows, objective).map(({ slice, metric }) => {
    const lower = lowerIsBetter(metric);
    return {
      slice,
      metric,
      title: keyLabel(slice, metric),
      direction: lower ? 'lower' : 'higher',
      rows: subjects
        .filter((s) => evalValue(rows, s, slice, metric) !== null || evalValue(inRows, s, slice, metric) !== null)
        .map((s) => {
          const a = evalRowOf(inRows, s, slice, metric);
          const b = evalRowOf(rows, s, slice, metric);
          const va = evalValue(inRows, s, slice, metric);
          const vb = evalValue(rows, s, slice, metric);
          const verdict = intervalShift(a, b, lower);
          return {
            subject: s,
            label: subjectLabel(s),
            inDist: fmtNum(va),
            inCi: fmtCi(a),
            inN: a ? String(a.n) : '—',
            ood: fmtNum(vb),
            oodCi: fmtCi(b),
            oodN: b ? String(b.n) : '—',
            change: va !== null && vb !== null ? fmtDelta(vb - va) : '',
            changeCls: verdict === 'worse' ? 'bad' : verdict === 'better' ? 'good' : '',
            changeTitle: verdict === 'overlap' ? 'the 95% intervals overlap: no clear shift' : verdict === 'unknown' ? 'no intervals to compare' : `the 95% intervals do not overlap: clearly ${verdict} out of distribution`,
          };
        }),
    };
  });
  const manifest = data.sweep.manifest;
  const examples = manifest?.counts?.ood ?? null;
  const oodSlices = uniq(rows.filter((r) => r.perturbation === 'none' && r.slice !== 'all').map((r) => r.slice));
  const testSlices = uniq(inRows.filter((r) => r.perturbation === 'none' && r.slice !== 'all' && r.slice !== 'general').map((r) => r.slice));
  const note = shift.length > 0 ? null : `No metric is measured both on the test split and on the out-of-distribution examples: their slices differ (out of distribution: ${oodSlices.join(', ') || 'none'}; test: ${testSlices.join(', ') || 'none'}). The tables below show the OOD examples alone.`;
  return {
    note,
    description: manifest?.ood?.description ?? 'Examples marked out-of-distribution.',
    examples: rows.find((r) => r.slice === 'all' && r.perturbation === 'none')?.n ?? examples,
    headline: oodHeadline(shift, rows, preds, best),
    shift,
    baselines: buildBaselines(rows, preds),
    robustness: buildRobustness(rows, objective, data.sweep.spec),
  };
}

/**
 * The summary's sentence for the best variant: its headline metric out of distribution against in
 * distribution, and the paired test of its OOD predictions against the reference subject's (the base
 * model when there is one). Null without a best variant or a shift table.
 */
function oodHeadline(shift: OodShiftTable[], rows: readonly EvalRow[], preds: ReadonlyMap<string, readonly PredictionRow[]>, best: RunData | null): string | null {
  const t = shift[0];
  const own = t?.rows.find((r) => r.subject === 'finetuned');
  if (!best || !t || !own) return null;
  const subjects = subjectsPresent(rows);
  const ref = deltaReference(subjects);
  let vs = '';
  if (ref) {
    const v = verdictOf(t.metric, t.slice, preds.get('finetuned') ?? [], preds.get(ref) ?? []);
    const a = evalValue(rows, 'finetuned', t.slice, t.metric);
    const b = evalValue(rows, ref, t.slice, t.metric);
    vs = `; there it is ${verdictText(v, referenceWords(ref), a !== null && b !== null ? a - b : null)}`;
  }
  const shiftWords = own.changeCls === 'bad' ? 'clearly worse: the 95% intervals do not overlap' : own.changeCls === 'good' ? 'clearly better: the 95% intervals do not overlap' : 'the 95% intervals overlap';
  return `Out of distribution: ${t.title} ${own.ood}${own.oodCi ? ` ${own.oodCi}` : ''} (n = ${own.oodN}) against ${own.inDist} on the in-distribution test split (${own.change}; ${shiftWords})${vs}.`;
}
