/**
 * Return on investment of fine-tuning against prompting and RAG at a monthly request volume: monthly
 * cost (src/cost/curve.ts), value and net when requests have a value (src/cost/value.ts), break-even,
 * payback, the ranges the quality intervals give them and whether the decision flips inside them, and
 * which input moves the break-even most (src/cost/uncertainty.ts).
 *
 * Monthly cost of an approach at V requests/month (USD/month):
 *   monthly(V) = oneOffUsd / months + fixedMonthlyUsd + max(perRequestUsd x V, alwaysOnMonthlyUsd)
 * Net (with `value`): valuePerRequest(quality) x V - monthly(V); over the horizon, months x net; ROI %
 * = net over the horizon / cost over the horizon; payback = one-off / (value - recurring cost) per month.
 */
import { andList, fmtUsd, sameUsd, sameUsdWords } from '../format.js';
import { monthlyCost, recurringMonthlyCost, type Approach, type ApproachInput, type BreakEven } from './curve.js';
import { findFlips, fmtQuality, requestValue, scenarioBreakEven, sensitivityTable, type DriverSpec, type Flip, type Scenario, type SensitivityRow } from './uncertainty.js';
import { hasValue, paybackMonths, valuePerRequest, type ValueSpec } from './value.js';

export { APPROACHES, breakEven, breakEvenVolume, monthlyCost, noWorseIntervals, recurringMonthlyCost, sumParts } from './curve.js';
export type { Approach, ApproachInput, BreakEven, CostPart } from './curve.js';
export type { DriverSpec, Flip, SensitivityRow } from './uncertainty.js';
export { findFlips, scaleDriver, sensitivityTable } from './uncertainty.js';

export interface RoiInput {
  /** Requests per month (> 0). */
  monthlyRequests: number;
  /** Amortisation horizon, months (> 0). */
  months: number;
  objective: { metric: string; goal: 'maximize' | 'minimize' };
  /** Must contain `finetuned`; alternatives are any others present. */
  approaches: ApproachInput[];
  /** Objective value of the untuned base model, for the recommendation (optional). */
  baseQuality?: number | null;
  /** Volume range of the sensitivity series, requests/month. Default: monthlyRequests / 1000 .. x 1000. */
  volumeRange?: [number, number];
  /** Points per decade of the log-spaced volume series. Default 4. */
  pointsPerDecade?: number;
  /** Horizons (months) of the break-even sensitivity series. Default 1, 3, 6, 12, 18, 24, 36. */
  horizons?: number[];
  /** What a request is worth (the spec's `cost.value`); absent or empty: cost and quality only. */
  value?: ValueSpec | null;
  /** The inputs of the sensitivity table and how far each is varied. Default: every driver of the parts, x0.5 and x2. */
  drivers?: DriverSpec[];
}

export interface ApproachRoi extends ApproachInput {
  /** oneOffUsd / months. */
  amortisedMonthlyUsd: number;
  /** Serving or API spend per month at the volume: max(perRequestUsd x V, alwaysOnMonthlyUsd). */
  variableMonthlyUsd: number;
  /** Total monthly cost at the volume. */
  monthlyUsd: number;
  /** Monthly cost without the amortised one-off: fixed + variable. */
  recurringMonthlyUsd: number;
  /** Quality in points (0..100 when the metric is a fraction, else the value); null when unknown. */
  qualityPoints: number | null;
  /** monthlyUsd / qualityPoints (USD per month per point); null for minimised metrics or no quality. */
  usdPerQualityPoint: number | null;
  /** USD a request is worth at this quality (null without `value`, or when the metric is no share). */
  valuePerRequestUsd: number | null;
  /** valuePerRequestUsd x V. */
  valueMonthlyUsd: number | null;
  /** valueMonthlyUsd - monthlyUsd. */
  netMonthlyUsd: number | null;
  /** netMonthlyUsd x months. */
  netHorizonUsd: number | null;
  /** Net over the horizon / cost over the horizon x 100. */
  roiPercent: number | null;
  /** Months until the monthly surplus (value - recurring cost) repays the one-off; null = never or no value. */
  paybackMonths: number | null;
  /** The same figures at the two ends of the quality interval [low end, high end] (null without value or interval). */
  ranges: { netMonthlyUsd: [number, number]; roiPercent: [number, number]; paybackMonths: [number | null, number | null] } | null;
}

