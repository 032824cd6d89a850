import { describe, expect, it } from 'vitest';
import { splitSizes, stratifiedSplit, takeStratified } from '../../src/data/index.js';

interface Item {
  id: number;
  cat: string;
}
const items = (counts: Record<string, number>): Item[] => {
  let id = 0;
  return Object.entries(counts).flatMap(([cat, n]) => Array.from({ length: n }, () => ({ id: id++, cat })));
};
const countBy = (xs: Item[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x.cat] = (m[x.cat] ?? 0) + 1), m), {});

describe('splitSizes (largest remainder)', () => {
  it.each([
    [100, [0.8, 0.1, 0.1], [80, 10, 10]],
    [7, [0.8, 0.1, 0.1], [5, 1, 1]],
    [3, [1 / 3, 1 / 3, 1 / 3], [1, 1, 1]],
    [0, [0.8, 0.1, 0.1], [0, 0, 0]],
    [11, [0.5, 0.5, 0], [6, 5, 0]],
  ])('n=%i fractions %j -> %j', (n, f, sizes) => {
    expect(splitSizes(n, f)).toEqual(sizes);
  });
});

describe('stratifiedSplit', () => {
  const data = items({ a: 60, b: 30, c: 10 });

  it('has exact split sizes and exact per-category proportions when they are whole', () => {
    const [train, val, test] = stratifiedSplit(data, [80, 10, 10], 1, (x) => x.cat);
    expect([train!.length, val!.length, test!.length]).toEqual([80, 10, 10]);
    expect(countBy(train!)).toEqual({ a: 48, b: 24, c: 8 });
    expect(countBy(val!)).toEqual({ a: 6, b: 3, c: 1 });
    expect(countBy(test!)).toEqual({ a: 6, b: 3, c: 1 });
  });

  it.each([1, 2, 3, 42, 1234])('seed %i: every item exactly once, each category within one of its share', (seed) => {
    const odd = items({ x: 37, y: 13, z: 5, w: 1 });
    const sizes = splitSizes(odd.length, [0.7, 0.2, 0.1]);
    const parts = stratifiedSplit(odd, sizes, seed, (x) => x.cat);
    expect(parts.flat().map((x) => x.id).sort((a, b) => a - b)).toEqual(odd.map((x) => x.id));
    const total = countBy(odd);
    parts.forEach((part, i) => {
      const c = countBy(part);
      for (const cat of Object.keys(total)) expect(Math.abs((c[cat] ?? 0) - total[cat]! * (sizes[i]! / odd.length))).toBeLessThanOrEqual(1);
    });
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const ids = (seed: number) => stratifiedSplit(data, [80, 10, 10], seed, (x) => x.cat).map((p) => p.map((x) => x.id));
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
  });

  it('rejects sizes that do not add up', () => {
    expect(() => stratifiedSplit(data, [50, 10, 10], 1, (x) => x.cat)).toThrow(/sum to 70, expected 100/);
  });
});

describe('takeStratified', () => {
  it('keeps categories in proportion and the original order', () => {
    const data = items({ a: 60, b: 30, c: 10 });
    const got = takeStratified(data, 10, (x) => x.cat);
    expect(countBy(got)).toEqual({ a: 6, b: 3, c: 1 });
    expect(got.map((x) => x.id)).toEqual([0, 1, 2, 3, 4, 5, 60, 61, 62, 90]);
    expect(takeStratified(data, 500, (x) => x.cat)).toHaveLength(100);
  });
});
