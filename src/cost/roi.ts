/**
 * Return on investment of fine-tuning against prompting and RAG at a monthly request volume.
 *
 * Monthly cost of an approach at V requests/month (USD/month):
 *   monthly(V) = oneOffUsd / months + fixedMonthlyUsd + max(perRequestUsd * V, alwaysOnMonthlyUsd)
 * where for fine-tuning oneOffUsd = training + data preparation (amortised straight-line over the
 * horizon) and alwaysOnMonthlyUsd = serving devices kept on 24/7 (0 when paying per token used); for
 * RAG fixedMonthlyUsd is the index; prompting has only its per-request cost.
 *
 * Break-even: the set of volumes where fine-tuning costs no more than an alternative, found
 * exactly. With ft(V) = A + max(cV, F) and alt(V) = B + dV, ft - alt = max(L1, L2) with
 * L1 = (A - B) + (c - d)V and L2 = (A + F - B) - dV; {V >= 0 : both <= 0} is an interval because
 * each is a half-line. Alternatives are linear in V (no always-on floor).
 */
import { fmtUsd } from '../format.js';
export const APPROACHES = ['finetuned', 'prompting', 'rag'] as const;
export type Approach = (typeof APPROACHES)[number];

/** The cost structure and measured quality of one approach. */
export interface ApproachInput {
  approach: Approach;
  /** Value of the objective metric on the clean test split (null when not measured). */
  quality: number | null;
  /** 95% bootstrap interval of `quality` over the test examples (null when not stored). */
  qualityCi?: [number, number] | null;
  /** USD per request. */
  perRequestUsd: number;
  /** One-off USD amortised over the horizon (fine-tuning: training + data preparation). */
  oneOffUsd: number;
  /** Fixed USD per month (RAG: the index). */
  fixedMonthlyUsd: number;
  /** Minimum serving USD per month whatever the volume (always-on devices). Fine-tuning only. */
  alwaysOnMonthlyUsd?: number;
  /** How it is priced, in words (shown in tables). */
  pricing?: string;
}

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
}

/** Where fine-tuning is at most as expensive as an alternative. */
export interface BreakEven {
  against: Approach;
  /**
   * `above`: cheaper from `fromVolume` on (the break-even volume); `always`: at every volume;
   * `never`: at no volume; `below`: only up to `untilVolume`; `between`: from `fromVolume` to `untilVolume`.
   */
  kind: 'above' | 'always' | 'never' | 'below' | 'between';
  /** Requests/month from which fine-tuning is cheaper or equal (null for never). */
  fromVolume: number | null;
  /** Requests/month up to which it is cheaper or equal (null = unbounded or never). */
  untilVolume: number | null;
  /** One line, e.g. why it is never cheaper. */
  reason: string;
}

