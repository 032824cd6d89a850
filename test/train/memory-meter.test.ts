import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GPT2Config } from '../../src/model/config.js';
import { MemoryMeter, liveTensorBytes } from '../../src/train/memory-meter.js';
import { trainVariant } from '../../src/train/index.js';
import { initBackend } from '../../src/train/backend.js';
import { FOUR, params, tinyBase, tmp } from './helpers.js';

describe('MemoryMeter', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  it('counts each backend buffer once (reshape, clone share it) and frees it with its last tensor', () => {
    const before = liveTensorBytes();
    const a = tf.zeros([1000]);
    expect(liveTensorBytes() - before).toBe(4000);
    const b = tf.reshape(a, [10, 100]);
    const c = tf.clone(a);
    expect(liveTensorBytes() - before).toBe(4000);
    tf.dispose([a, b]);
    expect(liveTensorBytes() - before).toBe(4000);
    c.dispose();
    expect(liveTensorBytes() - before).toBe(0);
  });
  it('keeps the high-water mark inside a step, not a sample at its end', () => {
    const m = new MemoryMeter().start();
    expect(m.exact).toBe(true);
    const base = liveTensorBytes();
    m.beginStep();
    tf.tidy(() => {
      tf.zeros([25_000]); // 100 kB, freed when the tidy ends
      tf.ones([25_000]);
    });
    const s = m.endStep();
    expect(liveTensorBytes()).toBe(base);
    expect(s.tensorBytes - base).toBeGreaterThanOrEqual(200_000);
    expect(s.rssBytes).toBeGreaterThan(0);
    m.beginStep();
    expect(m.endStep().tensorBytes).toBe(base);
    expect(m.stop().tensorBytes - base).toBeGreaterThanOrEqual(200_000);
  });
});

/** Wide enough that the block linears (12 d^2 per layer) dominate a short batch's activations. */
const WIDE: GPT2Config = { vocabSize: 257, nCtx: 32, nEmbd: 128, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' };

describe('measured training peak', () => {
  let base: string;
  beforeAll(async () => {
    base = await tinyBase(3, WIDE);
  });
  const train = (method: 'lora' | 'qlora' | 'full', backend: 'wasm' | 'cpu') =>
    trainVariant({
      baseModelDir: base, method, params: params({ learningRate: 1e-3, epochs: 1, batchSize: 2, rank: 4, targetModules: ['c_attn', 'c_fc'] }),
      train: FOUR, val: FOUR.slice(0, 2), earlyStopping: { patience: 10, minDelta: 0 }, outDir: tmp(), backend, maxSteps: 2, onEvent: () => {},
    });
  it.each(['wasm', 'cpu'] as const)('QLoRA < LoRA < full; QLoRA saves the base weights\' fp32 -> NF4 difference (%s)', async (backend) => {
    const lora = await train('lora', backend);
    const qlora = await train('qlora', backend);
    const full = await train('full', backend);
    const linearWeights = WIDE.nLayer * 12 * WIDE.nEmbd ** 2;
    // fp32 (4 bytes) -> NF4 codes (0.5) + double-quantized scales (~0.02): ~3.5 bytes per weight saved.
    const saved = lora.peakMemoryBytes - qlora.peakMemoryBytes;
    expect(qlora.peakMemoryBytes).toBeLessThan(lora.peakMemoryBytes);
    expect(lora.peakMemoryBytes).toBeLessThan(full.peakMemoryBytes);
    expect(saved).toBeGreaterThan(0.75 * 3.5 * linearWeights);
    // in fact by the stored difference of the base weights (fp32 linears vs NF4 codes + scales), within 2%
    const stored = lora.baseWeightBytes - qlora.baseWeightBytes;
    expect(Math.abs(saved - stored) / stored).toBeLessThan(0.02);
    expect(lora.estimatedMemoryBytes).toBeGreaterThan(0);
    expect(lora.peakRssBytes).toBeGreaterThan(lora.peakMemoryBytes);
  });
});
