/**
 * Slices and the metrics the harness reports on each (see src/eval/evaluate.ts, step 3 and 4): a pure
 * module with no tensor code, so planning (`fte sweep --dry-run`) can ask which objective keys a task
 * can produce without loading TensorFlow.js.
 */
import type { Example } from '../data/example.js';
import { labelSet } from './labels.js';
import { DEFAULT_METRICS, getMetric, type MetricDef, type MetricKind } from './metrics/registry.js';

/** Suffix of the rows holding clean inputs' scores over the examples a perturbation changed (HELM's `computed_on=original`). */
export const ORIGINAL_SUFFIX = ':original';
/** The perturbation value of the paired clean rows of `perturbation`. */
export const originalOf = (perturbation: string): string => `${perturbation}${ORIGINAL_SUFFIX}`;

/** The slice over every test example. */
export const ALL_SLICE = 'all';
/** The category of examples that have none (they only count in `all`). */
export const NO_CATEGORY = 'uncategorized';

export type SliceKind = Exclude<MetricKind, 'likelihood'>;

/** Infer each category's kind from its references (see the module comment of src/eval/evaluate.ts). */
export function inferSliceKinds(test: Example[], train: Example[], forced: Record<string, SliceKind> = {}): Map<string, SliceKind> {
  const refs = new Map<string, string[]>();
  for (const e of [...train, ...test]) {
    const c = e.category ?? NO_CATEGORY;
    const l = refs.get(c);
    if (l) l.push(e.completion.trim());
    else refs.set(c, [e.completion.trim()]);
  }
  const kinds = new Map<string, SliceKind>();
  for (const e of test) {
    const c = e.category ?? NO_CATEGORY;
    if (kinds.has(c)) continue;
    if (forced[c]) {
      kinds.set(c, forced[c]);
      continue;
    }
    const all = refs.get(c)!;
    const distinct = new Set(all).size;
    kinds.set(c, distinct <= 10 && distinct * 4 <= all.length ? 'classification' : 'generation');
  }
  return kinds;
}

/** The slices scored for categories of these kinds: `all` (the kind they share, else generation), then each category. */
export function slicesOf(kinds: ReadonlyMap<string, SliceKind>): { name: string; kind: SliceKind }[] {
  const kindSet = new Set(kinds.values());
  const out = [{ name: ALL_SLICE, kind: kindSet.size === 1 ? [...kindSet][0]! : ('generation' as SliceKind) }];
  const categories = [...kinds.keys()];
  if (!(categories.length === 1 && categories[0] === NO_CATEGORY)) for (const c of categories) out.push({ name: c, kind: kinds.get(c)! });
  return out;
}

/**
 * The fixed label set of each classification slice of `test` (category -> labels, plus `all` when
 * every category is classification): declared labels, else the distinct training completions of the
 * category, plus the gold labels of the slice (src/eval/labels.ts `labelSet`).
 */
export function sliceLabelSets(test: Example[], train: Example[], kinds: Map<string, SliceKind>, declared: Record<string, string[]> = {}): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const cat = (e: Example): string => e.category ?? NO_CATEGORY;
  for (const [c, kind] of kinds) {
    if (kind !== 'classification') continue;
    out.set(c, labelSet(declared[c], train.filter((e) => cat(e) === c).map((e) => e.completion), test.filter((e) => cat(e) === c).map((e) => e.completion)));
  }
  if (out.size > 0 && [...kinds.values()].every((k) => k === 'classification')) {
    out.set(ALL_SLICE, labelSet([...out.values()].flat(), [], test.map((e) => e.completion)));
  }
  return out;
}

/** A slice of the test split with the indices of its examples. */
export interface Slice {
  name: string;
  kind: SliceKind;
  /** Indices into the test examples. */
  idx: number[];
}

/** The slices of `test` (see `slicesOf`) with their example indices. */
export function buildSlices(test: Example[], kinds: ReadonlyMap<string, SliceKind>): Slice[] {
  const allIdx = test.map((_, i) => i);
  return slicesOf(kinds).map((s) => ({ ...s, idx: s.name === ALL_SLICE ? allIdx : allIdx.filter((i) => (test[i]!.category ?? NO_CATEGORY) === s.name) }));
}

/** The metrics of a slice of `kind`: the requested names of that kind, or the kind's defaults. @throws UnknownNameError */
export function metricsFor(kind: SliceKind, requested: readonly string[] | undefined): MetricDef[] {
  const names = requested ?? DEFAULT_METRICS[kind];
  return names.map(getMetric).filter((m) => m.kind === kind);
}

/** Perplexity is reported (per slice) unless the requested metrics leave it out. */
export function wantsPerplexity(requested: readonly string[] | undefined): boolean {
  return requested === undefined || requested.includes('perplexity');
}

/**
 * Every clean metric key a subject's evaluation reports for categories of these kinds, as an objective
 * names it: `<slice>/<metric>` for each category slice, the bare metric name for the `all` slice.
 */
export function producedMetricKeys(kinds: ReadonlyMap<string, SliceKind>, requested: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const s of slicesOf(kinds)) {
    const names = metricsFor(s.kind, requested).map((m) => m.name);
    if (wantsPerplexity(requested)) names.push('perplexity');
    for (const n of names) out.push(s.name === ALL_SLICE ? n : `${s.name}/${n}`);
  }
  return out;
}
