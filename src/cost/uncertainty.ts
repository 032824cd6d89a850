/**
 * What the ROI's uncertainty does to the decision: the quality intervals carried to value, net and
 * break-even (and whether the choice flips inside them), and which input moves the break-even most
 * (a one-at-a-time sensitivity table: each input set to its low and its high value, the others kept).
 *
 * A scenario is scored like the point estimate: with a value per request, each approach by its net
 * per month (value x V - monthly cost); without, by its monthly cost alone. Cost parts scale with their
 * drivers as usd x factor^elasticity (src/cost/curve.ts `CostPart`).
 */
import { fmtUsd, sameUsd, sameUsdWords } from '../format.js';
import { breakEven, breakEvenVolume, monthlyCost, sumParts, type Approach, type ApproachInput, type BreakEven } from './curve.js';
import { valuePerRequest, type ValueSpec } from './value.js';

/** One input of the sensitivity table: a cost driver (a key of `CostPart.drivers`) varied by factors. */
export interface DriverSpec {
  key: string;
  /** In words (`API token prices`, `serving throughput`). */
  label: string;
  /** Factor at the low end (e.g. 0.5). */
  low: number;
  /** Factor at the high end (e.g. 2). */
  high: number;
}

export interface SensitivityRow {
  /** A driver key, `months`, or `quality:<approach>`. */
  key: string;
  label: string;
  /** The input at its two ends, in words (`x0.5`, `0.62`). */
  lowLabel: string;
  highLabel: string;
  /** The alternative the break-even is against (the best alternative at the point estimate). */
  against: Approach;
  /** Break-even with the input at its low end, then at its high end. */
  breakEven: [BreakEven, BreakEven];
  /** What fine-tuning saves (or nets more) per month than `against` at the volume, USD, at each end. */
  advantageUsd: [number, number];
  /** The approach that comes out best at the volume at each end (cheapest, or highest net with value). */
  choice: [Approach, Approach];
  /** How far the break-even moves: |log10| of the ratio of the two break-even volumes (Infinity when it appears or vanishes). */
  swing: number;
}

/** How one scenario is scored. */
export interface Scenario {
  approaches: ApproachInput[];
  volume: number;
  months: number;
  /** Value per request at a quality, null without value. */
  value: ValueSpec | null;
}

/** Value per request of an approach at quality q (its own by default), 0 without value or quality. */
export function requestValue(s: Scenario, a: ApproachInput, q: number | null = a.quality): number {
  return s.value && q !== null ? valuePerRequest(q, s.value) : 0;
}

/** Higher is better: net per month with value, else minus the monthly cost. */
export function score(s: Scenario, a: ApproachInput, q: number | null = a.quality): number {
  return requestValue(s, a, q) * s.volume - monthlyCost(a, s.volume, s.months);
}

/** The best-scoring approach (first on a tie). */
export function best(s: Scenario, qualities: Partial<Record<Approach, number | null>> = {}): Approach {
  const q = (a: ApproachInput): number | null => (a.approach in qualities ? qualities[a.approach]! : a.quality);
  return s.approaches.reduce((b, a) => (score(s, a, q(a)) > score(s, b, q(b)) ? a : b)).approach;
}

/** Fine-tuning's break-even against `alt` in a scenario (on net with value). */
export function scenarioBreakEven(s: Scenario, ft: ApproachInput, alt: ApproachInput, qFt: number | null = ft.quality, qAlt: number | null = alt.quality): BreakEven {
  return s.value ? breakEven(ft, alt, s.months, { finetuned: requestValue(s, ft, qFt), alt: requestValue(s, alt, qAlt) }) : breakEven(ft, alt, s.months);
}

/** An approach with its parts' driver scaled by `factor` (the four sums recomputed); unchanged without parts or that driver. */
export function scaleDriver(a: ApproachInput, key: string, factor: number): ApproachInput {
  if (!a.parts?.some((p) => key in p.drivers)) return a;
  const parts = a.parts.map((p) => (key in p.drivers ? { ...p, usd: p.usd * factor ** p.drivers[key]! } : p));
  return { ...a, parts, ...sumParts(parts) };
}

const fmtFactor = (f: number): string => `x${Number(f.toPrecision(3))}`;

