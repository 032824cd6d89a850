/**
 * Section 7 of the report (cost and ROI) and the cost figures of `fte compare`. The numbers are
 * the stored `costs` rows (priced by src/cost when the run ended) and src/cost's ROI model; this
 * module only selects and formats them.
 */
import type { CostRow, EvalRow } from '../run/protocol.js';
import type { ReportData, RunData } from './data.js';
import { fmtCount, fmtNum, fmtUsd } from './format.js';
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

function componentUsd(rows: readonly CostRow[], component: string): number | null {
  const r = rows.filter((c) => c.component === component);
  return r.length === 0 ? null : r.reduce((s, c) => s + c.usd, 0);
}

/** Stored per-request inference cost (USD/request) of a subject, from `inference_per_request_<subject>` rows. */
export function perRequestUsd(rows: readonly CostRow[], subject: string): number | null {
  return componentUsd(rows, `inference_per_request_${subject}`);
}

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
  const roi = roiFromStoredCosts(data, best, objective, rows);
  return { runs, ...roi, priceSources, notes: [] };
}

function uniqueList(xs: string[]): string[] {
  return [...new Set(xs)];
}

function uniqueJoin(xs: string[]): string {
  return uniqueList(xs).join(', ');
}

/**
 * ROI from the stored per-request costs at the spec's volume: monthly = per-request x volume
 * (+ training amortised over the horizon for the fine-tuned model, + the RAG index's fixed cost).
 */
function roiFromStoredCosts(
  data: ReportData,
  best: RunData | null,
  objective: Objective,
  rows: readonly EvalRow[],
): Pick<CostSectionView, 'roi' | 'assumptions' | 'volume' | 'recommendation' | 'sensitivity'> {
  const cost = (data.sweep.spec.cost ?? {}) as { monthlyRequests?: number; months?: number; ragIndexMonthlyUsd?: number; dataPreparationUsd?: number };
  const volume = cost.monthlyRequests ?? 100_000;
  const months = cost.months ?? 12;
  const allCosts = [...(best?.costs ?? []), ...data.baselines.costs];
  const trainUsd = best ? (componentUsd(best.costs, 'train_target_device') ?? runCostUsd(best) ?? 0) : 0;
  const fixed: Record<string, number> = {
    finetuned: (trainUsd + (cost.dataPreparationUsd ?? 0)) / months,
    prompting: 0,
    rag: cost.ragIndexMonthlyUsd ?? 70,
  };
  const roi: RoiRowView[] = [];
  const sensitivity: CostSectionView['sensitivity'] = [];
  const volumes = [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7];
  for (const s of ['finetuned', 'prompting', 'rag']) {
    const per = perRequestUsd(allCosts, s);
    if (per === null) continue;
    const q = s === 'finetuned' ? (best ? objectiveValue(objective, best) : null) : baselineObjectiveValue(objective, rows, s);
    const monthly = fixed[s]! + per * volume;
    roi.push({
      approach: APPROACH_LABEL[s] ?? s,
      quality: fmtNum(q),
      perRequest: fmtUsd(per),
      monthly: fmtUsd(monthly),
      costPerPoint: q !== null && q > 0 && objective.goal === 'maximize' ? fmtUsd(monthly / (q * 100)) : '—',
      breakEven: '—',
      best: false,
    });
    for (const v of volumes) sensitivity.push({ requests: v, approach: APPROACH_LABEL[s] ?? s, usd: fixed[s]! + per * v });
  }
  return {
    roi,
    assumptions: `${fmtCount(volume)} requests/month, training amortised over ${months} months.`,
    volume,
    recommendation: roi.length === 0 ? 'No per-request inference costs were stored for this sweep.' : '',
    sensitivity,
  };
}
