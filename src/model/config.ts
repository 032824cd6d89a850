/**
 * Model configurations and the architecture registry.
 *
 * `config.json`'s `model_type` picks the architecture (`ARCHITECTURES`): `gpt2` (this file's
 * `GPT2Config`, HF `GPT2Config` field names: `vocab_size`, `n_positions`, `n_ctx`, `n_embd`, `n_layer`,
 * `n_head`, `layer_norm_epsilon`) or the Llama family `llama`, `mistral`, `qwen2` (./llama-config.ts).
 * An unknown type is a `UserInputError` naming the known ones. No tfjs here: the experiment stage
 * checks specs against a model folder with these functions (the models themselves load through
 * ./load.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';
import { type LlamaConfig, LLAMA_MODEL_TYPES, llamaCountParams, llamaFromHfConfig, llamaLinearShapes } from './llama-config.js';

export type { LlamaConfig } from './llama-config.js';

export interface GPT2Config {
  /** Tokens in the vocabulary (257 for fte's byte-level tokenizer: 256 bytes + `<|endoftext|>`). */
  vocabSize: number;
  /** Context length in tokens (learned position embeddings `wpe` has this many rows). */
  nCtx: number;
  /** Model width d_model. */
  nEmbd: number;
  nLayer: number;
  /** Attention heads; nEmbd must be divisible by it. */
  nHead: number;
  /** LayerNorm epsilon: 1e-5 as GPT-2. */
  layerNormEpsilon: number;
  /** Tokenizer kind: `byte` (fte built-in) or `gpt2-bpe` (tokenizer.json / vocab.json + merges.txt beside the weights). */
  tokenizer: 'byte' | 'gpt2-bpe';
  /**
   * Dropout probabilities applied in training forwards (HF `attn_pdrop` on the attention
   * probabilities, `resid_pdrop` on each block's attention and MLP outputs, `embd_pdrop` on the
   * summed embeddings; see src/model/gpt2.ts). Absent = 0. Read from config.json with HF
   * GPT2Config's default 0.1 when the field is missing there.
   */
  attnPdrop?: number;
  residPdrop?: number;
  embdPdrop?: number;
}

/** HF GPT2Config's default for attn_pdrop / resid_pdrop / embd_pdrop when config.json omits them. */
export const HF_DEFAULT_PDROP = 0.1;

