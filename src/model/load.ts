/**
 * Load any registered architecture (src/model/config.ts `ARCHITECTURES`, keyed by config.json
 * `model_type`) from a model folder, or build one with random weights, on the active tfjs backend.
 */
import { join } from 'node:path';
import { familyOf, readConfig, type ModelConfig } from './config.js';
import type { LanguageModel } from './model.js';
import { GPT2, mapCheckpointTensors } from './gpt2.js';
import { Llama, mapLlamaTensors } from './llama.js';
import { readCheckpoint } from './safetensors.js';

/**
 * Load `dir/config.json` and its weights (`model.safetensors`, or shards listed by
 * `model.safetensors.index.json`; F32, F16 or BF16, held as float32).
 * @throws UserInputError for a missing or malformed folder, an unknown model_type (naming the known
 *   ones), or weights that do not match the config (naming the first mismatching tensor).
 */
export async function loadModel(dir: string): Promise<LanguageModel> {
  const config = await readConfig(dir);
  const { tensors } = await readCheckpoint(dir);
  if (familyOf(config) === 'llama') return new Llama(config as Llama['config'], mapLlamaTensors(config as Llama['config'], tensors, dir));
  return new GPT2(config as GPT2['config'], mapCheckpointTensors(config as GPT2['config'], tensors, join(dir, 'model.safetensors')));
}

/** A model of `config` with freshly initialised weights (each architecture's own initialisation). */
export function randomModel(config: ModelConfig, seed = 0): LanguageModel {
  return familyOf(config) === 'llama' ? Llama.random(config as Llama['config'], seed) : GPT2.random(config as GPT2['config'], seed);
}
