/**
 * ROUGE-1/2/L/Lsum exactly as Google's rouge-score 0.1.2 computes them (Lin 2004, "ROUGE: A Package
 * for Automatic Evaluation of Summaries"):
 * - tokenizer: lowercase, replace every run of characters outside `[a-z0-9]` with a space, split,
 *   optionally Porter-stem tokens longer than 3 characters (NLTK's stemmer, NLTK_EXTENSIONS mode), drop
 *   empty tokens. Non-Latin text therefore scores 0; `tokenizer: 'unicode'` keeps every letter and digit
 *   (`\p{L}\p{N}`) instead and says so in the signature.
 * - ROUGE-N: clipped n-gram overlap; P = overlap / max(#pred n-grams, 1), R = overlap / max(#ref n-grams, 1).
 * - ROUGE-L: longest common subsequence over the whole text.
 * - ROUGE-Lsum: summary-level union LCS over sentences split on `\n` (empty lines dropped), with
 *   rouge-score's guard against double counting tokens.
 * - F = 2PR / (P + R), 0 when P + R = 0. Several references: `score_multi`, the reference with the best
 *   F-measure per ROUGE type (first on ties).
 *
 * Note the argument order: fte takes `(prediction, reference)`; rouge-score's `score(target, prediction)`.
 */
import { porterStem } from './porter.js';
import { makeSignature } from './signature.js';

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge-score `use_stemmer`). Default false. */
  useStemmer?: boolean;
  /** `default` (rouge-score's ASCII `[a-z0-9]` tokenizer) or `unicode` (letters and digits of any script). */
  tokenizer?: 'default' | 'unicode';
}

export interface RougeValue {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeType = 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum';
export const ROUGE_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

export interface RougeScores {
  rouge1: RougeValue;
  rouge2: RougeValue;
  rougeL: RougeValue;
  rougeLsum: RougeValue;
}

const NON_ALNUM_ASCII = /[^a-z0-9]+/g;
const NON_ALNUM_UNICODE = /[^\p{L}\p{N}]+/gu;
const VALID_ASCII = /^[a-z0-9]+$/;
const VALID_UNICODE = /^[\p{L}\p{N}]+$/u;

const stemCache = new Map<string, string>();
/** Porter stem with a bounded memo (stemming dominates ROUGE time on real text). */
function stemCached(t: string): string {
  let s = stemCache.get(t);
  if (s === undefined) {
    if (stemCache.size > 200_000) stemCache.clear();
    s = porterStem(t);
    stemCache.set(t, s);
  }
  return s;
}

/** rouge-score's tokenizer (tokenize.py `tokenize`), or its Unicode-aware variant. */
export function rougeTokenize(text: string, opts: RougeOptions = {}): string[] {
  const unicode = opts.tokenizer === 'unicode';
  const lowered = text.toLowerCase().replace(unicode ? NON_ALNUM_UNICODE : NON_ALNUM_ASCII, ' ');
  let tokens = lowered.split(/\s+/);
  if (opts.useStemmer) tokens = tokens.map((t) => (Array.from(t).length > 3 ? stemCached(t) : t));
  const valid = unicode ? VALID_UNICODE : VALID_ASCII;
  return tokens.filter((t) => valid.test(t));
}

export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0.0;
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/** ROUGE-N of token lists (rouge_scorer._score_ngrams). */
export function rougeN(target: string[], prediction: string[], n: number): RougeValue {
  const t = ngrams(target, n);
  const p = ngrams(prediction, n);
  let overlap = 0;
  for (const [g, c] of t) overlap += Math.min(c, p.get(g) ?? 0);
  let tCount = 0;
  let pCount = 0;
  for (const c of t.values()) tCount += c;
  for (const c of p.values()) pCount += c;
  const precision = overlap / Math.max(pCount, 1);
  const recall = overlap / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** LCS dynamic-programming table, (|ref|+1) x (|can|+1), row-major. */
function lcsTable(ref: string[], can: string[]): Int32Array {
  const cols = can.length + 1;
  const t = new Int32Array((ref.length + 1) * cols);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      t[i * cols + j] = ref[i - 1] === can[j - 1] ? t[(i - 1) * cols + j - 1]! + 1 : Math.max(t[(i - 1) * cols + j]!, t[i * cols + j - 1]!);
    }
  }
  return t;
}

