/**
 * The report's view model: from a sweep's stored data (`ReportData`) to everything the eight
 * sections of the HTML report show, as plain text and numbers (no HTML, no SVG). Charts are
 * described here as Vega-Lite specs' data and rendered to SVG by `charts.ts`.
 *
 * Sections: 1 summary and best variant, 2 sweep table, 3 training curves, 4 heat map, 5 fine-tuned
 * vs base vs prompting vs RAG per slice, 6 robustness (HELM: drop per perturbation, worst case,
 * consistency), 7 cost and ROI, 8 sample outputs (worst regressions first).
 */
import type { EvalRow, PredictionRow, StepMetric } from '../run/protocol.js';
import { buildCostSection, runCostUsd, type CostSectionView } from './cost-view.js';
import type { ReportData, RunData } from './data.js';
import { fmtBytes, fmtCount, fmtDelta, fmtDuration, fmtNum, fmtParam, fmtUsd, truncate, variantLabel } from './format.js';
import { baselineObjectiveValue, bestValLoss, evalValue, isBetter, lowerIsBetter, objectiveValue, parseObjective, pickBest, type Objective } from './objective.js';

export const SUBJECTS = ['finetuned', 'base', 'prompting', 'rag'] as const;
export const SUBJECT_LABEL: Record<string, string> = { finetuned: 'Fine-tuned', base: 'Base model', prompting: 'Prompting', rag: 'RAG' };

export interface KeyValue {
  label: string;
  value: string;
}

export interface BestVariantView {
  runId: string;
  label: string;
  objectiveText: string;
  params: KeyValue[];
  why: string[];
}

export interface SummaryView {
  experiment: string;
  description: string;
  sweepId: string;
  facts: KeyValue[];
  dataset: KeyValue[];
  objective: { key: string; goal: string; text: string };
  best: BestVariantView | null;
  headline: string;
  /** Key figures shown as tiles beside the best variant (filled in by `buildReportViewModel`). */
  tiles: { label: string; value: string; sub: string; cls: string }[];
  /** The ROI recommendation (src/cost), repeated in the summary. */
  recommendation: string;
}

export interface TableCell {
  text: string;
  /** Sort key (number as string for numeric columns, so the inline script sorts numerically). */
  sort: string;
  cls?: string;
  /** A second, smaller line (e.g. `early stop`). */
  sub?: string;
}

export interface SweepTableView {
  columns: { label: string; numeric: boolean; title?: string }[];
  rows: { runId: string; label: string; best: boolean; status: string; cells: TableCell[] }[];
}

export interface CurvePoint {
  variant: string;
  split: 'train' | 'val';
  step: number;
  loss: number;
}

export interface CurvesView {
  points: CurvePoint[];
  /** Final point of runs that stopped early or diverged, labelled. */
  markers: { variant: string; step: number; loss: number; kind: 'early stop' | 'diverged' }[];
  notes: string[];
}

export interface HeatmapView {
  x: string;
  y: string;
  cells: { x: string; y: string; xSort: number; ySort: number; value: number | null; text: string; best: boolean }[];
  note: string;
}

export interface BaselineMetricRow {
  metric: string;
  direction: 'higher' | 'lower';
  n: string;
  cells: { subject: string; text: string; best: boolean; delta: string; deltaCls: string }[];
}

export interface BaselineSliceView {
  slice: string;
  rows: BaselineMetricRow[];
  /** Long-form data for the grouped bar chart. */
  chart: { metric: string; subject: string; value: number }[];
}

export interface RobustnessTableView {
  title: string;
  slice: string;
  metric: string;
  subjects: string[];
  rows: { perturbation: string; cells: { text: string; drop: string; dropCls: string }[] }[];
  consistency: { perturbation: string; cells: string[] }[];
  chart: { perturbation: string; subject: string; drop: number }[];
}

export interface SampleView {
  exampleId: string;
  input: string;
  reference: string;
  delta: string;
  deltaCls: string;
  outputs: { subject: string; text: string; score: string; cls: string }[];
}

export interface SamplesView {
  scoreName: string;
  items: SampleView[];
  note: string;
}

