/**
 * src/random.ts is fte's one seeded randomness: these pin its streams, so moving or reshaping the
 * module never changes a split, a sweep draw or a model's initial weights for a given seed.
 */
import { describe, expect, it } from 'vitest';
import { Rng, fnv1a, mulberry32, shuffle } from '../src/random.js';

describe('src/random.ts', () => {
  it('mulberry32 gives the same stream for a seed', () => {
    const m = mulberry32(7);
    expect([m(), m(), m()]).toEqual([0.011704753153026104, 0.06195825757458806, 0.97690763277933]);
  });

  it('Rng (model init) keeps the stream it had as model/rng.ts: mulberry32 seeded with seed ^ 0x9e3779b9', () => {
    const r = new Rng(42);
    expect([r.next(), r.next(), r.normal(), r.int(1000)]).toEqual([0.4813160905614495, 0.9852536325342953, -1.2406279532581461, 703]);
    const s = new Rng(0xffffffff);
    s.next();
    expect(s.shuffle([1, 2, 3, 4, 5, 6, 7])).toEqual([6, 1, 5, 7, 3, 2, 4]);
    const a = new Rng(5);
    const b = mulberry32((5 >>> 0) ^ 0x9e3779b9);
    expect(a.next()).toBe(b());
  });

  it('shuffle draws as Rng.shuffle does, and fnv1a is the 32-bit FNV-1a hash', () => {
    const r = new Rng(0xffffffff);
    r.next();
    expect(shuffle([1, 2, 3, 4, 5, 6, 7], r.next)).toEqual([6, 1, 5, 7, 3, 2, 4]);
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });
});
