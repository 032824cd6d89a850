/**
 * BLEU exactly as sacrebleu 2.6.0 computes it (Post 2018, "A Call for Clarity in Reporting BLEU
 * Scores"; Papineni et al. 2002): the 13a (mteval-v13a) tokenizer, clipped n-gram counts against the
 * per-n-gram maximum over references, the brevity penalty against the reference length closest to the
 * hypothesis (shorter on ties), `exp` smoothing (NIST mteval: the k-th zero precision becomes
 * 100 / (2^k * total)), and the corpus score from the *summed* segment statistics.
 *
 * Layout: `references[i]` lists every reference of `predictions[i]` (lists may differ in length). This
 * is the transpose of sacrebleu's reference *streams*.
 */
import { makeSignature } from './signature.js';
import { pyRstrip, pySplit } from './text.js';
import { checkCorpusArgs, checkStringList } from './args.js';

export interface BleuOptions {
  /** Lowercase hypothesis and references before tokenizing (sacrebleu `lowercase`). Default false. */
  lowercase?: boolean;
  /** `13a` (default, mteval-v13a) or `none` (split on whitespace only). */
  tokenize?: '13a' | 'none';
  /** `exp` (default), `floor`, `add-k` or `none`, as sacrebleu. */
  smoothMethod?: 'exp' | 'floor' | 'add-k' | 'none';
  /** Value for `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  /** Highest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /** Effective order (stop at the highest order with any hypothesis n-gram). Default false (corpus), true in `sentenceBleu`. */
  effectiveOrder?: boolean;
}

/** Sufficient statistics of one segment (or, summed, of a corpus). */
export interface BleuStatistics {
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** Closest reference length in tokens. */
  refLen: number;
  /** Clipped matching n-grams per order 1..N. */
  counts: number[];
  /** Hypothesis n-grams per order 1..N. */
  totals: number[];
}

export interface BleuScore {
  /** BLEU, 0..100. */
  score: number;
  counts: number[];
  totals: number[];
  /** Modified n-gram precisions in percent (after smoothing). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  sysLen: number;
  refLen: number;
  signature: string;
}

const SMOOTH_DEFAULTS: Record<string, number | undefined> = { none: undefined, floor: 0.1, 'add-k': 1, exp: undefined };

// sacrebleu TokenizerRegexp + Tokenizer13a.
const RE_SYMBOLS = /([\{-\~\[-\` -\&\(-\+\:-\@\/])/g;
const RE_PERIOD_COMMA_UNLESS_PRECEDED_BY_DIGIT = /([^0-9])([\.,])/g;
const RE_PERIOD_COMMA_UNLESS_FOLLOWED_BY_DIGIT = /([\.,])([^0-9])/g;
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/g;

/**
 * sacrebleu's `13a` tokenizer (mteval-v13a.pl): returns the tokens joined by single spaces.
 * Source: sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py.
 */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  s = s.replace(RE_SYMBOLS, ' $1 ');
  s = s.replace(RE_PERIOD_COMMA_UNLESS_PRECEDED_BY_DIGIT, '$1 $2 ');
  s = s.replace(RE_PERIOD_COMMA_UNLESS_FOLLOWED_BY_DIGIT, ' $1 $2');
  s = s.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return pySplit(s).join(' ');
}

function preprocess(sent: string, opts: BleuOptions): string {
  const s = opts.lowercase ? sent.toLowerCase() : sent;
  const stripped = pyRstrip(s);
  return (opts.tokenize ?? '13a') === '13a' ? tokenize13a(stripped) : stripped;
}

/** n-grams of order 1..maxOrder, one Counter per order (keys: space-joined tokens); and the token count. */
function wordNgrams(line: string, maxOrder: number): { ngrams: Map<string, number>[]; len: number } {
  const tokens = pySplit(line);
  const ngrams: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    ngrams.push(m);
  }
  return { ngrams, len: tokens.length };
}

