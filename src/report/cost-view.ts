/**
 * Section 7 of the report (cost and ROI) and the cost figures of `fte compare`. The ROI table is
 * `fte roi`'s result (`ReportData.roi`, src/report/roi.ts); when that cannot price the sweep, src/cost
 * builds the ROI from the stored `costs` rows (src/cost/stored-roi.ts). This module only selects and
 * formats.
 */
import { computeRoi, type BreakEven, type RoiInput, type RoiResult } from '../cost/roi.js';
import { componentUsd, perRequestUsd, roiInputFromStoredCosts } from '../cost/stored-roi.js';
import type { EvalRow } from '../eval/types.js';
import type { ReportData, RunData } from './data.js';
import { fmtCount, fmtNum, fmtUsd } from '../format.js';
import { baselineObjectiveValue, objectiveValue, type Objective } from './objective.js';

export interface CostRunRow {
  runId: string;
  best: boolean;
  device: string;
  hours: string;
  tokens: string;
  train: string;
  eval: string;
  total: string;
  target: string;
}

export interface RoiRowView {
  approach: string;
  quality: string;
  perRequest: string;
  monthly: string;
  costPerPoint: string;
  breakEven: string;
  best: boolean;
}

export interface CostSectionView {
  runs: CostRunRow[];
  roi: RoiRowView[];
  /** Monthly volume and horizon the ROI table is computed at. */
  assumptions: string;
  /** Requests per month the ROI table is computed at. */
  volume: number | null;
  recommendation: string;
  /** Long-form series for the sensitivity chart: monthly cost (USD) per approach as the volume varies. */
  sensitivity: { requests: number; approach: string; usd: number }[];
  priceSources: string[];
  notes: string[];
}

/** Sum of a run's stored costs (USD) over its measured components (`train`, `eval`), null when it has none. */
export function runCostUsd(run: Pick<RunData, 'costs'>): number | null {
  const rows = run.costs.filter((c) => c.component === 'train' || c.component === 'eval');
  return rows.length === 0 ? null : rows.reduce((s, c) => s + c.usd, 0);
}

export { perRequestUsd };

const APPROACH_LABEL: Record<string, string> = { finetuned: 'Fine-tuned', prompting: 'Prompting', rag: 'RAG', base: 'Base model' };

/**
 * Builds the cost section: one row per run (measured train/eval cost and the same work on the
 * spec's target device), and the ROI table at the spec's monthly volume.
 */
export function buildCostSection(data: ReportData, best: RunData | null, objective: Objective, rows: readonly EvalRow[]): CostSectionView {
  const runs: CostRunRow[] = data.runs.map((r) => {
    const hours = r.costs.filter((c) => c.component === 'train' || c.component === 'eval').reduce((s, c) => s + c.hours, 0);
    const tokens = r.costs.filter((c) => c.component === 'train').reduce((s, c) => s + c.tokens, 0);
    const target = r.costs.find((c) => c.component === 'train_target_device');
    return {
      runId: r.runId,
      best: r === best,
      device: uniqueJoin(r.costs.filter((c) => c.component === 'train').map((c) => c.device)) || r.device || '—',
      hours: fmtNum(hours, 3),
      tokens: fmtCount(tokens || r.tokensTrained),
      train: fmtUsd(componentUsd(r.costs, 'train')),
      eval: fmtUsd(componentUsd(r.costs, 'eval')),
      total: fmtUsd(runCostUsd(r)),
      target: target ? `${fmtUsd(target.usd)} on ${target.device}` : '—',
    };
  });
  const priceSources = uniqueList([...data.runs.flatMap((r) => r.costs), ...data.baselines.costs].map((c) => c.priceSource).filter((s) => s.length > 0));
  return { runs, ...roiSection(data, best, objective, rows), priceSources };
}

function uniqueList(xs: string[]): string[] {
  return [...new Set(xs)];
}

function uniqueJoin(xs: string[]): string {
  return uniqueList(xs).join(', ');
}

/**
 * The ROI input from what the sweep stored (src/cost/stored-roi.ts), with the report's qualities
 * on the objective; null when the fine-tuned model has no stored per-request cost.
 */
