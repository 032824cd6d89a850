/**
 * The training stage's public entry points (called by src/run in a worker process, and by src/eval
 * for inference). tfjs is loaded when these run, not when the CLI starts: import this module with a
 * dynamic `import()` from commands.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ForwardOptions, ForwardResult, LanguageModel } from '../model/model.js';
import { loadModel } from '../model/load.js';
import type { ModelConfig } from '../model/config.js';
import { type LoraTarget, loadLoraAdapter } from '../model/lora.js';
import { prepareMethod } from '../model/methods.js';
import { dequantizeModel, quantizeModelNf4 } from '../model/qlora.js';
import { type TextTokenizer, loadTokenizer } from '../model/tokenizer.js';
import type { Example } from '../data/example.js';
import type { TrainSummary } from '../train/types.js';
import type { Params } from '../experiment/schema.js';
import { UserInputError } from '../errors.js';
import { type BackendInfo, initBackend } from './backend.js';
import { estimateTrainingMemory } from './memory.js';
import { type TrainEvent, runTraining } from './trainer.js';

export type { TrainEvent } from './trainer.js';
export type { MemoryEstimate } from './memory.js';
export type { KVCache, ForwardOptions, ForwardResult, LanguageModel } from '../model/model.js';

export interface TrainVariantOptions {
  /** Folder with config.json + safetensors weights (+ tokenizer files: gpt2-bpe, or tokenizer.json for the Llama family). */
  baseModelDir: string;
  method: 'full' | 'lora' | 'qlora';
  params: Params & { alpha: number };
  train: Example[];
  val: Example[];
  earlyStopping: { patience: number; minDelta: number };
  /** Run folder; the best checkpoint goes to `<outDir>/best`. */
  outDir: string;
  /** Backend registry name (`auto`, `wasm`, ...). */
  backend: string;
  /** Cap on optimizer steps (smoke runs). */
  maxSteps?: number;
  /** Validation examples used for the validation loss (first N). Default: all. */
  valLimit?: number;
  /** QLoRA double quantization. Default true. */
  doubleQuant?: boolean;
  signal?: AbortSignal;
  onEvent: (e: TrainEvent) => void;
  /** See TrainerOptions.onValidation. */
  onValidation?: (iteration: number, bestValLoss: number) => Promise<boolean>;
  /** Extra fields stored in the checkpoint's trainer_state.json (variant key, resolved spec...). */
  state?: Record<string, unknown>;
}

/**
 * Fine-tune one variant: load the base, prepare the method (full / LoRA / QLoRA), train, keep the
 * best-validation checkpoint in `<outDir>/best` (PEFT adapter folder, or an HF model folder for
 * full), and return the summary (also sent as the `end` event). A diverged run returns
 * `status: 'diverged'`, it does not throw. Throws `UserInputError` for a bad base model folder,
 * `UnknownNameError` for an unknown backend or method, and an `AbortError` when `signal` aborts.
 */
export async function trainVariant(opts: TrainVariantOptions): Promise<TrainSummary> {
  const backend = await initBackend(opts.backend);
  const model = await loadModel(opts.baseModelDir);
  try {
    const tokenizer = await loadTokenizer(model.config.tokenizer, opts.baseModelDir);
    const p = opts.params;
    const lora = { r: p.rank, alpha: p.alpha, dropout: p.dropout, targetModules: p.targetModules as LoraTarget[], useRslora: p.useRslora };
    const method = await prepareMethod(opts.method, model, { lora, seed: p.seed, baseModelName: resolve(opts.baseModelDir), doubleQuant: opts.doubleQuant });
    const maxLen = Math.min(p.maxSeqLen, model.config.nCtx);
    const memory = estimateTrainingMemory(model.config, opts.method, { rank: p.rank, targetModules: lora.targetModules, batchSize: p.batchSize, seqLen: maxLen, doubleQuant: opts.doubleQuant });
    return await runTraining({
      model, method, tokenizer, train: opts.train, val: opts.val, params: p, earlyStopping: opts.earlyStopping,
      outDir: opts.outDir, backend, memory, maxSteps: opts.maxSteps, valLimit: opts.valLimit, signal: opts.signal, onEvent: opts.onEvent, onValidation: opts.onValidation, state: opts.state,
    });
  } finally {
    model.dispose();
  }
}

