/**
 * QLoRA (Dettmers et al. 2023): the frozen base's linear weights are stored as 4-bit NF4
 * (src/model/nf4.ts: blocks of 64, one absmax per block, optional double quantization) and
 * dequantized on the fly, one layer at a time; LoRA adapters (src/model/lora.ts) train in float32
 * on top. As in the paper and bitsandbytes, all linear layers of the blocks are quantized;
 * embeddings and LayerNorms stay in float32.
 *
 * Memory, as measured (test/train/memory-meter.test.ts): each quantized linear holds on the device
 * only its packed codes (bitsandbytes' byte stream, two 4-bit codes per byte, in an int32 tensor
 * because tfjs has no uint8 dtype: 0.5 byte per weight) and its block scales (fp32 per block of 64,
 * or with double quantization int8 per block, packed four per int32, + fp32 per 256 blocks); no
 * JS-side copy is kept. The forward pass is one custom-gradient op per linear: it dequantizes the
 * weight with the `FteNf4Dequantize` kernel (one pass over the codes, no one-hot or other
 * intermediates), multiplies, and frees the weight; for the backward pass it saves nothing (the
 * codes are already resident) and recomputes the (transposed) weight to get dx = dy W^T. The frozen
 * base needs no weight gradient. So a training step holds at most one dequantized layer at a time.
 *
 * The kernel is JavaScript on every backend: on wasm it reads and writes the WebAssembly heap
 * directly; on cpu it reads the backend's arrays; on other backends (tensorflow) it reads the codes
 * back to the host (`readSync`) and uploads the weight, which is correct but costs a transfer.
 *
 * Block layout vs bitsandbytes: fte quantizes GPT-2's Conv1D weight as stored, [in, out] row-major,
 * so a block of 64 runs along `out` within one input row. bitsandbytes (through transformers'
 * Linear4bit replacement) quantizes the weight of an `nn.Linear`, [out, in], i.e. the transpose of
 * GPT-2's Conv1D layout, so its blocks run along `in`. The codes (nf4.ts, bit-exact with
 * bitsandbytes for the same input order) and the error per block are the same kind; the blocks group
 * different weights, so the two quantized models are not element-for-element identical.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type GPT2, type LinearModule, DenseLinear } from './gpt2.js';
import { matMul } from './matmul.js';
import { DQ_BLOCKSIZE, NF4_BLOCKSIZE, NF4_CODE, type Nf4Tensor, quantizeNf4 } from './nf4.js';

type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function custom(f: (...args: any[]) => { value: tf.Tensor; gradFunc: GradFn }): (...xs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;
}

/** Name of the dequantization kernel registered for the cpu, wasm and tensorflow backends. */
export const NF4_DEQUANTIZE_KERNEL = 'FteNf4Dequantize';

/** Bytes `b` rounded up to whole int32 words, as an Int32Array over a zero-padded copy. */
function asWords(bytes: Uint8Array | Int8Array): Int32Array {
  const out = new Int32Array(Math.ceil(bytes.byteLength / 4));
  new Uint8Array(out.buffer).set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return out;
}

/** The byte view of an int32 array (the packed codes or int8 scales). */
function bytesOf(a: Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Per-block scales as float32: absmax as stored, or under double quantization q * scale[b / 256] +
 * mean, computed as `blockScales` (nf4.ts) computes them (float64, rounded once to float32).
 */
function decodeScales(nBlocks: number, absmax: Float32Array | null, absq: Int8Array | null, dqScale: Float32Array | null, mean: number): Float32Array {
  if (absmax) return absmax;
  const s = new Float32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) s[b] = absq![b]! * dqScale![Math.floor(b / DQ_BLOCKSIZE)]! + mean;
  return s;
}

/**
 * Dequantize packed NF4 codes into `out` (float32, rows * cols): value i = NF4_CODE[code i] *
 * scale[i / 64], the same float64 product rounded to float32 as `dequantizeNf4` (nf4.ts), so the
 * results are bit-identical. `transpose` writes W^T ([cols, rows]) instead of W ([rows, cols]).
 */
export function dequantizePackedInto(out: Float32Array, codes: Uint8Array, scales: Float32Array, rows: number, cols: number, transpose: boolean): void {
  const numel = rows * cols;
  const table = new Float32Array(16);
  for (let b = 0, start = 0; start < numel; b++, start += NF4_BLOCKSIZE) {
    const s = scales[b]!;
    for (let c = 0; c < 16; c++) table[c] = NF4_CODE[c]! * s;
    const end = Math.min(numel, start + NF4_BLOCKSIZE);
    if (!transpose) {
      for (let i = start; i < end; i++) {
        const byte = codes[i >> 1]!;
        out[i] = table[i & 1 ? byte & 15 : byte >> 4]!;
      }
    } else {
      let r = Math.floor(start / cols);
      let c = start - r * cols;
      for (let i = start; i < end; i++) {
        const byte = codes[i >> 1]!;
        out[c * rows + r] = table[i & 1 ? byte & 15 : byte >> 4]!;
        if (++c === cols) {
          c = 0;
          r++;
        }
      }
    }
  }
}

