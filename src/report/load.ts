/**
 * Reads one sweep's `ReportData` from the store through src/store's read queries (no SQL here).
 */
import { UserInputError } from '../errors.js';
import {
  artifactsOfRuns,
  costsOfRuns,
  evalResultsOfRuns,
  getSweep,
  latestSweep,
  paramsOfRuns,
  predictionsOfRuns,
  recentSweepIds,
  runsOfSweep,
  stepMetricsOfRuns,
  type Queryable,
  type SweepRecord,
} from '../store/report-queries.js';
import type { BaselineData, DatasetManifestView, ReportData, RunData, SweepInfo, SweepLimits } from './data.js';

function parseJson<T>(s: string | null, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function sweepInfo(s: SweepRecord): SweepInfo {
  const spec = parseJson<Record<string, unknown>>(s.specJson, {});
  // The sweep's own objective columns win over the spec copy (they are what `fte runs` ranks by).
  spec.objective = { metric: s.objectiveMetric, goal: s.objectiveGoal };
  if (s.baseModel && !spec.model) spec.model = { base: s.baseModel };
  const limits = parseJson<SweepLimits>(s.limitsJson, {});
  const manifest = parseJson<DatasetManifestView | undefined>(s.manifestJson, undefined);
  return {
    sweepId: s.sweepId,
    experimentId: s.experimentId,
    experimentName: s.experimentName,
    specPath: opt(s.specPath),
    status: s.status,
    startedAt: opt(s.startedAt),
    finishedAt: opt(s.finishedAt),
    gitCommit: opt(s.gitCommit),
    host: opt(s.host),
    backend: opt(s.backend),
    spec,
    limits: Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => typeof v === 'number')) as SweepLimits,
    manifest: manifest ? normaliseManifest(manifest as Record<string, unknown>) : undefined,
  };
}

/** Accepts the manifest as `fte data prepare` writes it, whatever its exact key names. */
function normaliseManifest(m: Record<string, unknown>): DatasetManifestView {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const rec = (v: unknown): Record<string, number> | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number') ? (v as Record<string, number>) : undefined;
  const counts = rec(m.counts) ?? rec(m.splits);
  return {
    source: typeof m.source === 'string' ? m.source : undefined,
    fingerprint: typeof m.fingerprint === 'string' ? m.fingerprint : undefined,
    counts,
    categories: (m.categories ?? m.categoryCounts) as DatasetManifestView['categories'],
    piiReplaced: rec(m.piiReplaced) ?? rec(m.pii) ?? rec(m.piiReplacements),
    duplicatesRemoved: num(m.duplicatesRemoved) ?? num(m.duplicates),
    rejected: num(m.rejected) ?? num(m.rejects),
  };
}

/**
 * Loads a sweep (default: the latest) with every run's params, curves, eval rows, predictions,
 * costs and artifacts, and the sweep's baselines (its `baselines` pseudo-run).
 * @throws UserInputError when the database has no sweep, or no sweep `sweepId` (naming recent ones).
 */
export async function loadReportData(db: Queryable, sweepId?: string): Promise<ReportData> {
  const s = sweepId ? await getSweep(db, sweepId) : await latestSweep(db);
  if (!s) {
    if (!sweepId) throw new UserInputError('no sweep in the database yet: run `fte sweep experiments/lora-rank.ts` first');
    const recent = await recentSweepIds(db);
    throw new UserInputError(`no sweep '${sweepId}' in the database${recent.length ? `; recent sweeps: ${recent.join(', ')}` : ''}`);
  }
  const records = await runsOfSweep(db, s.sweepId);
  const ids = records.map((r) => r.runId);
  const [params, steps, evals, preds, costs, artifacts] = await Promise.all([
    paramsOfRuns(db, ids),
    stepMetricsOfRuns(db, ids),
    evalResultsOfRuns(db, ids),
    predictionsOfRuns(db, ids),
    costsOfRuns(db, ids),
    artifactsOfRuns(db, ids),
  ]);
  const runs: RunData[] = [];
  const baselines: BaselineData = { evalRows: [], predictions: [], costs: [] };
  for (const r of records) {
    if (r.kind === 'baselines') {
      baselines.evalRows.push(...(evals.get(r.runId) ?? []));
      baselines.predictions.push(...(preds.get(r.runId) ?? []));
      baselines.costs.push(...(costs.get(r.runId) ?? []));
      continue;
    }
    runs.push({
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
      bestStep: opt(r.bestStep),
      stoppedEarly: opt(r.stoppedEarly),
      error: opt(r.error ?? r.divergenceReason),
      params: params.get(r.runId) ?? {},
      stepMetrics: steps.get(r.runId) ?? [],
      evalRows: evals.get(r.runId) ?? [],
      predictions: preds.get(r.runId) ?? [],
      costs: costs.get(r.runId) ?? [],
      artifacts: artifacts.get(r.runId) ?? [],
    });
  }
  return { sweep: sweepInfo(s), runs, baselines };
}
