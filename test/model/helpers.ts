import * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from '../../src/model/config.js';
import { initBackend } from '../../src/train/backend.js';

/** A tiny GPT-2 so every test runs in well under a second per forward. */
export const TINY: GPT2Config = { vocabSize: 257, nCtx: 32, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' };

export async function useWasm(): Promise<void> {
  await initBackend('wasm');
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

export function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}
