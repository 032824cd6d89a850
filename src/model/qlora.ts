/**
 * QLoRA (Dettmers et al. 2023): the frozen base's linear weights are stored as 4-bit NF4
 * (src/model/nf4.ts: blocks of 64, one absmax per block, optional double quantization) and
 * dequantized on the fly in every forward pass; LoRA adapters (src/model/lora.ts) train in float32
 * on top. As in the paper and bitsandbytes, all linear layers of the blocks are quantized;
 * embeddings and LayerNorms stay in float32.
 *
 * Memory note: tfjs has no uint8 dtype, so the packed bytes are held in an int32 tensor on the
 * device (4 bytes per 2 weights); `baseWeightBytes` reports the NF4 storage format (0.5 byte per
 * weight + scales), which is what a CUDA kernel would hold.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModel, type LinearModule, DenseLinear } from './model.js';
import { matMul } from './matmul.js';
import { DQ_BLOCKSIZE, NF4_BLOCKSIZE, NF4_CODE, type Nf4Tensor, dequantizeNf4, nf4Bytes, quantizeNf4, unpackCodes } from './nf4.js';

/** A frozen linear layer whose weight [in, out] is NF4; y = x dequant(W) (+ b). */
export class Nf4Linear implements LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /**
   * int32 [n/2] of byte values 0-255 (n = numel padded to whole blocks), still two 4-bit codes per
   * byte but in a device-friendly order: byte j holds code j (high nibble) and code j + n/2 (low),
   * so unpacking is a concat of halves, not an interleave (WASM's Pack: 12 ms vs Concat: 0.5 ms).
   */
  private packed: tf.Tensor1D;
  private scales: tf.Tensor2D | null = null; // [nBlocks, 1] fp32 (no double quantization)
  private dq: { q: tf.Tensor1D; scale: tf.Tensor1D; mean: number } | null = null;
  private codebook: tf.Tensor2D; // [16, 1]
  readonly bytes: number;

  constructor(
    readonly q: Nf4Tensor,
    readonly bias: tf.Tensor1D | null,
  ) {
    [this.inFeatures, this.outFeatures] = q.shape as [number, number];
    const codes = unpackCodes(q);
    const half = codes.length / 2;
    this.packed = tf.tensor1d(Int32Array.from({ length: half }, (_, j) => (codes[j]! << 4) | codes[j + half]!), 'int32');
    this.codebook = tf.tensor2d(NF4_CODE, [16, 1]);
    if (q.absmax) this.scales = tf.tensor2d(q.absmax, [q.absmax.length, 1]);
    else this.dq = { q: tf.tensor1d(Int32Array.from(q.dq!.q), 'int32'), scale: tf.tensor1d(q.dq!.scale), mean: q.dq!.mean };
    this.bytes = nf4Bytes(q) + (bias ? bias.size * 4 : 0);
  }

  /**
   * Dequantize in tfjs: unpack nibbles, look up the code values (a one-hot [n, 16] times the
   * codebook [16, 1]: WASM's GatherV2 is 2.5x slower), scale per block. -> [in, out].
   */
  dequantize(): tf.Tensor2D {
    return tf.tidy(() => {
      const sixteen = tf.scalar(16, 'int32');
      const hi = tf.floorDiv(this.packed, sixteen);
      const lo = tf.mod(this.packed, sixteen);
      const codes = tf.concat([hi, lo], 0) as tf.Tensor1D; // [nBlocks * 64]
      const nBlocks = codes.shape[0] / NF4_BLOCKSIZE;
      let scales = this.scales;
      if (!scales) {
        const { q, scale, mean } = this.dq!;
        const per = tf.reshape(tf.tile(tf.reshape(scale, [-1, 1]), [1, DQ_BLOCKSIZE]), [-1]); // [nb2 * 256]
        scales = tf.reshape(tf.add(tf.mul(tf.cast(q, 'float32'), tf.slice(per, 0, nBlocks)), mean), [nBlocks, 1]) as tf.Tensor2D;
      }
      const vals = tf.mul(tf.reshape(matMul(tf.oneHot(codes, 16), this.codebook), [nBlocks, NF4_BLOCKSIZE]), scales);
      return tf.reshape(tf.slice(tf.reshape(vals, [-1]), 0, this.q.numel), [this.inFeatures, this.outFeatures]) as tf.Tensor2D;
    });
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const y = matMul(x, this.dequantize()) as tf.Tensor2D;
    return this.bias ? (tf.add(y, this.bias) as tf.Tensor2D) : y;
  }

  dispose(): void {
    tf.dispose([this.packed, this.codebook]);
    if (this.bias) this.bias.dispose();
    if (this.scales) this.scales.dispose();
    if (this.dq) tf.dispose([this.dq.q, this.dq.scale]);
  }
}

/**
 * Replace every dense linear of `model` by an NF4 one (in place): the fp32 weight variables are
 * disposed and removed from `model.params`. Returns the stored bytes of the quantized linears.
 */
export async function quantizeModelNf4(model: LanguageModel, doubleQuant = false): Promise<{ quantizedBytes: number; quantizedParams: number }> {
  let bytes = 0;
  let params = 0;
  for (const [k, lin] of model.linears) {
    if (!(lin instanceof DenseLinear)) continue;
    const w = (await lin.weight.data()) as Float32Array;
    const q = quantizeNf4(w, lin.weight.shape, doubleQuant);
    const nf = new Nf4Linear(q, lin.bias ? (tf.clone(lin.bias) as tf.Tensor1D) : null);
    bytes += nf.bytes;
    params += w.length + (lin.bias?.size ?? 0);
    lin.weight.dispose();
    lin.bias?.dispose();
    model.params.delete(k + '.weight');
    model.params.delete(k + '.bias');
    model.linears.set(k, nf);
  }
  return { quantizedBytes: bytes, quantizedParams: params };
}

/**
 * Turn NF4 linears back into dense fp32 ones holding the dequantized weights (same values the
 * forward pass uses), e.g. to merge QLoRA adapters for fast inference. In place.
 */
export function dequantizeModel(model: LanguageModel): void {
  for (const [k, lin] of model.linears) {
    const base = (lin as { base?: LinearModule }).base ?? lin;
    if (!(base instanceof Nf4Linear)) continue;
    const w = tf.tidy(() => tf.variable(tf.tensor2d(dequantizeNf4(base.q), base.q.shape as [number, number]), true));
    const b = base.bias ? tf.tidy(() => tf.variable(tf.clone(base.bias!), true)) : null;
    const dense = new DenseLinear(w, b);
    model.params.set(k + '.weight', w);
    if (b) model.params.set(k + '.bias', b);
    base.dispose();
    if ((lin as { base?: LinearModule }).base) (lin as unknown as { base: LinearModule }).base = dense;
    else model.linears.set(k, dense);
  }
}