/** Validate a config; throws `UserInputError` naming `source` and the field. */
export function validateConfig(c: GPT2Config, source = 'config'): GPT2Config {
  for (const k of ['vocabSize', 'nCtx', 'nEmbd', 'nLayer', 'nHead'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new UserInputError(`${source}: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new UserInputError(`${source}: n_embd (${c.nEmbd}) must be divisible by n_head (${c.nHead})`);
  for (const k of ['attnPdrop', 'residPdrop', 'embdPdrop'] as const) {
    const v = c[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v < 1)) throw new UserInputError(`${source}: ${k} must be in [0, 1), got ${v}`);
  }
  return c;
}

/** HF `config.json` object for a config (model_type gpt2, so HF transformers loads it). */
export function toHfConfig(c: GPT2Config): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nCtx,
    n_ctx: c.nCtx,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: c.layerNormEpsilon,
    resid_pdrop: c.residPdrop ?? 0,
    embd_pdrop: c.embdPdrop ?? 0,
    attn_pdrop: c.attnPdrop ?? 0,
    tie_word_embeddings: true,
    bos_token_id: c.tokenizer === 'byte' ? 256 : 50256,
    eos_token_id: c.tokenizer === 'byte' ? 256 : 50256,
    fte_tokenizer: c.tokenizer,
  };
}

/** Parse an HF GPT-2 `config.json` object. */
export function fromHfConfig(j: Record<string, unknown>, source = 'config.json'): GPT2Config {
  const num = (k: string, fallback?: unknown): number => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number') throw new UserInputError(`${source}: field ${k} missing or not a number`);
    return v;
  };
  const pdrop = (k: string): number => {
    const v = j[k] ?? HF_DEFAULT_PDROP;
    if (typeof v !== 'number') throw new UserInputError(`${source}: field ${k} is not a number`);
    return v;
  };
  if (j.model_type !== undefined && j.model_type !== 'gpt2') throw new UserInputError(`${source}: model_type '${String(j.model_type)}' is not supported; known: gpt2`);
  if (j.n_inner !== undefined && j.n_inner !== null && j.n_inner !== 4 * num('n_embd')) throw new UserInputError(`${source}: n_inner other than 4 * n_embd is not supported`);
  const tok = j.fte_tokenizer ?? (num('vocab_size') === 257 ? 'byte' : 'gpt2-bpe');
  if (tok !== 'byte' && tok !== 'gpt2-bpe') throw new UserInputError(`${source}: fte_tokenizer '${String(tok)}' unknown; known: byte, gpt2-bpe`);
  return validateConfig(
    {
      vocabSize: num('vocab_size'),
      nCtx: num('n_positions', j.n_ctx),
      nEmbd: num('n_embd'),
      nLayer: num('n_layer'),
      nHead: num('n_head'),
      layerNormEpsilon: typeof j.layer_norm_epsilon === 'number' ? j.layer_norm_epsilon : 1e-5,
      tokenizer: tok,
      attnPdrop: pdrop('attn_pdrop'),
      residPdrop: pdrop('resid_pdrop'),
      embdPdrop: pdrop('embd_pdrop'),
    },
    source,
  );
}

/** Any architecture's config; `isLlamaConfig` tells them apart. */
export type ModelConfig = GPT2Config | LlamaConfig;

/** True for a Llama-family config (llama, mistral, qwen2). */
export function isLlamaConfig(c: ModelConfig): c is LlamaConfig {
  return 'modelType' in c;
}

/** An architecture: how its config.json parses, what it counts, which linear modules LoRA may target. */
export interface Architecture {
  /** `gpt2` or `llama` (the decoder implementation: src/model/gpt2.ts, src/model/llama.ts). */
  family: 'gpt2' | 'llama';
  parse(j: Record<string, unknown>, source: string): ModelConfig;
}

/** The architecture registry, keyed by config.json `model_type`. */
export const ARCHITECTURES: Record<string, Architecture> = {
  gpt2: { family: 'gpt2', parse: fromHfConfig },
  ...Object.fromEntries(LLAMA_MODEL_TYPES.map((t) => [t, { family: 'llama' as const, parse: llamaFromHfConfig }])),
};
export const MODEL_TYPES = Object.keys(ARCHITECTURES);

/**
 * Parse any architecture's HF `config.json` object (no `model_type` = gpt2, as fte's own models
 * before the registry). Throws `UserInputError`: `<source>: model_type 'x' is not supported; known: gpt2, llama, ...`.
 */
export function parseModelConfig(j: Record<string, unknown>, source = 'config.json'): ModelConfig {
  const type = j.model_type === undefined ? 'gpt2' : String(j.model_type);
  const arch = Object.hasOwn(ARCHITECTURES, type) ? ARCHITECTURES[type] : undefined;
  if (!arch) throw new UserInputError(`${source}: model_type '${type}' is not supported; known: ${MODEL_TYPES.join(', ')}`);
  return arch.parse(j, source);
}

/** The architecture family of a config. */
export function familyOf(c: ModelConfig): 'gpt2' | 'llama' {
  return isLlamaConfig(c) ? 'llama' : 'gpt2';
}

/** The `model_type` of a config. */
export function modelTypeOf(c: ModelConfig): string {
  return isLlamaConfig(c) ? c.modelType : 'gpt2';
}

/** Read `<dir>/config.json` (any architecture). Throws `UserInputError` when missing, invalid or of an unknown model_type. */
export async function readConfig(dir: string): Promise<ModelConfig> {
  const p = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(p, 'utf8');
  } catch {
    throw new UserInputError(`${p}: model config not found (a model folder holds config.json + model.safetensors)`);
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new UserInputError(`${p}: not valid JSON (${(e as Error).message})`);
  }
  return parseModelConfig(j, p);
}

export async function writeConfig(dir: string, c: GPT2Config): Promise<void> {
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(c), null, 2) + '\n');
}

/**
 * Parameter count. GPT-2 (tied embeddings): wte, wpe, per layer 12 d^2 + 13 d, ln_f. Llama family:
 * the sum over its tensors (./llama-config.ts).
 */
export function countParams(c: ModelConfig): number {
  if (isLlamaConfig(c)) return llamaCountParams(c);
  const d = c.nEmbd;
  return c.vocabSize * d + c.nCtx * d + c.nLayer * (12 * d * d + 13 * d) + 2 * d;
}

/**
 * `[in, out]` features of every GPT-2 module LoRA may target (Conv1D weights are `[in, out]`):
 * `c_attn` [d, 3d], `attn.c_proj` [d, d], `c_fc` [d, 4d], `mlp.c_proj` [4d, d], d = n_embd.
 * A LoRA rank above min(in, out) of a target cannot be trained.
 */
export function gpt2TargetModuleShapes(c: GPT2Config): Record<'c_attn' | 'attn.c_proj' | 'c_fc' | 'mlp.c_proj', [number, number]> {
  const d = c.nEmbd;
  return { c_attn: [d, 3 * d], 'attn.c_proj': [d, d], c_fc: [d, 4 * d], 'mlp.c_proj': [4 * d, d] };
}

/**
 * `[in, out]` features of every linear module LoRA may target in one block, by PEFT module name:
 * GPT-2's four (`gpt2TargetModuleShapes`) or the Llama family's seven (`q_proj` ... `down_proj`).
 * `all-linear` (PEFT) means all of these (never the LM head).
 */
export function targetModuleShapes(c: ModelConfig): Record<string, [number, number]> {
  return isLlamaConfig(c) ? llamaLinearShapes(c) : gpt2TargetModuleShapes(c);
}

/**
 * The module names a `target_modules` list selects in this architecture: the list as given, or with
 * `all-linear`, every linear module of a block in the architecture's order. Throws `UserInputError` naming the first target the architecture does
 * not have, and the names it has.
 */
export function resolveTargetModules(c: ModelConfig, targets: readonly string[]): string[] {
  const known = Object.keys(targetModuleShapes(c));
  if (targets.includes('all-linear')) return known;
  for (const t of targets) {
    if (!known.includes(t)) throw new UserInputError(`LoRA target module '${t}' is not a linear layer of ${modelTypeOf(c)} models; known: ${known.join(', ')}, all-linear`);
  }
  return [...targets];
}
