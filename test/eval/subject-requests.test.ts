import { describe, expect, it } from 'vitest';
import { withRequestsOf } from '../../src/eval/evaluate.js';
import type { SubjectRow } from '../../src/eval/types.js';

const row = (over: Partial<SubjectRow>): SubjectRow => ({
  subject: 'prompting', kind: 'prompting', prompt: 'few_shot', k: 2, provider: 'openai', model: 'm', endpoint: 'http://127.0.0.1:1/v1',
  examples: 10, answered: 9, requests: 50, errors: 1, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
  promptTokens: 900, completionTokens: 90, wallSeconds: 2, ...over,
});

describe('withRequestsOf: a subject row counts every request it made (OOD ones too); its test figures stay the test split\'s', () => {
  it('adds requests, errors and cache hits; keeps examples, answered and tokens; takes the OOD error when test had none', () => {
    const test = row({ errors: 0 });
    const ood = row({ examples: 8, answered: 5, requests: 40, errors: 3, cached: 7, firstError: '500 from the server', promptTokens: 1, completionTokens: 1 });
    const merged = withRequestsOf(test, ood);
    expect([merged.requests, merged.errors, merged.cached, merged.firstError]).toEqual([90, 3, 7, '500 from the server']);
    expect([merged.examples, merged.answered, merged.promptTokens, merged.completionTokens]).toEqual([10, 9, 900, 90]);
    expect(withRequestsOf(row({ firstError: 'test error' }), ood).firstError).toBe('test error');
  });
});
