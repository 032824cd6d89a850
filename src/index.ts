/**
 * fte's public API. `import { defineExperiment, metrics } from 'fte'`.
 */
export { FteError, UserInputError, UnknownNameError } from './errors.js';
export * from './experiment/schema.js';
export type * from './data/example.js';
export type * from './train/types.js';
export type * from './eval/types.js';
export type * from './cost/types.js';
export type * from './store/types.js';
export type * from './run/protocol.js';
export { defineExperiment, expandSweep, variantKey, loadSpec, planSweep, specFromWandbYaml, SpecError } from './experiment/index.js';
export type { Variant, ResolvedParams, Fingerprints, LoadedSpec, PlannedSweep } from './experiment/index.js';
export * as metrics from './eval/metrics/index.js';
export { loadDataset, readPrepared, prepareDataset, validateDataset, buildSuite } from './data/index.js';
export type { LoadedDataset, LoadDatasetOptions, DatasetManifest, PrepareOptions, PrepareResult, ValidationReport } from './data/index.js';
export * as cost from './cost/index.js';
export { estimateTrainingMemory } from './train/memory.js';
export { initBackend, BACKENDS } from './train/backend.js';
export type { TrainVariantOptions, LoadedModel, TrainEvent, MemoryEstimate, KVCache, ForwardOptions, ForwardResult, LanguageModel } from './train/index.js';
export type { ModelConfig, GPT2Config, LlamaConfig } from './model/config.js';
export { MODEL_TYPES } from './model/config.js';

/**
 * Fine-tune one variant (see src/train/index.ts `trainVariant`). Loads TensorFlow.js on first call,
 * not when `fte` is imported.
 */
export async function trainVariant(opts: import('./train/index.js').TrainVariantOptions): Promise<import('./train/types.js').TrainSummary> {
  await import('./tfjs-hooks.js');
  return (await import('./train/index.js')).trainVariant(opts);
}

/**
 * Load a base model, optionally with an adapter or full checkpoint, for generation (see
 * src/train/index.ts `loadForInference`). Loads TensorFlow.js on first call.
 */
export async function loadForInference(baseModelDir: string, checkpointDir?: string, backend?: string): Promise<import('./train/index.js').LoadedModel> {
  await import('./tfjs-hooks.js');
  return (await import('./train/index.js')).loadForInference(baseModelDir, checkpointDir, backend);
}
export * as report from './report/index.js';
export { openStore, withStore, Store, StoreLockedError } from './store/index.js';
export * as store from './store/index.js';
export * as stats from './stats/index.js';
