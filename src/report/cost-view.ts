/**
 * Section 7 of the report (cost and ROI) and the cost figures of `fte compare`. The ROI table is
 * `fte roi`'s result (`ReportData.roi`, src/report/roi.ts); when that cannot price the sweep, src/cost
 * builds the ROI from the stored `costs` rows (src/cost/stored-roi.ts). This module only selects and
 * formats.
 */
import { breakEvenRangeText, breakEvenShort, computeRoi, fmtMonths, fmtMonthsRange, formatQuality, type BreakEven, type RoiInput, type RoiResult } from '../cost/roi.js';
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
  /** How it is priced, `(what-if)` when under a what-if flag. */
  pricing: string;
  quality: string;
  /** `[low, high]` of the quality's 95% interval, empty when none. */
  qualityCi: string;
  perRequest: string;
  monthly: string;
  costPerPoint: string;
  /** With value: value and net per month (net with its range across the quality interval), payback. */
  valueMonthly: string;
  net: string;
  payback: string;
  breakEven: string;
  best: boolean;
}

/** The decision block that leads the section. */
export interface DecisionView {
  headline: string;
  /** Where the choice flips inside the quality intervals (the favoured approach at its worse end). */
  flips: string[];
  /** Where it flips only with the other approach at the better end of its own interval too. */
  softFlips: string[];
  /** Whether any approach has a quality interval (to say the decision holds across them). */
  hasIntervals: boolean;
  drivers: string[];
  whatIfs: string[];
  staleWarning: string | null;
}

/** One row of the sensitivity table. */
export interface SensitivityRowView {
  input: string;
  low: string;
  high: string;
  breakEven: string;
  advantage: string;
  best: string;
}