export interface ApproachRoi extends ApproachInput {
  /** oneOffUsd / months. */
  amortisedMonthlyUsd: number;
  /** Serving or API spend per month at the volume: max(perRequestUsd x V, alwaysOnMonthlyUsd). */
  variableMonthlyUsd: number;
  /** Total monthly cost at the volume. */
  monthlyUsd: number;
  /** Quality in points (0..100 when the metric is a fraction, else the value); null when unknown. */
  qualityPoints: number | null;
  /** monthlyUsd / qualityPoints (USD per month per point); null for minimised metrics or no quality. */
  usdPerQualityPoint: number | null;
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

export interface RoiResult {
  monthlyRequests: number;
  months: number;
  objective: { metric: string; goal: 'maximize' | 'minimize' };
  approaches: ApproachRoi[];
  breakEven: BreakEven[];
  cheapest: Approach;
  bestQuality: Approach | null;
  sensitivity: { volume: VolumePoint[]; horizon: HorizonPoint[] };
  recommendation: string;
}

/** Monthly cost of an approach at `volume` requests/month over a `months` horizon (formula above). */
export function monthlyCost(a: ApproachInput, volume: number, months: number): number {
  return a.oneOffUsd / months + a.fixedMonthlyUsd + Math.max(a.perRequestUsd * volume, a.alwaysOnMonthlyUsd ?? 0);
}

/** {V >= 0 : a + bV <= 0} as [lo, hi] (hi = Infinity when unbounded), or null when empty. */
function halfLine(a: number, b: number): [number, number] | null {
  if (b === 0) return a <= 0 ? [0, Infinity] : null;
  const root = -a / b;
  if (b > 0) return root >= 0 ? [0, root] : null;
  return [Math.max(0, root), Infinity];
}

const usd = fmtUsd;
const vol = (v: number): string => Math.ceil(v).toLocaleString('en-US');

/**
 * Where fine-tuning (`ft`) costs no more per month than `alt` over a `months` horizon.
 * Exact: see the module comment. Equal cost counts as break-even.
 */
export function breakEven(ft: ApproachInput, alt: ApproachInput, months: number): BreakEven {
  const A = ft.oneOffUsd / months + ft.fixedMonthlyUsd;
  const F = ft.alwaysOnMonthlyUsd ?? 0;
  const B = alt.oneOffUsd / months + alt.fixedMonthlyUsd;
  const c = ft.perRequestUsd;
  const d = alt.perRequestUsd;
  const h1 = halfLine(A - B, c - d);
  const h2 = halfLine(A + F - B, -d);
  const lo = h1 && h2 ? Math.max(h1[0], h2[0]) : NaN;
  const hi = h1 && h2 ? Math.min(h1[1], h2[1]) : NaN;
  const against = alt.approach;
  if (!h1 || !h2 || lo > hi) {
    const why = c >= d ? `its per-request cost (${usd(c)}) is not below ${against}'s (${usd(d)})` : `${against} has no per-request cost to save`;
    return { against, kind: 'never', fromVolume: null, untilVolume: null, reason: `fine-tuning is never cheaper than ${against}: ${why} and its fixed cost is higher (${usd(A + F)} vs ${usd(B)} per month)` };
  }
  if (lo === 0 && hi === Infinity) {
    return { against, kind: 'always', fromVolume: 0, untilVolume: null, reason: `fine-tuning is cheaper than ${against} at every volume (fixed ${usd(A + F)} vs ${usd(B)} per month, ${usd(c)} vs ${usd(d)} per request)` };
  }
  if (hi === Infinity) {
    return { against, kind: 'above', fromVolume: lo, untilVolume: null, reason: `fine-tuning is cheaper than ${against} from ${vol(lo)} requests/month (saves ${usd(d - c)} per request against ${usd(A + F - B)} more fixed cost per month)` };
  }
  if (lo === 0) {
    return { against, kind: 'below', fromVolume: 0, untilVolume: hi, reason: `fine-tuning is cheaper than ${against} only up to ${vol(hi)} requests/month: its per-request cost (${usd(c)}) is not below ${against}'s (${usd(d)})` };
  }
  return { against, kind: 'between', fromVolume: lo, untilVolume: hi, reason: `fine-tuning is cheaper than ${against} only from ${vol(lo)} to ${vol(hi)} requests/month` };
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
 * maximised metrics: a lower loss is not "more points").
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

  const approaches: ApproachRoi[] = input.approaches.map((a) => {
    const variable = Math.max(a.perRequestUsd * V, a.alwaysOnMonthlyUsd ?? 0);
    const monthlyUsd = monthlyCost(a, V, months);
    const qualityPoints = a.quality === null ? null : a.quality * scale;
    return {
      ...a,
      amortisedMonthlyUsd: a.oneOffUsd / months,
      variableMonthlyUsd: variable,
      monthlyUsd,
      qualityPoints,
      usdPerQualityPoint: objective.goal === 'maximize' && qualityPoints !== null && qualityPoints > 0 ? monthlyUsd / qualityPoints : null,
    };
  });
  const breakEvens = alts.map((alt) => breakEven(ft, alt, months));
  const cheapest = approaches.reduce((best, a) => (a.monthlyUsd < best.monthlyUsd ? a : best)).approach;
  const better = (x: number, y: number): boolean => (objective.goal === 'maximize' ? x > y : x < y);
  const withQ = approaches.filter((a) => a.quality !== null && Number.isFinite(a.quality));
  const bestQuality = withQ.length ? withQ.reduce((b, a) => (better(a.quality!, b.quality!) ? a : b)).approach : null;

