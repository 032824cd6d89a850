/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), as PEFT implements
 * it for GPT-2's Conv1D layers:
 *   y = W x + b + scaling * B A dropout(x),   A [r, in] (Kaiming-uniform), B [out, r] (zeros),
 *   scaling = alpha / r, or alpha / sqrt(r) with rsLoRA (Kalajdzievski 2023).
 * W (and b) stay frozen; only A and B train. Because B starts at zero a fresh adapter changes
 * nothing. `merge` folds scaling * (B A)^T into W (Conv1D layout [in, out]), `unmerge` takes it out.
 *
 * Saved as PEFT does: `adapter_config.json` + `adapter_model.safetensors` with keys
 * `base_model.model.transformer.h.{i}.{module}.lora_A.weight` / `.lora_B.weight`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GPT2, type LinearModule, DenseLinear } from './gpt2.js';
import { matMul } from './matmul.js';
import { loraBranch } from './ops.js';
import { Rng } from '../random.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { UserInputError } from '../errors.js';

import { LORA_TARGETS, type LoraTarget } from './names.js';

export { LORA_TARGETS, type LoraTarget };

/** fte's linear key suffix for each target name. */
const TARGET_SUFFIX: Record<LoraTarget, string> = { c_attn: 'attn.c_attn', 'attn.c_proj': 'attn.c_proj', c_fc: 'mlp.c_fc', 'mlp.c_proj': 'mlp.c_proj' };

export interface LoraConfig {
  /** Rank r. */
  r: number;
  /** lora_alpha. */
  alpha: number;
  /** Dropout probability on the adapter input (lora_dropout). */
  dropout: number;
  targetModules: LoraTarget[];
  useRslora: boolean;
}

/** PEFT's scaling: alpha / r, or alpha / sqrt(r) with rsLoRA. */
export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** A linear layer with a LoRA adapter around a frozen base (dense fp32 or NF4, see qlora.ts). */
export class LoraLinear implements LinearModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly loraA: tf.Variable; // [r, in]
  readonly loraB: tf.Variable; // [out, r]
  readonly scaling: number;
  merged = false;

  constructor(
    public base: LinearModule,
    readonly r: number,
    alpha: number,
    readonly dropout: number,
    useRslora: boolean,
    rng: Rng,
    /** Seeds for dropout masks, one draw per training forward. */
    private dropoutRng: Rng,
  ) {
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.scaling = loraScaling({ r, alpha, useRslora });
    // PEFT: nn.init.kaiming_uniform_(A, a=sqrt(5)) => U(-1/sqrt(in), 1/sqrt(in)); B = 0.
    this.loraA = tf.tidy(() => tf.variable(tf.tensor2d(rng.uniforms(r * this.inFeatures, 1 / Math.sqrt(this.inFeatures)), [r, this.inFeatures]), true));
    this.loraB = tf.tidy(() => tf.variable(tf.zeros([this.outFeatures, r]), true));
  }

  /**
   * x [N, in] -> [N, out]. Dropout (training only) on the adapter branch's input, as PEFT. The branch
   * is one custom-gradient op (ops.ts `loraBranch`: saves x and the [N, r] product only).
   */
  forward(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const y = this.base.forward(x, training);
    if (this.merged) return y;
    const rate = training ? this.dropout : 0;
    const seed = rate > 0 ? this.dropoutRng.int(2 ** 31) : 0;
    return tf.add(y, loraBranch(x, this.loraA as tf.Variable<tf.Rank.R2>, this.loraB as tf.Variable<tf.Rank.R2>, this.scaling, rate, seed)) as tf.Tensor2D; // [N, out]
  }

  /** scaling * (B A)^T in Conv1D layout [in, out] (PEFT's get_delta_weight with fan_in_fan_out). */
  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.transpose(matMul(this.loraB, this.loraA)), this.scaling) as tf.Tensor2D);
  }

  /** W += delta (dense base only). Idempotent. */
  merge(): void {
    if (this.merged) return;
    if (!(this.base instanceof DenseLinear)) throw new Error('LoRA merge needs a dense base weight (dequantize a QLoRA base first)');
    const w = this.base.weight;
    tf.tidy(() => w.assign(tf.add(w, this.deltaWeight())));
    this.merged = true;
  }

  /** W -= delta. Idempotent. */
  unmerge(): void {
    if (!this.merged) return;
    const w = (this.base as DenseLinear).weight;
    tf.tidy(() => w.assign(tf.sub(w, this.deltaWeight())));
    this.merged = false;
  }

  dispose(): void {
    this.loraA.dispose();
    this.loraB.dispose();
    this.base.dispose?.();
  }
}

