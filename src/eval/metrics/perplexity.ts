/**
 * Perplexity from per-token negative log-likelihoods (natural log): PPL = exp(mean NLL), bits per
 * token = mean NLL / ln 2. The statistics are (sum NLL, token count), which sum over batches, so the
 * corpus value is exp(total NLL / total tokens), not a mean of per-example perplexities.
 */
import { makeSignature } from './signature.js';

export interface PerplexityStatistics {
  /** Sum of token NLLs, nats. */
  nllSum: number;
  /** Number of tokens. */
  tokens: number;
}

export interface PerplexityScore {
  /** exp(mean NLL); NaN when there are no tokens. */
  perplexity: number;
  /** Mean NLL / ln 2, bits per token. */
  bitsPerToken: number;
  /** Mean NLL, nats per token. */
  meanNll: number;
  tokens: number;
  signature: string;
}

export function perplexityStatistics(tokenNll: number[]): PerplexityStatistics {
  let nllSum = 0;
  for (const x of tokenNll) nllSum += x;
  return { nllSum, tokens: tokenNll.length };
}

export function perplexityFromStatistics(s: PerplexityStatistics): PerplexityScore {
  const meanNll = s.tokens === 0 ? NaN : s.nllSum / s.tokens;
  return { perplexity: Math.exp(meanNll), bitsPerToken: meanNll / Math.LN2, meanNll, tokens: s.tokens, signature: perplexitySignature() };
}

/**
 * Perplexity of a flat list of token NLLs (nats), e.g. every completion token of a test split.
 * Empty input gives NaN (no tokens, no perplexity).
 */
export function perplexity(tokenNll: number[]): PerplexityScore {
  return perplexityFromStatistics(perplexityStatistics(tokenNll));
}

/**
 * Signature: `metric:perplexity|base:e|over:completion_tokens+end|fte:0.1.0`: the completion's tokens
 * and the end-of-text token after it, the tokens the validation loss averages (rows signed
 * `over:completion_tokens` were computed without the end token).
 */
export function perplexitySignature(): string {
  return makeSignature({ metric: 'perplexity', base: 'e', over: 'completion_tokens+end' });
}
