/**
 * fte's metrics, each as per-example statistics + a corpus score from the summed statistics + a
 * signature (sacrebleu's design). Exported from the package root as `metrics`:
 * `import { metrics } from 'fte'; metrics.corpusBleu(preds, refs).score`.
 */
export { corpusBleu, sentenceBleu, bleuStatistics, sumBleuStatistics, bleuFromStatistics, bleuSignature, tokenize13a } from './bleu.js';
export type { BleuOptions, BleuScore, BleuStatistics } from './bleu.js';
export { chrf, chrfStatistics, chrfFromStatistics, chrfSignature } from './chrf.js';
export type { ChrfOptions, ChrfScore } from './chrf.js';
export { rouge, rougeSingle, rougeTokenize, rougeN, rougeLcs, rougeLsumTokens, rougeSignature, ROUGE_TYPES } from './rouge.js';
export type { RougeOptions, RougeScores, RougeType, RougeValue } from './rouge.js';
export { porterStem } from './porter.js';
export { squadExactMatch, squadF1, squadStatistics, normalizeAnswer, squadSignature } from './squad.js';
export { classification, classificationStatistics, classificationFromStatistics, classificationSignature } from './classification.js';
export type { Averaged, ClassificationReport, ClassCounts } from './classification.js';
export { perplexity, perplexityStatistics, perplexityFromStatistics, perplexitySignature } from './perplexity.js';
export type { PerplexityScore, PerplexityStatistics } from './perplexity.js';
export { FTE_VERSION } from './signature.js';
export { METRICS, METRIC_NAMES, DEFAULT_METRICS, getMetric } from './registry.js';
export type { MetricDef, MetricInput, MetricKind, MetricValue } from './registry.js';
