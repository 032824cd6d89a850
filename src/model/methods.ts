/**
 * One dispatcher over the fine-tuning methods: `full` (every weight trainable), `lora` (adapters on
 * a frozen fp32 base) and `qlora` (adapters on a frozen NF4 base). Each returns the trainable
 * variables, parameter counts, the base's stored bytes and a `save` that writes the checkpoint in
 * the method's format (HF model folder for full, PEFT adapter folder for LoRA/QLoRA).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { countParams } from './config.js';
import type { GPT2 } from './gpt2.js';
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

async function setupFull(model: GPT2): Promise<PreparedMethod> {
  const n = countParams(model.config);
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
function freezeBase(model: GPT2): void {
  for (const v of model.params.values()) v.trainable = false;
}

async function setupLora(model: GPT2, o: MethodOptions): Promise<PreparedMethod> {
  const n = countParams(model.config);
  freezeBase(model);
  const adapters = injectLora(model, o.lora, o.seed);
  const trainable = loraVariables(adapters);
  const p = size(trainable);
  return {
    kind: 'lora',
    trainable,
    trainableParams: p,
    totalParams: n + p,
    baseWeightBytes: n * 4,
    save: (dir) => saveLoraAdapter(dir, adapters, o.lora, o.baseModelName),
  };
}

async function setupQlora(model: GPT2, o: MethodOptions): Promise<PreparedMethod> {
  const n = countParams(model.config);
  const dq = o.doubleQuant ?? true;
  freezeBase(model);
  const { quantizedBytes, quantizedParams } = await quantizeModelNf4(model, dq);
  const adapters = injectLora(model, o.lora, o.seed);
  const trainable = loraVariables(adapters);
  const p = size(trainable);
  const extra = { fte_base_quantization: { quant_type: 'nf4', blocksize: 64, double_quant: dq, quantized_modules: 'all block linears' } };
  return {
    kind: 'qlora',
    trainable,
    trainableParams: p,
    totalParams: n + p,
    baseWeightBytes: quantizedBytes + (n - quantizedParams) * 4,
    save: (dir) => saveLoraAdapter(dir, adapters, o.lora, o.baseModelName, extra),
  };
}

/** The method registry: one setup per name in `METHODS` (./names.ts). */
const SETUPS: Record<Method, (m: GPT2, o: MethodOptions) => Promise<PreparedMethod>> = { full: setupFull, lora: setupLora, qlora: setupQlora };
export type MethodKind = Method;

/**
 * Prepare `model` (in place) for training with `kind`. Throws `UnknownNameError` listing the
 * supported kinds for anything else.
 */
export async function prepareMethod(kind: string, model: GPT2, o: MethodOptions): Promise<PreparedMethod> {
  if (!(METHODS as readonly string[]).includes(kind)) throw new UnknownNameError('fine-tuning method', kind, [...METHODS]);
  const f = SETUPS[kind as Method];
  // The base model's own dropout (config attn/resid/embd_pdrop) draws from seed + 2 (LoRA: A from
  // seed, its dropout from seed + 1).
  model.seedDropout(o.seed + 2);
  return f(model, o);
}
