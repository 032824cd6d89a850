/**
 * Label extraction for classification slices, as HELM scores multiple-choice and classification
 * outputs: a generated answer is normalised (first line only, trimmed, case-folded, surrounding
 * punctuation and quotes stripped) and mapped to the slice's fixed label set; anything that maps to
 * no label is `invalid`: counted (`invalid_rate`), scored as wrong, never added as a class.
 *
 * The label set is fixed per slice: the suite's or dataset's declared labels when there are any,
 * else the distinct (trimmed) training completions of that slice; the test references' own labels
 * are added so that every gold label is a class (scikit-learn `labels=`).
 */

import { comparePy } from './metrics/text.js';

/** The marker of an answer that maps to no label (never a label itself: `mapToLabel` returns null). */
export const INVALID = null;

/** Leading/trailing punctuation, symbols, quotes and white space (Unicode classes P, S, Z and controls). */
const EDGES = /^[\p{P}\p{S}\p{Z}\s]+|[\p{P}\p{S}\p{Z}\s]+$/gu;

/**
 * The normal form of an answer or a label: the first non-blank line, trimmed, case-folded
 * (`toLowerCase` after NFKC), with surrounding punctuation and quotes removed.
 * `' Spam.'`, `'"spam"'`, `'spam\nbecause ...'` all give `'spam'`.
 */
export function normalizeLabel(text: string): string {
  const line = text.replace(/^\s+/, '').split(/\r?\n|\r/, 1)[0] ?? '';
  return line.normalize('NFKC').toLowerCase().replace(EDGES, '');
}

/**
 * Maps a generated answer to one of `labels` (compared in normal form, see `normalizeLabel`).
 * @param labels the slice's fixed label set, as stored (canonical spelling)
 * @returns the canonical label, or null (`invalid`) when the answer is none of them
 */
export function mapToLabel(answer: string, labels: readonly string[]): string | null {
  const n = normalizeLabel(answer);
  if (n === '') return INVALID;
  for (const l of labels) if (normalizeLabel(l) === n) return l;
  return INVALID;
}

/**
 * The fixed label set of one slice, sorted in code-point order (scikit-learn's order):
 * `declared` when given and non-empty, else the distinct trimmed `trainCompletions`; plus any gold
 * label of `testReferences` not already present (in normal form).
 */
export function labelSet(declared: readonly string[] | undefined, trainCompletions: readonly string[], testReferences: readonly string[] = []): string[] {
  const base = declared && declared.length > 0 ? declared.map((l) => l.trim()) : trainCompletions.map((c) => c.trim());
  const out = new Map<string, string>();
  for (const l of [...base, ...testReferences.map((r) => r.trim())]) {
    const k = normalizeLabel(l);
    if (k !== '' && !out.has(k)) out.set(k, l);
  }
  return [...out.values()].sort(comparePy);
}