/** ROUGE-L of token lists (rouge_scorer._score_lcs). */
export function rougeLcs(target: string[], prediction: string[]): RougeValue {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const t = lcsTable(target, prediction);
  const lcs = t[t.length - 1]!;
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Indices into `ref` of one LCS with `can` (rouge_scorer._backtrack_norec). */
function lcsIndices(ref: string[], can: string[]): number[] {
  const t = lcsTable(ref, can);
  const cols = can.length + 1;
  let i = ref.length;
  let j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i * cols + j - 1]! > t[(i - 1) * cols + j]!) {
      j--;
    } else {
      i--;
    }
  }
  return out.reverse();
}

/** ROUGE-Lsum of sentence token lists (rouge_scorer._summary_level_lcs). */
export function rougeLsumTokens(refSents: string[][], canSents: string[][]): RougeValue {
  const zero = { precision: 0, recall: 0, fmeasure: 0 };
  if (refSents.length === 0 || canSents.length === 0) return zero;
  const m = refSents.reduce((a, s) => a + s.length, 0);
  const n = canSents.reduce((a, s) => a + s.length, 0);
  if (n === 0 || m === 0) return zero;
  const cntR = new Map<string, number>();
  const cntC = new Map<string, number>();
  for (const s of refSents) for (const tok of s) cntR.set(tok, (cntR.get(tok) ?? 0) + 1);
  for (const s of canSents) for (const tok of s) cntC.set(tok, (cntC.get(tok) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    const union = new Set<number>();
    for (const c of canSents) for (const idx of lcsIndices(r, c)) union.add(idx);
    const sorted = [...union].sort((a, b) => a - b);
    for (const idx of sorted) {
      const tok = r[idx]!;
      if ((cntC.get(tok) ?? 0) > 0 && (cntR.get(tok) ?? 0) > 0) {
        hits++;
        cntC.set(tok, cntC.get(tok)! - 1);
        cntR.set(tok, cntR.get(tok)! - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function sentences(text: string): string[] {
  return text.split('\n').filter((s) => s.length > 0);
}

/** All four ROUGE types of one prediction against one reference (rouge-score `score(target, prediction)`). */
export function rougeSingle(prediction: string, reference: string, opts: RougeOptions = {}): RougeScores {
  const t = rougeTokenize(reference, opts);
  const p = rougeTokenize(prediction, opts);
  return {
    rouge1: rougeN(t, p, 1),
    rouge2: rougeN(t, p, 2),
    rougeL: rougeLcs(t, p),
    rougeLsum: rougeLsumTokens(
      sentences(reference).map((s) => rougeTokenize(s, opts)),
      sentences(prediction).map((s) => rougeTokenize(s, opts)),
    ),
  };
}

/**
 * ROUGE-1/2/L/Lsum of one prediction, as rouge-score's `RougeScorer.score` (one reference) or
 * `score_multi` (several: per type the reference with the best F-measure, first on ties).
 * @throws RangeError for an empty reference list.
 */
export function rouge(prediction: string, reference: string | string[], opts: RougeOptions = {}): RougeScores {
  const refs = typeof reference === 'string' ? [reference] : reference;
  if (refs.length === 0) throw new RangeError('rouge: at least one reference is required');
  const all = refs.map((r) => rougeSingle(prediction, r, opts));
  if (all.length === 1) return all[0]!;
  const out = {} as RougeScores;
  for (const type of ROUGE_TYPES) {
    let best = all[0]![type];
    for (const s of all.slice(1)) if (s[type].fmeasure > best.fmeasure) best = s[type];
    out[type] = best;
  }
  return out;
}

/** Signature, e.g. `type:rougeL|tok:default|stem:no|multi:max_f|ref:rouge-score-0.1.2|fte:0.1.0`. */
export function rougeSignature(type: RougeType, opts: RougeOptions = {}): string {
  return makeSignature({
    type,
    tok: opts.tokenizer ?? 'default',
    stem: opts.useStemmer ? 'porter-nltk' : 'no',
    multi: 'max_f',
    agg: 'mean_f',
    ref: 'rouge-score-0.1.2',
  });
}