export interface VolumePoint {
  volume: number;
  monthlyUsd: Record<string, number>;
  cheapest: Approach;
}

export interface HorizonPoint {
  months: number;
  /** Break-even volume (`fromVolume`) against each alternative, null when never. */
  breakEven: Record<string, number | null>;
}

/** Months for fine-tuning's extra one-off cost to be repaid by what it saves (or gains) each month over an alternative. */
export interface PaybackVs {
  against: Approach;
  /** Fine-tuning's one-off minus the alternative's, USD. */
  extraOneOffUsd: number;
  /** What fine-tuning saves (and, with value, gains) per month at the volume, recurring costs only, USD. */
  monthlyGainUsd: number;
  /** extraOneOffUsd / monthlyGainUsd; 0 when there is nothing to repay; null = never. */
  months: number | null;
  /** At fine-tuning's low end and the alternative's high end of quality, and the reverse (value only). */
  range: [number | null, number | null] | null;
}

export interface RoiResult {
  monthlyRequests: number;
  months: number;
  objective: { metric: string; goal: 'maximize' | 'minimize' };
  approaches: ApproachRoi[];
  breakEven: BreakEven[];
  /**
   * The break-even against each alternative at the two ends of the quality intervals: fine-tuning at
   * its low end and the alternative at its high end (`pessimistic`), and the reverse. Only with value
   * (without it, cost does not depend on quality).
   */
  breakEvenRange: { against: Approach; pessimistic: BreakEven; optimistic: BreakEven }[];
  payback: PaybackVs[];
  cheapest: Approach;
  bestQuality: Approach | null;
  /** The approach with the highest net per month (value only). */
  bestNet: Approach | null;
  /** The value section in force (null when none is set or the metric is no share in [0, 1]). */
  value: ValueSpec | null;
  /** Why a value section that was set is not used (null otherwise). */
  valueNote: string | null;
  sensitivity: { volume: VolumePoint[]; horizon: HorizonPoint[]; table: SensitivityRow[] };
  decision: Decision;
  recommendation: string;
}

/**
 * Log-spaced volumes: 10^(k / perDecade) for every k with the value in [min, max] (both > 0).
 * E.g. (100, 1000, 4) -> 100, 177.8, 316.2, 562.3, 1000.
 */
export function logSpaced(min: number, max: number, perDecade = 4): number[] {
  if (!(min > 0) || !(max >= min) || !(perDecade >= 1)) throw new RangeError('logSpaced: need 0 < min <= max and perDecade >= 1');
  const out: number[] = [];
  const eps = 1e-9;
  for (let k = Math.ceil(Math.log10(min) * perDecade - eps); k <= Math.floor(Math.log10(max) * perDecade + eps); k++) out.push(10 ** (k / perDecade));
  return out;
}

/** Whether the metric value is a 0..1 fraction rendered as 0..100 points (every known value within [0, 1]). */
function pointsScale(values: (number | null)[], goal: 'maximize' | 'minimize'): number {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return goal === 'maximize' && known.length > 0 && known.every((v) => v >= 0 && v <= 1) ? 100 : 1;
}

/**
 * The ROI comparison. Quality points: the objective value x 100 when it is a fraction (all values
 * in [0, 1]) and maximised, else the value; cost per quality point = monthly cost / points (only for
 * maximised metrics: a lower loss is not "more points"). With `value` (and a quality that is a share
 * in [0, 1], maximised): value, net, ROI % and payback per approach, at the point estimate and at the
 * ends of each quality interval; break-even on net. Always: payback of fine-tuning's extra one-off
 * against each alternative, the sensitivity table, the decision with its flips.
 * @throws RangeError for a non-positive volume or horizon, or no `finetuned` approach.
 */
