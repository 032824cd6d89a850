import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { BACKENDS } from '../run/backends.js';
import type { SweepResult } from '../run/sweep.js';

export default class Eval extends BaseCommand {
  static override summary = 'Evaluate a spec\'s baselines and extra models without training (models fine-tuned elsewhere, API baselines).';
  static override description =
    "Runs only the evaluation of a spec's subjects: `evaluate.baselines` (base, prompting, RAG) and `evaluate.models` (any model behind a provider: an OpenAI-compatible endpoint such as a hosted fine-tuned model, vLLM or Ollama serving an adapter, `fte serve`, or a local checkpoint folder), on the spec's dataset and test split, with the same metrics, perturbations, intervals and paired statistics as a sweep. Results are stored exactly like a sweep's baselines, so `fte report`, `fte compare` and `fte roi` read them. API responses are cached beside the store (`<db>.responses/`), so a re-run sends no request twice (--no-cache to send them again).";
  static override examples = [
    '<%= config.bin %> eval experiments/api-baselines.ts',
    'OPENAI_API_KEY=... <%= config.bin %> eval experiments/api-baselines.ts --limit-eval 50',
    '<%= config.bin %> eval experiments/api-baselines.ts --no-cache --json',
  ];

  static override args = {
    spec: Args.string({ description: 'experiment spec (.ts/.js/.mjs with a default export, or a W&B sweep .yaml)', required: true }),
  };

  static override flags = {
    backend: Flags.string({ description: 'tensor backend of local subjects', options: [...BACKENDS], default: 'auto' }),
    'limit-eval': Flags.integer({ description: 'evaluate at most N test examples', min: 1 }),
    'max-bad-rows': Flags.string({ description: 'a JSONL dataset may have at most this many unusable rows, dropped with a warning: a count (5) or a share (default 1%)' }),
    resume: Flags.boolean({ description: 'an earlier evaluation of the same spec and limits is kept (--no-resume evaluates again)', default: true, allowNo: true }),
    cache: Flags.boolean({ description: 'answer API requests from the response cache kept with the store (--no-cache sends them again)', default: true, allowNo: true }),
    quiet: Flags.boolean({ char: 'q', description: 'print only the final summary' }),
  };

  async run(): Promise<SweepResult> {
    const { args, flags } = await this.parse(Eval);
    const { runSweep } = await import('../run/sweep.js');
    const summary = await runSweep({
      specFile: args.spec,
      db: flags.db,
      backend: flags.backend,
      parallel: 1,
      resume: flags.resume,
      evalOnly: true,
      maxBadRows: flags['max-bad-rows'],
      ...(flags.cache ? {} : { noCache: true }),
      limits: { limitEval: flags['limit-eval'] },
      quiet: flags.quiet,
      log: (line) => {
        if (!flags.quiet) process.stderr.write(`${line}\n`);
      },
      print: (line) => { if (!this.jsonEnabled()) this.log(line); },
    });
    if (summary.exitCode !== 0) process.exitCode = summary.exitCode;
    return summary.result;
  }
}
