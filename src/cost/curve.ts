/**
 * An approach's monthly cost (and net, when requests have a value) as a function of the monthly
 * request volume V, and the exact set of volumes where fine-tuning is no worse than an alternative.
 *
 * Monthly cost at V requests/month over a horizon of `months` (USD/month):
 *   cost(V) = oneOffUsd / months + fixedMonthlyUsd + max(perRequestUsd x V, alwaysOnMonthlyUsd)
 * (one-off costs amortised straight-line over the horizon; the always-on floor is what devices kept on
 * 24/7 cost whatever the volume). With a value per request u (src/cost/value.ts), the monthly net is
 * u x V - cost(V); comparing two approaches on net is comparing `cost(V) - u x V`.
 *
 * Break-even: with g(V) = K + max(pV, F) - uV for each approach, fine-tuning is no worse than the
 * alternative where d(V) = g_ft(V) - g_alt(V) <= 0. d is linear between the kinks V = F/p of the two
 * floors, so the set is found exactly, segment by segment, as a union of intervals (one interval in
 * every case without a floor on the alternative: see the two half-lines of the no-floor case).
 */
import { fmtUsd, sameUsd, sameUsdWords } from '../format.js';

export const APPROACHES = ['finetuned', 'prompting', 'rag'] as const;
export type Approach = (typeof APPROACHES)[number];

/**
 * One component of an approach's cost, for the breakdown and the sensitivity table. `drivers` name
 * the inputs it depends on with the power it depends on them: usd is proportional to
 * input^elasticity (1: a price or an amount of hours; -1: a throughput).
 */
export interface CostPart {
  /** What it is, in words (`training`, `engineering 40 h x $120/h`). */
  label: string;
  /** `one-off` (amortised over the horizon), `monthly`, `per-request`, or `always-on` (the serving floor). */
  kind: 'one-off' | 'monthly' | 'per-request' | 'always-on';
  usd: number;
  /** Input key -> elasticity. */
  drivers: Record<string, number>;
  /** Where the figure comes from: set in the spec, a documented default, measured, estimated, or not set (0). */
  origin: 'spec' | 'default' | 'measured' | 'estimated' | 'not set';
}

/** The cost structure and measured quality of one approach. */
export interface ApproachInput {
  approach: Approach;
  /** Value of the objective metric on the clean test split (null when not measured). */
  quality: number | null;
  /** 95% bootstrap interval of `quality` over the test examples (null when not stored). */
  qualityCi?: [number, number] | null;
  /** USD per request. */
  perRequestUsd: number;
  /** One-off USD amortised over the horizon (fine-tuning: training, data, people's time). */
  oneOffUsd: number;
  /** Fixed USD per month (RAG's index, maintenance, retraining). */
  fixedMonthlyUsd: number;
  /** Minimum serving USD per month whatever the volume (always-on devices). */
  alwaysOnMonthlyUsd?: number;
  /** How it is priced, in words (shown in tables). */
  pricing?: string;
  /** The components of the four figures above (sums of `usd` by `kind`), when the caller has them. */
  parts?: CostPart[];
}

/**
 * The four figures of an approach from its parts: per-request, one-off, monthly and always-on sums.
 */
export function sumParts(parts: readonly CostPart[]): Pick<ApproachInput, 'perRequestUsd' | 'oneOffUsd' | 'fixedMonthlyUsd' | 'alwaysOnMonthlyUsd'> {
  const sum = (k: CostPart['kind']): number => parts.filter((p) => p.kind === k).reduce((s, p) => s + p.usd, 0);
  return { perRequestUsd: sum('per-request'), oneOffUsd: sum('one-off'), fixedMonthlyUsd: sum('monthly'), alwaysOnMonthlyUsd: sum('always-on') };
}

/** Monthly cost of an approach at `volume` requests/month over a `months` horizon (formula above). */
export function monthlyCost(a: ApproachInput, volume: number, months: number): number {
  return a.oneOffUsd / months + recurringMonthlyCost(a, volume);
}

/** What an approach costs each month at `volume` besides its amortised one-off: fixed + max(per-request x V, always-on). */
export function recurringMonthlyCost(a: Pick<ApproachInput, 'fixedMonthlyUsd' | 'perRequestUsd' | 'alwaysOnMonthlyUsd'>, volume: number): number {
  return a.fixedMonthlyUsd + Math.max(a.perRequestUsd * volume, a.alwaysOnMonthlyUsd ?? 0);
}

