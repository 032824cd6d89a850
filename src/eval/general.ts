/**
 * Forgetting: every subject scored on general held-out text (not the task), so a fine-tuned model's
 * task gain is reported next to what it lost of its general language modelling.
 *
 * The text set is a list of passages: by default the built-in base model's held-out pretraining
 * passages (src/train/corpus.ts `heldOutPassages`, chosen by src/run), or a file named by the spec's
 * `evaluate.general` (`readGeneralFile`). Each passage is scored as a document of its own after
 * `<|endoftext|>` (the pretraining layout), cut to its first `nCtx - 1` tokens.
 *
 * Stored as `eval_results` rows on slice `general` (split `test`, perturbation `none`):
 * - `perplexity`: exp(sum NLL / sum tokens) over the passages, with its 95% corpus bootstrap
 *   interval (passages resampled, sums recomputed);
 * - `bits_per_byte`: sum NLL / ln 2 / sum UTF-8 bytes of the scored text (comparable across
 *   tokenizers), with its interval;
 * - against the base model (variants only), `perplexity_change`: perplexity / base perplexity - 1
 *   (+0.03 = 3% worse), its 95% interval from a paired bootstrap of the difference of log
 *   perplexities (the same passages resampled for both models, Koehn 2004; `src/stats`
 *   `pairedBootstrapCorpus`), mapped through exp(.) - 1; and `perplexity_change_p`, that test's
 *   two-sided p-value (sacrebleu's definition), with the test's signature.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { bootstrapCorpus, pairedBootstrapCorpus, StatsInputError } from '../stats/index.js';
import { UserInputError } from '../errors.js';
import { tokenNll, type CausalLM, type DecodeTokenizer } from './generate.js';
import { makeSignature } from './metrics/signature.js';
import { DEFAULT_BOOTSTRAP, type BootstrapSpec } from './intervals.js';
import type { EvalRow, Subject } from './types.js';

/** The slice name of the general-text rows. */
export const GENERAL_SLICE = 'general';

/** Passages scored by default (evenly spaced over the held-out set). */
export const DEFAULT_GENERAL_PASSAGES = 128;

/** One passage of general text. */
export interface GeneralPassage {
  id: string;
  text: string;
}

/** One passage's score: summed NLL (nats) over its scored tokens, the token count and the UTF-8 bytes of the scored text. */
export interface GeneralScore {
  id: string;
  nll: number;
  tokens: number;
  bytes: number;
}

/**
 * Read a general-text file: `.jsonl` (one passage a line: a JSON string, or an object with a `text`
 * field and an optional `id`), otherwise plain text with passages separated by blank lines.
 * @throws UserInputError (one line) when the file cannot be read, a JSONL line is not a string or
 *   an object with a string `text`, or there is no non-empty passage.
 */
