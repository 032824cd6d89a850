import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT2, initParams } from '../../src/model/gpt2.js';
import type { GPT2Config } from '../../src/model/config.js';
import type { Example } from '../../src/data/example.js';
import { type Params, paramsSchema } from '../../src/experiment/schema.js';
import { initBackend } from '../../src/train/backend.js';

export const SMALL: GPT2Config = { vocabSize: 257, nCtx: 64, nEmbd: 32, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' };

/**
 * Save a random tiny base model; returns its folder. The token embedding is scaled to std 1 (GPT-2
 * init uses 0.02): with the LM head tied to a tiny frozen embedding, logits cannot exceed ~0.6 and
 * no adapter could fit anything, unlike with a pretrained base.
 */
export async function tinyBase(seed = 1, config: GPT2Config = SMALL): Promise<string> {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'fte-base-'));
  const w = initParams(config, seed);
  w.set('wte.weight', w.get('wte.weight')!.map((v) => v * 10));
  const m = new GPT2(config, w);
  await m.save(dir);
  m.dispose();
  return dir;
}

export function tmp(prefix = 'fte-run-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function params(over: Partial<Params> & { alpha?: number } = {}): Params & { alpha: number } {
  const p = paramsSchema.parse({ evalEvery: 1000, warmupSteps: 0, dropout: 0, ...over, alpha: undefined });
  return { ...p, alpha: over.alpha ?? 2 * p.rank };
}

export const FOUR: Example[] = [
  { id: 'a', prompt: 'Q: spam?\nA:', completion: ' spam' },
  { id: 'b', prompt: 'Q: ham?\nA:', completion: ' ham' },
  { id: 'c', prompt: 'Subject?', completion: ' Hello' },
  { id: 'd', prompt: 'Sky?', completion: ' blue' },
];
