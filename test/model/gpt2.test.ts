import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2, initParams, parameterShapes } from '../../src/model/gpt2.js';
import { type GPT2Config, HF_DEFAULT_PDROP, countParams, fromHfConfig, toHfConfig } from '../../src/model/config.js';
import { ByteTokenizer, loadTokenizer } from '../../src/model/tokenizer.js';
import { UnknownNameError, UserInputError } from '../../src/errors.js';
import { TINY, ids, maxAbsDiff, useWasm } from './helpers.js';

describe('GPT-2 config and tokenizer', () => {
  it('round-trips the HF config.json fields', () => {
    const hf = toHfConfig(TINY);
    expect(hf).toMatchObject({ model_type: 'gpt2', vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2 });
    expect(fromHfConfig(hf)).toEqual({ ...TINY, attnPdrop: 0, residPdrop: 0, embdPdrop: 0 });
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

/**
 * Dropout: where and how HF's GPT-2 applies it in training mode (transformers
 * models/gpt2/modeling_gpt2.py, read from its source): GPT2Model.drop = Dropout(embd_pdrop) on
 * inputs_embeds + position_embeds; per block, GPT2Attention.attn_dropout = Dropout(attn_pdrop) on the
 * softmaxed attention weights [B, H, T, S], GPT2Attention.resid_dropout = Dropout(resid_pdrop) on the
 * attention's c_proj output, GPT2MLP.dropout = Dropout(resid_pdrop) on the MLP's c_proj output;
 * torch.nn.Dropout zeroes each value with probability p and scales the rest by 1 / (1 - p); eval mode
 * is the identity. GPT2Config's defaults are 0.1 for all three.
 */
describe('dropout (attn_pdrop / resid_pdrop / embd_pdrop) in training forwards', () => {
  beforeAll(useWasm);
  type Site = 'embd' | 'attn' | 'resid';
  class Recording extends GPT2 {
    calls: { site: Site; rate: number; shape: number[] }[] = [];
    protected override dropout(x: tf.Tensor, rate: number, site: Site): tf.Tensor {
      this.calls.push({ site, rate, shape: x.shape });
      return super.dropout(x, rate, site);
    }
    drop(x: tf.Tensor, rate: number): tf.Tensor {
      return this.dropout(x, rate, 'embd');
    }
  }
  const rates: GPT2Config = { ...TINY, attnPdrop: 0.1, residPdrop: 0.2, embdPdrop: 0.3 };
  const input = () => ids([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]);
  const B = 2, T = 5, H = TINY.nHead, d = TINY.nEmbd;

  it('applies each probability at HF GPT-2\'s sites, in its order, with its shapes', () => {
    const m = new Recording(rates, initParams(rates, 1));
    const x = input();
    tf.tidy(() => m.forward(x, { training: true }).logits);
    const layer = [
      { site: 'attn', rate: 0.1, shape: [B, H, T, T] },
      { site: 'resid', rate: 0.2, shape: [B * T, d] }, // attention c_proj output
      { site: 'resid', rate: 0.2, shape: [B * T, d] }, // MLP c_proj output
    ];
    expect(m.calls).toEqual([{ site: 'embd', rate: 0.3, shape: [B * T, d] }, ...Array.from({ length: TINY.nLayer }, () => layer).flat()]);
    m.dispose();
    x.dispose();
  });

  it.each([
    ['attnPdrop', 'attn'], ['residPdrop', 'resid'], ['embdPdrop', 'embd'],
  ] as const)('%s alone: only its site, training forward only; eval mode and rate 0 are the plain model', (field, site) => {
    const w = initParams(TINY, 2);
    const plain = new GPT2(TINY, w);
    const m = new Recording({ ...TINY, [field]: 0.5 }, w);
    const zero = new Recording({ ...TINY, [field]: 0 }, w);
    const x = input();
    const ref = tf.tidy(() => plain.forward(x).logits);
    const evalOut = tf.tidy(() => m.forward(x).logits);
    expect(m.calls).toEqual([]);
    expect(maxAbsDiff(evalOut, ref)).toBe(0);
    const zeroTrain = tf.tidy(() => zero.forward(x, { training: true }).logits);
    expect(zero.calls).toEqual([]);
    expect(maxAbsDiff(zeroTrain, ref)).toBe(0);
    const train = tf.tidy(() => m.forward(x, { training: true }).logits);
    expect(new Set(m.calls.map((c) => c.site))).toEqual(new Set([site]));
    expect(maxAbsDiff(train, ref)).toBeGreaterThan(1e-4);
    tf.dispose([ref, evalOut, zeroTrain, train, x]);
    [plain, m, zero].forEach((g) => g.dispose());
  });

  it.each([0.1, 0.5])('is inverted dropout as torch.nn.Dropout (p = %f): ~p zeroed, survivors scaled by 1 / (1 - p)', (p) => {
    const m = new Recording(TINY, initParams(TINY, 3));
    const n = 200_000;
    const out = tf.tidy(() => m.drop(tf.ones([n]), p));
    const v = out.dataSync();
    let zeros = 0;
    let other = 0;
    for (const x of v) if (x === 0) zeros++;
    else if (x !== Math.fround(1 / (1 - p))) other++;
    expect(other).toBe(0);
    expect(Math.abs(zeros / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n)); // within 4 standard errors
    out.dispose();
    m.dispose();
  });

  it('masks follow seedDropout: the same seed gives the same training forward, another seed another', () => {
    const w = initParams(rates, 4);
    const [a, b] = [new GPT2(rates, w), new GPT2(rates, w)];
    const x = input();
    const run = (m: GPT2, seed: number) => {
      m.seedDropout(seed);
      return tf.tidy(() => m.forward(x, { training: true }).logits);
    };
    const [a1, b1, b2] = [run(a, 7), run(b, 7), run(b, 8)];
    expect(maxAbsDiff(a1, b1)).toBe(0);
    expect(maxAbsDiff(b1, b2)).toBeGreaterThan(1e-4);
    tf.dispose([a1, b1, b2, x]);
    a.dispose();
    b.dispose();
  });

  it('config.json: read with GPT2Config\'s default (0.1) when absent, written back as loaded', () => {
    const hf = toHfConfig(TINY) as Record<string, unknown>;
    const { attn_pdrop: _a, resid_pdrop: _r, embd_pdrop: _e, ...without } = hf;
    expect(HF_DEFAULT_PDROP).toBe(0.1);
    expect(fromHfConfig(without)).toMatchObject({ attnPdrop: 0.1, residPdrop: 0.1, embdPdrop: 0.1 });
    expect(toHfConfig(rates)).toMatchObject({ attn_pdrop: 0.1, resid_pdrop: 0.2, embd_pdrop: 0.3 });
    expect(fromHfConfig(toHfConfig(rates))).toEqual(rates);
    expect(() => fromHfConfig({ ...hf, attn_pdrop: 1 })).toThrow(/attnPdrop must be in \[0, 1\)/);
  });
});