/** Relative changes below this are rounding, not a move (the table leaves such rows out). */
const NEGLIGIBLE = 1e-6;

function swing(a: BreakEven, b: BreakEven): number {
  const x = breakEvenVolume(a);
  const y = breakEvenVolume(b);
  if (x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= NEGLIGIBLE * Math.max(Math.abs(x), Math.abs(y)))) return 0;
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0 || y === 0) return Infinity;
  return Math.abs(Math.log10(y / x));
}

/**
 * The sensitivity table: each driver present in the approaches' parts at `drivers`' factors (default
 * x0.5 and x2, labelled by key), the horizon at half and double, and, with value, each approach's
 * quality at the ends of its interval; rows where nothing moves (by more than a millionth) are left out; sorted by how far the
 * break-even against the best alternative moves (`swing`), then by the change in fine-tuning's advantage.
 * @throws RangeError without a `finetuned` approach or an alternative.
 */
export function sensitivityTable(s: Scenario, drivers?: DriverSpec[]): SensitivityRow[] {
  const ft = s.approaches.find((a) => a.approach === 'finetuned');
  const alts = s.approaches.filter((a) => a.approach !== 'finetuned');
  if (!ft || alts.length === 0) throw new RangeError('sensitivityTable needs a finetuned approach and an alternative');
  const against = alts.reduce((b, a) => (score(s, a) > score(s, b) ? a : b)).approach;
  const keys = [...new Set(s.approaches.flatMap((a) => (a.parts ?? []).flatMap((p) => Object.keys(p.drivers))))];
  const specs: DriverSpec[] = keys.map((k) => drivers?.find((d) => d.key === k) ?? { key: k, label: k, low: 0.5, high: 2 });

  const row = (key: string, label: string, lowLabel: string, highLabel: string, at: (end: 0 | 1) => { s: Scenario; q: Partial<Record<Approach, number | null>> }): SensitivityRow => {
    const ends = ([0, 1] as const).map((end) => {
      const { s: sc, q } = at(end);
      const f = sc.approaches.find((a) => a.approach === 'finetuned')!;
      const m = sc.approaches.find((a) => a.approach === against)!;
      const qF = 'finetuned' in q ? q.finetuned! : f.quality;
      const qM = against in q ? q[against]! : m.quality;
      return { be: scenarioBreakEven(sc, f, m, qF, qM), adv: score(sc, f, qF) - score(sc, m, qM), choice: best(sc, q) };
    });
    return { key, label, lowLabel, highLabel, against, breakEven: [ends[0]!.be, ends[1]!.be], advantageUsd: [ends[0]!.adv, ends[1]!.adv], choice: [ends[0]!.choice, ends[1]!.choice], swing: swing(ends[0]!.be, ends[1]!.be) };
  };

  const rows: SensitivityRow[] = specs.map((d) =>
    row(d.key, d.label, fmtFactor(d.low), fmtFactor(d.high), (end) => ({ s: { ...s, approaches: s.approaches.map((a) => scaleDriver(a, d.key, end === 0 ? d.low : d.high)) }, q: {} })),
  );
  rows.push(row('months', 'horizon (months)', String(Number((s.months / 2).toPrecision(3))), String(s.months * 2), (end) => ({ s: { ...s, months: end === 0 ? s.months / 2 : s.months * 2 }, q: {} })));
  if (s.value) {
    for (const a of s.approaches) {
      if (!a.qualityCi) continue;
      const ci = a.qualityCi;
      rows.push(row(`quality:${a.approach}`, `${a.approach} quality (95% interval)`, fmtQuality(ci[0]), fmtQuality(ci[1]), (end) => ({ s, q: { [a.approach]: ci[end] } })));
    }
  }
  // A change in fine-tuning's advantage counts when it is more than a millionth of the largest monthly cost.
  const scale = Math.max(...s.approaches.map((a) => monthlyCost(a, s.volume, s.months)), 1e-12);
  const moved = rows.filter((r) => r.swing > 0 || Math.abs(r.advantageUsd[1] - r.advantageUsd[0]) > NEGLIGIBLE * scale || r.choice[0] !== r.choice[1]);
  return moved.sort((x, y) => (y.swing === x.swing ? Math.abs(y.advantageUsd[1] - y.advantageUsd[0]) - Math.abs(x.advantageUsd[1] - x.advantageUsd[0]) : y.swing - x.swing));
}

