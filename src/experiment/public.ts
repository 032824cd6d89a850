/**
 * What an experiment spec imports as `'fte'` when `fte` loads it (the loader aliases the package
 * name to this module, see src/experiment/load.ts): `defineExperiment` and nothing heavy, so loading a spec
 * does not load DuckDB, TensorFlow.js or the report renderer. Editors still type-check a spec against
 * the full package root.
 */
export { defineExperiment } from './define.js';
export type { ExperimentSpec, ExperimentSpecInput, Params, Method } from './schema.js';
