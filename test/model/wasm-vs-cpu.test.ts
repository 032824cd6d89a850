/**
 * fte replaces wasm kernels (Slice, SplitV, Unpack, Identity) and routes large batched products
 * through 2-D XNNPACK calls with its own BatchMatMul gradient: the forward pass and every gradient
 * must equal the plain CPU backend's (shapes chosen so attention takes the split path).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GPT2, initParams } from '../../src/model/gpt2.js';
import { weightedCrossEntropy } from '../../src/model/ops.js';
import { initBackend } from '../../src/train/backend.js';
import type { GPT2Config } from '../../src/model/config.js';

const CFG: GPT2Config = { vocabSize: 257, nCtx: 160, nEmbd: 64, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' };

async function run(backend: 'wasm' | 'cpu', T: number): Promise<{ logits: Float32Array; grads: Map<string, Float32Array> }> {
  await initBackend(backend);
  const m = new GPT2(CFG, initParams(CFG, 3));
  const ids = tf.tensor2d(Array.from({ length: 2 * T }, (_, i) => (i * 37) % 256), [2, T], 'int32');
  const tg = tf.tensor1d(Array.from({ length: 2 * T }, (_, i) => (i * 11 + 5) % 256), 'int32');
  const w = tf.fill([2 * T], 1 / (2 * T)) as tf.Tensor1D;
  const logits = tf.tidy(() => m.forward(ids).logits);
  const vars = [...m.params.values()];
  const names = new Map([...m.params].map(([n, v]) => [v.name, n]));
  const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(m.logitsFromHidden(m.hidden(ids).hidden), tg, w), vars);
  const out = { logits: logits.dataSync() as Float32Array, grads: new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array])) };
  tf.dispose([logits, value, ids, tg, w, ...Object.values(grads)]);
  m.dispose();
  return out;
}

describe('wasm kernels and fast matmul match the CPU backend', () => {
  it.each([[150], [40]])('forward logits and all gradients at T=%i', async (T) => {
    const a = await run('wasm', T);
    const b = await run('cpu', T);
    let maxL = 0;
    for (let i = 0; i < a.logits.length; i++) maxL = Math.max(maxL, Math.abs(a.logits[i]! - b.logits[i]!));
    expect(maxL).toBeLessThan(1e-4);
    for (const [name, g] of b.grads) {
      const ga = a.grads.get(name)!;
      let scale = 1e-8;
      let maxD = 0;
      for (let i = 0; i < g.length; i++) {
        scale = Math.max(scale, Math.abs(g[i]!));
        maxD = Math.max(maxD, Math.abs(ga[i]! - g[i]!));
      }
      expect(maxD / scale, name).toBeLessThan(1e-3);
    }
  });
});
