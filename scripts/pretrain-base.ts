/**
 * Pretrains models/fte-tiny-base with fte's own training code; the same as
 *   fte pretrain --out models/fte-tiny-base --steps 0 --time-budget 2100 --backend wasm
 * (kept as a script so it runs from the TypeScript sources with `npx jiti scripts/pretrain-base.ts`,
 * without a build). Args: [outDir] [timeBudgetSeconds] [steps].
 */
import { basename } from 'node:path';
import { pretrain, PRETRAIN_DEFAULTS } from '../src/train/pretrain.js';
import { writeModelCard } from '../src/train/model-card.js';

const outDir = process.argv[2] ?? 'models/fte-tiny-base';
const budget = Number(process.argv[3] ?? 2100);
const steps = Number(process.argv[4] ?? 0);
const result = await pretrain({
  ...PRETRAIN_DEFAULTS,
  outDir,
  config: { vocabSize: 257, nCtx: 256, nEmbd: 160, nLayer: 3, nHead: 2, layerNormEpsilon: 1e-5, tokenizer: 'byte' },
  steps,
  timeBudgetSeconds: budget,
  backend: 'wasm',
  log: (l) => console.log(JSON.stringify({ t: new Date().toISOString(), ...l })),
});
await writeModelCard(outDir, basename(outDir), result, `fte pretrain --out ${outDir} --steps ${steps} --time-budget ${budget} --backend wasm`);
