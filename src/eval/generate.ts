/**
 * Batched decoding with a KV cache, and token NLL for perplexity, over a whole split at once.
 *
 * Decoding: prompts are sorted by length and grouped into batches, left-padded (the attention mask
 * zeroes padding keys and positions count real tokens only, as HF GPT-2 does for left padding), the
 * whole prompt is run once to fill the cache, then one token per step is fed with the cache. Greedy by
 * default; `temperature` > 0 samples, optionally from the nucleus `topP` (Holtzman et al. 2020), with
 * one seeded stream per example so results do not depend on batching. A sequence ends at EOS, at a
 * stop sequence (cut before it), after `maxNewTokens`, or at the model context; prompts longer than
 * `nCtx - maxNewTokens` are cut from the left.
 *
 * Tensors go through `@tensorflow/tfjs-core` on whatever backend the caller initialised (src/train's
 * backend selection); every step runs in `tf.tidy` and the previous cache is disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fnv1a, mulberry32 } from '../random.js';
import type { PromptTokenizer } from './baselines.js';

/** Per-layer keys/values [B, nHead, S, headDim] and S (structurally src/model's `KVCache`). */
export interface KVCacheLike {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

/** What decoding needs from a model (src/model's `GPT2` satisfies it). */
export interface CausalLM {
  readonly config: { nCtx: number; vocabSize: number };
  /** ids int32 [B, T] -> logits [B, T, vocab]; with `past`/`useCache`, `present` is the extended cache. */
  forward(
    ids: tf.Tensor2D,
    opts?: { past?: KVCacheLike; attentionMask?: tf.Tensor2D; useCache?: boolean; training?: boolean },
  ): { logits: tf.Tensor3D; present: KVCacheLike | null };
}

export interface DecodeTokenizer extends PromptTokenizer {
  readonly eosId: number;
}

export interface GenerateOptions {
  /** Most new tokens per prompt. */
  maxNewTokens: number;
  /** The completion ends before the first occurrence of any of these (e.g. `['\n']`). */
  stop?: string[];
  /** 0 (default) = greedy; > 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Nucleus sampling mass in (0, 1]; default 1 (off). Only with temperature > 0. */
  topP?: number;
  /** Seed for sampling (combined with each example's key). Default 0. */
  seed?: number;
  /** Per-prompt keys for the sampling streams (default: the prompt index). */
  keys?: string[];
  /** Prompts per batch. Default 16. */
  batchSize?: number;
}

export interface Generation {
  /** Decoded completion, cut before the stop sequence. */
  text: string;
  /** Completion tokens generated (including a stop sequence's tokens, excluding EOS). */
  completionTokens: number;
  /** Prompt tokens actually fed (after left truncation). */
  promptTokens: number;
  finishReason: 'stop' | 'eos' | 'length' | 'context';
}

/** Index of the largest value (first on ties). */
function argmax(xs: Float32Array | number[], offset: number, n: number): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = xs[offset + i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** Sample from softmax(logits / temperature) restricted to the top-p nucleus. */
function sample(logits: Float32Array, offset: number, n: number, temperature: number, topP: number, rng: () => number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const probs = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[offset + i]! - max) / temperature);
    z += probs[i]!;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  let mass = 0;
  for (const i of order) {
    mass += probs[i]! / z;
    kept++;
    if (mass >= topP) break;
  }
  let total = 0;
  for (let j = 0; j < kept; j++) total += probs[order[j]!]!;
  let r = rng() * total;
  for (let j = 0; j < kept; j++) {
    r -= probs[order[j]!]!;
    if (r <= 0) return order[j]!;
  }
  return order[kept - 1]!;
}

interface Step {
  /** Logits of the last position, [B, vocab]. */
  last: tf.Tensor2D;
  present: KVCacheLike;
}

/** tf.tidy for a step: keeps the returned logits and cache, disposes every intermediate. */
function tidyStep(fn: () => Step): Step {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as Step;
}