export function computeRoi(input: RoiInput): RoiResult {
  const { monthlyRequests: V, months, objective } = input;
  if (!(V > 0)) throw new RangeError(`monthly requests must be > 0, got ${V}`);
  if (!(months > 0)) throw new RangeError(`months must be > 0, got ${months}`);
  const ft = input.approaches.find((a) => a.approach === 'finetuned');
  if (!ft) throw new RangeError('computeRoi needs a finetuned approach');
  const alts = input.approaches.filter((a) => a.approach !== 'finetuned');
  const scale = pointsScale([...input.approaches.map((a) => a.quality), input.baseQuality ?? null], objective.goal);
  const valueSet = hasValue(input.value);
  const value = valueSet && scale === 100 ? input.value! : null;
  const valueNote = valueSet && !value ? `cost.value is set but ${objective.metric} is not a share in [0, 1] where higher is better, so requests are not valued; pass --metric with an accuracy-like metric` : null;
  const scenario: Scenario = { approaches: input.approaches, volume: V, months, value };

  const figures = (a: ApproachInput, q: number | null) => {
    const monthlyUsd = monthlyCost(a, V, months);
    const recurring = recurringMonthlyCost(a, V);
    if (!value || q === null) return null;
    const perReq = valuePerRequest(q, value);
    const net = perReq * V - monthlyUsd;
    return { perReq, valueMonthly: perReq * V, net, roi: monthlyUsd > 0 ? (net / monthlyUsd) * 100 : null, payback: paybackMonths(a.oneOffUsd, perReq * V - recurring) };
  };
  const approaches: ApproachRoi[] = input.approaches.map((a) => {
    const monthlyUsd = monthlyCost(a, V, months);
    const qualityPoints = a.quality === null ? null : a.quality * scale;
    const f = figures(a, a.quality);
    const lo = a.qualityCi ? figures(a, a.qualityCi[0]) : null;
    const hi = a.qualityCi ? figures(a, a.qualityCi[1]) : null;
    return {
      ...a,
      amortisedMonthlyUsd: a.oneOffUsd / months,
      variableMonthlyUsd: Math.max(a.perRequestUsd * V, a.alwaysOnMonthlyUsd ?? 0),
      monthlyUsd,
      recurringMonthlyUsd: recurringMonthlyCost(a, V),
      qualityPoints,
      usdPerQualityPoint: objective.goal === 'maximize' && qualityPoints !== null && qualityPoints > 0 ? monthlyUsd / qualityPoints : null,
      valuePerRequestUsd: f?.perReq ?? null,
      valueMonthlyUsd: f?.valueMonthly ?? null,
      netMonthlyUsd: f?.net ?? null,
      netHorizonUsd: f ? f.net * months : null,
      roiPercent: f?.roi ?? null,
      paybackMonths: f?.payback ?? null,
      ranges: lo && hi ? { netMonthlyUsd: [lo.net, hi.net], roiPercent: [lo.roi ?? NaN, hi.roi ?? NaN], paybackMonths: [lo.payback, hi.payback] } : null,
    };
  });
  const breakEvens = alts.map((alt) => scenarioBreakEven(scenario, ft, alt));
  const breakEvenRange = value
    ? alts.filter((alt) => ft.qualityCi && alt.qualityCi).map((alt) => ({
        against: alt.approach,
        pessimistic: scenarioBreakEven(scenario, ft, alt, ft.qualityCi![0], alt.qualityCi![1]),
        optimistic: scenarioBreakEven(scenario, ft, alt, ft.qualityCi![1], alt.qualityCi![0]),
      }))
    : [];
  const payback = alts.map((alt) => paybackAgainst(scenario, ft, alt));
  const cheapest = approaches.reduce((best, a) => (a.monthlyUsd < best.monthlyUsd ? a : best)).approach;
  const better = (x: number, y: number): boolean => (objective.goal === 'maximize' ? x > y : x < y);
  const withQ = approaches.filter((a) => a.quality !== null && Number.isFinite(a.quality));
  const bestQuality = withQ.length ? withQ.reduce((b, a) => (better(a.quality!, b.quality!) ? a : b)).approach : null;
  const withNet = approaches.filter((a) => a.netMonthlyUsd !== null);
  const bestNet = withNet.length ? withNet.reduce((b, a) => (a.netMonthlyUsd! > b.netMonthlyUsd! ? a : b)).approach : null;

  const [vmin, vmax] = input.volumeRange ?? [V / 1000, V * 1000];
  const volume = logSpaced(vmin, vmax, input.pointsPerDecade ?? 4).map((v) => {
    const monthlyUsd = Object.fromEntries(input.approaches.map((a) => [a.approach, monthlyCost(a, v, months)]));
    const cheapestAt = input.approaches.reduce((b, a) => (monthlyUsd[a.approach]! < monthlyUsd[b.approach]! ? a : b)).approach;
    return { volume: v, monthlyUsd, cheapest: cheapestAt };
  });
  const horizon = (input.horizons ?? [1, 3, 6, 12, 18, 24, 36]).map((m) => ({
    months: m,
    breakEven: Object.fromEntries(alts.map((alt) => [alt.approach, scenarioBreakEven({ ...scenario, months: m }, ft, alt).fromVolume])),
  }));
  const table = alts.length ? sensitivityTable(scenario, input.drivers) : [];

  const result: RoiResult = {
    monthlyRequests: V, months, objective, approaches, breakEven: breakEvens, breakEvenRange, payback, cheapest, bestQuality, bestNet, value, valueNote,
    sensitivity: { volume, horizon, table }, decision: { choice: null, basis: 'quality and cost', headline: '', drivers: [], flips: [] }, recommendation: '',
  };
  result.recommendation = value ? recommendOnNet(result) : recommend(result, input.baseQuality ?? null);
  result.decision = decide(result, scenario);
  return result;
}

