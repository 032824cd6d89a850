/**
 * Seeded randomness for perturbations: one independent stream per (seed, perturbation, example id),
 * so an example's perturbed text does not depend on which other examples are in the split or on the
 * order they are processed in. mulberry32 seeded with an FNV-1a hash (src/random.ts).
 */
import { fnv1a, mulberry32 } from '../../random.js';

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
