/**
 * chrF exactly as sacrebleu 2.6.0's `CHRF` with its defaults (Popović 2015, "chrF: character n-gram
 * F-score for automatic MT evaluation"): character n-grams of order 1..6 over the text with all
 * whitespace removed, counted in Unicode code points; per segment the reference with the best chrF is
 * kept; the corpus score is the F-beta (beta = 2) of precision and recall averaged over the orders
 * that exist, from the statistics summed over segments.
 *
 * Layout: `references[i]` lists every reference of `predictions[i]`.
 */
import { makeSignature } from './signature.js';
import { codePoints, pyRemoveWhitespace, pySplit } from './text.js';
import { checkCorpusArgs, checkStringList } from './args.js';

export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order (chrF++ uses 2). Default 0. */
  wordOrder?: number;
  /** Recall weight. Default 2. */
  beta?: number;
  /** Lowercase before scoring. Default false. */
  lowercase?: boolean;
  /** Keep whitespace in character n-grams. Default false. */
  whitespace?: boolean;
  /** eps smoothing (chrF++.py style) instead of averaging over the effective orders. Default false. */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** chrF, 0..100. */
  score: number;
  /** `[nHyp, nRef, nMatch]` per order (char orders 1..charOrder, then word orders), summed over segments. */
  stats: number[];
  signature: string;
}

const EPS = 1e-16;
const PUNCTUATION = new Set(Array.from('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'));

function charNgrams(line: string, maxOrder: number, includeWhitespace: boolean): Map<string, number>[] {
  const text = includeWhitespace ? line : pyRemoveWhitespace(line);
  // Without surrogate pairs, UTF-16 indices are code-point indices and substring is enough (fast path).
  const astral = /[\uD800-\uDFFF]/.test(text);
  const chars = astral ? codePoints(text) : null;
  const len = chars ? chars.length : text.length;
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= len; i++) {
      const g = chars ? chars.slice(i, i + n).join('') : text.substring(i, i + n);
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

/** sacrebleu CHRF._remove_punctuation: split off one leading or trailing punctuation character. */
function removePunctuation(sent: string): string[] {
  const tokens: string[] = [];
  for (const token of pySplit(sent)) {
    const cps = codePoints(token);
    if (cps.length === 1) tokens.push(token);
    else if (PUNCTUATION.has(cps[cps.length - 1]!)) tokens.push(cps.slice(0, -1).join(''), cps[cps.length - 1]!);
    else if (PUNCTUATION.has(cps[0]!)) tokens.push(cps[0]!, cps.slice(1).join(''));
    else tokens.push(token);
  }
  return tokens;
}

function wordNgrams(line: string, maxOrder: number): Map<string, number>[] {
  const tokens = removePunctuation(line);
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const g = tokens.slice(i, i + n).join('\u0000');
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

function allNgrams(line: string, o: Required<ChrfOptions>): Map<string, number>[] {
  const s = o.lowercase ? line.toLowerCase() : line;
  const grams = charNgrams(s, o.charOrder, o.whitespace);
  if (o.wordOrder > 0) grams.push(...wordNgrams(s, o.wordOrder));
  return grams;
}

function resolve(opts: ChrfOptions): Required<ChrfOptions> {
  return {
    charOrder: opts.charOrder ?? 6,
    wordOrder: opts.wordOrder ?? 0,
    beta: opts.beta ?? 2,
    lowercase: opts.lowercase ?? false,
    whitespace: opts.whitespace ?? false,
    epsSmoothing: opts.epsSmoothing ?? false,
  };
}

/** sacrebleu CHRF._get_match_statistics: hypothesis n-grams count only when the reference has some of that order. */
function matchStatistics(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  let refCount = 0;
  for (const c of hyp.values()) hypCount += c;
  for (const c of ref.values()) refCount += c;
  for (const [g, c] of hyp) {
    const rc = ref.get(g);
    if (rc !== undefined) match += Math.min(c, rc);
  }
  return [refCount > 0 ? hypCount : 0, refCount, match];
}

/**
 * The chrF score (0..100) from (summed) statistics. Source: sacrebleu CHRF._compute_f_score.
 */
export function chrfFromStatistics(stats: number[], opts: ChrfOptions = {}): number {
  const o = resolve(opts);
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : EPS;
    const rec = nRef > 0 ? nMatch / nRef : EPS;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0.0;
    avgRec = 0.0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0.0;
}

/**
 * Per-segment statistics: the `[nHyp, nRef, nMatch]` triples against the reference with the highest
 * chrF (first one on ties). Source: sacrebleu CHRF._compute_segment_statistics.
 */
export function chrfStatistics(prediction: string, references: string[], opts: ChrfOptions = {}): number[] {
  checkStringList('chrfStatistics', 'references', references);
  const o = resolve(opts);
  const hyp = allNgrams(prediction, o);
  let bestF = -1.0;
  let best: number[] | undefined;
  for (const ref of references) {
    const r = allNgrams(ref, o);
    const stats: number[] = [];
    for (let i = 0; i < hyp.length; i++) stats.push(...matchStatistics(hyp[i]!, r[i]!));
    const f = chrfFromStatistics(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best ?? new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
}

/** Signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|ref:sacrebleu-2.6.0|fte:0.1.0`. */
export function chrfSignature(opts: ChrfOptions = {}, nrefs: number | 'var' = 1): string {
  const o = resolve(opts);
  const parts: Record<string, string | number | boolean> = {
    nrefs,
    case: o.lowercase ? 'lc' : 'mixed',
    eff: !o.epsSmoothing,
    nc: o.charOrder,
    nw: o.wordOrder,
    space: o.whitespace,
  };
  if (o.beta !== 2) parts.beta = o.beta;
  parts.ref = 'sacrebleu-2.6.0';
  return makeSignature(parts);
}

/**
 * Corpus chrF, as sacrebleu's `corpus_chrf` with its defaults. `references[i]` holds all references
 * of `predictions[i]`.
 * @throws TypeError when the two lists differ in length or an entry has the wrong shape (see `checkCorpusArgs`).
 */
export function chrf(predictions: string[], references: string[][], opts: ChrfOptions = {}): ChrfScore {
  checkCorpusArgs('chrf', predictions, references);
  const o = resolve(opts);
  const sum = new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
  predictions.forEach((p, i) => {
    const s = chrfStatistics(p, references[i]!, o);
    for (let k = 0; k < sum.length; k++) sum[k]! += s[k]!;
  });
  const set = new Set(references.map((r) => r.length));
  const nrefs = set.size === 1 ? [...set][0]! : 'var';
  return { score: chrfFromStatistics(sum, o), stats: sum, signature: chrfSignature(o, nrefs) };
}
