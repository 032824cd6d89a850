/**
 * What every decoder architecture (src/model/gpt2.ts, src/model/llama.ts) offers the rest of fte:
 * the `LanguageModel` interface (forward with a KV cache, hidden states for the loss, parameters by
 * name, linear layers by key for LoRA / QLoRA, saving), and the linear layer they share.
 *
 * Linear weights are held as `[in, out]` (y = x W + b), the layout of GPT-2's Conv1D, whatever the
 * checkpoint's layout: a Llama checkpoint's torch.nn.Linear `[out, in]` weights are transposed once
 * when loaded and back when saved. So LoRA's merge, NF4 quantization and the WASM fast matmul path
 * (no transpose flag) are the same code for every architecture.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config.js';
import { matMul } from './matmul.js';
import { frozenLinear } from './ops.js';

/** A linear map x [N, in] -> [N, out]. */
export interface LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  forward(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
  dispose?(): void;
}

/**
 * Plain linear layer: y = x W (+ b), W [in, out], b [out] or none. In a training forward a
 * non-trainable weight (LoRA/QLoRA set `trainable = false` on the frozen base) goes through ops.ts
 * `frozenLinear`, which keeps nothing alive for a weight gradient; inference uses the plain ops.
 */
export class DenseLinear implements LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(
    public weight: tf.Variable,
    public bias: tf.Variable | null = null,
  ) {
    [this.inFeatures, this.outFeatures] = weight.shape as [number, number];
  }
  forward(x: tf.Tensor2D, training = false): tf.Tensor2D {
    if (training && !this.weight.trainable) return frozenLinear(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D | null);
    const y = matMul(x, this.weight) as tf.Tensor2D;
    return this.bias ? (tf.add(y, this.bias) as tf.Tensor2D) : y;
  }
}

/**
 * Per-layer attention keys and values: keys[l], values[l] are [B, nKvHead, S, headDim] (GPT-2:
 * nKvHead = nHead) where S is the number of positions seen so far. `length` = S.
 */
export interface KVCache {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

export interface ForwardOptions {
  /** Cache from the previous call (incremental decoding); the new ids continue after `past.length`. */
  past?: KVCache;
  /**
   * [B, past.length + T], 1 = real token, 0 = padding (left or right). Padding keys get -1e9 before the
   * softmax; positions are then counted over real tokens only (cumsum(mask) - 1), as HF does for
   * left-padded batches. Without it all positions attend causally and positions are past.length + t.
   */
  attentionMask?: tf.Tensor2D;
  /** Explicit positions [B, T] (int32); overrides the ones derived from the mask. */
  positionIds?: tf.Tensor2D;
  /** Training forward: enables dropout (GPT-2: the config's attn/resid/embd_pdrop; LoRA's). Default false. */
  training?: boolean;
  /** Return `present` (the updated cache). Default true when `past` is given, else false. */
  useCache?: boolean;
}

export interface ForwardResult {
  /** [B, T, vocabSize] */
  logits: tf.Tensor3D;
  present: KVCache | null;
}

/**
 * A causal language model of any registered architecture.
 *
 * Tensor discipline: `forward` / `hidden` create tensors and do not dispose their inputs; call them
 * inside `tf.tidy` and return what you keep (logits, the KV cache).
 */
export interface LanguageModel {
  readonly config: ModelConfig;
  /** Weights by checkpoint name (linear weights in `[in, out]` layout, see the module comment). */
  readonly params: Map<string, tf.Variable>;
  /** Linear layers by module path (`h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`): where LoRA and QLoRA plug in. */
  readonly linears: Map<string, LinearModule>;
  /** Total parameter count (a tied head counted once). */
  readonly numParams: number;
  /** PEFT adapter key prefix of a linear key: `base_model.model.transformer.` (GPT-2) or `base_model.model.` (Llama). */
  readonly peftPrefix: string;
  /** PEFT's `fan_in_fan_out`: true when the checkpoint stores linear weights `[in, out]` (GPT-2's Conv1D). */
  readonly fanInFanOut: boolean;
  /** ids int32 [B, T] -> final hidden states [B*T, d] after the last norm (+ the cache). */
  hidden(ids: tf.Tensor2D, opts?: ForwardOptions): { hidden: tf.Tensor2D; present: KVCache | null };
  /** hidden [N, d] -> logits [N, vocabSize]. */
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D;
  /** ids int32 [B, T] -> logits [B, T, vocabSize] (+ the cache). Throws `UserInputError` when past + T > nCtx. */
  forward(ids: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;
  /** Weights in the checkpoint's own names and layout, float32. */
  weights(): Promise<Map<string, { shape: number[]; data: Float32Array }>>;
  /** Save in the checkpoint's layout (config.json + safetensors); returns the bytes of the weights written. */
  save(dir: string, metadata?: Record<string, string>): Promise<number>;
  /** Restart the stream of dropout-mask seeds (architectures with dropout in training forwards: GPT-2). */
  seedDropout?(seed: number): void;
  dispose(): void;
}
