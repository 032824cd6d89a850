import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { BACKENDS } from '../train/backend.js';
import type { PretrainResult } from '../train/pretrain.js';

/**
 * `fte pretrain`: pretrain a byte-level GPT-2 from scratch on the built-in public-domain corpus
 * (how models/fte-tiny-base was made). Writes config.json, model.safetensors, pretrain_result.json
 * and a model card README.md into --out.
 */
export default class Pretrain extends BaseCommand {
  static override description = 'Pretrain a byte-level GPT-2 on the built-in public-domain English corpus (State of the Union + Moby Dick).';
  static override examples = ['<%= config.bin %> pretrain --out models/fte-tiny-base --steps 0 --time-budget 2160 --backend wasm'];
  static override flags = {
    out: Flags.string({ description: 'output model folder (an existing non-empty one needs --force)', required: true }),
    force: Flags.boolean({ description: 'write into an existing model folder, replacing its model files' }),
    steps: Flags.integer({ description: 'optimizer steps (0 = fit the time budget)', default: 1200 }),
    'time-budget': Flags.integer({ description: 'stop after this many seconds of training (0 = none)', default: 0 }),
    'n-embd': Flags.integer({ description: 'model width', default: 160 }),
    'n-layer': Flags.integer({ description: 'transformer blocks', default: 3 }),
    'n-head': Flags.integer({ description: 'attention heads', default: 2 }),
    'n-ctx': Flags.integer({ description: 'context length in bytes', default: 256 }),
    'batch-size': Flags.integer({ description: 'sequences per step', default: 8 }),
    lr: Flags.string({ description: 'peak learning rate', default: '3e-3' }),
    warmup: Flags.integer({ description: 'warmup steps', default: 50 }),
    seed: Flags.integer({ description: 'seed', default: 1337 }),
    'eval-every': Flags.integer({ description: 'held-out loss every N steps', default: 100 }),
    backend: Flags.string({ description: 'tfjs backend (auto: tensorflow-gpu > tensorflow > wasm > cpu)', options: [...BACKENDS], default: 'auto' }),
  };

  async run(): Promise<PretrainResult> {
    const { flags } = await this.parse(Pretrain);
    const { pretrainModelFolder } = await import('../train/pretrain-folder.js');
    const quiet = this.jsonEnabled();
    return pretrainModelFolder({
      out: flags.out,
      force: flags.force,
      nCtx: flags['n-ctx'],
      nEmbd: flags['n-embd'],
      nLayer: flags['n-layer'],
      nHead: flags['n-head'],
      steps: flags.steps,
      timeBudgetSeconds: flags['time-budget'],
      batchSize: flags['batch-size'],
      learningRate: Number(flags.lr),
      warmupSteps: flags.warmup,
      seed: flags.seed,
      evalEvery: flags['eval-every'],
      backend: flags.backend,
      command: `fte pretrain ${process.argv.slice(3).join(' ')}`.trim(),
      log: (l) => {
        if (!quiet) process.stderr.write(JSON.stringify(l) + '\n');
      },
    });
  }
}
