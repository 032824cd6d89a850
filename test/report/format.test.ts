import { describe, expect, it } from 'vitest';
import { fmtDuration } from '../../src/report/format.js';

describe('fmtDuration', () => {
  it.each([
    [12.34, '12.3 s'],
    [119.6, '2m 00s'], // rounds before splitting: never "1m 60s"
    [125, '2m 05s'],
    [3599.7, '1h 00m'],
    [3725, '1h 02m'],
  ])('%s s -> %s', (s, text) => {
    expect(fmtDuration(s)).toBe(text);
  });
});