/** Payback of fine-tuning's extra one-off against `alt` from what it saves (and gains, with value) each month at the volume. */
function paybackAgainst(s: Scenario, ft: ApproachInput, alt: ApproachInput): PaybackVs {
  const gain = (qF: number | null, qA: number | null): number => requestValue(s, ft, qF) * s.volume - recurringMonthlyCost(ft, s.volume) - (requestValue(s, alt, qA) * s.volume - recurringMonthlyCost(alt, s.volume));
  const extra = ft.oneOffUsd - alt.oneOffUsd;
  const g = gain(ft.quality, alt.quality);
  const months = extra <= 0 ? (g >= 0 ? 0 : null) : g > 0 ? extra / g : null;
  const at = (qF: number, qA: number): number | null => {
    const x = gain(qF, qA);
    return extra <= 0 ? (x >= 0 ? 0 : null) : x > 0 ? extra / x : null;
  };
  const range: [number | null, number | null] | null = s.value && ft.qualityCi && alt.qualityCi ? [at(ft.qualityCi[0], alt.qualityCi[1]), at(ft.qualityCi[1], alt.qualityCi[0])] : null;
  return { against: alt.approach, extraOneOffUsd: extra, monthlyGainUsd: g, months, range };
}

/** The decision the numbers support, what drives it, and how it can flip. */
export interface Decision {
  /** The approach favoured at the volume: the highest net (with value); without, the best-quality approach when it is also the cheapest, else null (a trade-off). */
  choice: Approach | null;
  basis: 'net value' | 'quality and cost';
  /** The recommendation line. */
  headline: string;
  /** Short lines: what separates the approaches, then the inputs that move the break-even most. */
  drivers: string[];
  /** Where the choice turns inside the quality intervals. */
  flips: Flip[];
}

const NAME: Record<Approach, string> = { finetuned: 'fine-tuning', prompting: 'prompting', rag: 'RAG' };

/** A month count for text: `0`, `<0.1`, `4.2`, `never`. */
export function fmtMonths(m: number | null): string {
  if (m === null || !Number.isFinite(m)) return 'never';
  if (m === 0) return '0';
  if (m < 0.1) return '<0.1';
  return m >= 100 ? Math.round(m).toLocaleString('en-US') : Number(m.toPrecision(2)).toString();
}