function disposeCache(c: KVCacheLike | null | undefined): void {
  if (!c) return;
  for (const t of c.keys) t.dispose();
  for (const t of c.values) t.dispose();
}

/** First index of any stop string in `text`, or -1. */
function findStop(text: string, stop: string[]): number {
  let at = -1;
  for (const s of stop) {
    if (s.length === 0) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * Generate a completion for every prompt.
 * Shapes: a batch of B prompts left-padded to L -> first forward [B, L], then [B, 1] per step with the
 * cache growing to L + t positions (never beyond nCtx).
 * @throws RangeError when maxNewTokens >= nCtx.
 */
export async function generate(model: CausalLM, tokenizer: DecodeTokenizer, prompts: string[], opts: GenerateOptions): Promise<Generation[]> {
  const { nCtx, vocabSize } = model.config;
  const maxNew = opts.maxNewTokens;
  if (maxNew >= nCtx) throw new RangeError(`generate: maxNewTokens (${maxNew}) must be below the model context (${nCtx})`);
  const stop = opts.stop ?? [];
  const temperature = opts.temperature ?? 0;
  const topP = opts.topP ?? 1;
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const maxPrompt = nCtx - maxNew;
  const encoded = prompts.map((p) => {
    const ids = tokenizer.encode(p);
    return ids.length > maxPrompt ? ids.slice(ids.length - maxPrompt) : ids;
  });
  // An empty prompt gets EOS as its only token (GPT-2's convention for unconditional generation).
  for (const ids of encoded) if (ids.length === 0) ids.push(tokenizer.eosId);
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.length - encoded[b]!.length || a - b);
  const results: Generation[] = new Array(prompts.length);

  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const B = idx.length;
    const L = Math.max(...idx.map((i) => encoded[i]!.length));
    const ids = new Int32Array(B * L).fill(tokenizer.eosId);
    const mask = new Int32Array(B * L);
    idx.forEach((p, b) => {
      const e = encoded[p]!;
      for (let t = 0; t < e.length; t++) {
        ids[b * L + (L - e.length) + t] = e[t]!;
        mask[b * L + (L - e.length) + t] = 1;
      }
    });
    const rngs = idx.map((p) => mulberry32(fnv1a(`${opts.seed ?? 0}\u0000${opts.keys?.[p] ?? p}`)));
    const outIds: number[][] = idx.map(() => []);
    const done: (Generation['finishReason'] | null)[] = idx.map(() => null);
    const texts: string[] = idx.map(() => '');

    let maskT = tf.tensor2d(mask, [B, L], 'int32');
    let step = tidyStep(() => {
      const r = model.forward(tf.tensor2d(ids, [B, L], 'int32'), { attentionMask: maskT, useCache: true });
      return { last: tf.reshape(tf.slice(r.logits, [0, L - 1, 0], [B, 1, vocabSize]), [B, vocabSize]) as tf.Tensor2D, present: r.present! };
    });
    let length = L;
    for (let t = 0; ; t++) {
      const logits = (await step.last.data()) as Float32Array;
      step.last.dispose();
      const next = new Int32Array(B).fill(tokenizer.eosId);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const tok = temperature > 0 ? sample(logits, b * vocabSize, vocabSize, temperature, topP, rngs[b]!) : argmax(logits, b * vocabSize, vocabSize);
        next[b] = tok;
        if (tok === tokenizer.eosId) {
          done[b] = 'eos';
          continue;
        }
        outIds[b]!.push(tok);
        texts[b] = tokenizer.decode(outIds[b]!);
        const at = findStop(texts[b]!, stop);
        if (at >= 0) {
          texts[b] = texts[b]!.slice(0, at);
          done[b] = 'stop';
        } else if (outIds[b]!.length >= maxNew) {
          done[b] = 'length';
        } else if (length + 1 > nCtx) {
          done[b] = 'context';
        }
      }
      if (done.every((d) => d !== null) || length + 1 > nCtx) {
        done.forEach((d, b) => (done[b] = d ?? 'context'));
        disposeCache(step.present);
        maskT.dispose();
        break;
      }
      const past = step.present;
      const prevMask = maskT;
      const newMask = tf.tidy(() => tf.concat([prevMask, tf.ones([B, 1], 'int32')], 1) as tf.Tensor2D);
      maskT.dispose();
      maskT = newMask;
      step = tidyStep(() => {
        const r = model.forward(tf.tensor2d(next, [B, 1], 'int32'), { past, attentionMask: maskT, useCache: true });
        return { last: tf.reshape(r.logits, [B, vocabSize]) as tf.Tensor2D, present: r.present! };
      });
      disposeCache(past);
      length += 1;
    }
    idx.forEach((p, b) => {
      results[p] = { text: texts[b]!, completionTokens: outIds[b]!.length, promptTokens: encoded[p]!.length, finishReason: done[b]! };
    });
  }
  return results;
}