interface Info { dataId: object; shape: number[]; dtype: tf.DataType }
interface DequantAttrs { rows: number; cols: number; transpose: boolean; mean: number; nBlocks: number }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBackend = any;

/**
 * The kernel: inputs `codes` (int32 words holding the packed code bytes) and either `absmax`
 * (float32 [nBlocks]) or `absq` (int32 words holding int8 [nBlocks]) + `dqScale` (float32
 * [ceil(nBlocks / 256)]); attrs rows, cols, transpose, mean, nBlocks. Output float32 [rows, cols]
 * (or [cols, rows] transposed).
 */
function dequantizeKernel({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: AnyBackend; attrs: DequantAttrs }): Info {
  const { rows, cols, transpose, mean, nBlocks } = attrs;
  const shape = transpose ? [cols, rows] : [rows, cols];
  const wasm = typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function';
  if (wasm) {
    const out = backend.makeOutput(shape, 'float32') as Info;
    // Views after makeOutput: growing the heap detaches older views.
    const view = (i: Info) => backend.typedArrayFromHeap(i) as Int32Array | Float32Array;
    const codes = bytesOf(view(inputs.codes!) as Int32Array);
    const absqWords = inputs.absq ? (view(inputs.absq) as Int32Array) : null;
    const absq = absqWords ? new Int8Array(absqWords.buffer, absqWords.byteOffset, nBlocks) : null;
    const scales = decodeScales(nBlocks, inputs.absmax ? (view(inputs.absmax) as Float32Array) : null, absq, inputs.dqScale ? (view(inputs.dqScale) as Float32Array) : null, mean);
    dequantizePackedInto(view(out) as Float32Array, codes, scales, rows, cols, transpose);
    return out;
  }
  const read = (i: Info) => backend.readSync(i.dataId) as Int32Array | Float32Array;
  const codes = bytesOf(read(inputs.codes!) as Int32Array);
  const absqWords = inputs.absq ? (read(inputs.absq) as Int32Array) : null;
  const absq = absqWords ? new Int8Array(absqWords.buffer, absqWords.byteOffset, nBlocks) : null;
  const scales = decodeScales(nBlocks, inputs.absmax ? (read(inputs.absmax) as Float32Array) : null, absq, inputs.dqScale ? (read(inputs.dqScale) as Float32Array) : null, mean);
  const values = new Float32Array(rows * cols);
  dequantizePackedInto(values, codes, scales, rows, cols, transpose);
  return backend.makeTensorInfo(shape, 'float32', values) as Info;
}

for (const backendName of ['cpu', 'wasm', 'tensorflow']) {
  if (!tf.getKernel(NF4_DEQUANTIZE_KERNEL, backendName)) {
    tf.registerKernel({ kernelName: NF4_DEQUANTIZE_KERNEL, backendName, kernelFunc: dequantizeKernel as unknown as tf.KernelFunc });
  }
}

