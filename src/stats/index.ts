/**
 * The statistics stage: intervals and paired tests as pure functions of per-example scores or
 * sufficient statistics (DESIGN.md "Verdicts"). Imports nothing outside `src/stats/`.
 * Every result carries a `signature` naming its procedure, stored beside the number.
 */
export { StatsInputError } from './errors.js';
export { mcnemar, type McNemarResult } from './mcnemar.js';
export { binomialCdf } from './binomial.js';
export { bootstrapInterval, bootstrapCorpus, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
export {
  pairedBootstrap,
  pairedBootstrapCorpus,
  pairedBootstrapPValue,
  type PairedBootstrapResult,
  type PairedBootstrapCorpusResult,
} from './paired.js';
export { holmBonferroni } from './holm.js';
export type { ResampleOptions } from './resample.js';
