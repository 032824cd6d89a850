/**
 * The evaluation stage: batched generation, metrics, HELM-style perturbations, prompting and RAG
 * baselines, and the scoring harness the orchestrator calls (`evaluateSubject`).
 */
export { evaluateSubject, modelGenerator, withRequestsOf } from './evaluate.js';
export { inferSliceKinds, sliceLabelSets } from './slices.js';
export { evaluateMajority, majorityLabel } from './majority.js';
export { normalizeLabel, mapToLabel, labelSet } from './labels.js';
export { DEFAULT_BOOTSTRAP, metricInterval, meanInterval, type BootstrapSpec } from './intervals.js';
export type { Generator, EvaluateSubjectOptions, EvaluateSubjectResult } from './evaluate.js';
export { generate, tokenNll } from './generate.js';
export type { CausalLM, DecodeTokenizer, GenerateOptions, Generation, KVCacheLike } from './generate.js';
export { createPromptBuilder, selectFewShot, createBm25Retriever, categoriesAreLabels, SUBJECT_PROMPTS, PROMPT_STRATEGIES } from './baselines.js';
export type { BuiltPrompt, PromptBuilder, PromptBuilderOptions, PromptTokenizer, PromptStrategy } from './baselines.js';
export { getPerturbation, perturbExamples, perturbPrompt, perturbText, PERTURBATION_NAMES } from './perturbations/index.js';
export type { Perturbation, PerturbationParams } from './perturbations/index.js';
export { METRICS, METRIC_NAMES, DEFAULT_METRICS, getMetric } from './metrics/registry.js';
export type { MetricDef, MetricKind, MetricInput, MetricValue } from './metrics/registry.js';
export { generalRows, scoreGeneral, readGeneralFile, evenlySpaced, GENERAL_SLICE, DEFAULT_GENERAL_PASSAGES } from './general.js';
export type { GeneralPassage, GeneralScore } from './general.js';
