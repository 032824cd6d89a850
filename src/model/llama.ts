/**
 * A Llama-family decoder in TensorFlow.js (Touvron et al. 2023; the layout and semantics of
 * transformers' `LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`): token embedding,
 * nLayer pre-RMSNorm blocks (x += attn(rms_1(x)); x += mlp(rms_2(x))), a final RMSNorm and an LM head
 * (tied to the embedding or its own `lm_head.weight`). Per block:
 *   - attention: q/k/v projections (optional biases), rotary position embeddings on q and k
 *     (Su et al. 2021, rotate-half layout, ./llama-config.ts `ropeInvFreq`), grouped-query attention
 *     (Ainslie et al. 2023: nHead query heads share nKvHead key/value heads), scale headDim^-0.5,
 *     causal mask (and Mistral's sliding window), o_proj;
 *   - MLP: SwiGLU (Shazeer 2020): down_proj(silu(gate_proj(x)) * up_proj(x)).
 * RMSNorm runs in float32 (everything here is float32).
 *
 * Weights live in `params` under the checkpoint's names (`model.layers.0.self_attn.q_proj.weight`),
 * linear weights transposed to `[in, out]` (src/model/model.ts), and the token embedding and
 * `lm_head` transposed to `[d, V]` (so the LM head is a plain `hidden @ W`, see
 * ops.ts `embeddingLookupT`); `weights()` gives the checkpoint's layout back. Every linear layer is a
 * `LinearModule` in `linears` under its module path (`model.layers.0.self_attn.q_proj`), which is
 * where LoRA and QLoRA plug in.
 *
 * Tensor discipline: `forward` creates tensors and does not dispose its inputs; call it inside
 * `tf.tidy` and return what you keep (logits, the KV cache).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LlamaConfig, LLAMA_LINEARS, type LlamaLinear, llamaCountParams, llamaParameterShapes, llamaToHfConfig, ropeInvFreq } from './llama-config.js';
import { DenseLinear, type ForwardOptions, type ForwardResult, type KVCache, type LanguageModel, type LinearModule } from './model.js';
import { embeddingLookupT, rmsNorm, silu } from './ops.js';
import { matMul } from './matmul.js';
import { Rng } from '../random.js';
import { readCheckpoint, writeCheckpoint, type StTensor } from './safetensors.js';
import { UserInputError } from '../errors.js';
import { readConfig, isLlamaConfig } from './config.js';

/** Module paths of a block's linear layers: `model.layers.{l}.self_attn.q_proj`, ... */
function linearKeys(l: number): [LlamaLinear, string][] {
  return (Object.keys(LLAMA_LINEARS) as LlamaLinear[]).map((m) => [m, `model.layers.${l}.${LLAMA_LINEARS[m]}`]);
}

/**
 * True for the tensors held transposed here: linear weights (`[out, in]` in the checkpoint, `[in, out]`
 * here), the token embedding and lm_head (`[V, d]` there, `[d, V]` here).
 */
function isTransposed(name: string): boolean {
  return name === 'model.embed_tokens.weight' || name === 'lm_head.weight' || /^model\.layers\.\d+\.(self_attn|mlp)\.[a-z_]+_proj\.weight$/.test(name);
}

/**
 * Random weights in the checkpoint's layout (linear weights [out, in]), deterministic for a seed:
 * weights N(0, 0.02) as transformers' `_init_weights` (initializer_range), biases 0, norms 1.
 */
export function initLlamaParams(c: LlamaConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const m = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('norm.weight')) m.set(name, new Float32Array(n).fill(1));
    else if (name.endsWith('.bias')) m.set(name, new Float32Array(n));
    else m.set(name, rng.normals(n, 0.02));
  }
  return m;
}

export class Llama implements LanguageModel {
  readonly peftPrefix = 'base_model.model.';
  readonly fanInFanOut = false;
  readonly params = new Map<string, tf.Variable>();
  readonly linears = new Map<string, LinearModule>();
  /** Rotary inverse frequencies [1, 1, headDim / 2]. */
  private invFreq: tf.Tensor3D;