/** Where fine-tuning costs no more per month (or nets no less, with values) than an alternative. */
export interface BreakEven {
  against: Approach;
  /**
   * `above`: from `fromVolume` on (the break-even volume); `always`: at every volume; `never`: at no
   * volume; `below`: only up to `untilVolume`; `between`: from `fromVolume` to `untilVolume`;
   * `several`: on more than one range of volumes (`intervals`).
   */
  kind: 'above' | 'always' | 'never' | 'below' | 'between' | 'several';
  /** Requests/month from which fine-tuning is no worse (null for never). */
  fromVolume: number | null;
  /** Requests/month up to which it is no worse (null = unbounded or never). */
  untilVolume: number | null;
  /** Every range of volumes where it is no worse, [from, until] (until null = unbounded). */
  intervals: [number, number | null][];
  /** One line, e.g. why it is never cheaper. */
  reason: string;
  /** Compared on net (value - cost) rather than cost: requests had a value. */
  onNet?: boolean;
}

/** g(V) = fixed + max(perRequest x V, floor) - value x V of one approach. */
interface Curve {
  fixed: number;
  perRequest: number;
  floor: number;
  value: number;
}

function curve(a: ApproachInput, months: number, value: number): Curve {
  return { fixed: a.oneOffUsd / months + a.fixedMonthlyUsd, perRequest: a.perRequestUsd, floor: a.alwaysOnMonthlyUsd ?? 0, value };
}

/** The kink of max(pV, F): where the per-request cost reaches the floor (none when there is no floor or no per-request cost). */
function kink(c: Curve): number | null {
  return c.floor > 0 && c.perRequest > 0 ? c.floor / c.perRequest : null;
}

/** {V in [lo, hi] : a + bV <= 0} (hi may be Infinity), or null when empty. */
function solveSegment(a: number, b: number, lo: number, hi: number): [number, number] | null {
  // Tolerance relative to the magnitudes so that exact ties (equal cost) count as break-even.
  const tol = 1e-12 * (Math.abs(a) + Math.abs(b) * (Number.isFinite(hi) ? hi : lo) + 1e-300);
  if (b === 0) return a <= tol ? [lo, hi] : null;
  const root = -a / b;
  if (b > 0) return root >= lo ? [lo, Math.min(hi, root)] : null;
  return root <= hi ? [Math.max(lo, root), hi] : null;
}

/**
 * The volumes V >= 0 where g_ft(V) - g_alt(V) <= 0, as sorted disjoint intervals (Infinity = unbounded).
 * Exact: the difference is linear between the kinks of the two floors.
 */
export function noWorseIntervals(ft: { fixed: number; perRequest: number; floor: number; value: number }, alt: { fixed: number; perRequest: number; floor: number; value: number }): [number, number][] {
  const cuts = [0, ...[kink(ft), kink(alt)].filter((k): k is number => k !== null && k > 0).sort((x, y) => x - y), Infinity];
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i]!;
    const hi = cuts[i + 1]!;
    if (hi <= lo) continue;
    // On (lo, hi) each max() is one of its two arms: pick it at the segment's midpoint.
    const mid = Number.isFinite(hi) ? (lo + hi) / 2 : lo + 1;
    const arm = (c: Curve): [number, number] => (c.perRequest * mid >= c.floor ? [0, c.perRequest] : [c.floor, 0]);
    const [fa, fb] = arm(ft);
    const [aa, ab] = arm(alt);
    const seg = solveSegment(ft.fixed + fa - alt.fixed - aa, fb - ft.value - ab + alt.value, lo, hi);
    if (!seg) continue;
    const last = out[out.length - 1];
    if (last && seg[0] <= last[1] * (1 + 1e-12)) last[1] = Math.max(last[1], seg[1]);
    else out.push(seg);
  }
  return out;
}

const usd = fmtUsd;
const vol = (v: number): string => Math.ceil(v).toLocaleString('en-US');

/**
 * Where fine-tuning (`ft`) costs no more per month than `alt` over a `months` horizon; with values
 * per request (`values`, USD), where it nets no less. Exact: see the module comment. A tie counts as
 * break-even.
 */
