import { describe, expect, it } from 'vitest';
import { producedMetricKeys, slicesOf } from '../../src/eval/slices.js';

describe('metric keys a task can produce', () => {
  const triage = new Map([['classify', 'classification'], ['subject', 'generation']] as const);

  it('a mixed task: all is generation, each category its own kind, perplexity everywhere', () => {
    expect(slicesOf(triage)).toEqual([{ name: 'all', kind: 'generation' }, { name: 'classify', kind: 'classification' }, { name: 'subject', kind: 'generation' }]);
    const keys = producedMetricKeys(triage, undefined);
    expect(keys).toContain('bleu');
    expect(keys).toContain('classify/f1_macro');
    expect(keys).toContain('subject/rougeL');
    expect(keys).toContain('classify/perplexity');
    expect(keys).not.toContain('classify/bleu');
    expect(keys).not.toContain('f1_macro');
  });

  it('requested metrics narrow every slice; perplexity only when requested', () => {
    expect(producedMetricKeys(triage, ['accuracy'])).toEqual(['classify/accuracy']);
    expect(producedMetricKeys(new Map([['uncategorized', 'classification']] as const), ['accuracy', 'perplexity'])).toEqual(['accuracy', 'perplexity']);
  });
});
