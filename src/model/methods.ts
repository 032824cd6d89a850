/**
 * One dispatcher over the fine-tuning methods: `full` (every weight trainable), `lora` (adapters on
 * a frozen fp32 base) and `qlora` (adapters on a frozen NF4 base). Each returns the trainable
 * variables, parameter counts, the base's stored bytes and a `save` that writes the checkpoint in
 * the method's format (HF model folder for full, PEFT adapter folder for LoRA/QLoRA).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { resolveTargetModules } from './config.js';
import type { LanguageModel } from './model.js';
import { type LoraConfig, injectLora, loraVariables, saveLoraAdapter } from './lora.js';
import { quantizeModelNf4 } from './qlora.js';
import { UnknownNameError } from '../errors.js';
import { METHODS, type Method } from './names.js';

export interface MethodOptions {
  lora: LoraConfig;
  /** Seed for adapter initialisation and dropout. */
  seed: number;
  /** Written as `base_model_name_or_path` in adapter_config.json. */
  baseModelName: string;
  /** QLoRA double quantization of the block scales. Default true (as the paper's recipe). */
  doubleQuant?: boolean;
}

export interface PreparedMethod {
  kind: Method;
  /** Trainable variables by name (GPT-2 names for full, PEFT names for adapters). */
  trainable: Map<string, tf.Variable>;
  trainableParams: number;
  /** Base parameters + adapter parameters (PEFT's "all params"). */
  totalParams: number;
  /** Bytes of the frozen base weights as stored: fp32, or NF4 codes + scales for the quantized linears. */
  baseWeightBytes: number;
  /** Write the checkpoint into `dir`; returns the bytes of the weights file. */
  save(dir: string): Promise<number>;
}

const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((a, v) => a + v.size, 0);

/** The LoRA config with `all-linear` expanded to the architecture's module names (as PEFT saves it). */
function resolvedLora(model: LanguageModel, o: MethodOptions): LoraConfig {
  return { ...o.lora, targetModules: resolveTargetModules(model.config, o.lora.targetModules) as LoraConfig['targetModules'] };
}

/** PEFT adapter_config.json fields that depend on the architecture. */
function archFields(model: LanguageModel): Record<string, unknown> {
  return { fan_in_fan_out: model.fanInFanOut };
}

async function setupFull(model: LanguageModel): Promise<PreparedMethod> {
  const n = model.numParams;
  return {
    kind: 'full',
    trainable: new Map(model.params),
    trainableParams: n,
    totalParams: n,
    baseWeightBytes: n * 4,
    save: (dir) => model.save(dir),
  };
}

/** Mark the base's weights frozen (LoRA/QLoRA): frozen linears then keep no weight-gradient inputs alive. */
function freezeBase(model: LanguageModel): void {
  for (const v of model.params.values()) v.trainable = false;
}

async function setupLora(model: LanguageModel, o: MethodOptions): Promise<PreparedMethod> {
  const n = model.numParams;
  freezeBase(model);
  const lora = resolvedLora(model, o);
  const adapters = injectLora(model, lora, o.seed);
  const trainable = loraVariables(adapters, model.peftPrefix);
  const p = size(trainable);
  return {
    kind: 'lora',
    trainable,
    trainableParams: p,
    totalParams: n + p,
    baseWeightBytes: n * 4,
    save: (dir) => saveLoraAdapter(dir, adapters, lora, o.baseModelName, archFields(model), model.peftPrefix),
  };
}

async function setupQlora(model: LanguageModel, o: MethodOptions): Promise<PreparedMethod> {
  const n = model.numParams;
  const dq = o.doubleQuant ?? true;
  freezeBase(model);
  const lora = resolvedLora(model, o);
  const { quantizedBytes, quantizedParams } = await quantizeModelNf4(model, dq);
  const adapters = injectLora(model, lora, o.seed);
  const trainable = loraVariables(adapters, model.peftPrefix);
  const p = size(trainable);
  const extra = { ...archFields(model), fte_base_quantization: { quant_type: 'nf4', blocksize: 64, double_quant: dq, quantized_modules: 'all block linears' } };
  return {
    kind: 'qlora',
    trainable,
    trainableParams: p,
    totalParams: n + p,
    baseWeightBytes: quantizedBytes + (n - quantizedParams) * 4,
    save: (dir) => saveLoraAdapter(dir, adapters, lora, o.baseModelName, extra, model.peftPrefix),
  };
}

/** The method registry: one setup per name in `METHODS` (./names.ts). */
const SETUPS: Record<Method, (m: LanguageModel, o: MethodOptions) => Promise<PreparedMethod>> = { full: setupFull, lora: setupLora, qlora: setupQlora };
export type MethodKind = Method;

/**
 * Prepare `model` (in place) for training with `kind`. Throws `UnknownNameError` listing the
 * supported kinds for anything else.
 */
export async function prepareMethod(kind: string, model: LanguageModel, o: MethodOptions): Promise<PreparedMethod> {
  if (!(METHODS as readonly string[]).includes(kind)) throw new UnknownNameError('fine-tuning method', kind, [...METHODS]);
  const f = SETUPS[kind as Method];
  // The base model's own dropout (config attn/resid/embd_pdrop) draws from seed + 2 (LoRA: A from
  // seed, its dropout from seed + 1).
  model.seedDropout?.(o.seed + 2);
  return f(model, o);
}
