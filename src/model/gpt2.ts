/**
 * A GPT-2-architecture decoder in TensorFlow.js (Radford et al. 2019; layout of Hugging Face's
 * `GPT2Model`): token + learned position embeddings, nLayer pre-LayerNorm blocks
 * (x += attn(ln_1(x)); x += mlp(ln_2(x))), GELU (tanh approximation), ln_f, and an LM head tied to
 * the token embedding. Linear layers keep GPT-2's Conv1D layout: weight [in, out], y = x W + b.
 *
 * Weights live in `params` under GPT-2's tensor names (`wte.weight`, `h.0.attn.c_attn.weight`, ...).
 * Each of the four linear layers per block goes through a `LinearModule` in `linears`
 * (key `h.{i}.attn.c_attn`, `h.{i}.attn.c_proj`, `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`), which is where
 * LoRA (src/model/lora.ts) and QLoRA (src/model/qlora.ts) plug in.
 *
 * Dropout, in training forwards only (`training: true`), where HF's GPT2Model puts it
 * (transformers/models/gpt2/modeling_gpt2.py): `embd_pdrop` on token + position embeddings
 * (GPT2Model.drop), `attn_pdrop` on the attention probabilities (GPT2Attention.attn_dropout),
 * `resid_pdrop` on the attention block's c_proj output (GPT2Attention.resid_dropout) and on the MLP's
 * c_proj output (GPT2MLP.dropout). Inverted dropout as torch.nn.Dropout: each value is zeroed with
 * probability p and the survivors scaled by 1 / (1 - p). As with HF (PEFT leaves the base model in
 * training mode), it applies to every method, full fine-tuning and under LoRA/QLoRA adapters alike.
 * Masks are drawn from `seedDropout`'s stream.
 *
 * Tensor discipline: `forward` creates tensors and does not dispose its inputs; call it inside
 * `tf.tidy` and return what you keep (logits, the KV cache).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type GPT2Config, countParams, validateConfig, writeConfig, readConfig } from './config.js';
import { embeddingLookup, frozenLinear, gelu, layerNorm } from './ops.js';
import { matMul } from './matmul.js';
import { Rng } from '../random.js';
import { readSafetensors, writeSafetensors, type StTensor } from './safetensors.js';
import { UserInputError } from '../errors.js';

/** A linear map x [N, in] -> [N, out]. */
export interface LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  forward(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
  dispose?(): void;
}

/**
 * Plain GPT-2 Conv1D: y = x W + b, W [in, out], b [out]. In a training forward a non-trainable
 * weight (LoRA/QLoRA set `trainable = false` on the frozen base) goes through ops.ts `frozenLinear`,
 * which keeps nothing alive for a weight gradient; inference uses the plain ops.
 */
export class DenseLinear implements LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(
    public weight: tf.Variable,
    public bias: tf.Variable,
  ) {
    [this.inFeatures, this.outFeatures] = weight.shape as [number, number];
  }
  forward(x: tf.Tensor2D, training = false): tf.Tensor2D {
    if (training && !this.weight.trainable) return frozenLinear(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D);
    return tf.add(matMul(x, this.weight), this.bias) as tf.Tensor2D;
  }
}

/**
 * Per-layer attention keys and values: keys[l], values[l] are [B, nHead, S, headDim] where S is
 * the number of positions seen so far. `length` = S.
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
   * softmax; positions are then counted over real tokens only (cumsum(mask) - 1), as HF GPT-2 does
   * for left-padded batches. Without it all positions attend causally and positions are past.length + t.
   */
  attentionMask?: tf.Tensor2D;
  /** Explicit positions [B, T] (int32); overrides the ones derived from the mask. */
  positionIds?: tf.Tensor2D;
  /** Training forward: enables dropout (the config's attn/resid/embd_pdrop, and LoRA's). Default false. */
  training?: boolean;
  /** Return `present` (the updated cache). Default true when `past` is given, else false. */
  useCache?: boolean;
}

export interface ForwardResult {
  /** [B, T, vocabSize] */
  logits: tf.Tensor3D;
  present: KVCache | null;
}

export const LINEAR_SUFFIXES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;

