/**
 * Llama-family decoder configuration (Hugging Face `LlamaConfig`, `MistralConfig`, `Qwen2Config`
 * field names: `vocab_size`, `hidden_size`, `intermediate_size`, `num_hidden_layers`,
 * `num_attention_heads`, `num_key_value_heads`, `head_dim`, `max_position_embeddings`,
 * `rms_norm_eps`, `rope_theta`, `rope_scaling`, `attention_bias`, `mlp_bias`, `tie_word_embeddings`,
 * `sliding_window`, `hidden_act`), the tensor names and shapes such a checkpoint holds, and its
 * parameter count. No tfjs: the experiment stage validates specs with it.
 *
 * Differences between the three families that matter here (from transformers' modeling files):
 *   - llama: optional biases on all four attention projections (`attention_bias`) and on the MLP
 *     (`mlp_bias`); `head_dim` may be given.
 *   - qwen2: q/k/v projections always have biases, o_proj never; `use_sliding_window` (default false).
 *   - mistral: no biases; `sliding_window` (a key j is visible from query i iff i - j < window).
 */
import { UserInputError } from '../errors.js';

/** The `model_type`s this decoder implements. */
export const LLAMA_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number];

/**
 * `rope_scaling`: `llama3` (Llama 3.1/3.2: frequencies below `originalMaxPositionEmbeddings /
 * lowFreqFactor` wavelengths are kept, above `... / highFreqFactor`... see `ropeInvFreq`) or `linear`
 * (inv_freq / factor).
 */
export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | { type: 'linear'; factor: number };

export interface LlamaConfig {
  modelType: LlamaModelType;
  vocabSize: number;
  /** Context length in tokens (`max_position_embeddings`). */
  nCtx: number;
  /** Model width d (`hidden_size`). */
  nEmbd: number;
  nLayer: number;
  /** Query heads. */
  nHead: number;
  /** Key/value heads (grouped-query attention); divides nHead. */
  nKvHead: number;
  /** Width of one head; hidden_size / num_attention_heads unless `head_dim` is given. */
  headDim: number;
  /** MLP width (`intermediate_size`). */
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on q_proj, k_proj, v_proj. */
  qkvBias: boolean;
  /** Bias on o_proj. */
  oBias: boolean;
  /** Biases on gate_proj, up_proj, down_proj. */
  mlpBias: boolean;
  /** lm_head shares the token embedding (no `lm_head.weight` tensor). */
  tieWordEmbeddings: boolean;
  /** Attention window in tokens, or null for full causal attention. */
  slidingWindow: number | null;
  bosTokenId: number | null;
  /** `eos_token_id` of config.json (a number or a list there). */
  eosTokenIds: number[];
  /** Tokenizer kind: `hf` (tokenizer.json beside the weights). */
  tokenizer: 'hf';
  /** config.json as read (written back, with fte's dtype, when a full fine-tune is saved). */
  hf: Record<string, unknown>;
}

/** The seven linear modules of a block, by PEFT name, with their full module path suffix. */
export const LLAMA_LINEARS = {
  q_proj: 'self_attn.q_proj',
  k_proj: 'self_attn.k_proj',
  v_proj: 'self_attn.v_proj',
  o_proj: 'self_attn.o_proj',
  gate_proj: 'mlp.gate_proj',
  up_proj: 'mlp.up_proj',
  down_proj: 'mlp.down_proj',
} as const;
export type LlamaLinear = keyof typeof LLAMA_LINEARS;

/** `[in, out]` features of every linear module of a block. */
export function llamaLinearShapes(c: LlamaConfig): Record<LlamaLinear, [number, number]> {
  const d = c.nEmbd;
  const q = c.nHead * c.headDim;
  const kv = c.nKvHead * c.headDim;
  const i = c.intermediateSize;
  return { q_proj: [d, q], k_proj: [d, kv], v_proj: [d, kv], o_proj: [q, d], gate_proj: [d, i], up_proj: [d, i], down_proj: [i, d] };
}

function hasBias(c: LlamaConfig, m: LlamaLinear): boolean {
  if (m === 'q_proj' || m === 'k_proj' || m === 'v_proj') return c.qkvBias;
  if (m === 'o_proj') return c.oBias;
  return c.mlpBias;
}

/**
 * Tensor names and shapes of a checkpoint, in HF's layout and order: linear weights are
 * `[out, in]` (torch.nn.Linear), biases `[out]`, norms `[d]`; `lm_head.weight` [V, d] unless tied.
 */
export function llamaParameterShapes(c: LlamaConfig): [string, number[]][] {
  const d = c.nEmbd;
  const shapes = llamaLinearShapes(c);
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, d]]];
  for (let l = 0; l < c.nLayer; l++) {
    const p = `model.layers.${l}.`;
    out.push([p + 'input_layernorm.weight', [d]]);
    for (const m of Object.keys(LLAMA_LINEARS) as LlamaLinear[]) {
      const [i, o] = shapes[m];
      out.push([`${p}${LLAMA_LINEARS[m]}.weight`, [o, i]]);
      if (hasBias(c, m)) out.push([`${p}${LLAMA_LINEARS[m]}.bias`, [o]]);
    }
    out.push([p + 'post_attention_layernorm.weight', [d]]);
  }
  out.push(['model.norm.weight', [d]]);
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, d]]);
  return out;
}

