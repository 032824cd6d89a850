import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { frozenLinear, loraBranch } from '../../src/model/ops.js';
import { Rng } from '../../src/random.js';
import { maxAbsDiff, useWasm } from './helpers.js';

const t2 = (rows: number, cols: number, seed: number, std = 1) => tf.tensor2d(new Rng(seed).normals(rows * cols, std), [rows, cols]);

describe('custom-gradient linear ops (same values and gradients as the plain tfjs ops)', () => {
  beforeAll(useWasm);

  it('frozenLinear: x W + b, gradient for x only', () => {
    const [x, w, dy] = [t2(5, 7, 1), t2(7, 3, 2), t2(5, 3, 3)];
    const b = tf.tensor1d([0.1, -0.2, 0.3]);
    const plain = (xi: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xi, w), b), dy));
    const ours = (xi: tf.Tensor) => tf.sum(tf.mul(frozenLinear(xi as tf.Tensor2D, w, b), dy));
    expect(maxAbsDiff(frozenLinear(x, w, b), tf.add(tf.matMul(x, w), b))).toBe(0);
    expect(maxAbsDiff(tf.grad(ours)(x), tf.grad(plain)(x))).toBeLessThan(1e-5);
  });

  it.each([0, 0.3])('loraBranch (dropout %f): value and the gradients of x, A and B equal tfjs autodiff of the plain formula', (rate) => {
    const [x, a, b, dy] = [t2(6, 8, 4), t2(2, 8, 5, 0.3), t2(4, 2, 6, 0.3), t2(6, 4, 7)];
    const seed = 1234;
    const scaling = 2;
    const plain = (xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) => {
      const h = rate > 0 ? tf.dropout(xi, rate, undefined, seed) : xi;
      return tf.mul(tf.matMul(tf.matMul(h, ai, false, true), bi, false, true), scaling);
    };
    const ours = (xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) => loraBranch(xi as tf.Tensor2D, ai as tf.Tensor2D, bi as tf.Tensor2D, scaling, rate, seed);
    expect(maxAbsDiff(ours(x, a, b), plain(x, a, b))).toBeLessThan(1e-6);
    const gp = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(plain(xi, ai, bi), dy)))([x, a, b]);
    const go = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ours(xi, ai, bi), dy)))([x, a, b]);
    go.forEach((g, i) => expect(maxAbsDiff(g, gp[i]!), ['x', 'A', 'B'][i]).toBeLessThan(1e-5));
  });
});
