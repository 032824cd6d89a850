/**
 * GPT-2 model configuration and its Hugging Face `config.json` form (`GPT2Config` field names:
 * `vocab_size`, `n_positions`, `n_ctx`, `n_embd`, `n_layer`, `n_head`, `layer_norm_epsilon`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';

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

/** Read `<dir>/config.json`. Throws `UserInputError` when missing or invalid. */
export async function readConfig(dir: string): Promise<GPT2Config> {
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
  return fromHfConfig(j, p);
}

export async function writeConfig(dir: string, c: GPT2Config): Promise<void> {
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(c), null, 2) + '\n');
}

/** Parameter count of a GPT-2 with tied embeddings: wte, wpe, per layer 12 d^2 + 13 d, ln_f. */
export function countParams(c: GPT2Config): number {
  const d = c.nEmbd;
  return c.vocabSize * d + c.nCtx * d + c.nLayer * (12 * d * d + 13 * d) + 2 * d;
}

/**
 * `[in, out]` features of every GPT-2 module LoRA may target (Conv1D weights are `[in, out]`):
 * `c_attn` [d, 3d], `attn.c_proj` [d, d], `c_fc` [d, 4d], `mlp.c_proj` [4d, d], d = n_embd.
 * A LoRA rank above min(in, out) of a target cannot be trained.
 */
export function targetModuleShapes(c: GPT2Config): Record<'c_attn' | 'attn.c_proj' | 'c_fc' | 'mlp.c_proj', [number, number]> {
  const d = c.nEmbd;
  return { c_attn: [d, 3 * d], 'attn.c_proj': [d, d], c_fc: [d, 4 * d], 'mlp.c_proj': [4 * d, d] };
}
