/**
 * fte's one source of seeded randomness (src/stats keeps its own copy by design: it imports nothing
 * outside itself). Deterministic across platforms and tfjs backends, which Math.random is not; used
 * for sweep draws, data splits, perturbations, sampling and weight initialisation.
 *
 * - `mulberry32`: a small seeded 32-bit PRNG (Tommy Ettinger's public-domain generator), floats in [0, 1).
 * - `fnv1a`: a 32-bit string hash, to seed one independent stream per key.
 * - `shuffle`: seeded Fisher-Yates, in place.
 * - `Rng`: mulberry32 with integers, Box-Muller normals and tensors' worth of draws (model init).
 */

/** A seeded uniform [0, 1) generator (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a hash of a string's UTF-16 units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** In-place seeded Fisher-Yates shuffle drawing from `random` (uniform [0, 1)); returns the array. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Seeded draws for weight initialisation and data order: mulberry32 seeded with `seed ^ 0x9e3779b9`
 * (so the model's stream differs from a split's with the same seed) and Box-Muller normals.
 */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32((seed >>> 0) ^ 0x9e3779b9);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Float32Array of n normals with standard deviation std. */
  normals(n: number, std: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal() * std;
    return a;
  }
  /** Float32Array of n uniforms in [-bound, bound). */
  uniforms(n: number, bound: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (this.next() * 2 - 1) * bound;
    return a;
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    return shuffle(xs, this.next);
  }
}
