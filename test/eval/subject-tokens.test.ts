import { describe, expect, it } from 'vitest';
import { subjectTokensPerRequest, usageNotReported } from '../../src/eval/subject-tokens.js';
import { subjectNotes, tokensCell } from '../../src/eval/subject-notes.js';
import type { SubjectRow } from '../../src/eval/types.js';

const row = (extra: Partial<SubjectRow> = {}): SubjectRow => ({
  subject: 'api-few', kind: 'prompting', prompt: 'few_shot', k: 2, provider: 'openai', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1',
  examples: 10, answered: 10, requests: 10, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
  promptTokens: 5000, completionTokens: 50, wallSeconds: 1, usageNotReported: 0, ...extra,
});

describe('usageNotReported', () => {
  it('the stored count; a store before schema 6 infers it for an API subject whose prompts cost 0 tokens', () => {
    expect(usageNotReported(row({ usageNotReported: 3 }))).toBe(3);
    expect(usageNotReported(row({ usageNotReported: undefined }))).toBe(0);
    expect(usageNotReported(row({ usageNotReported: undefined, promptTokens: 0, completionTokens: 0 }))).toBe(10);
    // a local model measures its tokens
    expect(usageNotReported(row({ usageNotReported: undefined, provider: 'local', endpoint: 'in-process', promptTokens: 0 }))).toBe(0);
    expect(usageNotReported(row({ usageNotReported: undefined, promptTokens: 0, answered: 0 }))).toBe(0);
  });
});

describe('subjectTokensPerRequest', () => {
  it('reported usage: totals over the answered requests', () => {
    expect(subjectTokensPerRequest(row())).toEqual({ inputTokens: 500, outputTokens: 5, basis: 'reported', text: 'tokens gpt-4o-mini reported' });
  });
  it('a local model: the tokens it was fed and generated', () => {
    expect(subjectTokensPerRequest(row({ provider: 'local', endpoint: 'in-process', model: 'fte-tiny-base' }))).toMatchObject({ inputTokens: 500, basis: 'measured' });
  });
  it('usage not reported: the o200k_base counts of the prompts as built and the answers, when recorded', () => {
    const t = subjectTokensPerRequest(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0, apiPromptTokens: 1250, apiCompletionTokens: 20, apiTokenizer: 'o200k_base' }));
    expect(t).toEqual({ inputTokens: 125, outputTokens: 2, basis: 'counted', text: 'usage not reported by the API (10 of 10 requests): tokens estimated as o200k_base counts of the prompts as built and of the answers' });
  });
  it('usage reported by some requests only, no counts: the mean of those that reported it', () => {
    const t = subjectTokensPerRequest(row({ usageNotReported: 6, promptTokens: 2000, completionTokens: 20 }));
    expect(t).toEqual({ inputTokens: 500, outputTokens: 5, basis: 'partial', text: 'usage not reported by the API (6 of 10 requests): tokens estimated as the mean of the 4 requests that reported it' });
  });
  it('nothing reported and no counts: null (the caller estimates from text length)', () => {
    expect(subjectTokensPerRequest(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0 }))).toBeNull();
    expect(subjectTokensPerRequest(row({ answered: 0, promptTokens: 0 }))).toBeNull();
  });
});

describe('what the summary and the notes say', () => {
  it('the tokens cell marks an estimate, or says not reported', () => {
    expect(tokensCell(row())).toBe('500, 5');
    expect(tokensCell(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0, apiPromptTokens: 1250, apiCompletionTokens: 20 }))).toBe('~125, 2 (est.)');
    expect(tokensCell(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0 }))).toBe('not reported');
    expect(tokensCell(row({ answered: 0 }))).toBe('-');
  });
  it('a note: usage not reported by the API: tokens estimated', () => {
    expect(subjectNotes(row())).toEqual([]);
    expect(subjectNotes(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0, apiPromptTokens: 1250, apiCompletionTokens: 20 }))).toEqual([
      'api-few (openai gpt-4o-mini @ http://127.0.0.1:9/v1): usage not reported by the API for 10 of 10 requests: tokens estimated (o200k_base counts of the prompts as built and of the answers)',
    ]);
    expect(subjectNotes(row({ usageNotReported: 10, promptTokens: 0, completionTokens: 0 }))).toEqual([
      `api-few (openai gpt-4o-mini @ http://127.0.0.1:9/v1): usage not reported by the API for 10 of 10 requests: tokens estimated (fte roi: from the text, 4 characters per token)`,
    ]);
  });
});
