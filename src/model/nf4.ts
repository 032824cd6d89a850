/**
 * 4-bit NormalFloat (NF4) block quantization (Dettmers et al. 2023, "QLoRA", section 3 and
 * appendix; the values as bitsandbytes ships them). Each block of 64 weights is scaled by its
 * absolute maximum (absmax) into [-1, 1] and every weight is replaced by the index of the nearest
 * of the 16 NF4 code values. Two 4-bit codes are packed per byte (first element in the high nibble,
 * as bitsandbytes).
 *
 * Double quantization (paper section 3, "Double Quantization"): the fp32 absmax constants are
 * themselves quantized to 8 bits in blocks of 256 after subtracting their mean. The paper (and
 * bitsandbytes) use an 8-bit float code; fte uses symmetric int8 (absmax / 127 per block of 256),
 * which has the same storage cost: 8 bits + 32/256 bits per block of 64 = 0.127 bits per weight
 * instead of 0.5.
 */

/** The 16 NF4 code values (QLoRA paper appendix E / bitsandbytes `nf4` table), ascending. */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

export const NF4_BLOCKSIZE = 64;
export const DQ_BLOCKSIZE = 256;

/** Midpoints between adjacent code values: nearest-code lookup by binary search. */
const MID = Float32Array.from({ length: 15 }, (_, i) => (NF4_CODE[i]! + NF4_CODE[i + 1]!) / 2);

/** Index of the NF4 code nearest to v (v in [-1, 1]). */
export function nearestNf4(v: number): number {
  let lo = 0;
  let hi = 15;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (v > MID[m]!) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export interface Nf4Tensor {
  shape: number[];
  /** Element count (before padding to a whole block). */
  numel: number;
  /** Packed codes, two per byte, ceil(numel / 2) bytes (numel padded to whole blocks). */
  codes: Uint8Array;
  /** fp32 absmax per block (present when not double-quantized). */
  absmax?: Float32Array;
  /** Double quantization: int8 absmax codes, fp32 scale per 256 blocks, and the subtracted mean. */
  dq?: { q: Int8Array; scale: Float32Array; mean: number };
}

/** Quantize float32 weights (row-major) to NF4 with blocks of 64. */
export function quantizeNf4(data: Float32Array, shape: number[], doubleQuant = false): Nf4Tensor {
  const numel = data.length;
  const nBlocks = Math.ceil(numel / NF4_BLOCKSIZE);
  const absmax = new Float32Array(nBlocks);
  const codes = new Uint8Array(Math.ceil((nBlocks * NF4_BLOCKSIZE) / 2));
  for (let b = 0; b < nBlocks; b++) {
    const s = b * NF4_BLOCKSIZE;
    const e = Math.min(numel, s + NF4_BLOCKSIZE);
    let m = 0;
    for (let i = s; i < e; i++) m = Math.max(m, Math.abs(data[i]!));
    absmax[b] = m;
    for (let i = s; i < s + NF4_BLOCKSIZE; i++) {
      const c = i < e && m > 0 ? nearestNf4(data[i]! / m) : 7; // 7 = code 0.0
      if (i % 2 === 0) codes[i >> 1] = c << 4;
      else codes[i >> 1]! |= c;
    }
  }
  if (!doubleQuant) return { shape, numel, codes, absmax };
  return { shape, numel, codes, dq: quantizeAbsmax(absmax) };
}

function quantizeAbsmax(absmax: Float32Array): { q: Int8Array; scale: Float32Array; mean: number } {
  const mean = absmax.reduce((a, b) => a + b, 0) / absmax.length;
  const nb = Math.ceil(absmax.length / DQ_BLOCKSIZE);
  const scale = new Float32Array(nb);
  const q = new Int8Array(absmax.length);
  for (let b = 0; b < nb; b++) {
    let m = 0;
    for (let i = b * DQ_BLOCKSIZE; i < Math.min(absmax.length, (b + 1) * DQ_BLOCKSIZE); i++) m = Math.max(m, Math.abs(absmax[i]! - mean));
    scale[b] = m / 127;
    for (let i = b * DQ_BLOCKSIZE; i < Math.min(absmax.length, (b + 1) * DQ_BLOCKSIZE); i++) q[i] = m > 0 ? Math.round(((absmax[i]! - mean) / m) * 127) : 0;
  }
  return { q, scale, mean };
}

/** The per-block scales (absmax), dequantizing them first under double quantization. */
export function blockScales(t: Nf4Tensor): Float32Array {
  if (t.absmax) return t.absmax;
  const { q, scale, mean } = t.dq!;
  return Float32Array.from(q, (v, i) => v * scale[Math.floor(i / DQ_BLOCKSIZE)]! + mean);
}

/** Unpacked code indices (0-15), numel padded to whole blocks. */
export function unpackCodes(t: Nf4Tensor): Uint8Array {
  const out = new Uint8Array(t.codes.length * 2);
  for (let i = 0; i < t.codes.length; i++) {
    out[2 * i] = t.codes[i]! >> 4;
    out[2 * i + 1] = t.codes[i]! & 15;
  }
  return out;
}

/** Dequantize to float32 (JS reference implementation; the forward pass does it in tfjs, qlora.ts). */
export function dequantizeNf4(t: Nf4Tensor): Float32Array {
  const scales = blockScales(t);
  const codes = unpackCodes(t);
  const out = new Float32Array(t.numel);
  for (let i = 0; i < t.numel; i++) out[i] = NF4_CODE[codes[i]!]! * scales[Math.floor(i / NF4_BLOCKSIZE)]!;
  return out;
}

/** Stored bytes: packed codes + scales (fp32 per block, or int8 per block + fp32 per 256 blocks + mean). */
export function nf4Bytes(t: Nf4Tensor): number {
  return t.codes.byteLength + (t.absmax ? t.absmax.byteLength : t.dq!.q.byteLength + t.dq!.scale.byteLength + 4);
}