/** Closest reference length; on a tie the shorter one (sacrebleu `_get_closest_ref_len`). */
function closestRefLen(hypLen: number, refLens: number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

/**
 * Per-segment statistics: `prediction` against all its `references`.
 * Source: sacrebleu BLEU._extract_reference_info and _compute_segment_statistics.
 */
export function bleuStatistics(prediction: string, references: string[], opts: BleuOptions = {}): BleuStatistics {
  checkStringList('bleuStatistics', 'references', references);
  const maxOrder = opts.maxNgramOrder ?? 4;
  let refNgrams: Map<string, number>[] | undefined;
  const refLens: number[] = [];
  for (const ref of references) {
    const r = wordNgrams(preprocess(ref, opts), maxOrder);
    refLens.push(r.len);
    if (refNgrams === undefined) refNgrams = r.ngrams;
    else {
      for (let n = 0; n < maxOrder; n++) {
        const into = refNgrams[n]!;
        for (const [g, c] of r.ngrams[n]!) into.set(g, Math.max(into.get(g) ?? 0, c));
      }
    }
  }
  const hyp = wordNgrams(preprocess(prediction, opts), maxOrder);
  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  for (let n = 0; n < maxOrder; n++) {
    const refs = refNgrams?.[n];
    for (const [g, c] of hyp.ngrams[n]!) {
      totals[n]! += c;
      const rc = refs?.get(g);
      if (rc !== undefined) counts[n]! += Math.min(c, rc);
    }
  }
  return { sysLen: hyp.len, refLen: closestRefLen(hyp.len, refLens), counts, totals };
}

/** Element-wise sum of segment statistics (the corpus statistics). */
export function sumBleuStatistics(stats: BleuStatistics[], maxOrder = 4): BleuStatistics {
  const out: BleuStatistics = { sysLen: 0, refLen: 0, counts: new Array(maxOrder).fill(0), totals: new Array(maxOrder).fill(0) };
  for (const s of stats) {
    out.sysLen += s.sysLen;
    out.refLen += s.refLen;
    for (let i = 0; i < maxOrder; i++) {
      out.counts[i]! += s.counts[i] ?? 0;
      out.totals[i]! += s.totals[i] ?? 0;
    }
  }
  return out;
}

function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * The BLEU score from (summed) statistics. Source: sacrebleu BLEU.compute_bleu: BP = exp(1 - r/c)
 * when c < r (0 when c = 0); returns 0 with no smoothing when no n-gram of any order matches (#141);
 * score = BP * exp(mean log p_n) over the (effective) orders.
 */
export function bleuFromStatistics(stats: BleuStatistics, opts: BleuOptions = {}, nrefs: number | 'var' = 1): BleuScore {
  const maxOrder = opts.maxNgramOrder ?? 4;
  const smoothMethod = opts.smoothMethod ?? 'exp';
  const smoothValue = opts.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const effectiveOrder = opts.effectiveOrder ?? false;
  const counts = stats.counts.slice(0, maxOrder);
  const totals = stats.totals.slice(0, maxOrder);
  const { sysLen, refLen } = stats;
  const signature = bleuSignature(opts, nrefs);

  let bp: number;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  else bp = 1.0;

  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({
    score,
    counts: stats.counts.slice(0, maxOrder),
    totals: stats.totals.slice(0, maxOrder),
    precisions,
    bp,
    sysLen,
    refLen,
    signature,
  });
  if (!counts.some((c) => c !== 0)) return result(0.0);

  let smoothMteval = 1.0;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      counts[n - 1]! += smoothValue;
      totals[n - 1]! += smoothValue;
    }
    if (totals[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (counts[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * totals[n - 1]!);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100.0 * smoothValue) / totals[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100.0 * counts[n - 1]!) / totals[n - 1]!;
    }
  }
  let sum = 0;
  for (let i = 0; i < effOrder; i++) sum += myLog(precisions[i]!);
  return result(bp * Math.exp(sum / effOrder));
}

/** sacrebleu-style signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|ref:sacrebleu-2.6.0|fte:0.1.0`. */
export function bleuSignature(opts: BleuOptions = {}, nrefs: number | 'var' = 1): string {
  const smooth = opts.smoothMethod ?? 'exp';
  const parts: Record<string, string | number> = {
    nrefs,
    case: opts.lowercase ? 'lc' : 'mixed',
    eff: opts.effectiveOrder ? 'yes' : 'no',
    tok: opts.tokenize ?? '13a',
    smooth: smooth === 'floor' || smooth === 'add-k' ? `${smooth}[${(opts.smoothValue ?? SMOOTH_DEFAULTS[smooth])!.toFixed(2)}]` : smooth,
  };
  if ((opts.maxNgramOrder ?? 4) !== 4) parts.order = opts.maxNgramOrder!;
  parts.ref = 'sacrebleu-2.6.0';
  return makeSignature(parts);
}

function nrefsOf(references: string[][]): number | 'var' {
  const set = new Set(references.map((r) => r.length));
  return set.size === 1 ? [...set][0]! : set.size === 0 ? 0 : 'var';
}

function checkAligned(predictions: string[], references: string[][], fn: string): void {
  checkCorpusArgs(fn, predictions, references);
}

/**
 * Corpus BLEU, as sacrebleu's `corpus_bleu` (defaults: 13a, exp smoothing, max order 4, no effective
 * order). `references[i]` holds all references of `predictions[i]`.
 * @throws TypeError when the two lists differ in length or an entry has the wrong shape (see `checkCorpusArgs`).
 */
export function corpusBleu(predictions: string[], references: string[][], opts: BleuOptions = {}): BleuScore {
  checkAligned(predictions, references, 'corpusBleu');
  const maxOrder = opts.maxNgramOrder ?? 4;
  const stats = predictions.map((p, i) => bleuStatistics(p, references[i]!, opts));
  return bleuFromStatistics(sumBleuStatistics(stats, maxOrder), opts, nrefsOf(references));
}

/** Sentence BLEU, as sacrebleu's `sentence_bleu` (effective order on by default). */
export function sentenceBleu(prediction: string, references: string[], opts: BleuOptions = {}): BleuScore {
  checkStringList('sentenceBleu', 'references', references);
  const o: BleuOptions = { ...opts, effectiveOrder: opts.effectiveOrder ?? true };
  return bleuFromStatistics(bleuStatistics(prediction, references, o), o, references.length);
}
