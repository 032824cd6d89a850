/**
 * Fused building blocks with hand-written gradients (tf.customGrad). They cut the op count per step
 * (fewer kernels launched, fewer intermediate tensors) and, above all, keep every forward AND backward
 * kernel on the set the WASM backend implements: tf.gather's gradient needs UnsortedSegmentSum, which
 * WASM lacks, so `embeddingLookup` gathers forward and scatters backward as a one-hot matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradient functions of the core kernels are registered separately from the ops.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { matMul } from './matmul.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
/** tf.customGrad with loose typing (its declared signature takes a rest array of Tensor | GradSaveFunc). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function custom(f: (...args: any[]) => { value: tf.Tensor; gradFunc: GradFn }): (...xs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;
}

/**
 * GELU, tanh approximation as GPT-2 (`gelu_new`, Hendrycks & Gimpel 2016):
 * y = 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3).
 * Computed through the identity 0.5 (1 + tanh(z)) = sigmoid(2 z), so y = x s with s = sigmoid(2 z):
 * the same function, but WASM's Sigmoid is vectorised (XNNPACK, ~7 ms for 0.8 M values here) while
 * its Tanh is a scalar libm loop (~55 ms).
 * dy/dx = s + x s (1 - s) 2 dz/dx,  dz/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).  Any shape.
 */
export const gelu = custom((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(x2, 0.044715), 1)), 2 * SQRT_2_OVER_PI));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    // Inside tf.tidy: a custom gradient's intermediates are otherwise kept until the whole backward pass ends.
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [sx, sx2, ss] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dz = tf.add(tf.mul(sx2, 3 * 0.044715 * 2 * SQRT_2_OVER_PI), 2 * SQRT_2_OVER_PI); // d(2z)/dx
        const ds = tf.mul(tf.mul(ss, tf.sub(1, ss)), tf.mul(sx, dz)); // x s (1 - s) d(2z)/dx
        return [tf.mul(dy, tf.add(ss, ds))];
      }),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * Column sums of m [N, d] -> [d]. On wasm as ones [1, N] times m (XNNPACK: ~0.16 ms for [2048, 160]),
 * since its Sum over axis 0 transposes first (~8.5 ms, measured 2026-12-02); elsewhere tf.sum.
 */
function columnSum(m: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() !== 'wasm') return tf.sum(m, 0);
  return tf.reshape(matMul(tf.ones([1, m.shape[0]]), m), [m.shape[1]]) as tf.Tensor1D;
}

/**
 * LayerNorm over the last axis (Ba et al. 2016): y = (x - mean) / sqrt(var + eps) * gamma + beta.
 * x [N, d], gamma/beta [d] -> [N, d]. Backward (standard closed form):
 * dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * gamma.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  // A frozen gamma/beta (LoRA, QLoRA) gets a zero gradient without computing it.
  const frozen = (gamma as Partial<tf.Variable>).trainable === false && (beta as Partial<tf.Variable>).trainable === false;
  const f = custom((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const mean = tf.mean(xi, -1, true);
    const xc = tf.sub(xi, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sxhat, srstd, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
          const dxhat = tf.mul(dy, sg);
          const m1 = tf.mean(dxhat, -1, true);
          const m2 = tf.mean(tf.mul(dxhat, sxhat), -1, true);
          const dx = tf.mul(tf.sub(tf.sub(dxhat, m1), tf.mul(sxhat, m2)), srstd);
          if (frozen) return [dx, tf.zerosLike(sg), tf.zerosLike(sg)];
          return [dx, columnSum(tf.mul(dy, sxhat) as tf.Tensor2D), columnSum(dy as tf.Tensor2D)];
        }),
    };
  });
  return f(x, gamma, beta) as tf.Tensor2D;
}

/**
 * Embedding lookup: table [V, d], ids int32 [N] -> [N, d]. Forward is a gather; the gradient for the
 * table is oneHot(ids, V)^T @ dy ([V, N] @ [N, d]), so no UnsortedSegmentSum kernel is needed.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const V = table.shape[0];
  const f = custom((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ids]);
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [matMul(tf.oneHot(saved[0] as tf.Tensor1D, V), dy, true, false)],
    };
  });
  return f(table) as tf.Tensor2D;
}

/** Per-token NLL is clamped at -ln(1e-30) = 69 nats (a probability that underflows float32 softmax). */
const MIN_PROB = 1e-30;

