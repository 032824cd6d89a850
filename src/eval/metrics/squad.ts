/**
 * Exact match and token F1 exactly as the official SQuAD v1.1 evaluation script (evaluate-v1.1.py,
 * Rajpurkar et al. 2016): `normalize_answer` lowercases, deletes ASCII punctuation (no space
 * inserted: "1,000" -> "1000"), replaces the articles a/an/the (whole words, Unicode word boundaries as
 * Python's `re`) with a space, and folds whitespace; F1 is the harmonic mean of token precision and
 * recall over the Counter intersection (0 when nothing overlaps, so two empty answers get EM 1 but F1
 * 0); each prediction takes the max over its gold answers; the corpus value is the mean x 100.
 */
import { makeSignature } from './signature.js';
import { pySplit } from './text.js';
import { checkCorpusArgs } from './args.js';

const PUNCT = new Set(Array.from('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'));
/** Python's `\b(a|an|the)\b` on str patterns: word characters are Unicode letters, digits and `_`. */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** SQuAD v1.1 `normalize_answer`. */
export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  let noPunc = '';
  for (const ch of lower) if (!PUNCT.has(ch)) noPunc += ch;
  return pySplit(noPunc.replace(ARTICLES, ' ')).join(' ');
}

/** 1 when the normalised strings are equal, else 0. */
export function squadExactMatchOne(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

/** Token F1 in 0..1 (SQuAD v1.1 `f1_score`). */
export function squadF1One(prediction: string, groundTruth: string): number {
  const p = pySplit(normalizeAnswer(prediction));
  const g = pySplit(normalizeAnswer(groundTruth));
  const gc = new Map<string, number>();
  for (const t of g) gc.set(t, (gc.get(t) ?? 0) + 1);
  const pc = new Map<string, number>();
  for (const t of p) pc.set(t, (pc.get(t) ?? 0) + 1);
  let same = 0;
  for (const [t, c] of pc) same += Math.min(c, gc.get(t) ?? 0);
  if (same === 0) return 0;
  const precision = (1.0 * same) / p.length;
  const recall = (1.0 * same) / g.length;
  return (2 * precision * recall) / (precision + recall);
}

function maxOver(fn: (p: string, g: string) => number, prediction: string, gold: string[]): number {
  if (gold.length === 0) throw new RangeError('squad: every prediction needs at least one gold answer');
  let best = -Infinity;
  for (const g of gold) best = Math.max(best, fn(prediction, g));
  return best;
}

/** Per-example statistics: exact match (0/1) and F1 (0..1), each the max over the gold answers. */
export function squadStatistics(prediction: string, gold: string[]): { exactMatch: number; f1: number } {
  return { exactMatch: maxOver(squadExactMatchOne, prediction, gold), f1: maxOver(squadF1One, prediction, gold) };
}

function checkAligned(predictions: string[], references: string[][], fn: string): void {
  checkCorpusArgs(fn, predictions, references, 'gold-answer lists');
}

/**
 * Exact match, 0..100, as evaluate-v1.1.py: 100 x mean over predictions of the max over gold answers.
 * `references[i]` lists the gold answers of `predictions[i]`. Empty input gives 0.
 * @throws TypeError when the lists differ in length or `references[i]` is not a string array; RangeError for an empty gold list.
 */
export function squadExactMatch(predictions: string[], references: string[][]): number {
  checkAligned(predictions, references, 'squadExactMatch');
  let em = 0;
  predictions.forEach((p, i) => (em += maxOver(squadExactMatchOne, p, references[i]!)));
  return predictions.length === 0 ? 0 : (100.0 * em) / predictions.length;
}

/** Token F1, 0..100, as evaluate-v1.1.py. Same layout and errors as `squadExactMatch`. */
export function squadF1(predictions: string[], references: string[][]): number {
  checkAligned(predictions, references, 'squadF1');
  let f1 = 0;
  predictions.forEach((p, i) => (f1 += maxOver(squadF1One, p, references[i]!)));
  return predictions.length === 0 ? 0 : (100.0 * f1) / predictions.length;
}

/** Signature, e.g. `metric:f1|norm:squad-v1.1|agg:max_ref_mean|ref:squad-v1.1-evaluate|fte:0.1.0`. */
export function squadSignature(metric: 'exact_match' | 'f1'): string {
  return makeSignature({ metric, norm: 'squad-v1.1', agg: 'max_ref_mean', scale: 100, ref: 'squad-v1.1-evaluate' });
}
