/**
 * fte's public API. `import { defineExperiment, metrics } from 'fte'`.
 */
export { FteError, UserInputError, UnknownNameError } from './errors.js';
export * from './spec/schema.js';
export type * from './run/protocol.js';