/** `3.1-9.4 months` (shorter first), `3.1 months to never`, or one figure when both ends agree. */
export function fmtMonthsRange(r: [number | null, number | null]): string {
  const [lo, hi] = [...r].sort((x, y) => (x ?? Infinity) - (y ?? Infinity));
  const [a, b] = [fmtMonths(lo ?? null), fmtMonths(hi ?? null)];
  if (a === b) return a === 'never' ? 'never' : `${a} months`;
  return b === 'never' ? `${a} months to never` : `${a}-${b} months`;
}

function decide(r: RoiResult, s: Scenario): Decision {
  const by = (a: Approach): ApproachRoi => r.approaches.find((x) => x.approach === a)!;
  const ft = by('finetuned');
  const drivers: string[] = [];
  const list = (f: (a: ApproachRoi) => string): string => r.approaches.map((a) => `${a.approach} ${f(a)}`).join(', ');
  if (r.value) drivers.push(`value per request (${r.objective.metric} read as the share answered correctly): ${list((a) => fmtUsd(a.valuePerRequestUsd))}`);
  drivers.push(`cost per request: ${list((a) => fmtUsd(a.perRequestUsd))}`);
  drivers.push(`one-off: ${list((a) => fmtUsd(a.oneOffUsd))} (over ${r.months} months); monthly fixed and always-on: ${list((a) => fmtUsd(a.fixedMonthlyUsd + (a.alwaysOnMonthlyUsd ?? 0)))}`);
  const top = r.sensitivity.table.slice(0, 3).filter((row) => row.swing > 0);
  if (top.length) drivers.push(`the break-even against ${top[0]!.against} moves most with: ${top.map((row) => `${row.label} (${row.lowLabel}: ${breakEvenShort(row.breakEven[0])}; ${row.highLabel}: ${breakEvenShort(row.breakEven[1])})`).join('; ')}`);
  if (r.value) {
    const choice = r.bestNet ?? 'finetuned';
    return { choice, basis: 'net value', headline: r.recommendation, drivers, flips: findFlips(s, choice, r.objective.metric, r.objective.goal) };
  }
  const choice = r.bestQuality !== null && r.bestQuality === r.cheapest ? r.bestQuality : null;
  const flipsFrom = r.bestQuality ?? (ft.quality !== null ? 'finetuned' : null);
  return { choice, basis: 'quality and cost', headline: r.recommendation, drivers, flips: flipsFrom ? findFlips(s, flipsFrom, r.objective.metric, r.objective.goal) : [] };
}

/** A break-even as a volume for prose: `12,000 requests/month`, `any volume`, `never`, else as `breakEvenShort`. */
export function breakEvenVolumeText(b: BreakEven): string {
  if (b.kind === 'above') return `${Math.ceil(b.fromVolume!).toLocaleString('en-US')} requests/month`;
  if (b.kind === 'always') return 'any volume';
  return breakEvenShort(b);
}

/** The break-even range across the quality intervals in one sentence. */
export function breakEvenRangeText(b: { against: Approach; pessimistic: BreakEven; optimistic: BreakEven }, altName: string = b.against): string {
  return `Across the quality intervals the break-even against ${altName} is ${breakEvenVolumeText(b.pessimistic)} with fine-tuning at the low end of its interval and ${altName} at the high end of its own, ${breakEvenVolumeText(b.optimistic)} the other way round`;
}

/** A break-even in a few words (`from 12,000/mo`, `never`). */
export function breakEvenShort(b: BreakEven): string {
  const int = (v: number): string => Math.ceil(v).toLocaleString('en-US');
  switch (b.kind) {
    case 'above':
      return `from ${int(b.fromVolume!)}/mo`;
    case 'always':
      return 'at any volume';
    case 'never':
      return 'never';
    case 'below':
      return `up to ${int(b.untilVolume!)}/mo`;
    case 'between':
      return `${int(b.fromVolume!)}-${int(b.untilVolume!)}/mo`;
    case 'several':
      return b.intervals.map(([lo, hi]) => (hi === null ? `from ${int(lo)}` : `${int(lo)}-${int(hi)}`)).join(', ') + '/mo';
  }
}

/**
 * The recommendation with value: the approach with the highest net per month at the volume, what it
 * nets over the next best, its payback (with the range its quality interval gives) and, when the
 * choice flips inside the intervals, the first such flip.
 */