/** A way the decision can turn inside the quality intervals. */
export interface Flip {
  /** The approach the point estimate favours. */
  approach: Approach;
  /** The one that comes out ahead instead. */
  over: Approach;
  /**
   * `worst-end`: the favoured approach at the worse end of its interval, the other at its point estimate;
   * `both-ends`: only with the other also at the better end of its own interval.
   */
  scenario: 'worst-end' | 'both-ends';
  text: string;
}

/** A metric value for text: `n/a`, `0`, one decimal from 100 up, else 3 significant digits. */
export function fmtQuality(q: number | null): string {
  if (q === null || !Number.isFinite(q)) return 'n/a';
  if (q === 0) return '0';
  return Math.abs(q) >= 100 ? q.toFixed(1) : q.toPrecision(3);
}

const NAME: Record<Approach, string> = { finetuned: 'fine-tuning', prompting: 'prompting', rag: 'RAG' };

/**
 * Where the favoured approach stops being favoured inside the quality intervals. With value: the
 * approach with the highest net per month (`chosen`) at the worse end of its interval against each
 * other at its point estimate, then at the better end of the other's interval. Without value, on
 * quality alone: the best-scoring approach's worse end against the others' point estimates, then
 * against the better ends of their intervals (the intervals overlap).
 */
export function findFlips(s: Scenario, chosen: Approach, metric: string, goal: 'maximize' | 'minimize'): Flip[] {
  const w = s.approaches.find((a) => a.approach === chosen);
  if (!w?.qualityCi || w.quality === null) return [];
  const worse = goal === 'maximize' ? w.qualityCi[0] : w.qualityCi[1];
  const better = (x: number, y: number): boolean => (goal === 'maximize' ? x > y : x < y);
  const end = goal === 'maximize' ? 'low' : 'high';
  const flips: Flip[] = [];
  for (const x of s.approaches) {
    if (x.approach === chosen || x.quality === null) continue;
    const xBest = x.qualityCi ? (goal === 'maximize' ? x.qualityCi[1] : x.qualityCi[0]) : x.quality;
    if (s.value) {
      const wNet = score(s, w, worse);
      // Nets that print as the same figure: "nets as much", not "more ($10.00 vs $10.00)".
      const netsMore = (xNet: number): string => (sameUsd(xNet, wNet) ? `nets as much (the same ${sameUsdWords(wNet)}: ${fmtUsd(wNet)}/month)` : `nets more (${fmtUsd(xNet)} vs ${fmtUsd(wNet)}/month)`);
      if (score(s, x) > wNet) {
        flips.push({ approach: chosen, over: x.approach, scenario: 'worst-end', text: `at the ${end} end of ${NAME[chosen]}'s ${metric} interval (${fmtQuality(worse)}), ${NAME[x.approach]} ${netsMore(score(s, x))}` });
      } else if (score(s, x, xBest) > wNet) {
        flips.push({ approach: chosen, over: x.approach, scenario: 'both-ends', text: `with ${NAME[chosen]} at the ${end} end of its ${metric} interval (${fmtQuality(worse)}) and ${NAME[x.approach]} at the other end of its own (${fmtQuality(xBest)}), ${NAME[x.approach]} ${netsMore(score(s, x, xBest))}` });
      }
    } else if (better(x.quality, worse)) {
      flips.push({ approach: chosen, over: x.approach, scenario: 'worst-end', text: `at the ${end} end of its ${metric} interval (${fmtQuality(worse)}) ${NAME[chosen]} scores ${goal === 'maximize' ? 'below' : 'above'} ${NAME[x.approach]} (${fmtQuality(x.quality)})` });
    } else if (better(xBest, worse)) {
      flips.push({ approach: chosen, over: x.approach, scenario: 'both-ends', text: `the ${metric} intervals of ${NAME[chosen]} [${fmtQuality(w.qualityCi[0])}, ${fmtQuality(w.qualityCi[1])}] and ${NAME[x.approach]} [${fmtQuality(x.qualityCi![0])}, ${fmtQuality(x.qualityCi![1])}] overlap: the quality ranking is not settled` });
    }
  }
  return flips;
}