export function roiInputFromStored(data: ReportData, best: RunData | null, objective: Objective, rows: readonly EvalRow[]): RoiInput | null {
  if (!best) return null;
  return roiInputFromStoredCosts({
    spec: data.sweep.spec,
    runCosts: best.costs,
    baselineCosts: data.baselines.costs,
    objective: { metric: objective.key, goal: objective.goal },
    // A training loss is no quality measure prompting or RAG share: no quality then.
    quality: (a) => (objective.metric === 'val_loss' ? null : a === 'finetuned' ? objectiveValue(objective, best) : baselineObjectiveValue(objective, rows, a)),
    baseQuality: baselineObjectiveValue(objective, rows, 'base'),
  });
}

function breakEvenText(b: BreakEven | undefined): string {
  if (!b) return '—';
  switch (b.kind) {
    case 'always':
      return 'always cheaper';
    case 'never':
      return 'never';
    case 'above':
      return `${fmtCount(Math.ceil(b.fromVolume ?? 0))} req/month`;
    case 'below':
      return `only below ${fmtCount(Math.floor(b.untilVolume ?? 0))}`;
    case 'between':
      return `${fmtCount(Math.ceil(b.fromVolume ?? 0))}–${fmtCount(Math.floor(b.untilVolume ?? 0))}`;
    case 'several':
      return b.intervals.map(([lo, hi]) => (hi === null ? `from ${fmtCount(Math.ceil(lo))}` : `${fmtCount(Math.ceil(lo))}–${fmtCount(Math.floor(hi))}`)).join(', ');
  }
}

/** The ROI table, recommendation and sensitivity series, from src/cost's `computeRoi`. */
function roiSection(
  data: ReportData,
  best: RunData | null,
  objective: Objective,
  rows: readonly EvalRow[],
): Pick<CostSectionView, 'roi' | 'assumptions' | 'volume' | 'recommendation' | 'sensitivity' | 'notes'> {
  let r: RoiResult;
  const notes: string[] = [];
  let training = '';
  if (data.roi) {
    r = data.roi;
    const t = data.roi.training;
    training = ` Training amortised: ${fmtUsd(t.usd)} (${t.used === 'target-device' ? `estimated on ${t.targetDevice}` : t.used}, ${t.basis === 'sweep' ? `all ${t.runs} runs of the sweep` : 'the best run'})${t.dataPreparationUsd > 0 ? ` + ${fmtUsd(t.dataPreparationUsd)} data preparation` : ''}.`;
    notes.push(...data.roi.notes.map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}.`));
  } else {
    const input = roiInputFromStored(data, best, objective, rows);
    if (!input) {
      return { roi: [], assumptions: '', volume: null, recommendation: `No ROI: ${data.roiError ?? 'no per-request inference cost of the fine-tuned model was stored'}.`, sensitivity: [], notes: [] };
    }
    r = computeRoi(input);
    if (data.roiError) notes.push(`fte roi could not price this sweep (${data.roiError}); the table uses the stored per-request costs and the best run's training cost.`);
  }
  const roi: RoiRowView[] = r.approaches.map((a) => ({
    approach: APPROACH_LABEL[a.approach] ?? a.approach,
    quality: fmtNum(a.quality),
    perRequest: fmtUsd(a.perRequestUsd),
    monthly: fmtUsd(a.monthlyUsd),
    costPerPoint: a.usdPerQualityPoint === null ? '—' : fmtUsd(a.usdPerQualityPoint),
    breakEven: a.approach === 'finetuned' ? '' : breakEvenText(r.breakEven.find((b) => b.against === a.approach)),
    best: a.approach === r.bestQuality,
  }));
  const sensitivity = r.sensitivity.volume.flatMap((p) => Object.entries(p.monthlyUsd).map(([a, usd]) => ({ requests: p.volume, approach: APPROACH_LABEL[a] ?? a, usd })));
  return {
    roi,
    assumptions: `${fmtCount(r.monthlyRequests)} requests/month; one-off costs amortised over ${r.months} months; quality = ${r.objective.metric}.${training}`,
    volume: r.monthlyRequests,
    recommendation: r.recommendation,
    sensitivity,
    notes: [...r.breakEven.map((b) => `${b.reason.charAt(0).toUpperCase()}${b.reason.slice(1)}.`), ...notes],
  };
}