/**
 * Negative log-likelihood (nats) of every completion token given its prompt: `result[i][j]` =
 * -log p(completion_i token j | prompt_i, earlier completion tokens). With `scoreEnd` the
 * end-of-text token after the completion is scored too (last entry), as the training and validation
 * loss do (src/train/data.ts: prompt ++ completion ++ <|endoftext|>, loss on completion + end), so
 * exp(mean) is the perplexity of the same quantity the validation loss averages; without it (the
 * default: `fte serve` log-probabilities of a given text) no end token is scored. The prompt is cut
 * from the left so that prompt + completion (+ end) fit nCtx (a completion longer than nCtx - 1 is
 * cut at the right, its end token then dropped, as training does). Batches are right-padded; logits
 * at position t score token t + 1.
 */
export async function tokenNll(model: CausalLM, tokenizer: DecodeTokenizer, prompts: string[], completions: string[], batchSize = 16, opts: { scoreEnd?: boolean } = {}): Promise<number[][]> {
  if (prompts.length !== completions.length) throw new RangeError(`tokenNll: ${prompts.length} prompts but ${completions.length} completions`);
  const { nCtx, vocabSize } = model.config;
  const pairs = prompts.map((p, i) => {
    let c = tokenizer.encode(completions[i]!);
    if (opts.scoreEnd) c.push(tokenizer.eosId);
    if (c.length > nCtx - 1) c = c.slice(0, nCtx - 1);
    let q = tokenizer.encode(p);
    if (q.length === 0) q = [tokenizer.eosId];
    if (q.length + c.length > nCtx) q = q.slice(q.length + c.length - nCtx);
    return { q, c };
  });
  const out: number[][] = new Array(prompts.length);
  for (let start = 0; start < pairs.length; start += batchSize) {
    const batch = pairs.slice(start, start + batchSize);
    const B = batch.length;
    const T = Math.max(...batch.map(({ q, c }) => q.length + c.length));
    const ids = new Int32Array(B * T).fill(tokenizer.eosId);
    const mask = new Int32Array(B * T);
    batch.forEach(({ q, c }, b) => {
      [...q, ...c].forEach((tok, t) => {
        ids[b * T + t] = tok;
        mask[b * T + t] = 1;
      });
    });
    const logProbs = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor2d(ids, [B, T], 'int32'), { attentionMask: tf.tensor2d(mask, [B, T], 'int32') });
      return tf.logSoftmax(logits); // [B, T, vocab]
    });
    const lp = (await logProbs.data()) as Float32Array;
    logProbs.dispose();
    batch.forEach(({ q, c }, b) => {
      const nll: number[] = [];
      for (let j = 0; j < c.length; j++) {
        const pos = q.length + j - 1; // logits at pos predict token pos + 1
        nll.push(-lp[(b * T + pos) * vocabSize + c[j]!]!);
      }
      out[start + b] = nll;
    });
  }
  return out;
}