export function recommendOnNet(r: RoiResult): string {
  const at = `at ${Math.round(r.monthlyRequests).toLocaleString('en-US')} requests/month`;
  const ranked = [...r.approaches].filter((a) => a.netMonthlyUsd !== null).sort((a, b) => b.netMonthlyUsd! - a.netMonthlyUsd!);
  if (ranked.length === 0) return `No value per request could be computed (no quality measured) ${at}.`;
  const w = ranked[0]!;
  const next = ranked[1];
  const verb = w.approach === 'finetuned' ? 'Fine-tune' : w.approach === 'rag' ? 'Use RAG' : 'Use prompting';
  if (w.netMonthlyUsd! < 0) return `No approach pays for itself ${at}: the best, ${NAME[w.approach]}, nets ${fmtUsd(w.netMonthlyUsd)}/month (value ${fmtUsd(w.valueMonthlyUsd)} - cost ${fmtUsd(w.monthlyUsd)}).`;
  // Nets that print as the same figure are a tie: name them together, none ahead.
  const level = ranked.filter((a) => a !== w && sameUsd(a.netMonthlyUsd!, w.netMonthlyUsd!));
  const paysBack = (who: string): string => (w.oneOffUsd > 0 ? `; ${who} pays back its ${fmtUsd(w.oneOffUsd)} one-off in ${fmtMonths(w.paybackMonths)} months${w.ranges ? ` (${fmtMonthsRange(w.ranges.paybackMonths)} across its quality interval)` : ''}` : '');
  if (level.length) {
    const them = [w, ...level];
    const names = `${cap(andList(them.map((a) => NAME[a.approach])))}`;
    const each = them.map((a) => `${NAME[a.approach]}: value ${fmtUsd(a.valueMonthlyUsd)} - cost ${fmtUsd(a.monthlyUsd)}`).join(', ');
    return `${names} net the same ${sameUsdWords(w.netMonthlyUsd!)} ${at} (${fmtUsd(w.netMonthlyUsd)}/month; ${each}); ${fmtUsd(w.netHorizonUsd)} over ${r.months} months${paysBack(NAME[w.approach])}.`;
  }
  const vs = next ? `, ${fmtUsd(w.netMonthlyUsd! - next.netMonthlyUsd!)} more than ${NAME[next.approach]}` : '';
  return `${verb}: it nets ${fmtUsd(w.netMonthlyUsd)}/month ${at} (value ${fmtUsd(w.valueMonthlyUsd)} - cost ${fmtUsd(w.monthlyUsd)})${vs}; ${fmtUsd(w.netHorizonUsd)} over ${r.months} months${paysBack('it')}.`;
}

/** A metric value for text: `n/a`, `0`, one decimal from 100 up, else 3 significant digits. */
export const formatQuality = fmtQuality;
const fmtQ = formatQuality;
const usd = fmtUsd;
const vol = (v: number): string => Math.ceil(v).toLocaleString('en-US');
const cap = (t: string): string => `${t.charAt(0).toUpperCase()}${t.slice(1)}`;

/**
 * One line that follows from the numbers: which approach to take at this volume, on quality and
 * cost together, with the break-even that would change the answer.
 */
