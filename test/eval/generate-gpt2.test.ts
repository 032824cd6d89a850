/**
 * Decoding invariants on the real GPT-2 module (random weights): the KV cache and left padding
 * change nothing, greedy decoding equals the argmax of a full recomputation at every step, and
 * token NLL equals the log-softmax of a full forward.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, tokenNll } from '../../src/eval/generate.js';
import { GPT2 } from '../../src/model/gpt2.js';
import { byteTokenizer } from './fake-model.js';
import { maskedLoss } from '../../src/train/trainer.js';
import { encodeExample, evalBatches } from '../../src/train/data.js';
import { ByteTokenizer } from '../../src/model/tokenizer.js';

let model: GPT2;
beforeAll(async () => {
  await tf.setBackend('cpu');
  model = GPT2.random({ vocabSize: 257, nCtx: 48, nEmbd: 32, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' }, 7);
});

/** Greedy decoding by recomputing the whole sequence each step (no cache, no padding). */
function naiveGreedy(prompt: string, maxNew: number): number[] {
  const ids = byteTokenizer.encode(prompt);
  const out: number[] = [];
  for (let t = 0; t < maxNew; t++) {
    const next = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'));
      return tf.argMax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, 257]), [257]));
    });
    const tok = next.dataSync()[0]!;
    next.dispose();
    if (tok === byteTokenizer.eosId) break;
    ids.push(tok);
    out.push(tok);
  }
  return out;
}

describe('generate on GPT-2', () => {
  const prompts = ['Hello', 'a much longer prompt here', 'xy'];
  it('cached, left-padded batched decoding equals naive greedy recomputation', async () => {
    const batched = await generate(model, byteTokenizer, prompts, { maxNewTokens: 6, batchSize: 3 });
    const single = await generate(model, byteTokenizer, prompts, { maxNewTokens: 6, batchSize: 1 });
    expect(batched).toEqual(single);
    prompts.forEach((p, i) => {
      const naive = naiveGreedy(p, 6);
      expect(batched[i]!.completionTokens).toBe(naive.length);
      expect(batched[i]!.text).toBe(byteTokenizer.decode(naive));
    });
  });
  it('test perplexity counts what the validation loss counts: mean NLL with the end token = the masked validation loss', async () => {
    const exs = [
      { id: 'a', prompt: 'Q: spam?\nA:', completion: ' spam' },
      { id: 'b', prompt: 'Subject?', completion: ' Hello there' },
      { id: 'c', prompt: 'Sky?', completion: ' blue' },
    ];
    const tok = new ByteTokenizer();
    const valLoss = maskedLoss(model, evalBatches(exs.map((e) => encodeExample(e, tok, 48)), 2, tok.eosId));
    const nll = (await tokenNll(model, tok, exs.map((e) => e.prompt), exs.map((e) => e.completion), 2, { scoreEnd: true })).flat();
    expect(nll.length).toBe(exs.reduce((a, e) => a + tok.encode(e.completion).length + 1, 0));
    expect(nll.reduce((a, b) => a + b, 0) / nll.length).toBeCloseTo(valLoss, 5);
  });
  it('token NLL matches a full forward, batched or not', async () => {
    const a = await tokenNll(model, byteTokenizer, ['Hello', 'xy'], [' world', ' z'], 2);
    const b = await tokenNll(model, byteTokenizer, ['Hello', 'xy'], [' world', ' z'], 1);
    expect(a[0]!.length).toBe(6);
    a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(b[i]![j]!, 4)));
    const ids = byteTokenizer.encode('Hello world');
    const lp = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')).logits));
    const data = lp.dataSync();
    lp.dispose();
    const expected = ids.slice(5).map((tok, j) => -data[(4 + j) * 257 + tok]!);
    a[0]!.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 4));
  });
});