/** GPT-2 tensor names and shapes of a config, in HF order. */
export function parameterShapes(c: GPT2Config): [string, number[]][] {
  const d = c.nEmbd;
  const out: [string, number[]][] = [
    ['wte.weight', [c.vocabSize, d]],
    ['wpe.weight', [c.nCtx, d]],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    out.push(
      [p + 'ln_1.weight', [d]], [p + 'ln_1.bias', [d]],
      [p + 'attn.c_attn.weight', [d, 3 * d]], [p + 'attn.c_attn.bias', [3 * d]],
      [p + 'attn.c_proj.weight', [d, d]], [p + 'attn.c_proj.bias', [d]],
      [p + 'ln_2.weight', [d]], [p + 'ln_2.bias', [d]],
      [p + 'mlp.c_fc.weight', [d, 4 * d]], [p + 'mlp.c_fc.bias', [4 * d]],
      [p + 'mlp.c_proj.weight', [4 * d, d]], [p + 'mlp.c_proj.bias', [d]],
    );
  }
  out.push(['ln_f.weight', [d]], ['ln_f.bias', [d]]);
  return out;
}

/**
 * GPT-2 initialisation as HF `GPT2PreTrainedModel._init_weights`: weights N(0, 0.02), residual
 * projections (`c_proj`) N(0, 0.02 / sqrt(2 nLayer)), biases 0, LayerNorm gamma 1. Deterministic for a seed.
 */
export function initParams(c: GPT2Config, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const m = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name === 'ln_f.weight') m.set(name, new Float32Array(n).fill(1));
    else if (name.endsWith('.bias')) m.set(name, new Float32Array(n));
    else if (name.endsWith('c_proj.weight')) m.set(name, rng.normals(n, 0.02 / Math.sqrt(2 * c.nLayer)));
    else m.set(name, rng.normals(n, 0.02));
  }
  return m;
}

export class GPT2 {
  readonly params = new Map<string, tf.Variable>();
  readonly linears = new Map<string, LinearModule>();
  /** [nCtx, nCtx] additive causal mask: 0 on and below the diagonal, -1e9 above. */
  private causal: tf.Tensor2D;
  /** Seeds of the model's dropout masks (one draw per mask). */
  private dropRng = new Rng(0);

  constructor(
    readonly config: GPT2Config,
    weights: Map<string, Float32Array>,
  ) {
    validateConfig(config);
    for (const [name, shape] of parameterShapes(config)) {
      const w = weights.get(name);
      if (!w) throw new UserInputError(`model weights: missing tensor ${name}`);
      this.params.set(name, tf.tidy(() => tf.variable(tf.tensor(w, shape), true)));
    }
    for (let i = 0; i < config.nLayer; i++) {
      for (const s of LINEAR_SUFFIXES) {
        const k = `h.${i}.${s}`;
        this.linears.set(k, new DenseLinear(this.params.get(k + '.weight')!, this.params.get(k + '.bias')!));
      }
    }
    const T = config.nCtx;
    const mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
    this.causal = tf.tensor2d(mask, [T, T]);
  }

  /** A freshly initialised model (see `initParams`). */
  static random(config: GPT2Config, seed = 0): GPT2 {
    return new GPT2(config, initParams(config, seed));
  }

  /** Restart the stream of dropout-mask seeds (training forwards then draw the same masks for a seed). */
  seedDropout(seed: number): void {
    this.dropRng = new Rng(seed);
  }

  /**
   * Dropout at `site` with probability `rate` (> 0; training only): tf.dropout, inverted as
   * torch.nn.Dropout. Overridable (tests record the sites).
   */
  protected dropout(x: tf.Tensor, rate: number, _site: 'embd' | 'attn' | 'resid'): tf.Tensor {
    return tf.dropout(x, rate, undefined, this.dropRng.int(2 ** 31));
  }

  /** Total parameter count (tied embeddings counted once). */
  get numParams(): number {
    return countParams(this.config);
  }