/** A model ready for generation / scoring. */
export interface LoadedModel {
  config: ModelConfig;
  tokenizer: TextTokenizer;
  backend: BackendInfo;
  /** What was loaded: `base`, `lora`, `qlora` (adapter merged into the dequantized base) or `full`. */
  kind: 'base' | 'lora' | 'qlora' | 'full';
  model: LanguageModel;
  /**
   * ids int32 [B, T] -> logits [B, T, vocab] and `present` (the KV cache extended by these T
   * positions; returned when `past` is given or `useCache: true`). Call inside `tf.tidy` and return
   * what you keep; dispose old caches yourself. `attentionMask` [B, past + T] (1 real, 0 pad) supports
   * left-padded batches (positions are counted over real tokens, as HF GPT-2). Throws
   * `UserInputError` when past + T > nCtx.
   */
  forward(ids: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;
  dispose(): void;
}

/**
 * Load a base model, optionally with a fine-tuned checkpoint: a PEFT adapter folder
 * (`adapter_config.json` + `adapter_model.safetensors`; a QLoRA adapter is applied to the NF4
 * round-tripped base it was trained on) or a full model folder (`config.json` + `model.safetensors`).
 * Adapters are merged into the weights, so inference costs the same as the base model.
 * Throws `UserInputError` for a missing or malformed folder.
 */
export async function loadForInference(baseModelDir: string, checkpointDir?: string, backendName = 'auto', opts: { tokenizerOptional?: boolean } = {}): Promise<LoadedModel> {
  const backend = await initBackend(backendName);
  let kind: LoadedModel['kind'] = 'base';
  let model: LanguageModel;
  if (checkpointDir && existsSync(join(checkpointDir, 'adapter_config.json'))) {
    model = await loadModel(baseModelDir);
    const { readAdapterConfig } = await import('../model/lora.js');
    const { raw } = await readAdapterConfig(checkpointDir);
    const q = raw.fte_base_quantization as { double_quant?: boolean } | undefined;
    if (q) {
      await quantizeModelNf4(model, q.double_quant ?? true);
      kind = 'qlora';
    } else kind = 'lora';
    const { adapters } = await loadLoraAdapter(model, checkpointDir);
    if (q) dequantizeModel(model);
    for (const a of adapters.values()) a.merge();
  } else if (checkpointDir) {
    if (!isCheckpointDir(checkpointDir)) throw new UserInputError(`${checkpointDir}: not a checkpoint (no adapter_config.json, model.safetensors or model.safetensors.index.json)`);
    model = await loadModel(checkpointDir);
    kind = 'full';
  } else {
    model = await loadModel(baseModelDir);
  }
  let tokenizer: TextTokenizer;
  try {
    tokenizer = await loadTokenizer(model.config.tokenizer, baseModelDir);
  } catch (e) {
    if (!opts.tokenizerOptional || !(e instanceof UserInputError)) {
      model.dispose();
      throw e;
    }
    tokenizer = idsOnlyTokenizer(model.config);
  }
  return {
    config: model.config,
    tokenizer,
    backend,
    kind,
    model,
    forward: (ids, o) => model.forward(ids, o),
    dispose: () => model.dispose(),
  };
}

/**
 * A stand-in for a model folder without tokenizer files, for decoding ids only (`fte generate
 * --input-ids`): encode refuses, decode gives '', the end ids are config.json's `eos_token_id`.
 */
function idsOnlyTokenizer(c: ModelConfig): TextTokenizer {
  const ends = 'eosTokenIds' in c ? c.eosTokenIds : [c.vocabSize - 1];
  return {
    name: 'none',
    vocabSize: c.vocabSize,
    eosId: ends[0] ?? -1,
    stopIds: ends,
    encode: () => {
      throw new UserInputError('this model folder has no tokenizer files: give token ids (--input-ids)');
    },
    decode: () => '',
  };
}

/** True when `dir` holds a fine-tuned checkpoint: a PEFT adapter, or a full model (single or sharded safetensors). */
export function isCheckpointDir(dir: string): boolean {
  return ['adapter_config.json', 'model.safetensors', 'model.safetensors.index.json'].some((f) => existsSync(join(dir, f)));
}

export { initBackend, BACKENDS } from './backend.js';
export { estimateTrainingMemory } from './memory.js';
