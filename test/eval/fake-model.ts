/**
 * A tiny deterministic stand-in for a causal LM (used until/besides the real GPT-2): the logit of
 * token (id + 1) mod vocab is `scale`, every other logit 0. Its "KV cache" stores the ids seen so far,
 * so tests can check the cache grows by one position per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { CausalLM, DecodeTokenizer, KVCacheLike } from '../../src/eval/generate.js';

export const byteTokenizer: DecodeTokenizer = {
  eosId: 256,
  encode: (t) => Array.from(new TextEncoder().encode(t)),
  decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids.filter((i) => i < 256))),
};

export class CounterLM implements CausalLM {
  readonly config: { nCtx: number; vocabSize: number };
  calls: { B: number; T: number; past: number }[] = [];
  constructor(
    nCtx = 64,
    private scale = 10,
    vocabSize = 257,
  ) {
    this.config = { nCtx, vocabSize };
  }
  forward(ids: tf.Tensor2D, opts: { past?: KVCacheLike; attentionMask?: tf.Tensor2D; useCache?: boolean } = {}) {
    const [B, T] = ids.shape;
    const V = this.config.vocabSize;
    const pastLen = opts.past?.length ?? 0;
    if (pastLen + T > this.config.nCtx) throw new Error(`context overflow ${pastLen + T}`);
    this.calls.push({ B, T, past: pastLen });
    const next = tf.mod(tf.add(ids, 1), V) as tf.Tensor2D;
    const logits = tf.reshape(tf.mul(tf.oneHot(tf.cast(tf.reshape(next, [B * T]), 'int32') as tf.Tensor1D, V), this.scale), [B, T, V]) as tf.Tensor3D;
    const seen = tf.reshape(tf.cast(ids, 'float32'), [B, 1, T, 1]) as tf.Tensor4D;
    const useCache = opts.useCache ?? opts.past !== undefined;
    const present = useCache
      ? { keys: [opts.past ? (tf.concat([opts.past.keys[0]!, seen], 2) as tf.Tensor4D) : seen], values: [tf.clone(seen)], length: pastLen + T }
      : null;
    return { logits, present };
  }
}
