import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, tokenNll } from '../../src/eval/generate.js';
import { byteTokenizer, CounterLM } from './fake-model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('generate (counter model)', () => {
  it('decodes greedily up to maxNewTokens, batched, in input order', async () => {
    const m = new CounterLM();
    const out = await generate(m, byteTokenizer, ['a', 'xyz', 'hello'], { maxNewTokens: 4, batchSize: 2 });
    expect(out.map((g) => g.text)).toEqual(['bcde', '{|}~', 'pqrs']);
    expect(out.map((g) => g.finishReason)).toEqual(['length', 'length', 'length']);
    expect(out.map((g) => g.promptTokens)).toEqual([1, 3, 5]);
    expect(out.every((g) => g.completionTokens === 4)).toBe(true);
  });
  it('uses the KV cache: one full forward per batch, then one token per step', async () => {
    const m = new CounterLM();
    await generate(m, byteTokenizer, ['ab', 'abcd'], { maxNewTokens: 3, batchSize: 8 });
    expect(m.calls).toEqual([
      { B: 2, T: 4, past: 0 },
      { B: 2, T: 1, past: 4 },
      { B: 2, T: 1, past: 5 },
    ]);
  });
  it('ends at a stop sequence and cuts before it', async () => {
    const out = await generate(new CounterLM(), byteTokenizer, ['\u0007', 'a'], { maxNewTokens: 8, stop: ['\n'] });
    expect(out[0]).toMatchObject({ text: '\b\t', finishReason: 'stop', completionTokens: 3 });
    expect(out[1]).toMatchObject({ text: 'bcdefghi', finishReason: 'length' });
  });
  it('ends at EOS', async () => {
    const out = await generate(new CounterLM(128, 10, 257), byteTokenizer, ['\u00ff'], { maxNewTokens: 100 });
    // U+00FF is bytes C3 BF: next tokens C0, C1, ..., FF, then 256 = EOS
    expect(out[0]!.finishReason).toBe('eos');
    expect(out[0]!.completionTokens).toBe(0xff - 0xc0 + 1);
  });
  it('cuts long prompts from the left to leave room for maxNewTokens', async () => {
    const m = new CounterLM(16);
    const out = await generate(m, byteTokenizer, ['0123456789abcdefghij'], { maxNewTokens: 6 });
    expect(out[0]!.promptTokens).toBe(10);
    expect(out[0]!.text).toBe('klmnop');
  });
  it('samples reproducibly under a seed, per example key', async () => {
    const m = new CounterLM(64, 0); // uniform logits
    const a = await generate(m, byteTokenizer, ['a', 'b', 'c'], { maxNewTokens: 5, temperature: 1, seed: 3, keys: ['x', 'y', 'z'], batchSize: 1 });
    const b = await generate(m, byteTokenizer, ['a', 'b', 'c'], { maxNewTokens: 5, temperature: 1, seed: 3, keys: ['x', 'y', 'z'], batchSize: 3 });
    const c = await generate(m, byteTokenizer, ['a', 'b', 'c'], { maxNewTokens: 5, temperature: 1, seed: 4, keys: ['x', 'y', 'z'] });
    expect(a).toEqual(b);
    expect(a.map((g) => g.text)).not.toEqual(c.map((g) => g.text));
  });
  it('top-p keeps the nucleus only', async () => {
    // scale 10: p(next) = e^10 / (e^10 + 256) ~ 0.988 > 0.9, so top-p 0.9 always picks it.
    const out = await generate(new CounterLM(64, 10), byteTokenizer, ['a'], { maxNewTokens: 5, temperature: 1, topP: 0.9, seed: 1 });
    expect(out[0]!.text).toBe('bcdef');
  });
  it('does not leak tensors', async () => {
    const m = new CounterLM();
    await generate(m, byteTokenizer, ['a', 'bb'], { maxNewTokens: 3 });
    const before = tf.memory().numTensors;
    await generate(m, byteTokenizer, ['a', 'bb', 'ccc'], { maxNewTokens: 5, stop: ['e'] });
    await tokenNll(m, byteTokenizer, ['a'], ['bc']);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tokenNll', () => {
  it('scores each completion token given the prompt and earlier tokens', async () => {
    const m = new CounterLM(64, 10);
    const hit = -(10 - Math.log(Math.exp(10) + 256)); // the predicted next byte
    const miss = Math.log(Math.exp(10) + 256); // any other token
    const nll = await tokenNll(m, byteTokenizer, ['ab', 'x'], ['cd', 'zz']);
    expect(nll[0]!.length).toBe(2);
    expect(nll[0]![0]).toBeCloseTo(hit, 4);
    expect(nll[0]![1]).toBeCloseTo(hit, 4);
    expect(nll[1]![0]).toBeCloseTo(miss, 4); // after 'x' the model predicts 'y'
    expect(nll[1]![1]).toBeCloseTo(miss, 4); // after 'z' it predicts '{'
  });
  it('scoreEnd adds the end-of-text token after each completion (what the validation loss counts)', async () => {
    const m = new CounterLM(64, 10);
    const miss = Math.log(Math.exp(10) + 256);
    const plain = await tokenNll(m, byteTokenizer, ['ab', 'x'], ['cd', 'zz']);
    const withEnd = await tokenNll(m, byteTokenizer, ['ab', 'x'], ['cd', 'zz'], 16, { scoreEnd: true });
    expect(withEnd.map((r) => r.length)).toEqual([3, 3]);
    withEnd.forEach((r, i) => r.slice(0, 2).forEach((v, j) => expect(v).toBeCloseTo(plain[i]![j]!, 6)));
    expect(withEnd[0]![2]).toBeCloseTo(miss, 4); // after 'd' the model predicts 'e', not the end token
  });
});
