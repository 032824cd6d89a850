import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NF4_CODE, dequantizeNf4, nearestNf4, nf4Bytes, quantizeNf4, blockScales } from '../../src/model/nf4.js';
import { Nf4Linear } from '../../src/model/qlora.js';
import { Rng } from '../../src/random.js';
import { initBackend } from '../../src/train/backend.js';
import { maxAbsDiff } from './helpers.js';

/** QLoRA paper, appendix E (NF4 data type), and bitsandbytes' table. */
const PAPER_NF4 = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** Half the largest gap between adjacent codes: the worst-case rounding error of a value in [-1, 1]. */
const HALF_MAX_GAP = Math.max(...PAPER_NF4.slice(1).map((v, i) => v - PAPER_NF4[i]!)) / 2;

describe('NF4', () => {
  it('code values equal the paper', () => {
    expect(Array.from(NF4_CODE)).toEqual(PAPER_NF4.map((v) => Math.fround(v)));
  });

  it.each([
    [-1, 0], [1, 15], [0, 7], [0.03, 7], [0.05, 8], [-0.7, 1], [0.99, 15], [-0.2, 5],
  ])('nearest code of %f is %i', (v, code) => {
    expect(nearestNf4(v)).toBe(code);
  });

  it.each([
    ['normal weights', (r: Rng) => r.normals(64 * 40 + 17, 0.02)],
    ['uniform weights', (r: Rng) => r.uniforms(64 * 8, 3)],
    ['all zeros', () => new Float32Array(130)],
  ])('round-trip error of %s stays within each block bound (absmax x half the widest code gap)', (_n, gen) => {
    const w = gen(new Rng(3));
    const q = quantizeNf4(w, [w.length]);
    const d = dequantizeNf4(q);
    const scales = blockScales(q);
    for (let i = 0; i < w.length; i++) {
      const bound = scales[Math.floor(i / 64)]! * HALF_MAX_GAP + 1e-7;
      expect(Math.abs(d[i]! - w[i]!)).toBeLessThanOrEqual(bound);
    }
    // the block's absmax element is represented exactly (code +-1)
    const i = w.reduce((best, v, j) => (Math.abs(v) > Math.abs(w[best]!) ? j : best), 0);
    if (w[i] !== 0) expect(d[i]).toBeCloseTo(w[i]!, 6);
  });

  it('double quantization stores 8-bit scales and stays close', () => {
    const w = new Rng(5).normals(64 * 512, 0.02);
    const q1 = quantizeNf4(w, [w.length], false);
    const q2 = quantizeNf4(w, [w.length], true);
    expect(nf4Bytes(q1)).toBe(w.length / 2 + 512 * 4);
    expect(nf4Bytes(q2)).toBe(w.length / 2 + 512 + 2 * 4 + 4);
    const s1 = blockScales(q1);
    const s2 = blockScales(q2);
    for (let b = 0; b < 512; b++) expect(Math.abs(s2[b]! - s1[b]!)).toBeLessThanOrEqual((Math.max(...s1) - Math.min(...s1)) / 127);
  });

  describe('on-the-fly dequantization in tfjs (the FteNf4Dequantize kernel)', () => {
    it.each([
      ['wasm', false], ['wasm', true], ['cpu', false], ['cpu', true],
    ] as const)('%s, double quant %s: bit-identical to the JS reference, transposed too; toNf4 round-trips', async (backend, dq) => {
      await initBackend(backend);
      // 24 x 43 = 1,032 weights: 17 blocks, the last one partial; 17 scales (not a multiple of 4 int8s per word).
      const w = new Rng(9).normals(24 * 43, 0.05);
      const q = quantizeNf4(w, [24, 43], dq);
      const lin = new Nf4Linear(q, tf.zeros([43]) as tf.Tensor1D);
      const ref = dequantizeNf4(q);
      const deq = lin.dequantize();
      const deqT = lin.dequantize(true);
      expect(deq.shape).toEqual([24, 43]);
      expect(deqT.shape).toEqual([43, 24]);
      expect(Array.from(deq.dataSync())).toEqual(Array.from(ref));
      const t = deqT.dataSync();
      for (let r = 0; r < 24; r++) for (let c = 0; c < 43; c++) expect(t[c * 24 + r]).toBe(ref[r * 43 + c]);
      expect(lin.toNf4()).toEqual(q);
      tf.dispose([deq, deqT]);
      lin.dispose();
    });
    it('holds 0.5 byte per weight of codes plus the scales on the device, nothing else', async () => {
      await initBackend('wasm');
      const w = new Rng(2).normals(64 * 256, 0.05);
      const before = tf.memory().numBytes;
      const lin = new Nf4Linear(quantizeNf4(w, [64, 256], true), tf.zeros([256]) as tf.Tensor1D);
      // codes 8,192 B + int8 scales 256 B (64 words) + 1 fp32 second-level scale + bias 1,024 B
      expect(lin.bytes).toBe(8192 + 256 + 4 + 1024);
      expect(tf.memory().numBytes - before).toBe(lin.bytes);
      lin.dispose();
    });
    it('gradient: dx = dy W^T with the dequantized W (custom op)', async () => {
      await initBackend('wasm');
      const q = quantizeNf4(new Rng(4).normals(8 * 12, 0.3), [8, 12], true);
      const lin = new Nf4Linear(q, tf.tensor1d(new Rng(5).normals(12, 0.1)));
      const x = tf.tensor2d(new Rng(6).normals(3 * 8, 1), [3, 8]);
      const dy = tf.tensor2d(new Rng(7).normals(3 * 12, 1), [3, 12]);
      const W = tf.tensor2d(dequantizeNf4(q), [8, 12]);
      const got = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(lin.forward(xi as tf.Tensor2D), dy)))(x);
      const want = tf.matMul(dy, W, false, true);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      const y = lin.forward(x);
      expect(maxAbsDiff(y, tf.add(tf.matMul(x, W), lin.bias))).toBeLessThan(1e-5);
      lin.dispose();
    });
  });
});
