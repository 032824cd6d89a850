import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NF4_CODE, dequantizeNf4, nearestNf4, nf4Bytes, quantizeNf4, blockScales } from '../../src/model/nf4.js';
import { Nf4Linear } from '../../src/model/qlora.js';
import { Rng } from '../../src/random.js';
import { useWasm } from './helpers.js';

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

  describe('on-the-fly dequantization in tfjs', () => {
    beforeAll(useWasm);
    it.each([false, true])('matches the JS reference (double quant %s)', (dq) => {
      const w = new Rng(9).normals(24 * 40, 0.05);
      const q = quantizeNf4(w, [24, 40], dq);
      const lin = new Nf4Linear(q, tf.zeros([40]) as tf.Tensor1D);
      const deq = lin.dequantize();
      const ref = dequantizeNf4(q);
      const got = deq.dataSync();
      // exact without double quantization; with it, the scale arithmetic rounds differently (float32 vs float64)
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(dq ? 1e-7 : 0);
      deq.dispose();
      lin.dispose();
    });
  });
});
