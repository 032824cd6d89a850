/**
 * The majority-class baseline (subject `majority`): on every classification slice, always answer the
 * most frequent training label of that slice (ties: the first label in sorted order). It needs no
 * model; its numbers are the floor a classifier must beat ("no better than chance" otherwise).
 * Scored on the test split, clean inputs, with the same classification metrics and intervals.
 */
import type { Example } from '../data/example.js';
import { buildSlices, inferSliceKinds, metricsFor, NO_CATEGORY, sliceLabelSets, type SliceKind } from './slices.js';
import { DEFAULT_BOOTSTRAP, metricInterval, type BootstrapSpec } from './intervals.js';
import { mapToLabel } from './labels.js';
import type { ConfusionRow, EvalRow } from './types.js';

export interface MajorityOptions {
  test: Example[];
  train: Example[];
  /** Metric names; default: the default classification metrics. Non-classification names are ignored. */
  metrics?: string[];
  sliceKinds?: Record<string, SliceKind>;
  /** Declared label set per category. */
  labels?: Record<string, string[]>;
  bootstrap?: BootstrapSpec;
  /** Which split `test` is: `test` (default) or `ood`. */
  split?: 'test' | 'ood';
}

/**
 * The most frequent training label among `labels` (in canonical spelling), or null when no training
 * completion maps to a label.
 */
export function majorityLabel(trainCompletions: readonly string[], labels: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const c of trainCompletions) {
    const l = mapToLabel(c, labels);
    if (l !== null) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const l of labels) if ((counts.get(l) ?? 0) > 0 && (best === null || counts.get(l)! > counts.get(best)!)) best = l;
  return best;
}

/**
 * Score the majority-class baseline on every classification slice of `test`.
 * @returns eval rows (subject `majority`, split `opts.split` (default `test`), perturbation `none`) and confusion cells;
 *   empty when no slice is classification
 */
export function evaluateMajority(opts: MajorityOptions): { rows: EvalRow[]; confusion: ConfusionRow[] } {
  const { test, train } = opts;
  const split = opts.split ?? 'test';
  const kinds = inferSliceKinds(test, train, opts.sliceKinds);
  const labelSets = sliceLabelSets(test, train, kinds, opts.labels);
  const rows: EvalRow[] = [];
  const confusion: ConfusionRow[] = [];
  for (const s of buildSlices(test, kinds)) {
    const labels = labelSets.get(s.name);
    if (s.kind !== 'classification' || !labels || s.idx.length === 0) continue;
    const inSlice = s.name === 'all' ? train : train.filter((e) => (e.category ?? NO_CATEGORY) === s.name);
    const answer = majorityLabel(inSlice.map((e) => e.completion), labels);
    if (answer === null) continue;
    const input = { predictions: s.idx.map(() => answer), references: s.idx.map((i) => [test[i]!.completion]), labels };
    for (const m of metricsFor('classification', opts.metrics)) {
      const v = m.compute(input);
      rows.push({
        subject: 'majority', split, perturbation: 'none', slice: s.name, metric: m.name, value: v.value, n: v.n,
        signature: `${m.signature}|baseline:majority`, ...metricInterval(m, input, opts.bootstrap ?? DEFAULT_BOOTSTRAP),
      });
    }
    const cells = new Map<string, number>();
    for (const i of s.idx) {
      const gold = mapToLabel(test[i]!.completion, labels) ?? test[i]!.completion.trim();
      cells.set(gold, (cells.get(gold) ?? 0) + 1);
    }
    for (const [gold, count] of cells) confusion.push({ subject: 'majority', split, slice: s.name, gold, predicted: answer, count });
  }
  return { rows, confusion };
}