export interface CostSectionView {
  runs: CostRunRow[];
  /** The decision, its drivers and flips: what the section leads with (null when there is no ROI). */
  decision: DecisionView | null;
  /** What moves the break-even: against which alternative, on cost or net, and the rows. */
  sensitivityTable: { against: string; basis: string; rows: SensitivityRowView[] } | null;
  /** The ROI table has value, net and payback columns (the spec's cost.value is set). */
  hasValue: boolean;
  /** Every cost item in force with where its figure comes from (spec = user-set); not-set items are in the notes. */
  costInputs: { approach: string; item: string; kind: string; usd: string; origin: string }[];
  /** The prices the ROI uses: figure, source, date, age (the page addresses stay out of the self-contained page: fte roi prints them). */
  prices: { key: string; price: string; source: string; date: string; age: string; stale: boolean }[];
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

const emptyExtra = (): Pick<CostSectionView, 'decision' | 'sensitivityTable' | 'hasValue' | 'costInputs' | 'prices'> => ({ decision: null, sensitivityTable: null, hasValue: false, costInputs: [], prices: [] });

/** The decision block, the sensitivity table, the cost inputs and the prices of an ROI result (the report's own fields are optional: the stored-cost fallback has none). */
function decisionParts(r: RoiResult, report: Partial<Pick<NonNullable<ReportData['roi']>, 'whatIfs' | 'staleWarning' | 'costInputs' | 'prices'>>): Pick<CostSectionView, 'decision' | 'sensitivityTable' | 'hasValue' | 'costInputs' | 'prices'> {
  const d = r.decision;
  const table = r.sensitivity.table;
  return {
    decision: {
      headline: d.headline,
      flips: d.flips.filter((f) => f.scenario === 'worst-end').map((f) => `${f.text.charAt(0).toUpperCase()}${f.text.slice(1)}.`),
      softFlips: d.flips.filter((f) => f.scenario === 'both-ends').map((f) => `${f.text.charAt(0).toUpperCase()}${f.text.slice(1)}.`),
      hasIntervals: r.approaches.some((a) => a.qualityCi),
      drivers: d.drivers,
      whatIfs: report.whatIfs ?? [],
      staleWarning: report.staleWarning ?? null,
    },
    sensitivityTable: table.length
      ? {
          against: APPROACH_LABEL[table[0]!.against] ?? table[0]!.against,
          basis: r.value ? 'net (value − cost)' : 'cost',
          rows: table.map((row) => ({
            input: row.label,
            low: row.lowLabel,
            high: row.highLabel,
            breakEven: `${breakEvenShort(row.breakEven[0])} → ${breakEvenShort(row.breakEven[1])}`,
            advantage: `${fmtUsd(row.advantageUsd[0])} → ${fmtUsd(row.advantageUsd[1])}`,
            best: row.choice[0] === row.choice[1] ? (APPROACH_LABEL[row.choice[0]] ?? row.choice[0]) : `${APPROACH_LABEL[row.choice[0]] ?? row.choice[0]} / ${APPROACH_LABEL[row.choice[1]] ?? row.choice[1]}`,
          })),
        }
      : null,
    hasValue: r.value !== null,
    costInputs: (report.costInputs ?? []).filter((p) => p.origin !== 'not set').map((p) => ({ approach: APPROACH_LABEL[p.approach] ?? p.approach, item: p.label, kind: p.kind, usd: fmtUsd(p.usd), origin: p.origin === 'spec' ? 'set in the spec' : p.origin })),
    prices: (report.prices ?? []).map((p) => ({ key: p.key, price: p.price, source: p.source, date: p.date, age: p.ageMonths === null ? '—' : `${p.ageMonths} months`, stale: p.stale })),
  };
}

/** The ROI table, recommendation and sensitivity series, from src/cost's `computeRoi`. */
function roiSection(
  data: ReportData,
  best: RunData | null,
  objective: Objective,
  rows: readonly EvalRow[],
): Pick<CostSectionView, 'roi' | 'assumptions' | 'volume' | 'recommendation' | 'sensitivity' | 'notes' | 'decision' | 'sensitivityTable' | 'hasValue' | 'costInputs' | 'prices'> {
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
      return { roi: [], assumptions: '', volume: null, recommendation: `No ROI: ${data.roiError ?? 'no per-request inference cost of the fine-tuned model was stored'}.`, sensitivity: [], notes: [], ...emptyExtra() };
    }
    r = computeRoi(input);
    if (data.roiError) notes.push(`fte roi could not price this sweep (${data.roiError}); the table uses the stored per-request costs and the best run's training cost.`);
  }
  const roi: RoiRowView[] = r.approaches.map((a) => ({
    approach: APPROACH_LABEL[a.approach] ?? a.approach,
    pricing: a.pricing ?? '',
    quality: fmtNum(a.quality),
    qualityCi: a.qualityCi ? `[${formatQuality(a.qualityCi[0])}, ${formatQuality(a.qualityCi[1])}]` : '',
    perRequest: fmtUsd(a.perRequestUsd),
    monthly: fmtUsd(a.monthlyUsd),
    costPerPoint: a.usdPerQualityPoint === null ? '—' : fmtUsd(a.usdPerQualityPoint),
    valueMonthly: fmtUsd(a.valueMonthlyUsd),
    net: a.netMonthlyUsd === null ? '—' : `${fmtUsd(a.netMonthlyUsd)}${a.ranges ? ` [${fmtUsd(a.ranges.netMonthlyUsd[0])}, ${fmtUsd(a.ranges.netMonthlyUsd[1])}]` : ''}`,
    payback: a.netMonthlyUsd === null || !(a.oneOffUsd > 0) ? '—' : `${a.paybackMonths === null ? 'never' : `${fmtMonths(a.paybackMonths)} months`}${a.ranges ? ` [${fmtMonthsRange(a.ranges.paybackMonths).replace(' months', '')}]` : ''}`,
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
    notes: [
      ...r.breakEven.map((b) => `${b.reason.charAt(0).toUpperCase()}${b.reason.slice(1)}.`),
      ...r.breakEvenRange.map((b) => `${breakEvenRangeText(b, APPROACH_LABEL[b.against] ?? b.against)}.`),
      ...r.payback.map((p) => `Fine-tuning's extra one-off (${fmtUsd(p.extraOneOffUsd)}) against ${APPROACH_LABEL[p.against] ?? p.against}: ${p.months === null ? `never repaid at this volume (${fmtUsd(p.monthlyGainUsd)}/month gained)` : p.months === 0 ? 'nothing to repay' : `repaid in ${fmtMonths(p.months)} months at ${fmtUsd(p.monthlyGainUsd)}/month`}${p.range ? ` (${fmtMonthsRange(p.range)} across the quality intervals)` : ''}.`),
      ...notes,
    ],
    ...decisionParts(r, data.roi ?? {}),
  };
}
