/**
 * Seeded, deterministic, stratified train/val/test splits.
 *
 * Method: items are grouped by stratum (category, or any key the caller gives) and shuffled within
 * each stratum with a seeded Fisher-Yates shuffle (mulberry32 PRNG). Every item gets a position
 * `(rank + 0.5) / stratumSize` in [0, 1); sorting all items by that position (ties by stratum name)
 * interleaves the strata evenly, and cutting the sorted list into contiguous chunks of the split sizes
 * gives each split every stratum in proportion (within one item per stratum). Split sizes come from
 * the fractions by the largest-remainder method, or are given exactly. Same input + seed -> same split.
 */

import { mulberry32, shuffle } from '../random.js';

/**
 * Sizes for `n` items from fractions by the largest-remainder (Hamilton) method: they sum to `n`
 * exactly. Fractions must be >= 0 and sum to 1 (checked by the caller).
 */
export function splitSizes(n: number, fractions: readonly number[]): number[] {
  const raw = fractions.map((f) => f * n);
  const sizes = raw.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, rem: r - Math.floor(r) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    sizes[i]!++;
    left--;
  }
  return sizes;
}

/**
 * Splits `items` into `sizes.length` parts of exactly `sizes[i]` items (sum must equal items.length),
 * stratified by `stratum(item)` and deterministic for `seed`. Each part is shuffled (seeded).
 */
export function stratifiedSplit<T>(items: readonly T[], sizes: readonly number[], seed: number, stratum: (item: T) => string): T[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== items.length) throw new Error(`split sizes sum to ${total}, expected ${items.length}`);
  const random = mulberry32(seed);
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = stratum(item);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(item);
  }
  const placed: { pos: number; key: string; rank: number; item: T }[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = shuffle(groups.get(key)!.slice(), random);
    g.forEach((item, rank) => placed.push({ pos: (rank + 0.5) / g.length, key, rank, item }));
  }
  placed.sort((a, b) => a.pos - b.pos || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.rank - b.rank));
  const parts: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(shuffle(placed.slice(at, at + size).map((p) => p.item), random));
    at += size;
  }
  return parts;
}

/**
 * Picks `n` items keeping strata in proportion (largest remainder per stratum, first items of each
 * stratum in their current order). Used for `limitTrain` / `limitEval`.
 */
export function takeStratified<T>(items: readonly T[], n: number, stratum: (item: T) => string): T[] {
  if (n >= items.length) return items.slice();
  const counts = new Map<string, number>();
  for (const it of items) counts.set(stratum(it), (counts.get(stratum(it)) ?? 0) + 1);
  const keys = [...counts.keys()].sort();
  const quota = splitSizes(n, keys.map((k) => counts.get(k)! / items.length));
  const left = new Map(keys.map((k, i) => [k, quota[i]!]));
  return items.filter((it) => {
    const k = stratum(it);
    const q = left.get(k)!;
    if (q <= 0) return false;
    left.set(k, q - 1);
    return true;
  });
}