export function breakEven(ft: ApproachInput, alt: ApproachInput, months: number, values?: { finetuned: number; alt: number }): BreakEven {
  const onNet = values !== undefined;
  const f = curve(ft, months, values?.finetuned ?? 0);
  const a = curve(alt, months, values?.alt ?? 0);
  const against = alt.approach;
  const intervals = noWorseIntervals(f, a);
  const asOut = intervals.map(([lo, hi]): [number, number | null] => [lo, Number.isFinite(hi) ? hi : null]);
  const better = onNet ? `nets at least as much as ${against}` : `is cheaper than ${against}`;
  const ftFixed = f.fixed + f.floor;
  const altFixed = a.fixed + a.floor;
  // Per request, net of its value: what each extra request costs.
  const c = f.perRequest - f.value;
  const d = a.perRequest - a.value;
  const base = { against, intervals: asOut, ...(onNet ? { onNet } : {}) };
  if (intervals.length === 0) {
    const perReq = onNet ? 'per-request cost net of value' : 'per-request cost';
    const why = c >= d ? `its ${perReq} (${usd(c)}) is not below ${against}'s (${usd(d)})` : `${against} has no per-request cost to save`;
    // Fixed costs that print as the same figure: "not lower (the same to the cent)", never "higher ($10.00 vs $10.00)".
    const fixed = sameUsd(ftFixed, altFixed) ? `is not lower (the same ${sameUsdWords(ftFixed)}: ${usd(ftFixed)} per month)` : `is higher (${usd(ftFixed)} vs ${usd(altFixed)} per month)`;
    return { ...base, kind: 'never', fromVolume: null, untilVolume: null, reason: `fine-tuning ${onNet ? `never nets as much as ${against}` : `is never cheaper than ${against}`}: ${why} and its fixed cost ${fixed}` };
  }
  if (intervals.length > 1) {
    const txt = asOut.map(([lo, hi]) => (hi === null ? `from ${vol(lo)}` : `${vol(lo)}-${vol(hi)}`)).join(' and ');
    return { ...base, kind: 'several', fromVolume: intervals[0]![0], untilVolume: asOut[0]![1], reason: `fine-tuning ${better} at ${txt} requests/month (the always-on floors make the difference change direction)` };
  }
  const [lo, hi] = intervals[0]!;
  if (lo === 0 && hi === Infinity) {
    const netOf = onNet ? ' net of value' : '';
    const sameFixed = sameUsd(ftFixed, altFixed);
    // A tie at every volume counts as break-even; said as the same, not as cheaper.
    if (sameFixed && sameUsd(c, d)) return { ...base, kind: 'always', fromVolume: 0, untilVolume: null, reason: `fine-tuning ${onNet ? `nets the same as ${against}` : `costs the same as ${against}`} at every volume (fixed ${usd(ftFixed)} per month and ${usd(c)} per request${netOf} each)` };
    const fixed = sameFixed ? `the same fixed cost, ${usd(ftFixed)} per month;` : `fixed ${usd(ftFixed)} vs ${usd(altFixed)} per month,`;
    return { ...base, kind: 'always', fromVolume: 0, untilVolume: null, reason: `fine-tuning ${better} at every volume (${fixed} ${usd(c)} vs ${usd(d)} per request${netOf})` };
  }
  if (hi === Infinity) {
    return { ...base, kind: 'above', fromVolume: lo, untilVolume: null, reason: `fine-tuning ${better} from ${vol(lo)} requests/month (${onNet ? 'gains' : 'saves'} ${usd(d - c)} per request against ${usd(ftFixed - altFixed)} more fixed cost per month)` };
  }
  if (lo === 0) {
    return { ...base, kind: 'below', fromVolume: 0, untilVolume: hi, reason: `fine-tuning ${better} only up to ${vol(hi)} requests/month: its per-request cost${onNet ? ' net of value' : ''} (${usd(c)}) is not below ${against}'s (${usd(d)})` };
  }
  return { ...base, kind: 'between', fromVolume: lo, untilVolume: hi, reason: `fine-tuning ${better} only from ${vol(lo)} to ${vol(hi)} requests/month` };
}

/**
 * The break-even as one number of requests/month, for ranking how far an input moves it: the volume
 * from which fine-tuning is no worse (0 for `always` and `below`, Infinity for `never`).
 */
export function breakEvenVolume(b: BreakEven): number {
  if (b.kind === 'never') return Infinity;
  return b.fromVolume ?? 0;
}
