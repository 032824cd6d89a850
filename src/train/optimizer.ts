/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), as PyTorch's
 * `torch.optim.AdamW`:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p = p - lr * wd * p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Weight decay applies only to matrices (rank >= 2: linear weights, embeddings), not to biases or
 * LayerNorm parameters (the usual GPT practice, e.g. nanoGPT's configure_optimizers).
 * Plus global-norm gradient clipping (as torch.nn.utils.clip_grad_norm_).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  /** Completed optimizer steps. */
  t = 0;

  constructor(
    readonly params: Map<string, tf.Variable>,
    o: AdamWOptions = {},
  ) {
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    for (const [name, p] of params) {
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Bytes held by the optimizer state (m and v, float32). */
  get stateBytes(): number {
    let n = 0;
    for (const m of this.m.values()) n += m.size * 8;
    return n;
  }

  /** Apply one update with learning rate `lr`. `grads` keys are the names of `params`; they are not disposed. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const stepSize = lr / bc1;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.sqrt(tf.div(v1, bc2)), eps);
        let upd = tf.mul(tf.div(m1, denom), stepSize);
        if (this.weightDecay > 0 && p.rank >= 2) upd = tf.add(upd, tf.mul(p, lr * this.weightDecay));
        p.assign(tf.sub(p, upd));
      }
    });
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Global L2 norm of the gradients, and (when maxNorm > 0) the gradients scaled by
 * min(1, maxNorm / (norm + 1e-6)) as torch.nn.utils.clip_grad_norm_. Returns new tensors; the
 * caller disposes the inputs. `norm` is a scalar tensor.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))))) as tf.Scalar;
    if (!(maxNorm > 0)) return { grads: Object.fromEntries(names.map((n) => [n, tf.clone(grads[n]!)])), norm };
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: Object.fromEntries(names.map((n) => [n, tf.mul(grads[n]!, coef)])), norm };
  });
}
