/**
 * Review results: mean rubric score per item with a 95% percentile bootstrap interval over the
 * reviewed examples (src/stats), for the run's outputs and the blind baseline's, and the blind
 * preference rate: the share of decided comparisons (ties left out) where the run's output was
 * preferred, with its 95% Wilson score interval (Wilson 1927; Agresti & Coull 1998 recommend it over
 * the Wald interval for small n).
 */
import { bootstrapInterval } from '../stats/index.js';
import type { ReviewRecord } from '../store/reviews.js';

export interface ItemSummary {
  item: string;
  /** The item's scale in the stored rubrics; null when no rubric gives it or two reviews' rubrics disagree. */
  scale: { min: number; max: number } | null;
  /** Mean score, its interval and the scores it is over; null mean when none. */
  run: { mean: number | null; ciLow: number | null; ciHigh: number | null; n: number };
  baseline: { mean: number | null; ciLow: number | null; ciHigh: number | null; n: number };
}

export interface ReviewSummary {
  runId: string;
  reviewers: string[];
  /** Reviews with every answer given / any answer given. */
  complete: number;
  started: number;
  baselineSubjects: string[];
  items: ItemSummary[];
  preference: { run: number; baseline: number; tie: number; rate: number | null; ciLow: number | null; ciHigh: number | null };
}

/** 95% Wilson score interval of k successes in n trials; null when n = 0. */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): { low: number; high: number } | null {
  if (n === 0) return null;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

function meanCi(values: number[]): ItemSummary['run'] {
  if (values.length === 0) return { mean: null, ciLow: null, ciHigh: null, n: 0 };
  const r = bootstrapInterval(values);
  return { mean: r.value, ciLow: r.ciLow, ciHigh: r.ciHigh, n: values.length };
}

/** Summarise the stored reviews of one run (every reviewer; items in the order first seen in the rubrics). */
export function summarizeReviews(runId: string, reviews: readonly ReviewRecord[]): ReviewSummary {
  const names: string[] = [];
  const scales = new Map<string, ItemSummary['scale']>();
  for (const r of reviews) {
    try {
      for (const it of (JSON.parse(r.rubricJson) as { items: { name: string; min?: unknown; max?: unknown }[] }).items) {
        if (!names.includes(it.name)) names.push(it.name);
        const scale = typeof it.min === 'number' && typeof it.max === 'number' ? { min: it.min, max: it.max } : null;
        const seen = scales.get(it.name);
        if (seen === undefined) scales.set(it.name, scale);
        else if (seen && (!scale || seen.min !== scale.min || seen.max !== scale.max)) scales.set(it.name, null);
      }
    } catch {
      // a malformed rubric_json: its scores still count under their own names below
    }
    for (const k of [...Object.keys(r.runScores), ...Object.keys(r.baselineScores)]) if (!names.includes(k)) names.push(k);
  }
  const pref = { run: 0, baseline: 0, tie: 0 };
  for (const r of reviews) if (r.preference) pref[r.preference]++;
  const decided = pref.run + pref.baseline;
  const w = wilsonInterval(pref.run, decided);
  return {
    runId,
    reviewers: [...new Set(reviews.map((r) => r.reviewer))].sort(),
    complete: reviews.filter((r) => r.complete).length,
    started: reviews.filter((r) => r.complete || Object.keys(r.runScores).length > 0 || Object.keys(r.baselineScores).length > 0 || r.preference !== null).length,
    baselineSubjects: [...new Set(reviews.map((r) => r.baselineSubject).filter((s): s is string => s !== null))].sort(),
    items: names.map((item) => ({
      item,
      scale: scales.get(item) ?? null,
      run: meanCi(reviews.map((r) => r.runScores[item]).filter((v): v is number => typeof v === 'number')),
      baseline: meanCi(reviews.map((r) => r.baselineScores[item]).filter((v): v is number => typeof v === 'number')),
    })),
    preference: { ...pref, rate: decided > 0 ? pref.run / decided : null, ciLow: w?.low ?? null, ciHigh: w?.high ?? null },
  };
}

/** The summary as lines for the terminal (`fte review`, `fte show`); empty when nothing was reviewed. */
export function renderReviewSummary(s: ReviewSummary): string[] {
  if (s.started === 0) return [];
  const f = (v: number | null) => (v === null ? '—' : v.toFixed(2));
  const est = (x: ItemSummary['run']) => (x.mean === null ? '—' : `${f(x.mean)} [${f(x.ciLow)}, ${f(x.ciHigh)}] (n = ${x.n})`);
  const hasBaseline = s.baselineSubjects.length > 0;
  const lines = [`human review: ${s.complete} example${s.complete === 1 ? '' : 's'} complete of ${s.started} started, by ${s.reviewers.join(', ')}${hasBaseline ? `; blind baseline: ${s.baselineSubjects.join(', ')}` : ''}`];
  for (const it of s.items) lines.push(`  ${it.item}: run ${est(it.run)}${hasBaseline ? `; baseline ${est(it.baseline)}` : ''}`);
  const p = s.preference;
  if (hasBaseline) {
    lines.push(p.rate === null
      ? `  preference: no decided comparison yet${p.tie ? ` (${p.tie} tie${p.tie === 1 ? '' : 's'})` : ''}`
      : `  preference: run preferred in ${p.run} of ${p.run + p.baseline} decided (${(100 * p.rate).toFixed(0)}% [${(100 * p.ciLow!).toFixed(0)}%, ${(100 * p.ciHigh!).toFixed(0)}%], Wilson 95%), baseline ${p.baseline}, ties ${p.tie}`);
  }
  return lines;
}
