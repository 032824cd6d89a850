import { describe, expect, it } from 'vitest';
import { hasValue, paybackMonths, valuePerRequest } from '../../src/cost/value.js';
import { costSpec } from '../../src/cost/spec.js';
import { defineExperiment } from '../../src/experiment/define.js';

describe('value per request = q x usdPerCorrect - (1 - q) x errorCost + review minutes / 60 x rate', () => {
  it.each([
    // 0.8 x 0.01 - 0.2 x 0.02 = 0.004
    [0.8, { usdPerCorrect: 0.01, usdPerError: 0.02 }, 0.004],
    // 0.6 x 0.01 - 0.4 x 0.02 = -0.002: a request can be worth less than nothing
    [0.6, { usdPerCorrect: 0.01, usdPerError: 0.02 }, -0.002],
    // errors: 25% escalated at $1, 75% unnoticed at $0.2 -> error cost 0.25 + 0.15 = 0.4; 0.9 x 0 - 0.1 x 0.4 = -0.04
    [0.9, { usdPerEscalation: 1, escalatedErrorShare: 0.25, usdPerError: 0.2 }, -0.04],
    // review: 3 minutes saved at $40/h = $2 per request, whatever the quality
    [0.5, { reviewMinutesSavedPerRequest: 3, reviewerUsdPerHour: 40 }, 2],
    [1, { usdPerCorrect: 0.5, usdPerError: 9, reviewMinutesSavedPerRequest: 1.5, reviewerUsdPerHour: 60 }, 0.5 + 1.5],
  ])('q = %d, %j -> %d', (q, v, want) => expect(valuePerRequest(q, v)).toBeCloseTo(want, 12));
  it('needs a share in [0, 1]', () => expect(() => valuePerRequest(1.2, { usdPerCorrect: 1 })).toThrow(/share in \[0, 1\]/));
  it('hasValue: any field set', () => {
    expect(hasValue(undefined)).toBe(false);
    expect(hasValue({})).toBe(false);
    expect(hasValue({ usdPerError: 0 })).toBe(true);
  });
});

describe('payback months = one-off / monthly surplus', () => {
  it.each([
    [1200, 390, 1200 / 390],
    [1200, 0, null],
    [1200, -5, null],
    [0, 10, 0],
    [0, 0, 0],
    [0, -1, null],
  ])('%d / %d', (oneOff, surplus, want) => {
    const got = paybackMonths(oneOff, surplus);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 12);
  });
});

describe('spec: cost fields that need a rate or a share say so', () => {
  it.each([
    [{ effort: { finetuned: { engineeringHours: 40 } } }, /^cost\.hourlyRateUsd: expected a number \(USD per hour\) to price effort\.finetuned\.engineeringHours/],
    [{ effort: { rag: { labelledExamples: 500 } } }, /^cost\.labellingUsdPerExample: expected a number \(USD per example\) to price effort\.rag\.labelledExamples/],
    [{ value: { usdPerEscalation: 2 } }, /^cost\.value\.escalatedErrorShare: expected a share in \[0, 1\]/],
    [{ value: { reviewMinutesSavedPerRequest: 2 } }, /^cost\.value\.reviewerUsdPerHour: expected a number/],
    [{ effort: { finetuned: { typo: 2 } } }, /^cost\.effort\.finetuned\.typo/],
  ])('%j', (cost, msg) => expect(() => defineExperiment({ name: 'x', model: { base: 'm' }, dataset: 'd', cost } as never)).toThrow(msg));
  it('everything set is accepted and unset effort stays unset', () => {
    const c = costSpec({ hourlyRateUsd: 120, labellingUsdPerExample: 0.5, effort: { finetuned: { engineeringHours: 40, labelledExamples: 1000 } }, retrainEveryMonths: 3, value: { usdPerCorrect: 0.05 } });
    expect(c.effort.finetuned).toEqual({ engineeringHours: 40, labelledExamples: 1000 });
    expect(c.effort.prompting).toBeUndefined();
    expect(costSpec({}).effort).toEqual({});
    expect(costSpec({}).value).toBeUndefined();
  });
});
