/**
 * Training-memory estimate per method, before training (bytes, float32 everywhere):
 *   weights      full/LoRA: 4 N (+ 4 P adapters);  QLoRA: NF4 codes (0.5 byte/weight) + scales for the
 *                block linears, 4 bytes for the rest (embeddings, LayerNorms, biases), + 4 P
 *   gradients    4 x trainable params            (full: N, LoRA/QLoRA: P)
 *   optimizer    8 x trainable params            (AdamW first and second moments)
 *   activations  tensors the tfjs tape keeps alive until the backward pass, per sequence token:
 *                GPT-2: nLayer * (40 d + 3 nHead T) + 4 V + 4 d floats (counted from src/model/gpt2.ts:
 *                LayerNorm/GELU saved tensors, q/k/v and their head-split copies, scores and
 *                probabilities [nHead, T] per token, MLP 4d activations; logits, softmax, one-hot);
 *                Llama family: nLayer * (6 d + 4 H hd + 4 KV hd + 3 H T + 5 I) + 4 V + 4 d (from
 *                src/model/llama.ts: RMSNorm inputs and outputs, q/k/v with their rotary copies,
 *                scores and probabilities, the attention output, gate/up/silu/product of the MLP)
 * So full fine-tuning needs weights + 3x weights (grads + Adam) = 4x the model before activations,
 * LoRA about 1x (the seed guide: "full fine-tuning needs 3-4x the model's memory").
 * N = base params, P = adapter params (r (in + out) per targeted linear).
 */
import { type ModelConfig, countParams, isLlamaConfig, resolveTargetModules, targetModuleShapes } from '../model/config.js';
import { NF4_BLOCKSIZE, DQ_BLOCKSIZE } from '../model/nf4.js';
import type { LoraTarget } from '../model/lora.js';
import type { Method } from '../experiment/schema.js';

export interface MemoryEstimate {
  method: Method;
  weightsBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The frozen (or, for full, trainable) base weights as stored. */
  baseWeightBytes: number;
  trainableParams: number;
}

/** Adapter parameter count: nLayer * sum over targets of r (in + out) (`all-linear`: every block linear). */
export function loraParamCount(c: ModelConfig, rank: number, targets: readonly LoraTarget[]): number {
  const shapes = targetModuleShapes(c);
  return c.nLayer * resolveTargetModules(c, targets).reduce((a, t) => a + rank * shapes[t]!.reduce((x, y) => x + y, 0), 0);
}

/** NF4 storage of the block linears (codes + scales) + fp32 for the rest. */
export function nf4BaseBytes(c: ModelConfig, doubleQuant = true): number {
  const sizes = Object.values(targetModuleShapes(c)).map(([i, o]) => i * o); // GPT-2: 3d^2, d^2, 4d^2, 4d^2
  const linW = c.nLayer * sizes.reduce((a, b) => a + b, 0);
  const perLayerBlocks = sizes.map((n) => Math.ceil(n / NF4_BLOCKSIZE));
  const blocks = c.nLayer * perLayerBlocks.reduce((a, b) => a + b, 0);
  const scaleBytes = doubleQuant ? blocks + 4 * c.nLayer * perLayerBlocks.reduce((a, b) => a + Math.ceil(b / DQ_BLOCKSIZE) + 1, 0) : 4 * blocks;
  return linW / 2 + scaleBytes + 4 * (countParams(c) - linW);
}

export interface MemoryOptions {
  rank: number;
  targetModules: readonly LoraTarget[];
  batchSize: number;
  /** Sequence length in tokens (the padded batch length; at most nCtx). */
  seqLen: number;
  doubleQuant?: boolean;
}

export function estimateTrainingMemory(c: ModelConfig, method: Method, o: MemoryOptions): MemoryEstimate {
  const n = countParams(c);
  const p = method === 'full' ? 0 : loraParamCount(c, o.rank, o.targetModules);
  const trainable = method === 'full' ? n : p;
  const baseWeightBytes = method === 'qlora' ? nf4BaseBytes(c, o.doubleQuant ?? true) : 4 * n;
  const weightsBytes = baseWeightBytes + 4 * p;
  const T = Math.min(o.seqLen, c.nCtx);
  const perToken = isLlamaConfig(c)
    ? c.nLayer * (6 * c.nEmbd + 4 * c.nHead * c.headDim + 4 * c.nKvHead * c.headDim + 3 * c.nHead * T + 5 * c.intermediateSize) + 4 * c.vocabSize + 4 * c.nEmbd
    : c.nLayer * (40 * c.nEmbd + 3 * c.nHead * T) + 4 * c.vocabSize + 4 * c.nEmbd;
  const activationBytes = 4 * o.batchSize * T * perToken;
  const gradientBytes = 4 * trainable;
  const optimizerBytes = 8 * trainable;
  return {
    method,
    weightsBytes,
    gradientBytes,
    optimizerBytes,
    activationBytes,
    totalBytes: weightsBytes + gradientBytes + optimizerBytes + activationBytes,
    baseWeightBytes,
    trainableParams: trainable,
  };
}
