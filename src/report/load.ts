/**
 * Reads one sweep's `ReportData` through src/store's read queries (no SQL here).
 */
import { loadReviews } from '../store/reviews.js';
import { summarizeReviews } from '../review/summary.js';
import { roiForSweep } from './roi.js';
import { FteError } from '../errors.js';
import type { Db } from '../store/db.js';
import * as q from '../store/queries.js';
import type { CostRow } from '../cost/types.js';
import type { EvalRow, PredictionRow } from '../eval/types.js';
import type { StepMetric } from '../train/types.js';
import { lowerIsBetter } from './objective.js';
import { preferredMetric } from './view-model.js';
import type { BaselineData, DatasetManifestView, OodData, ReportData, RunData, SweepInfo, SweepLimits } from './data.js';

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function sweepInfo(s: q.SweepDetail): SweepInfo {
  const spec = (s.spec && typeof s.spec === 'object' ? { ...(s.spec as Record<string, unknown>) } : {}) as Record<string, unknown>;
  // The sweep's own objective (copied when it started) is what `fte runs` ranks by: it wins.
  spec.objective = { metric: s.objective.metric, goal: s.objective.goal };
  if (s.baseModel && !spec.model) spec.model = { base: s.baseModel };
  const limits = (s.limits && typeof s.limits === 'object' ? s.limits : {}) as Record<string, unknown>;
  return {
    sweepId: s.sweepId,
    experimentId: s.experimentId,
    experimentName: s.experiment ?? s.experimentId,
    specPath: opt(s.specPath),
    status: s.status,
    startedAt: opt(s.startedAt),
    finishedAt: opt(s.finishedAt),
    gitCommit: opt(s.gitCommit),
    host: opt(s.host),
    backend: opt(s.backend),
    spec,
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => typeof v === 'number')) as SweepLimits,
    manifest: s.datasetManifest && typeof s.datasetManifest === 'object' ? normaliseManifest(s.datasetManifest as Record<string, unknown>) : undefined,
  };
}

/** Accepts the manifest as `fte data prepare` writes it, whatever its exact key names. */
function normaliseManifest(m: Record<string, unknown>): DatasetManifestView {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const rec = (v: unknown): Record<string, number> | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number') ? (v as Record<string, number>) : undefined;
  const counts = rec(m.counts) ?? rec(m.splits);
  const suite = (m.suite && typeof m.suite === 'object' ? m.suite : {}) as Record<string, unknown>;
  return {
    corpus: typeof suite.corpus === 'string' ? suite.corpus : undefined,
    rejectReasons: rec(m.rejects),
    inputRows: num(counts?.input) ?? num(counts?.lines),
    source: typeof m.source === 'string' ? m.source : undefined,
    fingerprint: typeof m.fingerprint === 'string' ? m.fingerprint : undefined,
    counts: counts ? pick(counts, ['train', 'val', 'test', 'ood']) : undefined,
    ood: oodOf(m.ood),
    categories: (m.categories ?? m.categoryCounts) as DatasetManifestView['categories'],
    piiReplaced: rec(m.piiReplaced) ?? rec(m.pii) ?? rec(m.piiReplacements),
    duplicatesRemoved: num(m.duplicatesRemoved) ?? num(m.duplicates) ?? num(rec(m.rejects)?.duplicate),
    rejected: num(m.rejected) ?? num(counts?.rejected),
  };
}

function oodOf(v: unknown): DatasetManifestView['ood'] {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.description === 'string' ? { description: o.description, source: typeof o.source === 'string' ? o.source : '' } : undefined;
}

function byRun<T extends { runId: string }, U>(rows: T[], map: (r: T) => U): Map<string, U[]> {
  const out = new Map<string, U[]>();
  for (const r of rows) {
    let l = out.get(r.runId);
    if (!l) out.set(r.runId, (l = []));
    l.push(map(r));
  }
  return out;
}

const finite = (v: number | null): number => (v === null ? Number.NaN : v);

const toEvalRow = (e: q.EvalResultRecord): EvalRow => ({ subject: e.subject, perturbation: e.perturbation, slice: e.slice, metric: e.metric, value: finite(e.value), n: e.n ?? 0, split: e.split, ...(e.signature ? { signature: e.signature } : {}), ...ci(e) });
const toPredictionRow = (p: q.PredictionRecord): PredictionRow => ({ subject: p.subject, ...(p.split === 'ood' ? { split: 'ood' as const } : {}), perturbation: p.perturbation, exampleId: p.exampleId, input: p.input ?? '', reference: p.reference ?? '', prediction: p.prediction ?? '', scores: p.scores ?? {}, ...(p.category !== null ? { category: p.category } : {}), ...(p.labels ? { labels: p.labels } : {}) });