  private p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`GPT2: parameter ${name} is not materialised (quantized or removed)`);
    return v;
  }

  /**
   * Final hidden states after ln_f: ids int32 [B, T] -> hidden [B*T, nEmbd] (+ cache).
   * Shapes in the blocks: x [B*T, d]; q/k/v [B, nHead, T, headDim]; scores [B, nHead, T, S].
   */
  hidden(ids: tf.Tensor2D, opts: ForwardOptions = {}): { hidden: tf.Tensor2D; present: KVCache | null } {
    const { nEmbd: d, nHead: H, nLayer, layerNormEpsilon: eps, nCtx } = this.config;
    const [B, T] = ids.shape;
    const hd = d / H;
    const pastLen = opts.past?.length ?? 0;
    const S = pastLen + T;
    if (S > nCtx) throw new UserInputError(`sequence of ${S} tokens exceeds the model context (${nCtx})`);
    const useCache = opts.useCache ?? opts.past !== undefined;

    // 1. Embeddings: token (gather; one-hot matmul gradient) + position.
    const flatIds = tf.reshape(ids, [B * T]) as tf.Tensor1D;
    let x = embeddingLookup(this.p('wte.weight') as tf.Tensor2D, flatIds); // [B*T, d]
    let posEmb: tf.Tensor2D;
    let posIds = opts.positionIds;
    if (!posIds && opts.attentionMask) {
      // positions over real tokens only: cumsum(mask) - 1, clipped at 0, last T columns.
      const pos = tf.maximum(tf.sub(tf.cumsum(tf.cast(opts.attentionMask, 'int32'), 1), 1), 0) as tf.Tensor2D;
      posIds = tf.slice(pos, [0, pastLen], [B, T]);
    }
    if (posIds) {
      posEmb = embeddingLookup(this.p('wpe.weight') as tf.Tensor2D, tf.reshape(tf.cast(posIds, 'int32'), [B * T]) as tf.Tensor1D); // [B*T, d]
      x = tf.add(x, posEmb);
    } else {
      posEmb = tf.slice(this.p('wpe.weight') as tf.Tensor2D, [pastLen, 0], [T, d]); // [T, d]
      x = tf.reshape(tf.add(tf.reshape(x, [B, T, d]), posEmb), [B * T, d]);
    }

    const training = opts.training ?? false;
    const drop = <X extends tf.Tensor>(t: X, rate: number | undefined, site: 'embd' | 'attn' | 'resid'): X => (training && rate ? (this.dropout(t, rate, site) as X) : t);
    x = drop(x, this.config.embdPdrop, 'embd');

    // 2. Additive attention mask [B|1, 1, T, S]: causal rows pastLen..S-1, plus key padding.
    let mask: tf.Tensor = tf.reshape(tf.slice(this.causal, [pastLen, 0], [T, S]), [1, 1, T, S]);
    if (opts.attentionMask) {
      const pad = tf.mul(tf.sub(1, tf.cast(opts.attentionMask, 'float32')), -1e9); // [B, S]
      mask = tf.add(mask, tf.reshape(pad, [B, 1, 1, S]));
    }

    // 3. Blocks.
    const present: KVCache | null = useCache ? { keys: [], values: [], length: S } : null;
    const scale = 1 / Math.sqrt(hd);
    const splitHeads = (t: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B*T, d] -> [B, H, T, hd]
    for (let l = 0; l < nLayer; l++) {
      const pre = `h.${l}.`;
      const h1 = layerNorm(x, this.p(pre + 'ln_1.weight') as tf.Tensor1D, this.p(pre + 'ln_1.bias') as tf.Tensor1D, eps);
      const qkv = this.linears.get(pre + 'attn.c_attn')!.forward(h1, training); // [B*T, 3d]
      const [q2, k2, v2] = tf.split(qkv, 3, 1) as tf.Tensor2D[]; // each [B*T, d]
      const q = splitHeads(tf.mul(q2, scale) as tf.Tensor2D);
      let k = splitHeads(k2);
      let v = splitHeads(v2);
      if (opts.past) {
        k = tf.concat([opts.past.keys[l]!, k], 2); // [B, H, S, hd]
        v = tf.concat([opts.past.values[l]!, v], 2);
      }
      if (present) {
        present.keys.push(k);
        present.values.push(v);
      }
      const att = drop(tf.softmax(tf.add(matMul(q, k, false, true), mask)), this.config.attnPdrop, 'attn'); // [B, H, T, S]
      const y = tf.reshape(tf.transpose(matMul(att, v), [0, 2, 1, 3]), [B * T, d]); // [B, H, T, hd] -> [B*T, d]
      x = tf.add(x, drop(this.linears.get(pre + 'attn.c_proj')!.forward(y as tf.Tensor2D, training), this.config.residPdrop, 'resid'));
      const h2 = layerNorm(x, this.p(pre + 'ln_2.weight') as tf.Tensor1D, this.p(pre + 'ln_2.bias') as tf.Tensor1D, eps);
      const f = gelu(this.linears.get(pre + 'mlp.c_fc')!.forward(h2, training)) as tf.Tensor2D; // [B*T, 4d]
      x = tf.add(x, drop(this.linears.get(pre + 'mlp.c_proj')!.forward(f, training), this.config.residPdrop, 'resid'));
    }
    // 4. Final LayerNorm.
    const hidden = layerNorm(x, this.p('ln_f.weight') as tf.Tensor1D, this.p('ln_f.bias') as tf.Tensor1D, eps);
    return { hidden, present };
  }

  /** LM head tied to wte: hidden [N, d] -> logits [N, vocabSize]. */
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D {
    return matMul(hidden, this.p('wte.weight'), false, true) as tf.Tensor2D;
  }

  /**
   * ids int32 [B, T] -> logits [B, T, vocabSize] and, with a cache, `present` (the cache extended by
   * these T positions). Call inside tf.tidy; dispose `present` when done with it.
   * Throws `UserInputError` if past + T exceeds nCtx.
   */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const [B, T] = ids.shape;
    const { hidden, present } = this.hidden(ids, opts);
    const logits = tf.reshape(this.logitsFromHidden(hidden), [B, T, this.config.vocabSize]) as tf.Tensor3D;
    return { logits, present };
  }

  /** All weights as float32 arrays under GPT-2 names (merged / dequantized views are the caller's job). */
  async weights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.params) out.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
    return out;
  }

  /** Save HF layout: `dir/config.json` + `dir/model.safetensors`. Returns bytes of the safetensors file. */
  async save(dir: string, metadata: Record<string, string> = {}): Promise<number> {
    await mkdir(dir, { recursive: true });
    await writeConfig(dir, this.config);
    return writeSafetensors(join(dir, 'model.safetensors'), await this.weights(), { format: 'pt', ...metadata });
  }

  dispose(): void {
    for (const l of this.linears.values()) l.dispose?.();
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.causal.dispose();
  }
}