/** A frozen linear layer whose weight [in, out] is NF4; y = x dequant(W) + b. */
export class Nf4Linear implements LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Weights (before padding to whole blocks). */
  readonly numel: number;
  readonly doubleQuant: boolean;
  /** int32 words over bitsandbytes' packed code bytes (two 4-bit codes per byte, first in the high nibble). */
  private codes: tf.Tensor1D;
  /** fp32 [nBlocks] (no double quantization). */
  private absmax: tf.Tensor1D | null = null;
  /** Double quantization: int8 [nBlocks] in int32 words, fp32 per 256 blocks, the subtracted mean. */
  private dq: { absq: tf.Tensor1D; scale: tf.Tensor1D; mean: number } | null = null;
  private readonly nBlocks: number;
  /** Bytes held on the device: codes + scales + bias. */
  readonly bytes: number;

  constructor(
    q: Nf4Tensor,
    readonly bias: tf.Tensor1D,
  ) {
    [this.inFeatures, this.outFeatures] = q.shape as [number, number];
    this.numel = q.numel;
    this.nBlocks = Math.ceil(q.numel / NF4_BLOCKSIZE);
    this.doubleQuant = !q.absmax;
    this.codes = tf.tensor1d(asWords(q.codes), 'int32');
    if (q.absmax) this.absmax = tf.tensor1d(q.absmax);
    else this.dq = { absq: tf.tensor1d(asWords(q.dq!.q), 'int32'), scale: tf.tensor1d(q.dq!.scale), mean: q.dq!.mean };
    const scaleBytes = this.absmax ? this.absmax.size * 4 : this.dq!.absq.size * 4 + this.dq!.scale.size * 4;
    this.bytes = this.codes.size * 4 + scaleBytes + bias.size * 4;
  }

  /** The dequantized weight, [in, out] (or [out, in] with `transpose`): one kernel, no intermediates. */
  dequantize(transpose = false): tf.Tensor2D {
    const inputs: Record<string, tf.Tensor> = { codes: this.codes };
    if (this.absmax) inputs.absmax = this.absmax;
    else Object.assign(inputs, { absq: this.dq!.absq, dqScale: this.dq!.scale });
    const attrs = { rows: this.inFeatures, cols: this.outFeatures, transpose, mean: this.dq?.mean ?? 0, nBlocks: this.nBlocks };
    return tf.engine().runKernel(NF4_DEQUANTIZE_KERNEL, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  }

  /**
   * x [N, in] -> x W + b [N, out], as one custom-gradient op: the weight lives only while the op
   * runs; the gradient dx = dy W^T recomputes W^T from the codes. No gradient for W or b (frozen).
   */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const f = custom((xi: tf.Tensor) => {
      const w = this.dequantize();
      const y = tf.add(matMul(xi, w), this.bias);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor) => [
          tf.tidy(() => {
            const wt = this.dequantize(true); // [out, in]
            return matMul(dy, wt);
          }),
        ],
      };
    });
    return f(x) as tf.Tensor2D;
  }

  /** The stored NF4 form, read back from the device (codes and scales; a copy). */
  toNf4(): Nf4Tensor {
    const codeBytes = Math.ceil((this.nBlocks * NF4_BLOCKSIZE) / 2);
    const codes = bytesOf(this.codes.dataSync() as Int32Array).slice(0, codeBytes);
    const base = { shape: [this.inFeatures, this.outFeatures], numel: this.numel, codes };
    if (this.absmax) return { ...base, absmax: (this.absmax.dataSync() as Float32Array).slice() };
    const q = new Int8Array(bytesOf(this.dq!.absq.dataSync() as Int32Array).buffer.slice(0, this.nBlocks));
    return { ...base, dq: { q, scale: (this.dq!.scale.dataSync() as Float32Array).slice(), mean: this.dq!.mean } };
  }

  dispose(): void {
    tf.dispose([this.codes, this.bias]);
    if (this.absmax) this.absmax.dispose();
    if (this.dq) tf.dispose([this.dq.absq, this.dq.scale]);
  }
}

/**
 * Replace every dense linear of `model` by an NF4 one (in place): the fp32 weight variables are
 * disposed and removed from `model.params`. Returns the stored bytes of the quantized linears.
 */
export async function quantizeModelNf4(model: GPT2, doubleQuant = false): Promise<{ quantizedBytes: number; quantizedParams: number }> {
  let bytes = 0;
  let params = 0;
  for (const [k, lin] of model.linears) {
    if (!(lin instanceof DenseLinear)) continue;
    const w = (await lin.weight.data()) as Float32Array;
    const q = quantizeNf4(w, lin.weight.shape, doubleQuant);
    const nf = new Nf4Linear(q, tf.clone(lin.bias) as tf.Tensor1D);
    bytes += nf.bytes;
    params += w.length + lin.bias.size;
    lin.weight.dispose();
    lin.bias.dispose();
    model.params.delete(k + '.weight');
    model.params.delete(k + '.bias');
    model.linears.set(k, nf);
  }
  return { quantizedBytes: bytes, quantizedParams: params };
}

/**
 * Turn NF4 linears back into dense fp32 ones holding the dequantized weights (same values the
 * forward pass uses, bit-identical to `dequantizeNf4`), e.g. to merge QLoRA adapters for fast
 * inference. In place.
 */
export function dequantizeModel(model: GPT2): void {
  for (const [k, lin] of model.linears) {
    const base = (lin as { base?: LinearModule }).base ?? lin;
    if (!(base instanceof Nf4Linear)) continue;
    const w = tf.tidy(() => tf.variable(base.dequantize(), true));
    const b = tf.tidy(() => tf.variable(tf.clone(base.bias), true));
    const dense = new DenseLinear(w, b);
    model.params.set(k + '.weight', w);
    model.params.set(k + '.bias', b);
    base.dispose();
    if ((lin as { base?: LinearModule }).base) (lin as unknown as { base: LinearModule }).base = dense;
    else model.linears.set(k, dense);
  }
}
