import { describe, expect, it } from 'vitest';
import { statusCounts } from '../../src/run/sweep.js';

describe('statusCounts (the sweep summary line)', () => {
  it.each([
    [{ completed: 3 }, ''],
    [{}, ''],
    [{ interrupted: 2 }, ' (2 interrupted)'],
    [{ completed: 1, interrupted: 2, failed: 1, diverged: 1 }, ' (1 failed, 1 diverged, 2 interrupted)'],
    [{ diverged: 1, completed: 2 }, ' (1 diverged)'],
  ])('%j -> %j', (counts, line) => {
    expect(statusCounts(new Map(Object.entries(counts)))).toBe(line);
  });
});
