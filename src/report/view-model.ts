/**
 * The report's view model: from a sweep's stored data (`ReportData`) to everything the eight
 * sections of the HTML report show, as plain text and numbers (no HTML, no SVG). Charts are
 * described here as Vega-Lite specs' data and rendered to SVG by `charts.ts`.
 *
 * Sections: 1 summary and best variant, 2 sweep table, 3 training curves, 4 heat map, 5 the
 * Subjects table (provider / model, prompt, tokens, errors, cache hits, truncation, with plain notes)
 * and fine-tuned vs every baseline and extra model per slice, 6 robustness (HELM: drop per
 * perturbation, worst case, consistency), 6b out-of-distribution examples beside the test split (when
 * the dataset has them), 7 cost and ROI, 8 sample outputs (worst regressions first).
 *
 * Subjects are iterated by name (`orderSubjects`: finetuned, base, prompting, rag, the spec's named
 * baselines and extra models, majority last). An evaluation without training (`fte eval SPEC`: no
 * runs, only baselines and extra models) compares its subjects among themselves: the best one on the
 * objective's test value, with paired tests against every other.
 */
import { limitFlags } from '../cost/sweep-roi.js';
import type { EvalRow, PredictionRow } from '../eval/types.js';
import { buildCostSection } from './cost-view.js';
import type { ReportData, RunData } from './data.js';
import { parseObjective } from './objective.js';
import { buildBaselines } from './sections/baselines.js';
import { isEvalOnly, sweptParams } from './sections/common.js';
import { buildCurves } from './sections/curves.js';
import { buildHeatmap } from './sections/heatmap.js';
import { buildRobustness } from './sections/robustness.js';
import { buildSamples } from './sections/samples.js';
import { buildOod } from './sections/ood.js';
import { buildReview } from './sections/review.js';
import { buildBaselinesIntro, buildSubjects } from './sections/subjects.js';
import { buildSummary, summaryTiles } from './sections/summary.js';
import { buildSweepTable } from './sections/sweep-table.js';
import type { ReportViewModel, ViewModelOptions } from './view-types.js';

export type * from './view-types.js';
export { SUBJECTS, SUBJECT_LABEL, orderSubjects, subjectLabel, sweptParams, preferredMetric } from './sections/common.js';

function describeLimits(data: ReportData): string | null {
  const flags = limitFlags(data.sweep.limits as Record<string, unknown>);
  if (!flags) return null;
  return `This sweep was limited (${flags}): numbers are for smoke-testing, not for deciding.`;
}

/**
 * The subjects the spec asked for beside its variants (stored names): `evaluate.baselines` (a kind,
 * or `{ kind, name }`) then `evaluate.models` names; `base`, `prompting`, `rag` for a spec that
 * names none (specs stored before baselines were configurable).
 */
export function expectedSubjects(spec: Record<string, unknown>): string[] {
  const e = (spec.evaluate ?? {}) as { baselines?: unknown; models?: unknown };
  const nameOf = (x: unknown): string | null =>
    typeof x === 'string' ? x : x && typeof x === 'object' ? String((x as { name?: unknown }).name ?? (x as { kind?: unknown }).kind ?? '') || null : null;
  const baselines = Array.isArray(e.baselines) ? e.baselines.map(nameOf) : ['base', 'prompting', 'rag'];
  const models = Array.isArray(e.models) ? e.models.map(nameOf) : [];
  return [...new Set([...baselines, ...models].filter((x): x is string => !!x))];
}

function allEvalRows(data: ReportData, best: RunData | null): EvalRow[] {
  const rows: EvalRow[] = [...data.baselines.evalRows];
  if (best) rows.push(...best.evalRows.filter((r) => r.subject === 'finetuned'));
  // Baselines may also have been stored with a run; take them only where the sweep has none.
  if (best) {
    for (const r of best.evalRows) {
      if (r.subject !== 'finetuned' && !data.baselines.evalRows.some((b) => b.subject === r.subject)) rows.push(r);
    }
  }
  return rows;
}

/** Clean test predictions by subject: the best run's fine-tuned ones and the baselines' (else the best run's own). */
function subjectPredictions(data: ReportData, best: RunData | null): Map<string, PredictionRow[]> {
  const out = new Map<string, PredictionRow[]>();
  const add = (p: PredictionRow): void => {
    if (p.perturbation !== 'none') return;
    if (!out.has(p.subject)) out.set(p.subject, []);
    out.get(p.subject)!.push(p);
  };
  for (const p of data.baselines.predictions) add(p);
  if (best) for (const p of best.predictions) if (p.subject === 'finetuned' || !data.baselines.predictions.some((b) => b.subject === p.subject)) add(p);
  return out;
}

/**
 * Builds the whole report view model from one sweep's data.
 *
 * The best variant is `data.bestRunId`, the store's one ranking (`bestRun` in
 * src/store/queries.ts), so the report names the run `fte sweep`, `fte compare` and `fte roi` name; baselines come from `data.baselines` (or, when the sweep stored none, from
 * the best run's own non-fine-tuned rows).
 */
export function buildReportViewModel(data: ReportData, opts: ViewModelOptions = {}): ReportViewModel {
  const objective = parseObjective(data.sweep.spec);
  const best = data.runs.find((r) => r.runId === data.bestRunId) ?? null;
  const swept = sweptParams(data.runs);
  const rows = allEvalRows(data, best);
  const evalOnly = isEvalOnly(data);
  const warnings: string[] = [];
  if (data.runs.length === 0 && !evalOnly) warnings.push('This sweep has no runs yet.');
  else if (!best && !evalOnly) warnings.push(`No completed run has a value for the objective ${objective.key}.`);
  const missing = expectedSubjects(data.sweep.spec).filter((s) => !rows.some((r) => r.subject === s));
  if (missing.length > 0 && (data.runs.length > 0 || evalOnly)) warnings.push(`Missing baseline results: ${missing.join(', ')}.`);
  const cost = buildCostSection(data, best, objective, rows);
  const summary = buildSummary(data, objective, best, swept, rows);
  const ood = buildOod(data, objective, best, rows);
  if (ood?.headline && summary.best) summary.best.why.push(ood.headline);
  summary.tiles = summaryTiles(objective, best, rows, cost, summary.verdicts);
  summary.recommendation = cost.recommendation;
  return {
    title: `${data.sweep.experimentName} · ${data.sweep.sweepId}`,
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    limited: describeLimits(data),
    evalOnly,
    summary,
    subjects: buildSubjects(data, best, rows, objective),
    baselinesIntro: buildBaselinesIntro(rows, evalOnly),
    sweepTable: buildSweepTable(data, objective, best, swept),
    curves: buildCurves(data, swept),
    heatmap: buildHeatmap(data, objective, swept, best),
    baselines: buildBaselines(rows, subjectPredictions(data, best)),
    robustness: buildRobustness(rows, objective, data.sweep.spec),
    ood,
    cost,
    samples: buildSamples(data, best, objective, opts.samples ?? 10, summary.top?.subject ?? null),
    review: buildReview(data),
    warnings,
  };
}