export interface ReportViewModel {
  title: string;
  generatedAt: string;
  limited: string | null;
  summary: SummaryView;
  sweepTable: SweepTableView;
  curves: CurvesView;
  heatmap: HeatmapView | null;
  baselines: BaselineSliceView[];
  robustness: RobustnessTableView[];
  cost: CostSectionView;
  samples: SamplesView;
  warnings: string[];
}

export interface ViewModelOptions {
  /** Timestamp printed in the footer (ISO). Default now. */
  generatedAt?: string;
  /** Sample outputs shown. Default 10. */
  samples?: number;
}

/** Parameters whose value differs between runs, most distinct values first (ties: declaration order). */
export function sweptParams(runs: readonly Pick<RunData, 'params' | 'method'>[]): string[] {
  const distinct = new Map<string, Set<string>>();
  for (const r of runs) {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    for (const [k, v] of Object.entries(all)) {
      if (!distinct.has(k)) distinct.set(k, new Set());
      distinct.get(k)!.add(JSON.stringify(v));
    }
  }
  const keys = [...distinct.entries()].filter(([, s]) => s.size > 1);
  // 'alpha' is usually a function of 'rank' (alpha = 2 x rank): keep it out when it adds nothing.
  return keys
    .map(([k, s], i) => ({ k, n: s.size, i }))
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .map((x) => x.k)
    .filter((k, _i, all) => !(k === 'alpha' && all.includes('rank') && alphaFollowsRank(runs)));
}

function alphaFollowsRank(runs: readonly Pick<RunData, 'params'>[]): boolean {
  const seen = new Map<string, string>();
  for (const r of runs) {
    const key = JSON.stringify(r.params.rank);
    const v = JSON.stringify(r.params.alpha);
    if (seen.has(key) && seen.get(key) !== v) return false;
    seen.set(key, v);
  }
  return true;
}

/** Ordered distinct values of a key across runs. */
function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** ISO time as `2026-11-29 07:00 UTC`. */
function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function describeLimits(data: ReportData): string | null {
  const l = data.sweep.limits;
  const parts: string[] = [];
  if (l.maxSteps !== undefined) parts.push(`--max-steps ${l.maxSteps}`);
  if (l.limitTrain !== undefined) parts.push(`--limit-train ${l.limitTrain}`);
  if (l.limitEval !== undefined) parts.push(`--limit-eval ${l.limitEval}`);
  if (parts.length === 0) return null;
  return `This sweep was limited (${parts.join(', ')}): numbers are for smoke-testing, not for deciding.`;
}

