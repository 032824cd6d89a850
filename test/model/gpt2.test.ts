import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2, initParams, parameterShapes } from '../../src/model/gpt2.js';
import { countParams, fromHfConfig, toHfConfig } from '../../src/model/config.js';
import { ByteTokenizer, loadTokenizer } from '../../src/model/tokenizer.js';
import { UnknownNameError, UserInputError } from '../../src/errors.js';
import { TINY, ids, maxAbsDiff, useWasm } from './helpers.js';

describe('GPT-2 config and tokenizer', () => {
  it('round-trips the HF config.json fields', () => {
    const hf = toHfConfig(TINY);
    expect(hf).toMatchObject({ model_type: 'gpt2', vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2 });
    expect(fromHfConfig(hf)).toEqual(TINY);
  });

  it.each([
    [{ n_embd: 15 }, /divisible/],
    [{ model_type: 'llama' }, /model_type/],
    [{ n_layer: undefined }, /n_layer/],
  ])('rejects %o', (patch, msg) => {
    expect(() => fromHfConfig({ ...toHfConfig(TINY), ...patch })).toThrow(msg);
    expect(() => fromHfConfig({ ...toHfConfig(TINY), ...patch })).toThrow(UserInputError);
  });

  it('counts parameters as the tensor shapes do (tied embeddings once)', () => {
    const n = parameterShapes(TINY).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(countParams(TINY)).toBe(n);
    expect(countParams({ ...TINY, vocabSize: 50257, nCtx: 1024, nEmbd: 768, nLayer: 12, nHead: 12 })).toBe(124_439_808); // GPT-2 small
  });

  it('initialises deterministically per seed', () => {
    expect(Array.from(initParams(TINY, 4).get('h.1.mlp.c_fc.weight')!.slice(0, 5))).toEqual(Array.from(initParams(TINY, 4).get('h.1.mlp.c_fc.weight')!.slice(0, 5)));
    expect(initParams(TINY, 4).get('wte.weight')![0]).not.toBe(initParams(TINY, 5).get('wte.weight')![0]);
  });

  it.each([['hello'], ['héllo wörld ✓'], ['']])('byte tokenizer round-trips %j', (s) => {
    const t = new ByteTokenizer();
    expect(t.decode(t.encode(s))).toBe(s);
    expect(t.encode(s).length).toBe(Buffer.byteLength(s));
    expect(t.decode([...t.encode(s), t.eosId])).toBe(s);
  });

  it('unknown tokenizer kinds are listed', async () => {
    await expect(loadTokenizer('sentencepiece', '.')).rejects.toThrow(UnknownNameError);
  });
});

describe('GPT-2 forward', () => {
  beforeAll(useWasm);

  it('is causal: logits at t do not depend on tokens after t', () => {
    const m = GPT2.random(TINY, 1);
    const [a, b] = tf.tidy(() => [m.forward(ids([[1, 2, 3, 4, 5, 6]])).logits, m.forward(ids([[1, 2, 3, 9, 9, 9]])).logits]);
    expect(maxAbsDiff(tf.slice(a!, [0, 0, 0], [1, 3, 257]), tf.slice(b!, [0, 0, 0], [1, 3, 257]))).toBe(0);
    expect(maxAbsDiff(a!, b!)).toBeGreaterThan(0);
    tf.dispose([a!, b!]);
    m.dispose();
  });

  it('incremental decoding with the KV cache equals the full forward', () => {
    const m = GPT2.random(TINY, 2);
    const seq = [[10, 20, 30, 40, 50, 60, 70]];
    const full = tf.tidy(() => m.forward(ids(seq)).logits);
    const first = tf.tidy(() => {
      const r = m.forward(ids([seq[0]!.slice(0, 4)]), { useCache: true });
      return { logits: r.logits, keys: r.present!.keys, values: r.present!.values };
    });
    let past = { keys: first.keys, values: first.values, length: 4 };
    const steps: tf.Tensor[] = [first.logits];
    for (let t = 4; t < 7; t++) {
      const r = tf.tidy(() => {
        const o = m.forward(ids([[seq[0]![t]!]]), { past });
        return { logits: o.logits, keys: o.present!.keys, values: o.present!.values };
      });
      tf.dispose([...past.keys, ...past.values]);
      past = { keys: r.keys, values: r.values, length: t + 1 };
      steps.push(r.logits);
    }
    const inc = tf.concat(steps, 1);
    expect(maxAbsDiff(full, inc)).toBeLessThan(1e-5);
    tf.dispose([full, inc, ...steps, ...past.keys, ...past.values]);
    m.dispose();
  });

  it('a left-padded row with an attention mask gives the unpadded logits', () => {
    const m = GPT2.random(TINY, 3);
    const plain = tf.tidy(() => m.forward(ids([[7, 8, 9]])).logits);
    const padded = tf.tidy(() => m.forward(ids([[256, 256, 7, 8, 9], [1, 2, 3, 4, 5]]), { attentionMask: tf.tensor2d([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]) }).logits);
    expect(maxAbsDiff(plain, tf.slice(padded, [0, 2, 0], [1, 3, 257]))).toBeLessThan(1e-5);
    tf.dispose([plain, padded]);
    m.dispose();
  });

  it('right padding does not change the real positions (why training needs no mask)', () => {
    const m = GPT2.random(TINY, 4);
    const [a, b] = tf.tidy(() => [m.forward(ids([[5, 6, 7]])).logits, m.forward(ids([[5, 6, 7, 256, 256]])).logits]);
    expect(maxAbsDiff(a!, tf.slice(b!, [0, 0, 0], [1, 3, 257]))).toBeLessThan(1e-6);
    tf.dispose([a!, b!]);
    m.dispose();
  });

  it('refuses sequences longer than the context', () => {
    const m = GPT2.random(TINY, 5);
    expect(() => tf.tidy(() => m.forward(ids([Array.from({ length: 33 }, () => 1)])).logits)).toThrow(/exceeds the model context/);
    m.dispose();
  });
});
