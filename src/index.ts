/**
 * fte's public API. `import { defineExperiment, metrics } from 'fte'`.
 */
export { FteError, UserInputError, UnknownNameError } from './errors.js';
export * from './spec/schema.js';
export type * from './run/protocol.js';
export { defineExperiment, expandSweep, variantKey, loadSpec, planSweep, specFromWandbYaml, SpecError } from './spec/index.js';
export type { Variant, ResolvedParams, Fingerprints, LoadedSpec, PlannedSweep } from './spec/index.js';
export * as metrics from './eval/metrics/index.js';
export { loadDataset, readPrepared, prepareDataset, validateDataset, buildSuite } from './data/index.js';
export type { LoadedDataset, LoadDatasetOptions, DatasetManifest, PrepareOptions, PrepareResult, ValidationReport } from './data/index.js';
export * as cost from './cost/index.js';
export { trainVariant, loadForInference, estimateTrainingMemory, initBackend, BACKENDS } from './train/index.js';
export type { TrainVariantOptions, LoadedModel, TrainEvent, MemoryEstimate, KVCache, ForwardOptions, ForwardResult } from './train/index.js';
export * as report from './report/index.js';
export { openStore, withStore, Store, StoreLockedError } from './store/index.js';
export * as store from './store/index.js';