/** The stored 95% interval of a metric row, when both ends are finite (absent otherwise, as in `EvalRow`). */
function ci(e: Pick<q.EvalResultRecord, 'ciLow' | 'ciHigh' | 'ciSignature'>): Pick<EvalRow, 'ciLow' | 'ciHigh' | 'ciSignature'> {
  if (e.ciLow === null || e.ciHigh === null || !Number.isFinite(e.ciLow) || !Number.isFinite(e.ciHigh)) return {};
  return { ciLow: e.ciLow, ciHigh: e.ciHigh, ...(e.ciSignature ? { ciSignature: e.ciSignature } : {}) };
}

/** Points kept per curve for the charts (the store thins longer curves to every k-th step plus the last). */
export const MAX_CURVE_POINTS = 400;

/**
 * Loads a sweep (default: the latest) with every variant's params, loss curves, eval rows, clean
 * predictions, costs and artifacts, and the sweep's baselines (its `baselines` pseudo-run).
 * @throws UserInputError when the database has no sweep, or no sweep `sweepId` (naming recent ones).
 */
export async function loadReportData(db: Db, sweepId?: string): Promise<ReportData> {
  const s = await q.getSweep(db, sweepId ?? 'latest');
  const runs = await q.sweepRuns(db, s.sweepId);
  const ids = runs.map((r) => r.runId);
  const steps = await q.stepMetrics(db, ids, { names: ['loss'], maxPoints: MAX_CURVE_POINTS });
  const evals = await q.evalResults(db, { sweepId: s.sweepId });
  const preds = await q.predictions(db, { sweepId: s.sweepId, perturbation: 'none' });
  const costs = await q.costs(db, { sweepId: s.sweepId });
  const artifacts = await q.artifacts(db, { sweepId: s.sweepId });

  const stepMap = byRun(steps, (m): StepMetric => ({ step: m.step, epoch: m.epoch ?? 0, split: m.split as StepMetric['split'], name: m.name, value: finite(m.value) }));
  const evalMap = byRun(evals, toEvalRow);
  const predMap = byRun(preds, toPredictionRow);
  const costMap = byRun(costs, (c): CostRow => ({ component: c.component, device: c.device ?? '', hours: c.hours ?? 0, tokens: c.tokens ?? 0, usd: c.usd ?? 0, priceSource: c.priceSource ?? '' }));
  const artMap = byRun(artifacts, (a) => ({ kind: a.kind, path: a.path, bytes: a.bytes ?? 0, sha256: a.sha256 ?? '' }));

  const baselineIds = new Set([...evals, ...costs].filter((r) => r.kind === 'baselines').map((r) => r.runId));
  const baselines: BaselineData = { evalRows: [], predictions: [], costs: [], subjects: [] };
  const subjectRows = await q.subjectRecords(db, { sweepId: s.sweepId });
  for (const id of baselineIds) {
    baselines.subjects!.push(...subjectRows.filter((x) => x.runId === id).map(({ runId: _r, sweepId: _s, ...x }) => x));
    baselines.evalRows.push(...(evalMap.get(id) ?? []));
    baselines.predictions.push(...(predMap.get(id) ?? []));
    baselines.costs.push(...(costMap.get(id) ?? []));
  }
  const runSubjects = byRun(subjectRows.filter((x) => !baselineIds.has(x.runId)), ({ runId: _r, sweepId: _s, ...x }) => x);
  const data: RunData[] = runs.map((r) => ({
    runId: r.runId,
    sweepId: r.sweepId,
    variantKey: r.variantKey ?? r.runId,
    method: r.method ?? '',
    status: r.status,
    startedAt: opt(r.startedAt),
    finishedAt: opt(r.finishedAt),
    wallSeconds: opt(r.wallSeconds),
    device: opt(r.device),
    backend: opt(r.backend),
    tokensTrained: opt(r.tokensTrained),
    trainableParams: opt(r.trainableParams),
    totalParams: opt(r.totalParams),
    adapterBytes: opt(r.adapterBytes),
    peakMemoryBytes: opt(r.peakMemoryBytes),
    estimatedMemoryBytes: opt(r.estimatedMemoryBytes),
    bestStep: opt(r.bestStep),
    steps: opt(r.steps),
    plannedSteps: opt(r.plannedSteps),
    bestValLoss: opt(r.bestValLoss),
    selectionObjective: opt(r.objective.value),
    selectionSplit: opt(r.objective.split),
    stoppedEarly: opt(r.stoppedEarly),
    error: opt(r.error ?? r.divergenceReason),
    params: Object.fromEntries(Object.entries(r.params).filter(([, v]) => v !== null)) as RunData['params'],
    stepMetrics: stepMap.get(r.runId) ?? [],
    evalRows: evalMap.get(r.runId) ?? [],
    predictions: predMap.get(r.runId) ?? [],
    costs: costMap.get(r.runId) ?? [],
    artifacts: artMap.get(r.runId) ?? [],
    subjects: runSubjects.get(r.runId) ?? [],
  }));
  // The store's one ranking of completed runs: the best is place 0, the runner-up place 1.
  const ranked = (await q.listRuns(db, { sweep: s.sweepId, status: 'completed', sort: 'objective' })).runs.filter((r) => r.objective.value !== null);
  const place = new Map(ranked.map((r, i) => [r.runId, i]));
  for (const r of data) if (place.has(r.runId)) r.storeRank = place.get(r.runId)!;
  const bestRunId = (await q.bestRun(db, s.sweepId))?.runId ?? null;
  const out: ReportData = { sweep: sweepInfo(s), runs: data, baselines, bestRunId };
  // Human review (fte review) of the sweep's runs, summarised per run.
  const reviews: NonNullable<ReportData['reviews']> = {};
  for (const r of data) {
    const rs = await loadReviews(db, r.runId);
    if (rs.length > 0) reviews[r.runId] = summarizeReviews(r.runId, rs);
  }
  if (Object.keys(reviews).length > 0) out.reviews = reviews;
  // The out-of-distribution split, when the sweep scored one.
  const oodEvals = await q.evalResults(db, { sweepId: s.sweepId, split: 'ood' });
  if (oodEvals.length > 0) {
    const oodPreds = await q.predictions(db, { sweepId: s.sweepId, perturbation: 'none', split: 'ood' });
    const rowsBy = byRun(oodEvals, toEvalRow);
    const predsBy = byRun(oodPreds, toPredictionRow);
    const ood: OodData = { baselineRows: [], baselinePredictions: [], runRows: {}, runPredictions: {} };
    for (const [id, rs] of rowsBy) {
      if (baselineIds.has(id) || id.endsWith(':baselines')) ood.baselineRows.push(...rs);
      else ood.runRows[id] = rs;
    }
    for (const [id, ps] of predsBy) {
      if (baselineIds.has(id) || id.endsWith(':baselines')) ood.baselinePredictions.push(...ps);
      else ood.runPredictions[id] = ps;
    }
    out.ood = ood;
  }
  // The ROI exactly as `fte roi` prints it; a sweep it cannot price still gets its report.
  // A val_loss objective has no prompting/RAG counterpart: price on the headline metric that every approach measured.
  const metric = s.objective.metric === 'val_loss' ? roiMetric(out) : undefined;
  try {
    out.roi = await roiForSweep(db, { sweepId: s.sweepId, ...(metric ? { metric } : {}) });
  } catch (err) {
    if (!(err instanceof FteError)) throw err;
    out.roiError = err.message;
  }
  return out;
}