/** Parameter count (a tied head counted once). */
export function llamaCountParams(c: LlamaConfig): number {
  return llamaParameterShapes(c).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

/** Parse HF `config.json` of a llama / mistral / qwen2 model. Throws `UserInputError` naming `source` and the field. */
export function llamaFromHfConfig(j: Record<string, unknown>, source = 'config.json'): LlamaConfig {
  const modelType = j.model_type as LlamaModelType;
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(modelType)) throw new UserInputError(`${source}: model_type '${String(j.model_type)}' is not a Llama-family type (${LLAMA_MODEL_TYPES.join(', ')})`);
  const int = (k: string, fallback?: number): number => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new UserInputError(`${source}: ${k} must be a positive integer, got ${JSON.stringify(j[k])}`);
    return v;
  };
  const num = (k: string, fallback: number): number => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) throw new UserInputError(`${source}: ${k} must be a positive number, got ${JSON.stringify(j[k])}`);
    return v;
  };
  const act = j.hidden_act ?? 'silu';
  if (act !== 'silu') throw new UserInputError(`${source}: hidden_act '${String(act)}' is not supported; known: silu`);
  const d = int('hidden_size');
  const nHead = int('num_attention_heads');
  const nKvHead = int('num_key_value_heads', nHead);
  if (nHead % nKvHead !== 0) throw new UserInputError(`${source}: num_attention_heads (${nHead}) must be divisible by num_key_value_heads (${nKvHead})`);
  const headDim = j.head_dim === undefined || j.head_dim === null ? d / nHead : int('head_dim');
  if (!Number.isInteger(headDim)) throw new UserInputError(`${source}: hidden_size (${d}) must be divisible by num_attention_heads (${nHead}) when head_dim is not given`);
  if (headDim % 2 !== 0) throw new UserInputError(`${source}: head_dim (${headDim}) must be even for rotary embeddings`);
  const qwen = modelType === 'qwen2';
  const attentionBias = j.attention_bias === true;
  let slidingWindow: number | null = null;
  if (qwen) {
    if (j.use_sliding_window === true) throw new UserInputError(`${source}: use_sliding_window true (per-layer windows) is not supported`);
  } else if (modelType === 'mistral' && j.sliding_window !== undefined && j.sliding_window !== null) {
    slidingWindow = int('sliding_window');
  }
  const eos = j.eos_token_id;
  const eosTokenIds = Array.isArray(eos) ? eos.filter((x): x is number => typeof x === 'number') : typeof eos === 'number' ? [eos] : [];
  return {
    modelType,
    vocabSize: int('vocab_size'),
    nCtx: int('max_position_embeddings', 2048),
    nEmbd: d,
    nLayer: int('num_hidden_layers'),
    nHead,
    nKvHead,
    headDim,
    intermediateSize: int('intermediate_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    ropeScaling: parseRopeScaling(j.rope_scaling, source),
    qkvBias: qwen || attentionBias,
    oBias: !qwen && attentionBias,
    mlpBias: j.mlp_bias === true,
    tieWordEmbeddings: j.tie_word_embeddings === true,
    slidingWindow,
    bosTokenId: typeof j.bos_token_id === 'number' ? j.bos_token_id : null,
    eosTokenIds,
    tokenizer: 'hf',
    hf: j,
  };
}

function parseRopeScaling(v: unknown, source: string): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new UserInputError(`${source}: rope_scaling must be an object or null`);
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  const n = (k: string): number => {
    if (typeof r[k] !== 'number' || !((r[k] as number) > 0)) throw new UserInputError(`${source}: rope_scaling.${k} must be a positive number, got ${JSON.stringify(r[k])}`);
    return r[k] as number;
  };
  if (type === 'default') return null;
  if (type === 'linear') return { type: 'linear', factor: n('factor') };
  if (type === 'llama3') {
    const s = { type: 'llama3' as const, factor: n('factor'), lowFreqFactor: n('low_freq_factor'), highFreqFactor: n('high_freq_factor'), originalMaxPositionEmbeddings: n('original_max_position_embeddings') };
    if (s.highFreqFactor <= s.lowFreqFactor) throw new UserInputError(`${source}: rope_scaling.high_freq_factor must exceed low_freq_factor`);
    return s;
  }
  throw new UserInputError(`${source}: rope_scaling type '${String(type)}' is not supported; known: default, linear, llama3`);
}

/**
 * Rotary inverse frequencies [headDim / 2] as transformers computes them (float32):
 *   inv_freq[i] = 1 / theta^(2i / headDim)
 * `linear` scaling divides them by `factor`. `llama3` (transformers' `_compute_llama3_parameters`):
 * with wavelen = 2 pi / inv_freq, low = original / low_freq_factor, high = original / high_freq_factor:
 * wavelen > low -> inv_freq / factor; wavelen < high -> kept; in between ->
 * (1 - s) inv_freq / factor + s inv_freq, s = (original / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor).
 */
export function ropeInvFreq(c: Pick<LlamaConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const half = c.headDim / 2;
  const f32 = Math.fround;
  const inv = Array.from({ length: half }, (_, i) => f32(1 / f32(c.ropeTheta ** f32((2 * i) / c.headDim))));
  const s = c.ropeScaling;
  if (!s) return Float32Array.from(inv);
  if (s.type === 'linear') return Float32Array.from(inv, (x) => x / s.factor);
  const low = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const high = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return Float32Array.from(inv, (x) => {
    const wavelen = (2 * Math.PI) / x;
    const scaled = wavelen > low ? x / s.factor : x;
    if (wavelen < high || wavelen > low) return scaled;
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (scaled / s.factor) + smooth * scaled;
  });
}

/** HF `config.json` of a config: the one read, with fte's changes (dtype, shapes) written over it. */
export function llamaToHfConfig(c: LlamaConfig, dtype = 'float32'): Record<string, unknown> {
  const arch = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' }[c.modelType];
  return {
    architectures: [arch],
    ...c.hf,
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.nEmbd,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKvHead,
    max_position_embeddings: c.nCtx,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    hidden_act: 'silu',
    tie_word_embeddings: c.tieWordEmbeddings,
    torch_dtype: dtype,
  };
}
