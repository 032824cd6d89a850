/**
 * mulberry32, the seeded 32-bit PRNG also in `src/random.ts` (Tommy Ettinger's public-domain
 * generator), returning floats in [0, 1). It is repeated here, six lines, because `src/stats/` must
 * import nothing outside itself (DESIGN.md); both copies produce the same sequence for the same seed.
 * Deterministic across platforms, which `Math.random` is not, so a bootstrap's signature
 * (`…:seed=42`) reproduces its numbers.
 */
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