export function recommend(r: RoiResult, baseQuality: number | null): string {
  const by = (a: Approach): ApproachRoi => r.approaches.find((x) => x.approach === a)!;
  const ft = by('finetuned');
  const metric = r.objective.metric;
  const at = `at ${Math.round(r.monthlyRequests).toLocaleString('en-US')} requests/month`;
  const cheapest = by(r.cheapest);
  const alts = r.approaches.filter((a) => a.approach !== 'finetuned');
  const better = (x: number, y: number): boolean => (r.objective.goal === 'maximize' ? x > y : x < y);
  const baseNote = baseQuality !== null && ft.quality !== null && !better(ft.quality, baseQuality) ? `; note: the fine-tuned model does not beat the untuned base (${fmtQ(ft.quality)} vs ${fmtQ(baseQuality)})` : '';
  if (ft.quality === null) {
    return `No ${metric} for the fine-tuned model; on cost alone ${r.cheapest} is cheapest ${at} (${usd(cheapest.monthlyUsd)}/month).`;
  }
  const altsQ = alts.filter((a) => a.quality !== null);
  const bestAlt = altsQ.length ? altsQ.reduce((b, a) => (better(a.quality!, b.quality!) ? a : b)) : null;
  const ftBest = bestAlt === null || better(ft.quality, bestAlt.quality!);
  if (ftBest) {
    const vs = altsQ.map((a) => `${a.approach} ${fmtQ(a.quality)}`).join(', ');
    const qual = `${metric} ${fmtQ(ft.quality)}${vs ? ` vs ${vs}` : ''}`;
    // Cheapest, or costing what the cheapest costs to the printed figure (then no "costs $0.003/month more").
    if (r.cheapest === 'finetuned' || sameUsd(ft.monthlyUsd, cheapest.monthlyUsd)) {
      const level = alts.filter((a) => sameUsd(a.monthlyUsd, ft.monthlyUsd));
      if (level.length) return `Fine-tune: best ${qual}, and the cheapest ${at} with ${andList(level.map((a) => a.approach))}: they cost the same ${sameUsdWords(ft.monthlyUsd)} (${usd(ft.monthlyUsd)}/month)${baseNote}.`;
      const next = alts.length ? alts.reduce((b, a) => (a.monthlyUsd < b.monthlyUsd ? a : b)) : null;
      return `Fine-tune: best ${qual}, and cheapest ${at} (${usd(ft.monthlyUsd)}/month${next ? ` vs ${next.approach} ${usd(next.monthlyUsd)}` : ''})${baseNote}.`;
    }
    const extra = ft.monthlyUsd - cheapest.monthlyUsd;
    const be = r.breakEven.find((b) => b.against === r.cheapest)!;
    const when = be.kind === 'above' || be.kind === 'between' ? `it becomes cheaper from ${vol(be.fromVolume!)} requests/month` : `it never becomes cheaper (${be.reason.replace(/^fine-tuning is never cheaper than \w+: /, '')})`;
    return `Fine-tuning scores best (${qual}) but costs ${usd(extra)}/month more than ${r.cheapest} ${at}; ${when}${baseNote}.`;
  }
  const b = bestAlt!;
  // Two monthly costs that print as the same figure are the same cost: said so, never "cheaper".
  const sameCost = sameUsd(b.monthlyUsd, ft.monthlyUsd);
  const costsSame = `the same ${sameUsdWords(ft.monthlyUsd)} ${at} (${usd(ft.monthlyUsd)}/month)`;
  if (b.quality === ft.quality) {
    if (sameCost) return `Fine-tuning and ${b.approach} score the same on ${metric} (${fmtQ(ft.quality)}) and cost ${costsSame}${baseNote}.`;
    const [cheap, dear] = ft.monthlyUsd <= b.monthlyUsd ? [ft, b] : [b, ft];
    const name = cheap.approach === 'finetuned' ? 'fine-tuning' : cheap.approach;
    return `Fine-tuning and ${b.approach} score the same on ${metric} (${fmtQ(ft.quality)}); ${name} is cheaper ${at} (${usd(cheap.monthlyUsd)} vs ${usd(dear.monthlyUsd)}/month)${baseNote}.`;
  }
  if (sameCost) return `Do not fine-tune: ${b.approach} scores higher on ${metric} (${fmtQ(b.quality)} vs ${fmtQ(ft.quality)}) and costs ${costsSame}${baseNote}.`;
  if (b.monthlyUsd <= ft.monthlyUsd) {
    return `Do not fine-tune: ${b.approach} scores higher on ${metric} (${fmtQ(b.quality)} vs ${fmtQ(ft.quality)}) and costs no more ${at} (${usd(b.monthlyUsd)} vs ${usd(ft.monthlyUsd)}/month)${baseNote}.`;
  }
  return `${b.approach} scores higher on ${metric} (${fmtQ(b.quality)} vs ${fmtQ(ft.quality)}) but fine-tuning is ${usd(b.monthlyUsd - ft.monthlyUsd)}/month cheaper ${at}: fine-tune only if that saving outweighs the quality gap${baseNote}.`;
}