  const [vmin, vmax] = input.volumeRange ?? [V / 1000, V * 1000];
  const volume = logSpaced(vmin, vmax, input.pointsPerDecade ?? 4).map((v) => {
    const monthlyUsd = Object.fromEntries(input.approaches.map((a) => [a.approach, monthlyCost(a, v, months)]));
    const cheapestAt = input.approaches.reduce((b, a) => (monthlyUsd[a.approach]! < monthlyUsd[b.approach]! ? a : b)).approach;
    return { volume: v, monthlyUsd, cheapest: cheapestAt };
  });
  const horizon = (input.horizons ?? [1, 3, 6, 12, 18, 24, 36]).map((m) => ({
    months: m,
    breakEven: Object.fromEntries(alts.map((alt) => [alt.approach, breakEven(ft, alt, m).fromVolume])),
  }));

  const result: RoiResult = { monthlyRequests: V, months, objective, approaches, breakEven: breakEvens, cheapest, bestQuality, sensitivity: { volume, horizon }, recommendation: '' };
  result.recommendation = recommend(result, input.baseQuality ?? null);
  return result;
}

/** A metric value for text: `n/a`, `0`, one decimal from 100 up, else 3 significant digits. */
export function formatQuality(q: number | null): string {
  if (q === null || !Number.isFinite(q)) return 'n/a';
  if (q === 0) return '0';
  return Math.abs(q) >= 100 ? q.toFixed(1) : q.toPrecision(3);
}
const fmtQ = formatQuality;

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
    if (r.cheapest === 'finetuned') {
      const next = alts.length ? alts.reduce((b, a) => (a.monthlyUsd < b.monthlyUsd ? a : b)) : null;
      return `Fine-tune: best ${qual}, and cheapest ${at} (${usd(ft.monthlyUsd)}/month${next ? ` vs ${next.approach} ${usd(next.monthlyUsd)}` : ''})${baseNote}.`;
    }
    const extra = ft.monthlyUsd - cheapest.monthlyUsd;
    const be = r.breakEven.find((b) => b.against === r.cheapest)!;
    const when = be.kind === 'above' || be.kind === 'between' ? `it becomes cheaper from ${vol(be.fromVolume!)} requests/month` : `it never becomes cheaper (${be.reason.replace(/^fine-tuning is never cheaper than \w+: /, '')})`;
    return `Fine-tuning scores best (${qual}) but costs ${usd(extra)}/month more than ${r.cheapest} ${at}; ${when}${baseNote}.`;
  }
  const b = bestAlt!;
  if (b.quality === ft.quality) {
    const [cheap, dear] = ft.monthlyUsd <= b.monthlyUsd ? [ft, b] : [b, ft];
    const name = cheap.approach === 'finetuned' ? 'fine-tuning' : cheap.approach;
    return `Fine-tuning and ${b.approach} score the same on ${metric} (${fmtQ(ft.quality)}); ${name} is cheaper ${at} (${usd(cheap.monthlyUsd)} vs ${usd(dear.monthlyUsd)}/month)${baseNote}.`;
  }
  if (b.monthlyUsd <= ft.monthlyUsd) {
    return `Do not fine-tune: ${b.approach} scores higher on ${metric} (${fmtQ(b.quality)} vs ${fmtQ(ft.quality)}) and costs no more ${at} (${usd(b.monthlyUsd)} vs ${usd(ft.monthlyUsd)}/month)${baseNote}.`;
  }
  return `${b.approach} scores higher on ${metric} (${fmtQ(b.quality)} vs ${fmtQ(ft.quality)}) but fine-tuning is ${usd(b.monthlyUsd - ft.monthlyUsd)}/month cheaper ${at}: fine-tune only if that saving outweighs the quality gap${baseNote}.`;
}