  /**
   * @param weights every tensor of `llamaParameterShapes(config)` in the checkpoint's layout
   *   (linear weights [out, in]); a missing one throws `UserInputError`.
   */
  constructor(
    readonly config: LlamaConfig,
    weights: Map<string, Float32Array>,
  ) {
    for (const [name, shape] of llamaParameterShapes(config)) {
      const w = weights.get(name);
      if (!w) throw new UserInputError(`model weights: missing tensor ${name}`);
      // [out, in] -> [in, out] for linear weights; [V, d] -> [d, V] for the embedding and head.
      this.params.set(name, tf.tidy(() => tf.variable(isTransposed(name) ? tf.transpose(tf.tensor2d(w, shape as [number, number])) : tf.tensor(w, shape), true)));
    }
    for (let l = 0; l < config.nLayer; l++) {
      for (const [, key] of linearKeys(l)) this.linears.set(key, new DenseLinear(this.params.get(key + '.weight')!, this.params.get(key + '.bias') ?? null));
    }
    this.invFreq = tf.tensor3d(ropeInvFreq(config), [1, 1, config.headDim / 2]);
  }

  /** A freshly initialised model (see `initLlamaParams`). */
  static random(config: LlamaConfig, seed = 0): Llama {
    return new Llama(config, initLlamaParams(config, seed));
  }

  get numParams(): number {
    return llamaCountParams(this.config);
  }

