/**
 * Forgetting in words: a variant's perplexity on general held-out text next to the base model's,
 * from the `general` slice's `eval_results` rows (src/eval/general.ts). Shared by `fte sweep`'s
 * summary and the report.
 */
import { GENERAL_SLICE } from '../eval/general.js';
import { pText } from './compare.js';

/** The eval_results fields read here (a store record or an `EvalRow`). */
export interface GeneralRowLike {
  subject: string;
  slice: string;
  metric: string;
  perturbation: string;
  split?: string;
  value: number | null;
  n: number | null;
  ciLow?: number | null;
  ciHigh?: number | null;
}

/** A value with its 95% interval (null ends when undefined). */
export interface Estimate {
  value: number;
  ciLow: number | null;
  ciHigh: number | null;
  n: number | null;
}

/** One subject's forgetting: perplexity on the general text and, for a fine-tuned model, its change vs the base. */
export interface GeneralForgetting {
  perplexity: Estimate;
  bitsPerByte: Estimate | null;
  /** perplexity / base perplexity - 1 (0.03 = 3% higher), paired-bootstrap interval; null for the base itself. */
  change: Estimate | null;
  /** Two-sided p-value of the paired bootstrap; null without a change. */
  pValue: number | null;
}

function estimate(rows: readonly GeneralRowLike[], metric: string): Estimate | null {
  const r = rows.find((x) => x.slice === GENERAL_SLICE && x.metric === metric && x.perturbation === 'none' && (x.split ?? 'test') === 'test' && x.value !== null && Number.isFinite(x.value));
  return r ? { value: r.value!, ciLow: r.ciLow ?? null, ciHigh: r.ciHigh ?? null, n: r.n } : null;
}

/**
 * The general-text figures of `subject` among `rows` (one run's rows), or null when it has none.
 */
export function generalForgetting(rows: readonly GeneralRowLike[], subject: string): GeneralForgetting | null {
  const mine = rows.filter((r) => r.subject === subject);
  const perplexity = estimate(mine, 'perplexity');
  if (!perplexity) return null;
  const change = estimate(mine, 'perplexity_change');
  return { perplexity, bitsPerByte: estimate(mine, 'bits_per_byte'), change, pValue: change ? (estimate(mine, 'perplexity_change_p')?.value ?? null) : null };
}

/** `+3.1%`, `−0.52%`, `±0%`: a relative change as a signed percentage (2 significant digits). */
export function signedPct(v: number): string {
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  return `${sign}${Number(Math.abs(v * 100).toPrecision(2))}%`;
}

/**
 * `general text perplexity +3.1% vs base [−1.2%, +7.4%] (p = 0.04, n = 128 passages): 12.4 vs 12.0`,
 * or, without a paired change, `general text perplexity 12.4 [12.0, 12.9] (n = 128 passages)`.
 */
export function generalText(g: GeneralForgetting, basePerplexity?: number | null): string {
  const fmt = (v: number): string => String(Number(v.toPrecision(4)));
  const n = g.change?.n ?? g.perplexity.n;
  const passages = n !== null ? `n = ${n} passages` : '';
  if (g.change) {
    const c = g.change;
    const ci = c.ciLow !== null && c.ciHigh !== null ? ` [${signedPct(c.ciLow)}, ${signedPct(c.ciHigh)}]` : '';
    const detail = [g.pValue !== null ? pText(g.pValue) : '', passages].filter(Boolean).join(', ');
    const values = basePerplexity != null ? `: ${fmt(g.perplexity.value)} vs ${fmt(basePerplexity)}` : '';
    return `general text perplexity ${signedPct(c.value)} vs base${ci}${detail ? ` (${detail})` : ''}${values}`;
  }
  const p = g.perplexity;
  const ci = p.ciLow !== null && p.ciHigh !== null ? ` [${fmt(p.ciLow)}, ${fmt(p.ciHigh)}]` : '';
  return `general text perplexity ${fmt(p.value)}${ci}${passages ? ` (${passages})` : ''}`;
}
