/**
 * Seeded randomness for perturbations: one independent stream per (seed, perturbation, example id),
 * so an example's perturbed text does not depend on which other examples are in the split or on the
 * order they are processed in. mulberry32 (the data stage's PRNG) seeded with an FNV-1a hash.
 */
import { mulberry32 } from '../../data/split.js';

/** 32-bit FNV-1a hash of a string's UTF-16 units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform [0, 1) generator for one example under one perturbation. */
export function exampleRng(seed: number, perturbation: string, exampleId: string): () => number {
  return mulberry32(fnv1a(`${seed >>> 0}\u0000${perturbation}\u0000${exampleId}`));
}

/** Integer in [lo, hi] inclusive. */
export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** One element of a non-empty array. */
export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}
