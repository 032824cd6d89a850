/**
 * Classification metrics exactly as scikit-learn 1.2.1 computes them with `zero_division=0`
 * (`accuracy_score`, `precision_recall_fscore_support`): labels are the sorted union of true and
 * predicted labels (a label seen only in predictions counts); per class P = tp / (tp + fp),
 * R = tp / (tp + fn), F1 = 2PR / (P + R), with 0 wherever the denominator is 0; `macro` is the plain
 * mean over labels, `weighted` the support-weighted mean, `micro` the same formulas on the summed
 * counts. Labels are compared as exact strings (trim them first if needed).
 */
import { makeSignature } from './signature.js';
import { comparePy } from './text.js';

export interface Averaged {
  micro: number;
  macro: number;
  weighted: number;
  /** Value per label, keys in sorted label order (see `labels`). */
  perClass: Record<string, number>;
}

export interface ClassificationReport {
  /** Share of exact matches, 0..1 (sklearn `accuracy_score`). */
  accuracy: number;
  precision: Averaged;
  recall: Averaged;
  f1: Averaged;
  /** Sorted union of the true and predicted labels (Python code-point order). */
  labels: string[];
  /** Number of true examples per label. */
  support: Record<string, number>;
}

/** Per-label confusion counts: the sufficient statistics (they sum over batches). */
export interface ClassCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Per-label true positives, false positives and false negatives. */
export function classificationStatistics(yTrue: string[], yPred: string[]): Map<string, ClassCounts> {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`classification: ${yTrue.length} true labels but ${yPred.length} predictions`);
  }
  const labels = [...new Set([...yTrue, ...yPred])].sort(comparePy);
  const m = new Map<string, ClassCounts>(labels.map((l) => [l, { tp: 0, fp: 0, fn: 0 }]));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (t === p) m.get(t)!.tp++;
    else {
      m.get(p)!.fp++;
      m.get(t)!.fn++;
    }
  }
  return m;
}

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** sklearn's F-beta (beta = 1): (1 + b^2) P R / (b^2 P + R), 0 when the denominator is 0. */
function fScore(p: number, r: number, predSum: number, trueSum: number): number {
  const denom = 1 * p + r;
  if (denom === 0 || predSum + trueSum === 0) return 0;
  return ((1 + 1) * p * r) / denom;
}

/** Accuracy, precision, recall and F1 (micro, macro, weighted, per class) from per-label counts. */
export function classificationFromStatistics(counts: Map<string, ClassCounts>): ClassificationReport {
  const labels = [...counts.keys()].sort(comparePy);
  const precision: Averaged = { micro: 0, macro: 0, weighted: 0, perClass: {} };
  const recall: Averaged = { micro: 0, macro: 0, weighted: 0, perClass: {} };
  const f1: Averaged = { micro: 0, macro: 0, weighted: 0, perClass: {} };
  const support: Record<string, number> = {};
  let tpSum = 0;
  let predSum = 0;
  let trueSum = 0;
  const ps: number[] = [];
  const rs: number[] = [];
  const fs: number[] = [];
  const ws: number[] = [];
  for (const l of labels) {
    const c = counts.get(l)!;
    const pred = c.tp + c.fp;
    const tru = c.tp + c.fn;
    const p = div(c.tp, pred);
    const r = div(c.tp, tru);
    const f = fScore(p, r, pred, tru);
    precision.perClass[l] = p;
    recall.perClass[l] = r;
    f1.perClass[l] = f;
    support[l] = tru;
    ps.push(p);
    rs.push(r);
    fs.push(f);
    ws.push(tru);
    tpSum += c.tp;
    predSum += pred;
    trueSum += tru;
  }
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const wsum = ws.reduce((a, b) => a + b, 0);
  const weighted = (xs: number[]): number => (wsum === 0 ? 0 : xs.reduce((a, x, i) => a + x * ws[i]!, 0) / wsum);
  const pMicro = div(tpSum, predSum);
  const rMicro = div(tpSum, trueSum);
  precision.micro = pMicro;
  recall.micro = rMicro;
  f1.micro = fScore(pMicro, rMicro, predSum, trueSum);
  precision.macro = mean(ps);
  recall.macro = mean(rs);
  f1.macro = mean(fs);
  precision.weighted = weighted(ps);
  recall.weighted = weighted(rs);
  f1.weighted = weighted(fs);
  return { accuracy: div(tpSum, trueSum), precision, recall, f1, labels, support };
}

/**
 * scikit-learn's classification metrics with `zero_division=0` on string labels.
 * @throws RangeError when the two lists differ in length.
 */
export function classification(yTrue: string[], yPred: string[]): ClassificationReport {
  return classificationFromStatistics(classificationStatistics(yTrue, yPred));
}

/** Signature, e.g. `metric:f1|avg:macro|zero_division:0|ref:scikit-learn-1.2.1|fte:0.1.0`. */
export function classificationSignature(metric: string, average?: 'micro' | 'macro' | 'weighted'): string {
  const parts: Record<string, string | number> = { metric };
  if (average) parts.avg = average;
  parts.zero_division = 0;
  parts.labels = 'fixed';
  parts.answers = 'normalized';
  parts.ref = 'scikit-learn-1.2.1';
  return makeSignature(parts);
}

/**
 * Per-label counts over a FIXED label set (scikit-learn `labels=labels`): a prediction that is not
 * one of `labels` (null = invalid, see src/eval/labels.ts) is a false negative of its true label and
 * a false positive of no label; it never becomes a class. True labels outside `labels` are ignored,
 * as scikit-learn does (callers include every gold label in the set).
 * @param yTrue true labels, shape [n]
 * @param yPred mapped predictions (a label or null), shape [n]
 * @throws RangeError when the two lists differ in length
 */
export function classificationStatisticsFixed(yTrue: readonly string[], yPred: readonly (string | null)[], labels: readonly string[]): Map<string, ClassCounts> {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`classification: ${yTrue.length} true labels but ${yPred.length} predictions`);
  }
  const m = new Map<string, ClassCounts>([...labels].sort(comparePy).map((l) => [l, { tp: 0, fp: 0, fn: 0 }]));
  for (let i = 0; i < yTrue.length; i++) {
    const t = m.get(yTrue[i]!);
    const p = yPred[i] === null ? undefined : m.get(yPred[i]!);
    if (t && yTrue[i] === yPred[i]) t.tp++;
    else {
      if (p) p.fp++;
      if (t) t.fn++;
    }
  }
  return m;
}

/**
 * One example's counts as a flat vector `[tp, fp, fn]` per label of `labels` (sorted order): the
 * per-example sufficient statistics whose sum is `classificationStatisticsFixed`'s counts, for a
 * corpus-level bootstrap of macro/weighted averages.
 */
export function classificationExampleVector(yTrue: string, yPred: string | null, labels: readonly string[]): number[] {
  const counts = classificationStatisticsFixed([yTrue], [yPred], labels);
  return [...counts.values()].flatMap((c) => [c.tp, c.fp, c.fn]);
}

/** The inverse of `classificationExampleVector` on summed vectors: per-label counts. */
export function countsFromVector(summed: readonly number[], labels: readonly string[]): Map<string, ClassCounts> {
  return new Map([...labels].sort(comparePy).map((l, j) => [l, { tp: summed[3 * j]!, fp: summed[3 * j + 1]!, fn: summed[3 * j + 2]! }]));
}