/** `<slice>/<metric>` measured on clean inputs for the fine-tuned model, prompting and RAG, preferring the usual headline metrics. */
function roiMetric(data: ReportData): string | undefined {
  const rows = [...data.runs.flatMap((r) => r.evalRows), ...data.baselines.evalRows].filter((r) => r.perturbation === 'none' && !lowerIsBetter(r.metric));
  const subjects = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = `${r.slice}\u0000${r.metric}`;
    if (!subjects.has(k)) subjects.set(k, new Set());
    subjects.get(k)!.add(r.subject);
  }
  // Prompting and RAG are the first subjects of their kind (as fte roi takes them), else the subjects named so.
  const ofKind = (kind: string): string => data.baselines.subjects?.find((x) => x.kind === kind)?.subject ?? kind;
  const names = ['finetuned', ofKind('prompting'), ofKind('rag')];
  const full = [...subjects].filter(([, v]) => names.every((x) => v.has(x))).map(([k]) => k.split('\u0000') as [string, string]);
  if (full.length === 0) return undefined;
  const m = preferredMetric(full.map(([, metric]) => metric));
  const hit = full.find(([slice, metric]) => metric === m && slice !== 'all') ?? full.find(([, metric]) => metric === m)!;
  return hit[0] === 'all' ? hit[1] : `${hit[0]}/${hit[1]}`;
}

/** The split counts of a manifest's `counts` (all of it when it has no train/val/test keys). */
function pick(counts: Record<string, number>, keys: string[]): Record<string, number> {
  const out = Object.fromEntries(keys.filter((k) => k in counts).map((k) => [k, counts[k]!]));
  return Object.keys(out).length > 0 ? out : counts;
}