function objectiveText(o: Objective, v: number | null): string {
  return v === null ? '—' : fmtNum(v);
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

function subjectsPresent(rows: readonly EvalRow[]): string[] {
  return SUBJECTS.filter((s) => rows.some((r) => r.subject === s));
}

// ---------------------------------------------------------------- 1 summary

function buildSummary(data: ReportData, objective: Objective, best: RunData | null, swept: string[], rows: EvalRow[]): SummaryView {
  const spec = data.sweep.spec;
  const model = (spec.model as { base?: string } | undefined)?.base ?? '—';
  const runs = data.runs;
  const byStatus = new Map<string, number>();
  for (const r of runs) byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
  const devices = uniq(runs.map((r) => r.device).filter((d): d is string => !!d));
  const backends = uniq([data.sweep.backend, ...runs.map((r) => r.backend)].filter((d): d is string => !!d));
  const wall = runs.reduce((s, r) => s + (r.wallSeconds ?? 0), 0);
  const facts: KeyValue[] = [
    { label: 'Experiment', value: data.sweep.experimentName },
    { label: 'Sweep', value: data.sweep.sweepId },
    { label: 'Status', value: data.sweep.status },
    { label: 'Base model', value: model },
    { label: 'Method', value: uniq(runs.map((r) => r.method)).join(', ') || String(spec.method ?? '—') },
    { label: 'Backend', value: backends.join(', ') || '—' },
    { label: 'Device', value: devices.join(', ') || '—' },
    { label: 'Runs', value: `${runs.length} (${[...byStatus.entries()].map(([s, n]) => `${n} ${s}`).join(', ')})` },
    { label: 'Swept', value: swept.join(', ') || '—' },
    { label: 'Total train time', value: fmtDuration(wall) },
  ];
  if (data.sweep.startedAt) facts.push({ label: 'Started', value: fmtTime(data.sweep.startedAt) });
  if (data.sweep.gitCommit) facts.push({ label: 'Git commit', value: data.sweep.gitCommit.slice(0, 12) });
  if (data.sweep.specPath) facts.push({ label: 'Spec', value: data.sweep.specPath });

  const m = data.sweep.manifest;
  const dataset: KeyValue[] = [{ label: 'Dataset', value: String(spec.dataset ?? m?.source ?? '—') + (m?.corpus ? ` (from ${m.corpus})` : '') }];
  if (m) {
    if (m.counts) dataset.push({ label: 'Examples', value: Object.entries(m.counts).map(([k, v]) => `${k} ${fmtCount(v)}`).join(' · ') });
    if (m.categories) {
      const cats = m.categories as Record<string, unknown>;
      const flat = Object.entries(cats).map(([k, v]) => (typeof v === 'number' ? `${k} ${v}` : `${k}: ${Object.entries(v as Record<string, number>).map(([c, n]) => `${c} ${n}`).join(', ')}`));
      dataset.push({ label: 'Categories', value: flat.join(' · ') });
    }
    if (m.fingerprint) dataset.push({ label: 'Fingerprint', value: m.fingerprint.slice(0, 16) });
    const pii = m.piiReplaced ? Object.entries(m.piiReplaced).filter(([, n]) => n > 0) : [];
    dataset.push({ label: 'PII replaced', value: pii.length > 0 ? pii.map(([k, n]) => `${k} ${n}`).join(', ') : 'none' });
    if (m.rejected !== undefined || m.rejectReasons) {
      const reasons = m.rejectReasons ? Object.entries(m.rejectReasons).filter(([, n]) => n > 0).map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`) : [];
      dataset.push({ label: 'Left out', value: `${m.rejected ?? '—'}${m.inputRows !== undefined ? ` of ${fmtCount(m.inputRows)} rows` : ''}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}` });
    } else if (m.duplicatesRemoved !== undefined) {
      dataset.push({ label: 'Duplicates removed', value: String(m.duplicatesRemoved) });
    }
  }

  const goalWord = objective.goal === 'minimize' ? 'lower is better' : 'higher is better';
  let bestView: BestVariantView | null = null;
  let headline = 'No completed run has a value for the objective.';
  if (best) {
    const v = objectiveValue(objective, best);
    const completed = runs.filter((r) => r.status === 'completed');
    const others = completed.filter((r) => r !== best).map((r) => objectiveValue(objective, r)).filter((x): x is number => x !== null);
    const runnerUp = others.length === 0 ? null : objective.goal === 'minimize' ? Math.min(...others) : Math.max(...others);
    const why: string[] = [];
    why.push(`Best ${objective.key} (${goalWord}) among ${completed.length} completed run${completed.length === 1 ? '' : 's'}: ${fmtNum(v)}${runnerUp !== null ? `, runner-up ${fmtNum(runnerUp)} (${fmtDelta(v! - runnerUp)})` : ''}.`);
    const base = baselineObjectiveValue(objective, rows, 'base');
    for (const s of ['base', 'prompting', 'rag']) {
      const bv = baselineObjectiveValue(objective, rows, s);
      if (bv !== null && v !== null) {
        why.push(`${isBetter(objective.goal, v, bv) ? 'Beats' : 'Does not beat'} ${SUBJECT_LABEL[s]} (${fmtNum(bv)}, ${fmtDelta(v - bv)}).`);
      }
    }
    if (objective.metric === 'val_loss') {
      const ppl = evalValue(best.evalRows, 'finetuned', 'all', 'perplexity');
      const bppl = evalValue(rows, 'base', 'all', 'perplexity');
      if (ppl !== null && bppl !== null) why.push(`Test perplexity ${fmtNum(ppl)} vs base model ${fmtNum(bppl)}.`);
    }
    if (best.trainableParams && best.totalParams) {
      why.push(`Trains ${fmtCount(best.trainableParams)} of ${fmtCount(best.totalParams)} parameters (${((100 * best.trainableParams) / best.totalParams).toPrecision(2)}%); adapter ${fmtBytes(best.adapterBytes)}.`);
    }
    const label = variantLabel({ method: best.method, ...best.params }, swept, best.variantKey.slice(0, 10));
    bestView = {
      runId: best.runId,
      label,
      objectiveText: objectiveText(objective, v),
      params: Object.entries({ method: best.method, ...best.params }).map(([k, x]) => ({ label: k, value: fmtParam(x) })),
      why,
    };
    headline =
      base !== null && v !== null
        ? `${label} is the best variant: ${objective.key} ${fmtNum(v)} vs ${fmtNum(base)} for the untuned base model (${fmtDelta(v - base)}, ${isBetter(objective.goal, v, base) ? 'better' : 'not better'}).`
        : `${label} is the best variant: ${objective.key} ${fmtNum(v)}.`;
  }
  return {
    experiment: data.sweep.experimentName,
    description: String(spec.description ?? ''),
    sweepId: data.sweep.sweepId,
    facts,
    dataset,
    objective: { key: objective.key, goal: objective.goal, text: `${objective.key} (${objective.goal}, ${goalWord})` },
    best: bestView,
    headline,
    tiles: [],
    recommendation: '',
  };
}

/** Key figures for the summary: lift over the base model and the best alternative, worst case, monthly cost. */
function summaryTiles(objective: Objective, best: RunData | null, rows: EvalRow[], cost: CostSectionView): SummaryView['tiles'] {
  if (!best || objective.metric === 'val_loss') return [];
  const v = objectiveValue(objective, best);
  if (v === null) return [];
  const tiles: SummaryView['tiles'] = [];
  const lift = (other: number): { text: string; cls: string } => {
    const d = v - other;
    const good = objective.goal === 'maximize' ? d > 0 : d < 0;
    return { text: fmtDelta(d), cls: d === 0 ? '' : good ? 'good' : 'bad' };
  };
  const base = baselineObjectiveValue(objective, rows, 'base');
  if (base !== null) tiles.push({ label: 'vs base model', value: lift(base).text, sub: `${fmtNum(base)} → ${fmtNum(v)}`, cls: lift(base).cls });
  const alts = (['prompting', 'rag'] as const).map((s) => ({ s, x: baselineObjectiveValue(objective, rows, s) })).filter((a): a is { s: 'prompting' | 'rag'; x: number } => a.x !== null);
  if (alts.length > 0) {
    const top = alts.reduce((a, b) => (isBetter(objective.goal, b.x, a.x) ? b : a));
    tiles.push({ label: `vs ${SUBJECT_LABEL[top.s]} (best alternative)`, value: lift(top.x).text, sub: `${fmtNum(top.x)} → ${fmtNum(v)}`, cls: lift(top.x).cls });
  }
  const wc = evalValue(best.evalRows, 'finetuned', objective.slice, objective.metric, 'worst_case');
  if (wc !== null) tiles.push({ label: 'worst case (robustness)', value: fmtNum(wc), sub: `${fmtDelta(wc - v)} vs clean inputs`, cls: '' });
  const ft = cost.roi.find((r) => r.approach === 'Fine-tuned');
  if (ft) {
    const others = cost.roi.filter((r) => r !== ft).map((r) => `${r.approach} ${r.monthly}`).join(' · ');
    tiles.push({ label: 'monthly cost', value: ft.monthly, sub: others ? `vs ${others}` : cost.assumptions, cls: '' });
  }
  return tiles;
}

// ---------------------------------------------------------------- 2 sweep table

/** Main metrics shown per run: the objective and the clean value of each (slice, metric) of slice `all`, at most `max`. */
function mainMetricKeys(objective: Objective, runs: readonly RunData[], max = 5): { slice: string; metric: string }[] {
  const keys: { slice: string; metric: string }[] = [];
  const seen = new Set<string>();
  const add = (slice: string, metric: string): void => {
    const k = `${slice}/${metric}`;
    if (!seen.has(k) && keys.length < max) {
      seen.add(k);
      keys.push({ slice, metric });
    }
  };
  if (objective.metric !== 'val_loss') add(objective.slice, objective.metric);
  const rows = runs.flatMap((r) => r.evalRows.filter((e) => e.subject === 'finetuned' && e.perturbation === 'none'));
  const slices = uniq(rows.map((r) => r.slice)).filter((s) => s !== 'all');
  // One headline metric per slice first, then slice `all`.
  for (const s of slices) {
    const m = preferredMetric(rows.filter((r) => r.slice === s).map((r) => r.metric));
    if (m) add(s, m);
  }
  if (rows.some((r) => r.slice === 'all' && r.metric === 'perplexity')) add('all', 'perplexity');
  for (const r of rows) if (r.slice === 'all') add('all', r.metric);
  return keys;
}

/** `perplexity` for slice `all`, `classify/f1_macro` otherwise. */
function keyLabel(slice: string, metric: string): string {
  return slice === 'all' ? metric : `${slice}/${metric}`;
}

const PREFERRED = ['f1_macro', 'accuracy', 'rougeL', 'rougeLsum', 'bleu', 'chrf', 'exact_match', 'f1', 'rouge1'];

/** The headline metric among a slice's metrics (classification F1, then ROUGE-L, BLEU...). */
export function preferredMetric(metrics: readonly string[]): string | null {
  for (const p of PREFERRED) if (metrics.includes(p)) return p;
  return metrics.find((m) => m !== 'consistency') ?? null;
}

function buildSweepTable(data: ReportData, objective: Objective, best: RunData | null, swept: string[]): SweepTableView {
  const metricKeys = mainMetricKeys(objective, data.runs);
  const paramCols = swept.length > 0 ? swept : ['method'];
  const columns: SweepTableView['columns'] = [
    { label: 'Variant', numeric: false },
    ...paramCols.map((p) => ({ label: p, numeric: p !== 'method' && p !== 'targetModules' && p !== 'schedule' })),
    { label: 'Status', numeric: false },
    { label: `★ ${objective.key}`, numeric: true, title: `objective (${objective.goal})` },
  ];
  if (objective.metric !== 'val_loss') columns.push({ label: 'val loss', numeric: true, title: 'best validation loss (nats/token)' });
  for (const k of metricKeys) if (!(k.slice === objective.slice && k.metric === objective.metric)) columns.push({ label: keyLabel(k.slice, k.metric), numeric: true, title: `${k.slice}/${k.metric}, fine-tuned, clean inputs` });
  columns.push(
    { label: 'Adapter', numeric: true, title: 'saved adapter (or weights) size; trainable parameters below' },
    { label: 'Time', numeric: true, title: 'wall time' },
    { label: 'Cost', numeric: true, title: 'measured train + eval cost (USD)' },
  );

  const num = (v: number | null | undefined, text: string): TableCell => ({ text, sort: v === null || v === undefined || !Number.isFinite(v) ? '' : String(v) });
  const rows = data.runs.map((r) => {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    const ov = objectiveValue(objective, r);
    const cells: TableCell[] = [{ text: r.runId, sort: r.runId }];
    for (const p of paramCols) {
      const v = all[p];
      cells.push(typeof v === 'number' ? num(v, fmtParam(v)) : { text: fmtParam(v), sort: fmtParam(v) });
    }
    const steps = r.stepMetrics.filter((m) => m.split === 'train').reduce((mx, m) => Math.max(mx, m.step), 0);
    const stepText = steps > 0 ? `${fmtCount(steps)} steps` : '';
    const note = r.stoppedEarly ? 'early stop' : r.status === 'diverged' || r.status === 'failed' ? truncate(r.error ?? '', 48) : '';
    const sub = [stepText, note].filter((x) => x).join(' · ');
    cells.push({ text: String(r.status), sort: String(r.status), cls: `status-${r.status}`, ...(sub ? { sub } : {}) });
    cells.push({ ...num(ov, fmtNum(ov)), cls: 'objective' });
    if (objective.metric !== 'val_loss') {
      const bv = bestValLoss(r);
      cells.push(num(bv, fmtNum(bv)));
    }
    for (const k of metricKeys) {
      if (k.slice === objective.slice && k.metric === objective.metric) continue;
      const v = evalValue(r.evalRows, 'finetuned', k.slice, k.metric);
      cells.push(num(v, fmtNum(v)));
    }
    const cost = runCostUsd(r);
    cells.push({ ...num(r.adapterBytes, fmtBytes(r.adapterBytes)), ...(r.trainableParams ? { sub: `${fmtCount(r.trainableParams)} params` } : {}) });
    cells.push(num(r.wallSeconds, fmtDuration(r.wallSeconds)));
    cells.push(num(cost, fmtUsd(cost)));
    return { runId: r.runId, label: variantLabel(all, swept, r.variantKey.slice(0, 10)), best: r === best, status: String(r.status), cells };
  });
  // Sorted by objective, best first, failed runs last.
  const goal = objective.goal;
  const order = data.runs.map((r, i) => ({ i, v: r.status === 'completed' ? objectiveValue(objective, r) : null }));
  order.sort((a, b) => (a.v === null ? 1 : b.v === null ? -1 : goal === 'minimize' ? a.v - b.v : b.v - a.v) || a.i - b.i);
  return { columns, rows: order.map((o) => rows[o.i]!) };
}

// ---------------------------------------------------------------- 3 curves

function buildCurves(data: ReportData, swept: string[]): CurvesView {
  const points: CurvePoint[] = [];
  const markers: CurvesView['markers'] = [];
  const notes: string[] = [];
  for (const r of data.runs) {
    const label = variantLabel({ method: r.method, ...r.params }, swept, r.variantKey.slice(0, 10));
    const loss = r.stepMetrics.filter((m: StepMetric) => m.name === 'loss' && Number.isFinite(m.value));
    for (const m of loss) points.push({ variant: label, split: m.split, step: m.step, loss: m.value });
    const last = [...loss].sort((a, b) => a.step - b.step).at(-1);
    if (r.status === 'diverged') {
      const nonFinite = r.stepMetrics.some((m) => m.name === 'loss' && !Number.isFinite(m.value));
      if (last) markers.push({ variant: label, step: last.step, loss: last.value, kind: 'diverged' });
      notes.push(`${label} diverged${nonFinite ? ' (non-finite loss)' : ''}${last ? ` at step ${last.step}` : ''}.`);
    } else if (r.stoppedEarly && last) {
      markers.push({ variant: label, step: last.step, loss: last.value, kind: 'early stop' });
      notes.push(`${label} stopped early at step ${last.step} (validation loss stopped improving).`);
    }
  }
  return { points, markers: markers.map((m) => ({ ...m, loss: Number(m.loss) })), notes };
}

// ---------------------------------------------------------------- 4 heat map

function buildHeatmap(data: ReportData, objective: Objective, swept: string[], best: RunData | null): HeatmapView | null {
  const numericSwept = swept.filter((p) => p !== 'method');
  let x: string | undefined;
  let y: string | undefined;
  if (numericSwept.includes('learningRate') && numericSwept.includes('rank')) {
    x = 'learningRate';
    y = 'rank';
  } else if (swept.length >= 2) {
    [y, x] = swept as [string, string];
  } else if (swept.length === 1) {
    x = swept[0];
    y = undefined;
  }
  if (!x) return null;
  const cellMap = new Map<string, HeatmapView['cells'][number]>();
  for (const r of data.runs) {
    const all: Record<string, unknown> = { method: r.method, ...r.params };
    const xv = all[x];
    const yv = y ? all[y] : '—';
    const v = r.status === 'completed' ? objectiveValue(objective, r) : null;
    const key = `${JSON.stringify(xv)}|${JSON.stringify(yv)}`;
    const prev = cellMap.get(key);
    // Several runs per cell (other parameters vary): keep the best.
    if (!prev || isBetter(objective.goal, v, prev.value)) {
      cellMap.set(key, {
        x: fmtParam(xv),
        y: fmtParam(yv),
        xSort: typeof xv === 'number' ? xv : 0,
        ySort: typeof yv === 'number' ? yv : 0,
        value: v,
        text: v === null ? String(r.status) : fmtNum(v, 3),
        best: r === best,
      });
    }
  }
  const cells = [...cellMap.values()];
  return {
    x,
    y: y ?? '',
    cells,
    note: `${objective.key} (${objective.goal === 'minimize' ? 'lower' : 'higher'} is better) over ${y ? `${y} × ${x}` : x}; the best cell is outlined${
      cells.length < data.runs.length ? '; cells with several runs show the best' : ''
    }.`,
  };
}

// ---------------------------------------------------------------- 5 baselines

function buildBaselines(rows: EvalRow[]): BaselineSliceView[] {
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
          const good = d !== null && d !== 0 && (lower ? d < 0 : d > 0);
          return { subject: s, text: fmtNum(v), best: v !== null && v === bestV && present.length > 1, delta: s === 'base' || d === null ? '' : fmtDelta(d), deltaCls: d === null || d === 0 ? '' : good ? 'good' : 'bad' };
        }),
      });
      if (!lower) subjects.forEach((s, i) => vals[i] !== null && vals[i] !== undefined && chart.push({ metric, subject: SUBJECT_LABEL[s] ?? s, value: vals[i]! }));
    }
    return { slice, rows: out, chart };
  });
}

// ---------------------------------------------------------------- 6 robustness

/** Perturbations in the spec's order (`evaluate.perturbations`), others after them alphabetically, `worst_case` last. */
function orderPerturbations(names: string[], spec: Record<string, unknown>): string[] {
  const declared = ((spec.evaluate as { perturbations?: unknown } | undefined)?.perturbations ?? []) as unknown[];
  const rank = (p: string): number => (p === 'worst_case' ? 1e9 : declared.indexOf(p) >= 0 ? declared.indexOf(p) : 1e6);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function buildRobustness(rows: EvalRow[], objective: Objective, spec: Record<string, unknown>): RobustnessTableView[] {
  const subjects = subjectsPresent(rows);
  const perturbations = orderPerturbations(uniq(rows.map((r) => r.perturbation)).filter((p) => p !== 'none'), spec);
  if (perturbations.length === 0) return [];
  const keys: { slice: string; metric: string }[] = [];
  const seen = new Set<string>();
  const add = (slice: string, metric: string | null): void => {
    if (!metric || seen.has(`${slice}/${metric}`)) return;
    if (!rows.some((r) => r.slice === slice && r.metric === metric && r.perturbation !== 'none')) return;
    seen.add(`${slice}/${metric}`);
    keys.push({ slice, metric });
  };
  if (objective.metric !== 'val_loss') add(objective.slice, objective.metric);
  const slices = uniq(rows.map((r) => r.slice));
  for (const s of slices.filter((x) => x !== 'all')) add(s, preferredMetric(uniq(rows.filter((r) => r.slice === s && r.perturbation !== 'none' && !lowerIsBetter(r.metric)).map((r) => r.metric))));
  if (keys.length === 0) add('all', preferredMetric(uniq(rows.filter((r) => r.slice === 'all' && r.perturbation !== 'none').map((r) => r.metric))));

  const ordered = perturbations;
  return keys.map(({ slice, metric }) => {
    const lower = lowerIsBetter(metric);
    const chart: RobustnessTableView['chart'] = [];
    const tableRows: RobustnessTableView['rows'] = [
      { perturbation: 'none (clean)', cells: subjects.map((s) => ({ text: fmtNum(evalValue(rows, s, slice, metric)), drop: '', dropCls: '' })) },
    ];
    for (const p of ordered) {
      if (!rows.some((r) => r.perturbation === p && r.slice === slice && r.metric === metric)) continue;
      tableRows.push({
        perturbation: p === 'worst_case' ? 'worst case' : p,
        cells: subjects.map((s) => {
          const clean = evalValue(rows, s, slice, metric);
          const v = evalValue(rows, s, slice, metric, p);
          // Drop = how much worse the perturbed input scores (positive = worse), in the metric's units.
          const drop = clean !== null && v !== null ? (lower ? v - clean : clean - v) : null;
          if (drop !== null) chart.push({ perturbation: p === 'worst_case' ? 'worst case' : p, subject: SUBJECT_LABEL[s] ?? s, drop });
          // Shown as the signed change vs clean (a drop of a higher-is-better metric is negative).
          const change = clean !== null && v !== null ? v - clean : null;
          return { text: fmtNum(v), drop: change === null ? '' : fmtDelta(change), dropCls: drop === null || drop === 0 ? '' : drop > 0 ? 'bad' : 'good' };
        }),
      });
    }
    const consistency: RobustnessTableView['consistency'] = [];
    const cRows = rows.filter((r) => r.metric === 'consistency' && (r.slice === slice || r.slice === 'all'));
    for (const p of orderPerturbations(uniq(cRows.map((r) => r.perturbation)), spec)) {
      const sl = cRows.some((r) => r.perturbation === p && r.slice === slice) ? slice : 'all';
      consistency.push({ perturbation: p === 'worst_case' || p === 'none' ? 'all perturbations' : p, cells: subjects.map((s) => fmtNum(evalValue(cRows, s, sl, 'consistency', p))) });
    }
    return { title: `${slice}/${metric}`, slice, metric, subjects: subjects.map((s) => SUBJECT_LABEL[s] ?? s), rows: tableRows, consistency, chart };
  });
}

// ---------------------------------------------------------------- 8 samples

/** The per-example score used to rank samples: the objective metric when predictions carry it, else the first common score. */
function sampleScoreName(objective: Objective, preds: readonly PredictionRow[]): string | null {
  const keys = uniq(preds.flatMap((p) => Object.keys(p.scores)));
  if (keys.includes(objective.metric)) return objective.metric;
  return preferredMetric(keys) ?? keys[0] ?? null;
}

function buildSamples(data: ReportData, best: RunData | null, objective: Objective, max: number): SamplesView {
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

// ---------------------------------------------------------------- entry point

/**
 * Builds the whole report view model from one sweep's data.
 *
 * The best variant is the completed run with the best objective (`spec.objective`, see
 * `objective.ts`); baselines come from `data.baselines` (or, when the sweep stored none, from
 * the best run's own non-fine-tuned rows).
 */
export function buildReportViewModel(data: ReportData, opts: ViewModelOptions = {}): ReportViewModel {
  const objective = parseObjective(data.sweep.spec);
  const best = pickBest(objective, data.runs);
  const swept = sweptParams(data.runs);
  const rows = allEvalRows(data, best);
  const warnings: string[] = [];
  if (data.runs.length === 0) warnings.push('This sweep has no runs yet.');
  else if (!best) warnings.push(`No completed run has a value for the objective ${objective.key}.`);
  const missing = ['base', 'prompting', 'rag'].filter((s) => !rows.some((r) => r.subject === s));
  if (missing.length > 0 && data.runs.length > 0) warnings.push(`Missing baseline results: ${missing.join(', ')}.`);
  const cost = buildCostSection(data, best, objective, rows);
  const summary = buildSummary(data, objective, best, swept, rows);
  summary.tiles = summaryTiles(objective, best, rows, cost);
  summary.recommendation = cost.recommendation;
  return {
    title: `${data.sweep.experimentName} · ${data.sweep.sweepId}`,
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    limited: describeLimits(data),
    summary,
    sweepTable: buildSweepTable(data, objective, best, swept),
    curves: buildCurves(data, swept),
    heatmap: buildHeatmap(data, objective, swept, best),
    baselines: buildBaselines(rows),
    robustness: buildRobustness(rows, objective, data.sweep.spec),
    cost,
    samples: buildSamples(data, best, objective, opts.samples ?? 10),
    warnings,
  };
}