/** Linear keys (`h.{i}.attn.c_attn`, ...) that a target list selects. */
export function targetKeys(model: GPT2, targets: readonly LoraTarget[]): string[] {
  for (const t of targets) if (!(t in TARGET_SUFFIX)) throw new UserInputError(`unknown LoRA target module '${t}'; known: ${LORA_TARGETS.join(', ')}`);
  const suffixes = targets.map((t) => TARGET_SUFFIX[t]);
  return [...model.linears.keys()].filter((k) => suffixes.some((s) => k.endsWith('.' + s)));
}

/**
 * Wrap the targeted linears of `model` in LoRA adapters (in place) and return them by key.
 * A is drawn from `seed`; dropout masks from `seed + 1`.
 */
export function injectLora(model: GPT2, c: LoraConfig, seed: number): Map<string, LoraLinear> {
  const rng = new Rng(seed);
  const dropRng = new Rng(seed + 1);
  const out = new Map<string, LoraLinear>();
  for (const k of targetKeys(model, c.targetModules)) {
    const l = new LoraLinear(model.linears.get(k)!, c.r, c.alpha, c.dropout, c.useRslora, rng, dropRng);
    model.linears.set(k, l);
    out.set(k, l);
  }
  return out;
}

/** PEFT key prefix of an fte linear key. */
export function peftKey(key: string): string {
  return `base_model.model.transformer.${key}`;
}

/** Trainable LoRA variables by PEFT name (`...lora_A.weight`, `...lora_B.weight`). */
export function loraVariables(adapters: Map<string, LoraLinear>): Map<string, tf.Variable> {
  const m = new Map<string, tf.Variable>();
  for (const [k, l] of adapters) {
    m.set(`${peftKey(k)}.lora_A.weight`, l.loraA);
    m.set(`${peftKey(k)}.lora_B.weight`, l.loraB);
  }
  return m;
}

/** PEFT's `adapter_config.json` for a LoRA config. `extra` adds fte fields (e.g. the base's quantization). */
export function adapterConfigJson(c: LoraConfig, baseModel: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: c.targetModules,
    use_rslora: c.useRslora,
    bias: 'none',
    fan_in_fan_out: true,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    ...extra,
  };
}

/** Save `adapter_config.json` + `adapter_model.safetensors`; returns the safetensors size in bytes. */
export async function saveLoraAdapter(dir: string, adapters: Map<string, LoraLinear>, c: LoraConfig, baseModel: string, extra: Record<string, unknown> = {}): Promise<number> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of loraVariables(adapters)) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(adapterConfigJson(c, baseModel, extra), null, 2) + '\n');
  return writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
}

/** Read a PEFT `adapter_config.json` into a LoraConfig (+ the raw JSON). Throws `UserInputError`. */
export async function readAdapterConfig(dir: string): Promise<{ config: LoraConfig; raw: Record<string, unknown> }> {
  const p = join(dir, 'adapter_config.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(p, 'utf8'));
  } catch (e) {
    throw new UserInputError(`${p}: cannot read adapter config (${(e as Error).message})`);
  }
  if (raw.peft_type !== 'LORA') throw new UserInputError(`${p}: peft_type '${String(raw.peft_type)}' is not supported; known: LORA`);
  const targets = (Array.isArray(raw.target_modules) ? raw.target_modules : [raw.target_modules]) as string[];
  for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new UserInputError(`${p}: target_modules: unknown '${t}'; known: ${LORA_TARGETS.join(', ')}`);
  return {
    config: { r: Number(raw.r), alpha: Number(raw.lora_alpha), dropout: Number(raw.lora_dropout ?? 0), targetModules: targets as LoraTarget[], useRslora: Boolean(raw.use_rslora) },
    raw,
  };
}

/** Inject adapters per `dir/adapter_config.json` and load their weights from `adapter_model.safetensors`. */
export async function loadLoraAdapter(model: GPT2, dir: string): Promise<{ adapters: Map<string, LoraLinear>; config: LoraConfig; raw: Record<string, unknown> }> {
  const { config, raw } = await readAdapterConfig(dir);
  const adapters = injectLora(model, config, 0);
  const path = join(dir, 'adapter_model.safetensors');
  const { tensors } = await readSafetensors(path);
  for (const [name, v] of loraVariables(adapters)) {
    const t = tensors.get(name) ?? tensors.get(name.replace('.weight', '.default.weight'));
    if (!t) throw new UserInputError(`${path}: missing tensor ${name}`);
    if (t.shape.join(',') !== v.shape.join(',')) throw new UserInputError(`${path}: tensor ${name} has shape [${t.shape}], expected [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, v.shape)));
  }
  return { adapters, config, raw };
}