/**
 * Weighted token cross-entropy: logits [N, V], targets int32 [N], weights float [N]
 * (mask / normaliser) -> scalar sum_i w_i * -log softmax(l_i)[t_i].
 * Gradient: (softmax(l_i) - onehot(t_i)) * w_i (the standard softmax cross-entropy derivative).
 * A weight of 0 (prompt or padding token) contributes exactly nothing to value or gradient.
 * Uses the fused Softmax kernel (XNNPACK on WASM) rather than exp/log over [N, V], which are scalar
 * loops there; the per-token NLL is clamped at 69 nats (p < 1e-30), far above any real loss.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[1];
  const f = custom((l: tf.Tensor, save: tf.GradSaveFunc) => {
    const oh = tf.oneHot(targets, V);
    const p = tf.softmax(l);
    const pt = tf.maximum(tf.sum(tf.mul(p, oh), -1), MIN_PROB); // [N]
    save([p, oh]);
    return {
      value: tf.neg(tf.sum(tf.mul(tf.log(pt), weights))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sp, so] = saved as [tf.Tensor, tf.Tensor];
        return [tf.mul(tf.mul(tf.sub(sp, so), tf.expandDims(weights, 1)), dy)];
      },
    };
  });
  return f(logits) as tf.Scalar;
}

/** Per-token negative log-likelihood in nats: logits [N, V], targets int32 [N] -> [N]. No gradient. */
export function tokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.log(tf.maximum(tf.sum(tf.mul(tf.softmax(logits), tf.oneHot(targets, logits.shape[1])), -1), MIN_PROB))) as tf.Tensor1D);
}

/**
 * A frozen linear layer, x [N, in] W [in, out] + b [out] -> [N, out], as one custom-gradient op whose
 * gradient is dx = dy W^T only. Same values as `tf.add(matMul(x, W), b)`, but the tape keeps nothing
 * alive for it: tfjs's own matmul saves x for a weight gradient a frozen W never needs, so every
 * input of every frozen linear (the MLP's [N, 4d] activations included) stayed in memory until the
 * backward pass ended. W and b get no gradient (use the plain ops for trainable weights).
 */
export function frozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const f = custom((xi: tf.Tensor) => ({
    value: tf.add(matMul(xi, w), b),
    gradFunc: (dy: tf.Tensor) => [tf.tidy(() => matMul(dy, w, false, true))],
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * LoRA's adapter branch as one custom-gradient op (Hu et al. 2021; PEFT's order):
 *   h = dropout(x) (training, rate > 0: tf.dropout with `seed`, inverted), low = h A^T [N, r],
 *   y = scaling * low B^T [N, out];  x [N, in], A [r, in], B [out, r].
 * Gradients (dy [N, out], dyS = scaling * dy): dB = dyS^T low, dlow = dyS B, dA = dlow^T h,
 * dx = (dlow A) * mask / (1 - rate). Saved for the backward pass: x and low [N, r] only; the dropout
 * mask is recomputed from its seed (tf.dropout is deterministic for a seed), instead of tfjs keeping
 * the uniform draws, the mask, h, the [N, out] products and their scaled copies of every adapter.
 */
export function loraBranch(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: number, rate: number, seed: number): tf.Tensor2D {
  const drop = rate > 0;
  const f = custom((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const h = drop ? tf.dropout(xi, rate, undefined, seed) : xi;
    const low = matMul(h, ai, false, true); // [N, r]
    save([xi, low, ai, bi]);
    return {
      value: tf.mul(matMul(low, bi, false, true), scaling), // [N, out]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, slow, sa, sb] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const dyS = tf.mul(dy, scaling);
          // dB = dyS^T low, computed as (low^T dyS)^T: on wasm matMul transposes an operand
          // explicitly, and [N, r] is far cheaper to transpose than [N, out].
          const dB = tf.transpose(matMul(slow, dyS, true, false)); // [out, r]
          const dlow = matMul(dyS, sb); // [N, r]
          const hh = drop ? tf.dropout(sx, rate, undefined, seed) : sx;
          const dA = matMul(dlow, hh, true, false); // [r, in]
          const dh = matMul(dlow, sa); // [N, in]
          const dx = drop ? tf.mul(dh, tf.dropout(tf.onesLike(sx), rate, undefined, seed)) : dh;
          return [dx, dA, dB];
        }),
    };
  });
  return f(x, a, b) as tf.Tensor2D;
}