export function readGeneralFile(path: string): GeneralPassage[] {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserInputError(`evaluate.general: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const out: GeneralPassage[] = [];
  if (extname(path).toLowerCase() === '.jsonl') {
    source.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new UserInputError(`evaluate.general: ${path} line ${i + 1}: not JSON`);
      }
      const text = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string' ? (v as { text: string }).text : null;
      if (text === null) throw new UserInputError(`evaluate.general: ${path} line ${i + 1}: expected a JSON string or an object with a string "text"`);
      const id = v && typeof v === 'object' && (typeof (v as { id?: unknown }).id === 'string' || typeof (v as { id?: unknown }).id === 'number') ? String((v as { id: string }).id) : `line-${i + 1}`;
      if (text.trim()) out.push({ id, text });
    });
  } else {
    source.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/).forEach((p, i) => {
      if (p.trim()) out.push({ id: `passage-${i + 1}`, text: p.trim() });
    });
  }
  if (out.length === 0) throw new UserInputError(`evaluate.general: ${path} holds no passage of text`);
  return out;
}

/** At most `n` items, evenly spaced over `items` (all of them when there are no more than `n`). */
export function evenlySpaced<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/**
 * Score passages under a causal LM: each after `<|endoftext|>`, cut to its first `nCtx - 1` tokens.
 * @returns one score per passage, in order (a passage with no token scores 0 tokens and is dropped
 *   from the sums by `generalRows`)
 */
export async function scoreGeneral(model: CausalLM, tokenizer: DecodeTokenizer, passages: readonly GeneralPassage[], batchSize = 16): Promise<GeneralScore[]> {
  const nll = await tokenNll(model, tokenizer, passages.map(() => ''), passages.map((p) => p.text), batchSize);
  return passages.map((p, i) => {
    const kept = nll[i]!.length;
    const ids = tokenizer.encode(p.text);
    const text = kept >= ids.length ? p.text : tokenizer.decode(ids.slice(0, kept));
    return { id: p.id, nll: nll[i]!.reduce((a, b) => a + b, 0), tokens: kept, bytes: Buffer.byteLength(text, 'utf8') };
  });
}

const logPerplexity = (s: number[]): number => s[0]! / s[1]!;

function interval(stats: number[][], aggregate: (s: number[]) => number, opts: BootstrapSpec): Pick<EvalRow, 'ciLow' | 'ciHigh' | 'ciSignature'> {
  try {
    const r = bootstrapCorpus(stats, aggregate, opts);
    if (!Number.isFinite(r.ciLow) || !Number.isFinite(r.ciHigh)) return {};
    return { ciLow: r.ciLow, ciHigh: r.ciHigh, ciSignature: `${r.signature}|over:passages|level:corpus` };
  } catch (err) {
    if (err instanceof StatsInputError) return {};
    throw err;
  }
}

/**
 * The `general` slice's rows of one subject (see the module doc). With `base` (the base model's
 * scores of the same passages, same ids in the same order), also `perplexity_change` and
 * `perplexity_change_p`.
 * @throws RangeError when `base` does not hold the same passages
 */
export function generalRows(subject: Subject, scores: readonly GeneralScore[], opts: { bootstrap?: BootstrapSpec; base?: readonly GeneralScore[] } = {}): EvalRow[] {
  const bootstrap = opts.bootstrap ?? DEFAULT_BOOTSTRAP;
  const used = scores.map((s, i) => ({ s, i })).filter(({ s }) => s.tokens > 0);
  if (used.length === 0) return [];
  const stats = used.map(({ s }) => [s.nll, s.tokens, s.bytes]);
  const sum = (k: number) => stats.reduce((a, s) => a + s[k]!, 0);
  const n = used.length;
  const row = (metric: string, value: number, extra: Partial<EvalRow> = {}): EvalRow => ({ subject, split: 'test', perturbation: 'none', slice: GENERAL_SLICE, metric, value, n, ...extra });
  const rows: EvalRow[] = [
    row('perplexity', Math.exp(sum(0) / sum(1)), { signature: makeSignature({ metric: 'perplexity', base: 'e', over: 'general_text_tokens' }), ...interval(stats, (s) => Math.exp(s[0]! / s[1]!), bootstrap) }),
    row('bits_per_byte', sum(0) / Math.LN2 / sum(2), { signature: makeSignature({ metric: 'bits_per_byte', over: 'general_text_utf8_bytes' }), ...interval(stats, (s) => s[0]! / Math.LN2 / s[2]!, bootstrap) }),
  ];
  if (opts.base) {
    const base = opts.base;
    if (base.length !== scores.length || base.some((b, i) => b.id !== scores[i]!.id)) {
      throw new RangeError(`generalRows: the base model's scores are of other passages (${base.length} vs ${scores.length})`);
    }
    const pairs = used.filter(({ i }) => base[i]!.tokens > 0);
    if (pairs.length > 0) {
      const a = pairs.map(({ s }) => [s.nll, s.tokens]);
      const b = pairs.map(({ i }) => [base[i]!.nll, base[i]!.tokens]);
      const t = pairedBootstrapCorpus(a, b, logPerplexity, bootstrap);
      const change = Math.expm1(t.diff);
      const ci = Number.isFinite(t.ci95[0]) && Number.isFinite(t.ci95[1])
        ? { ciLow: Math.expm1(t.ci95[0]), ciHigh: Math.expm1(t.ci95[1]), ciSignature: `${t.signature}|over:passages|level:corpus|exp(diff log perplexity)-1` }
        : {};
      rows.push(
        { ...row('perplexity_change', change, ci), n: pairs.length, signature: 'perplexity / base perplexity - 1' },
        { ...row('perplexity_change_p', t.pValue), n: pairs.length, signature: t.signature },
      );
    }
  }
  return rows;
}
