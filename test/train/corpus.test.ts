import { describe, expect, it } from 'vitest';
import { PASSAGE_BYTES, passages, unigramBitsPerByte } from '../../src/train/corpus.js';

describe('pretraining corpus', () => {
  it('cuts texts at line breaks into passages of at least PASSAGE_BYTES, losing nothing', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} `.repeat(20 + (i % 7)));
    const text = lines.join('\n');
    const ps = passages(text);
    expect(ps.join('\n')).toBe(text);
    for (const p of ps.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(PASSAGE_BYTES);
    expect(ps.length).toBeGreaterThan(1);
  });

  it.each([
    ['uniform over two bytes', Uint16Array.from([97, 98, 97, 98]), [97, 98], Math.log2((4 + 257) / 3)],
    ['eos targets are skipped', Uint16Array.from([97, 97]), [97, 256], Math.log2((2 + 257) / 3)],
  ])('unigram bits per byte: %s', (_n, train, held, want) => {
    expect(unigramBitsPerByte(train, held)).toBeCloseTo(want, 10);
  });
});
