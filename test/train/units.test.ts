import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipByGlobalNorm } from '../../src/train/optimizer.js';
import { encodeExample, epochBatches, makeBatch } from '../../src/train/data.js';
import { estimateTrainingMemory, loraParamCount } from '../../src/train/memory.js';
import { BACKENDS, initBackend } from '../../src/train/backend.js';
import { ByteTokenizer } from '../../src/model/tokenizer.js';
import { GPT2 } from '../../src/model/gpt2.js';
import { maskedLoss } from '../../src/train/trainer.js';
import { injectLora } from '../../src/model/lora.js';
import { countParams } from '../../src/model/config.js';
import { UnknownNameError } from '../../src/errors.js';
import { SMALL } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// The learning-rate schedule's table tests are in ./schedule.test.ts.

describe('AdamW and clipping', () => {
  it('one step matches the closed form (bias-corrected first step = lr * sign(g), decoupled decay)', () => {
    const p = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
    const opt = new AdamW(new Map([['w', p]]), { weightDecay: 0.1 });
    const g = tf.tensor2d([[0.5, -1], [0, 2]]);
    opt.step({ w: g }, 0.01);
    const got = p.arraySync() as number[][];
    const want = [[1, -2], [3, 0.5]].map((row, i) => row.map((w, j) => {
      const gi = ([[0.5, -1], [0, 2]] as number[][])[i]![j]!;
      return w - 0.01 * 0.1 * w - 0.01 * (gi / (Math.abs(gi) + 1e-8));
    }));
    got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 6)));
    opt.dispose();
    tf.dispose([p, g]);
  });
  it('does not decay 1-D parameters (biases, LayerNorm)', () => {
    const b = tf.variable(tf.tensor1d([1, 1]));
    const opt = new AdamW(new Map([['b', b]]), { weightDecay: 0.5 });
    opt.step({ b: tf.zeros([2]) }, 0.1);
    expect(Array.from(b.dataSync())).toEqual([1, 1]);
    opt.dispose();
  });
  it.each([[1, 5, 0.2], [10, 5, 1], [0, 5, 1]])('clip to %f of a gradient with norm %f scales by %f', (max, _n, scale) => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const { grads, norm } = clipByGlobalNorm(g, max);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(grads.a!.dataSync()[0]).toBeCloseTo(3 * scale, 5);
    tf.dispose([...Object.values(g), ...Object.values(grads), norm]);
  });
});

describe('fine-tuning data', () => {
  const tok = new ByteTokenizer();
  it('masks the prompt: only completion tokens and the final end-of-text count', () => {
    const e = encodeExample({ id: 'x', prompt: 'ab', completion: 'cd' }, tok, 64);
    expect(e.tokens).toEqual([97, 98, 99, 100, 256]);
    const b = makeBatch([e], 256);
    expect(Array.from(b.inputs)).toEqual([97, 98, 99, 100]);
    expect(Array.from(b.targets)).toEqual([98, 99, 100, 256]);
    expect(Array.from(b.lossMask)).toEqual([0, 1, 1, 1]);
    expect(b.lossTokens).toBe(3);
  });
  it('truncates the prompt from the left', () => {
    const e = encodeExample({ id: 'x', prompt: 'abcdefgh', completion: 'XY' }, tok, 6);
    expect(tok.decode(e.tokens)).toBe('fghXY');
    expect(e.completionStart).toBe(3);
  });
  it('right-pads a batch and gives padding weight 0', () => {
    const b = makeBatch([encodeExample({ id: '1', prompt: 'a', completion: 'b' }, tok, 64), encodeExample({ id: '2', prompt: 'aaaa', completion: 'bb' }, tok, 64)], 256);
    expect(b.len).toBe(6);
    expect(Array.from(b.lossMask.slice(0, 6))).toEqual([1, 1, 0, 0, 0, 0]);
    expect(b.realTokens).toBe(2 + 6);
  });
  it('epoch batches are a deterministic permutation for a seed', () => {
    const data = Array.from({ length: 37 }, (_, i) => encodeExample({ id: String(i), prompt: 'p'.repeat(i % 7), completion: String(i) }, tok, 64));
    const ids = (s: number, e: number) => epochBatches(data, 4, s, e, 256).map((b) => Array.from(b.inputs).join(','));
    expect(ids(1, 0)).toEqual(ids(1, 0));
    expect(ids(1, 0)).not.toEqual(ids(1, 1));
    expect(epochBatches(data, 4, 1, 0, 256).reduce((a, b) => a + b.size, 0)).toBe(37);
  });
  it('the masked loss ignores prompt tokens entirely', () => {
    const m = GPT2.random(SMALL, 2);
    // Replacing the prompt's targets must leave the loss bit-identical; replacing a completion target must not.
    const e = encodeExample({ id: 'x', prompt: 'Is it spam?', completion: ' ham' }, tok, 64);
    const b1 = makeBatch([e], 256);
    const b2 = makeBatch([e], 256);
    for (let t = 0; t < b2.targets.length; t++) if (b2.lossMask[t] === 0) b2.targets[t] = 7; // corrupt prompt targets only
    expect(maskedLoss(m, [b2])).toBe(maskedLoss(m, [b1]));
    const b3 = makeBatch([e], 256);
    b3.targets[b3.targets.length - 2] = 7; // corrupt a completion target
    expect(maskedLoss(m, [b3])).not.toBe(maskedLoss(m, [b1]));
    m.dispose();
  });
});

describe('memory estimate', () => {
  const o = { rank: 8, targetModules: ['c_attn'] as const, batchSize: 8, seqLen: 64 };
  it('full fine-tuning needs 4x the weights before activations; LoRA a fraction', () => {
    const full = estimateTrainingMemory(SMALL, 'full', { ...o, targetModules: ['c_attn'] });
    const lora = estimateTrainingMemory(SMALL, 'lora', { ...o, targetModules: ['c_attn'] });
    const qlora = estimateTrainingMemory(SMALL, 'qlora', { ...o, targetModules: ['c_attn'] });
    const n = countParams(SMALL);
    expect(full.weightsBytes + full.gradientBytes + full.optimizerBytes).toBe(16 * n);
    expect(lora.trainableParams).toBe(loraParamCount(SMALL, 8, ['c_attn']));
    expect(lora.trainableParams).toBe(2 * 8 * (32 + 96));
    expect(lora.gradientBytes + lora.optimizerBytes).toBe(12 * lora.trainableParams);
    expect(qlora.baseWeightBytes).toBeLessThan(lora.baseWeightBytes);
    expect(full.totalBytes).toBeGreaterThan(lora.totalBytes);
    expect(lora.totalBytes).toBeGreaterThan(qlora.totalBytes);
  });
  it('the adapter count matches injected adapters', () => {
    const m = GPT2.random(SMALL, 1);
    const a = injectLora(m, { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'], useRslora: false }, 1);
    const n = [...a.values()].reduce((s, l) => s + l.loraA.size + l.loraB.size, 0);
    expect(n).toBe(loraParamCount(SMALL, 4, ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj']));
    m.dispose();
  });
});

describe('backend registry', () => {
  it('lists the backends and rejects unknown names', async () => {
    expect(BACKENDS).toEqual(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    await expect(initBackend('metal')).rejects.toThrow(UnknownNameError);
    await expect(initBackend('metal')).rejects.toThrow(/auto, tensorflow-gpu, tensorflow, wasm, cpu/);
  });
  it('reports the backend in use', async () => {
    const b = await initBackend('wasm');
    expect(b).toMatchObject({ name: 'wasm', tfName: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });
});