/**
 * Map a checkpoint's tensors to fte's GPT-2 names: strips a `transformer.` prefix (GPT2LMHeadModel
 * saves), ignores `lm_head.weight` (tied) and the `attn.bias` / `attn.masked_bias` buffers. Throws
 * `UserInputError` naming `source` and the tensor when one is missing or has the wrong shape.
 */
export function mapCheckpointTensors(config: GPT2Config, tensors: Map<string, StTensor>, source: string): Map<string, Float32Array> {
  const byName = new Map<string, StTensor>();
  for (const [k, t] of tensors) byName.set(k.startsWith('transformer.') ? k.slice('transformer.'.length) : k, t);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(config)) {
    const t = byName.get(name);
    if (!t) throw new UserInputError(`${source}: missing tensor ${name}`);
    if (t.shape.join(',') !== shape.join(',')) throw new UserInputError(`${source}: tensor ${name} has shape [${t.shape}], config expects [${shape}]`);
    if (!(t.data instanceof Float32Array)) throw new UserInputError(`${source}: tensor ${name} is ${t.dtype}, expected a float dtype`);
    out.set(name, t.data);
  }
  return out;
}

/** Load `dir/config.json` + `dir/model.safetensors` on the active tfjs backend. */
export async function loadGPT2(dir: string): Promise<GPT2> {
  const config = await readConfig(dir);
  const path = join(dir, 'model.safetensors');
  const { tensors } = await readSafetensors(path);
  return new GPT2(config, mapCheckpointTensors(config, tensors, path));
}
