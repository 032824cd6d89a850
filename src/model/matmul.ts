/**
 * Matrix multiplication that stays on the WASM backend's fast path.
 *
 * Measured on this project's machines (tfjs-backend-wasm 4.22, 1 thread): a plain 2-D matmul
 * without transpose flags runs through XNNPACK at ~8-10 GMAC/s, while the same product with
 * `transposeA`/`transposeB` set, or any batched (rank > 2, batch > 1) product, falls back to a naive
 * loop at ~0.5-0.8 GMAC/s: 10-20x slower. tfjs's default BatchMatMul gradient uses the transpose
 * flags, so backward passes were 6x slower than forward ones.
 *
 * `matMul` here therefore (on wasm) transposes explicitly (a cheap copy) and splits a batched
 * product into 2-D products; and the BatchMatMul gradient is re-registered to do the same
 * (dA = dY B^T, dB = A^T dY, as the default, just computed on the fast path). On other backends it
 * is plain `tf.matMul`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';

/** Per-product multiply-adds below which a batched product stays on the native batched kernel. */
const SPLIT_MIN_MACS = 300_000;

function onWasm(): boolean {
  return tf.getBackend() === 'wasm';
}

/** Swap the last two axes. */
function t2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return tf.transpose(x, perm);
}

/**
 * a [..., M, K] (or [..., K, M] with transposeA) times b [..., K, N] (or [..., N, K] with transposeB)
 * -> [..., M, N]. Batch dims of a and b must be equal, or b may be 2-D (shared weight).
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!onWasm()) return tf.matMul(a, b, transposeA, transposeB);
  if (a.rank > 2 && b.rank > 2) {
    // Small batched products (decoding: one query row per sequence) are faster on the native batched
    // loop than as many XNNPACK calls; measured crossover ~0.3 M multiply-adds per product.
    const m = a.shape[transposeA ? a.rank - 1 : a.rank - 2]!;
    const k = a.shape[transposeA ? a.rank - 2 : a.rank - 1]!;
    const n = b.shape[transposeB ? b.rank - 2 : b.rank - 1]!;
    if (m * k * n < SPLIT_MIN_MACS) return tf.matMul(a, b, transposeA, transposeB);
  }
  const A = transposeA ? t2(a) : a;
  const B = transposeB ? t2(b) : b;
  if (A.rank === 2 && B.rank === 2) return tf.matMul(A, B);
  const M = A.shape[A.rank - 2]!;
  const K = A.shape[A.rank - 1]!;
  const N = B.shape[B.rank - 1]!;
  const batchShape = A.shape.slice(0, -2);
  if (B.rank === 2) {
    // shared weight: fold the batch into rows.
    return tf.reshape(tf.matMul(tf.reshape(A, [-1, K]), B), [...batchShape, M, N]);
  }
  const batch = batchShape.reduce((x, y) => x * y, 1);
  if (B.shape.slice(0, -2).reduce((x, y) => x * y, 1) !== batch) throw new Error(`matMul: batch dims of [${a.shape}] and [${b.shape}] differ`);
  if (batch === 1) return tf.reshape(tf.matMul(tf.reshape(A, [M, K]), tf.reshape(B, [K, N])), [...batchShape, M, N]);
  const as = tf.unstack(tf.reshape(A, [batch, M, K]));
  const bs = tf.unstack(tf.reshape(B, [batch, K, N]));
  const outs = as.map((ai, i) => tf.matMul(ai, bs[i]!));
  return tf.reshape(tf.concat(outs, 0), [...batchShape, M, N]); // concat of [M, N] rows == stack
}

/** Sum a gradient over broadcast batch dims so it matches `shape` (for a 2-D operand of a batched product). */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.rank === shape.length) return g;
  return tf.reshape(tf.sum(tf.reshape(g, [-1, ...shape]), 0), shape);
}

// Re-register BatchMatMul's gradient on the fast path (same math as tfjs-core's default).
tf.registerGradient({
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: unknown) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) {
      return { a: () => reduceTo(matMul(g, b, false, true), a.shape), b: () => reduceTo(matMul(a, g, true, false), b.shape) };
    } else if (!transposeA && transposeB) {
      return { a: () => reduceTo(matMul(g, b, false, false), a.shape), b: () => reduceTo(matMul(g, a, true, false), b.shape) };
    } else if (transposeA && !transposeB) {
      return { a: () => reduceTo(matMul(b, g, false, true), a.shape), b: () => reduceTo(matMul(a, g, false, false), b.shape) };
    }
    return { a: () => reduceTo(matMul(b, g, true, true), a.shape), b: () => reduceTo(matMul(g, a, true, true), b.shape) };
  },
});
