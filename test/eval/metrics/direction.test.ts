import { describe, expect, it } from 'vitest';
import { defaultGoal, lowerIsBetter } from '../../../src/eval/metrics/direction.js';
import { METRICS } from '../../../src/eval/metrics/registry.js';

describe('lowerIsBetter (one answer, from the registry)', () => {
  it.each([
    ['val_loss', true],
    ['perplexity', true],
    ['classify/perplexity', true],
    ['bits_per_byte', true],
    ['classify/f1_macro', false],
    ['bleu', false],
    ['subject/rougeL', false],
    ['accuracy', false],
    ['something_unknown', false],
  ])('%s -> %s', (metric, lower) => {
    expect(lowerIsBetter(metric)).toBe(lower);
    expect(defaultGoal(metric)).toBe(lower ? 'minimize' : 'maximize');
  });

  it('agrees with every registered metric', () => {
    for (const d of METRICS.values()) expect(lowerIsBetter(`x/${d.name}`), d.name).toBe(!d.higherIsBetter);
  });
});