  private p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`Llama: parameter ${name} is not materialised (quantized or removed)`);
    return v;
  }

  /**
   * Additive attention mask [1, 1, T, S] (0 visible, -1e9 hidden) for queries at positions
   * pastLen..S-1 over keys 0..S-1: causal, and with a sliding window w, key j hidden from query i
   * when i - j >= w (transformers' sliding-window mask).
   */
  private causalMask(pastLen: number, T: number, S: number): tf.Tensor4D {
    const m = new Float32Array(T * S);
    const w = this.config.slidingWindow;
    for (let t = 0; t < T; t++) {
      const i = pastLen + t;
      for (let j = 0; j < S; j++) if (j > i || (w !== null && i - j >= w)) m[t * S + j] = -1e9;
    }
    return tf.tensor4d(m, [1, 1, T, S]);
  }

  /**
   * Final hidden states after the last RMSNorm: ids int32 [B, T] -> hidden [B*T, d] (+ cache).
   * Shapes in the blocks: x [B*T, d]; q [B, H, T, hd]; k, v [B, KV, S, hd]; scores [B, H, T, S].
   */
  hidden(ids: tf.Tensor2D, opts: ForwardOptions = {}): { hidden: tf.Tensor2D; present: KVCache | null } {
    const { nEmbd: d, nHead: H, nKvHead: KV, headDim: hd, nLayer, rmsNormEps: eps, nCtx } = this.config;
    const [B, T] = ids.shape;
    const rep = H / KV;
    const pastLen = opts.past?.length ?? 0;
    const S = pastLen + T;
    if (S > nCtx) throw new UserInputError(`sequence of ${S} tokens exceeds the model context (${nCtx})`);
    const useCache = opts.useCache ?? opts.past !== undefined;
    const training = opts.training ?? false;

    // 1. Token embeddings (gather; one-hot matmul gradient).
    let x = embeddingLookupT(this.p('model.embed_tokens.weight') as tf.Tensor2D, tf.reshape(ids, [B * T]) as tf.Tensor1D); // table [d, V] -> [B*T, d]

    // 2. Positions [B|1, T]: explicit, counted over real tokens (cumsum(mask) - 1, as transformers'
    //    generate for left padding), or past.length + t.
    let pos: tf.Tensor2D;
    if (opts.positionIds) pos = tf.cast(opts.positionIds, 'float32');
    else if (opts.attentionMask) {
      const c = tf.maximum(tf.sub(tf.cumsum(tf.cast(opts.attentionMask, 'int32'), 1), 1), 0) as tf.Tensor2D; // [B, S]
      pos = tf.cast(tf.slice(c, [0, pastLen], [B, T]), 'float32');
    } else pos = tf.reshape(tf.range(pastLen, S, 1, 'float32'), [1, T]);
    const P = pos.shape[0]; // B or 1
    // Rotary tables: freqs = pos * inv_freq [P, T, hd/2]; emb = cat(freqs, freqs) [P, T, hd]; cos, sin [P, 1, T, hd].
    const freqs = tf.mul(tf.reshape(pos, [P, T, 1]), this.invFreq);
    const emb = tf.concat([freqs, freqs], 2);
    const cos = tf.reshape(tf.cos(emb), [P, 1, T, hd]);
    const sin = tf.reshape(tf.sin(emb), [P, 1, T, hd]);
    /** q cos + rotate_half(q) sin, rotate_half(x) = cat(-x2, x1) over the last axis. x [B, heads, T, hd]. */
    const rope = (t: tf.Tensor4D): tf.Tensor4D => {
      const [x1, x2] = tf.split(t, 2, 3);
      return tf.add(tf.mul(t, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], 3), sin)) as tf.Tensor4D;
    };

    // 3. Additive mask [B|1, 1, T, S]: causal (+ window), plus key padding.
    let mask: tf.Tensor = this.causalMask(pastLen, T, S);
    if (opts.attentionMask) {
      const pad = tf.mul(tf.sub(1, tf.cast(opts.attentionMask, 'float32')), -1e9); // [B, S]
      mask = tf.add(mask, tf.reshape(pad, [B, 1, 1, S]));
    }

    // 4. Blocks.
    const present: KVCache | null = useCache ? { keys: [], values: [], length: S } : null;
    const scale = 1 / Math.sqrt(hd);
    const heads = (t: tf.Tensor2D, n: number): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, n, hd]), [0, 2, 1, 3]); // [B*T, n*hd] -> [B, n, T, hd]
    for (let l = 0; l < nLayer; l++) {
      const pre = `model.layers.${l}.`;
      const lin = (m: string, input: tf.Tensor2D) => this.linears.get(pre + m)!.forward(input, training);
      const h1 = rmsNorm(x, this.p(pre + 'input_layernorm.weight') as tf.Tensor1D, eps);
      const q = rope(heads(tf.mul(lin('self_attn.q_proj', h1), scale) as tf.Tensor2D, H)); // [B, H, T, hd], pre-scaled
      let k = rope(heads(lin('self_attn.k_proj', h1), KV)); // [B, KV, T, hd]
      let v = heads(lin('self_attn.v_proj', h1), KV);
      if (opts.past) {
        k = tf.concat([opts.past.keys[l]!, k], 2); // [B, KV, S, hd]
        v = tf.concat([opts.past.values[l]!, v], 2);
      }
      if (present) {
        present.keys.push(k);
        present.values.push(v);
      }
      // GQA without copying K/V: query heads h = g * rep + r grouped as [B, KV, rep*T, hd].
      const qg = tf.reshape(q, [B, KV, rep * T, hd]);
      const scores = tf.reshape(matMul(qg, k, false, true), [B, H, T, S]); // [B, KV, rep*T, S] -> [B, H, T, S]
      const att = tf.reshape(tf.softmax(tf.add(scores, mask)), [B, KV, rep * T, S]);
      const y = tf.reshape(matMul(att, v), [B, H, T, hd]); // [B, KV, rep*T, hd] -> [B, H, T, hd]
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, H * hd]) as tf.Tensor2D; // [B*T, H*hd]
      x = tf.add(x, lin('self_attn.o_proj', merged));
      const h2 = rmsNorm(x, this.p(pre + 'post_attention_layernorm.weight') as tf.Tensor1D, eps);
      const g = tf.mul(silu(lin('mlp.gate_proj', h2)), lin('mlp.up_proj', h2)) as tf.Tensor2D; // [B*T, intermediate]
      x = tf.add(x, lin('mlp.down_proj', g));
    }
    // 5. Final RMSNorm.
    return { hidden: rmsNorm(x, this.p('model.norm.weight') as tf.Tensor1D, eps), present };
  }

  /** LM head: hidden [N, d] -> logits [N, vocabSize] = hidden @ W, W = lm_head or the tied embedding, held [d, V]. */
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D {
    const w = this.config.tieWordEmbeddings ? this.p('model.embed_tokens.weight') : this.p('lm_head.weight');
    return matMul(hidden, w) as tf.Tensor2D;
  }

  /**
   * ids int32 [B, T] -> logits [B, T, vocabSize] and, with a cache, `present` (the cache extended by
   * these T positions). Call inside tf.tidy. Throws `UserInputError` if past + T exceeds nCtx.
   */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const [B, T] = ids.shape;
    const { hidden, present } = this.hidden(ids, opts);
    return { logits: tf.reshape(this.logitsFromHidden(hidden), [B, T, this.config.vocabSize]) as tf.Tensor3D, present };
  }

  /** Weights under the checkpoint's names and in its layout (linear weights [out, in]), float32. */
  async weights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.params) {
      if (isTransposed(name)) {
        const t = tf.transpose(v);
        out.set(name, { shape: t.shape, data: (await t.data()) as Float32Array });
        t.dispose();
      } else out.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
    }
    return out;
  }

  /**
   * Save in Hugging Face layout: `dir/config.json` (the config read, `torch_dtype: float32`) and
   * float32 safetensors, one `model.safetensors` or shards + index above `maxShardBytes` (default
   * 5 GB, as transformers). Returns the bytes of the weight files.
   */
  async save(dir: string, metadata: Record<string, string> = {}, maxShardBytes?: number): Promise<number> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify(llamaToHfConfig(this.config), null, 2) + '\n');
    return writeCheckpoint(dir, await this.weights(), { metadata, ...(maxShardBytes !== undefined ? { maxShardBytes } : {}) });
  }

  dispose(): void {
    for (const l of this.linears.values()) l.dispose?.();
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.invFreq.dispose();
  }
}

