/**
 * `fte pretrain` as one stage call: check the output folder, pretrain a byte-level GPT-2 on the
 * built-in corpus (./pretrain.ts) and write its model card (./model-card.ts). Light to import: tfjs
 * loads only after the folder check passes (bad input fails fast, before any work).
 */
import { basename } from 'node:path';
import { checkOutputFolder } from '../fsutil.js';
import type { GPT2Config } from '../model/config.js';
import type { PretrainResult } from './pretrain.js';

/** Architecture (`GPT2Config`): context length in bytes, width, blocks, heads; the vocabulary is 256 bytes + end. */
export interface PretrainFolderOptions extends Pick<GPT2Config, 'nCtx' | 'nEmbd' | 'nLayer' | 'nHead'> {
  /** Model folder to write (config.json, model.safetensors, pretrain_result.json, README.md). */
  out: string;
  /** Replace the model files of an existing non-empty folder. */
  force?: boolean;
  /** Optimizer steps (0 = as many as fit in `timeBudgetSeconds`). */
  steps: number;
  /** Seconds (0 = no limit). */
  timeBudgetSeconds: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  seed: number;
  /** Held-out loss and a checkpoint every N steps. */
  evalEvery: number;
  backend: string;
  /** The command line, quoted in the model card. */
  command: string;
  log?: (line: Record<string, unknown>) => void;
}

/**
 * Pretrain into `o.out` and write its model card.
 * @throws UserInputError when `o.out` exists and is not empty without `force` (nothing is written).
 */
export async function pretrainModelFolder(o: PretrainFolderOptions): Promise<PretrainResult> {
  checkOutputFolder(o.out, { force: o.force, what: 'model files' });
  await import('../tfjs-hooks.js'); // before tfjs's ES modules load (see src/tfjs-resolve.ts)
  const { pretrain, PRETRAIN_DEFAULTS } = await import('./pretrain.js');
  const { writeModelCard } = await import('./model-card.js');
  const result = await pretrain({
    ...PRETRAIN_DEFAULTS,
    outDir: o.out,
    config: { vocabSize: 257, nCtx: o.nCtx, nEmbd: o.nEmbd, nLayer: o.nLayer, nHead: o.nHead, layerNormEpsilon: 1e-5, tokenizer: 'byte' },
    steps: o.steps,
    timeBudgetSeconds: o.timeBudgetSeconds,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    warmupSteps: o.warmupSteps,
    seed: o.seed,
    evalEvery: o.evalEvery,
    checkpointEvery: o.evalEvery,
    backend: o.backend,
    log: o.log,
  });
  await writeModelCard(o.out, basename(o.out), result, o.command);
  return result;
}
