/**
 * Tokens per request of an evaluated subject, for pricing it, when its API may not have reported
 * usage. Some OpenAI-compatible servers omit `usage` (or send nonsense, which the provider drops:
 * src/providers/openai.ts `reportedCount`); such a request's stored tokens are 0, and pricing them
 * would make the subject look free. Estimates, in order:
 *
 * 1. every answered request reported usage (or the model is local, which measures its tokens): the
 *    totals / answered requests;
 * 2. the clean prompts as built and the answers counted with OpenAI's `o200k_base` tokenizer, when
 *    the evaluation recorded them (`apiPromptTokens`, src/eval/api-tokens.ts; they cover every answered
 *    request);
 * 3. the mean of the requests that did report usage;
 * 4. none here (null): the caller estimates from the text at `CHARS_PER_TOKEN` characters per token.
 */
import type { SubjectRow } from './types.js';

/** Characters per token assumed when no token counts are known (the usual English BPE rule of thumb). */
export const CHARS_PER_TOKEN = 4;

type Row = Pick<SubjectRow, 'provider' | 'endpoint' | 'model' | 'answered' | 'promptTokens' | 'completionTokens' | 'usageNotReported' | 'apiPromptTokens' | 'apiCompletionTokens' | 'apiTokenizer'>;

const isLocal = (r: Pick<SubjectRow, 'provider' | 'endpoint'>): boolean => r.provider === 'local' || r.endpoint === 'in-process';

/**
 * Clean answered requests whose usage was not reported: the stored count; in a store before schema 6
 * (no count), every answered request of an API subject whose prompts total 0 tokens (no API bills a
 * prompt at 0), else 0.
 */
export function usageNotReported(r: Row): number {
  if (r.usageNotReported !== undefined) return r.usageNotReported;
  return !isLocal(r) && r.answered > 0 && r.promptTokens === 0 ? r.answered : 0;
}

/** Mean tokens per answered request, how they were obtained (module comment), and that in words. */
export interface SubjectTokens {
  inputTokens: number;
  outputTokens: number;
  /** `measured` (local model), `reported` (API usage), `counted` (o200k_base counts), `partial` (the requests that reported usage). */
  basis: 'measured' | 'reported' | 'counted' | 'partial';
  text: string;
}

/** Tokens per request of a subject (module comment); null when it answered nothing, or nothing is known. */
export function subjectTokensPerRequest(r: Row): SubjectTokens | null {
  if (!(r.answered > 0)) return null;
  const missing = usageNotReported(r);
  if (missing === 0) {
    const local = isLocal(r);
    return {
      inputTokens: r.promptTokens / r.answered,
      outputTokens: r.completionTokens / r.answered,
      basis: local ? 'measured' : 'reported',
      text: local ? `tokens ${r.model} was fed and generated` : `tokens ${r.model} reported`,
    };
  }
  const head = `usage not reported by the API (${missing} of ${r.answered} requests): tokens estimated as`;
  if (r.apiPromptTokens !== undefined && r.apiCompletionTokens !== undefined) {
    return { inputTokens: r.apiPromptTokens / r.answered, outputTokens: r.apiCompletionTokens / r.answered, basis: 'counted', text: `${head} ${r.apiTokenizer ?? 'o200k_base'} counts of the prompts as built and of the answers` };
  }
  const reported = r.answered - missing;
  if (reported > 0) {
    return { inputTokens: r.promptTokens / reported, outputTokens: r.completionTokens / reported, basis: 'partial', text: `${head} the mean of the ${reported} request${reported === 1 ? '' : 's'} that reported it` };
  }
  return null;
}