/**
 * Check a checkpoint's tensors against the config and return them by name (float32, checkpoint
 * layout). Ignored: `lm_head.weight` when the head is tied, rotary `inv_freq` buffers.
 * @throws UserInputError naming `source` and the first mismatch: a missing tensor, a wrong shape, a
 *   non-float dtype, or a tensor the config has no place for (e.g. a layer beyond num_hidden_layers).
 */
export function mapLlamaTensors(config: LlamaConfig, tensors: Map<string, StTensor>, source: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const expected = llamaParameterShapes(config);
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) throw new UserInputError(`${source}: missing tensor ${name} (expected by config.json: ${config.modelType}, ${config.nLayer} layers)`);
    if (t.shape.join(',') !== shape.join(',')) throw new UserInputError(`${source}: tensor ${name} has shape [${t.shape}], config.json expects [${shape}]`);
    if (!(t.data instanceof Float32Array)) throw new UserInputError(`${source}: tensor ${name} is ${t.dtype}, expected F32, F16 or BF16`);
    out.set(name, t.data);
  }
  const known = new Set(expected.map(([n]) => n));
  for (const name of tensors.keys()) {
    if (known.has(name) || name.endsWith('rotary_emb.inv_freq') || (name === 'lm_head.weight' && config.tieWordEmbeddings)) continue;
    throw new UserInputError(`${source}: unexpected tensor ${name} (not part of a ${config.modelType} model with this config.json)`);
  }
  return out;
}

/** Load a Llama-family model folder (config.json + model.safetensors or shards) on the active tfjs backend. */
export async function loadLlama(dir: string): Promise<Llama> {
  const config = await readConfig(dir);
  if (!isLlamaConfig(config)) throw new UserInputError(`${join(dir, 'config.json')}: not a Llama-family model (model_type gpt2)`);
  const { tensors } = await readCheckpoint(dir);
  return new Llama(config, mapLlamaTensors(config, tensors, dir));
}
