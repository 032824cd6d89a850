import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { dryRunResult, planSweep, renderDryRun, type DryRunResult } from '../experiment/index.js';
import { BACKENDS } from '../run/backends.js';
import type { SweepResult } from '../run/sweep.js';

export default class Sweep extends BaseCommand {
  static override summary = 'Train and evaluate every variant of an experiment spec.';
  static override description = `Expands the spec's sweep (grid or random) into variants, trains each (LoRA, QLoRA or full fine-tuning),
evaluates it against the base model, a few-shot prompting baseline and a RAG baseline (with robustness
perturbations), prices it, and stores everything in DuckDB. Finished variants are skipped on a re-run.`;
  static override examples = [
    '<%= config.bin %> sweep experiments/lora-rank.ts',
    '<%= config.bin %> sweep experiments/lora-rank.ts --dry-run --json',
    '<%= config.bin %> sweep experiments/lora-rank.ts --parallel 2 --max-steps 20 --limit-eval 20',
    '<%= config.bin %> sweep experiments/lora-rank.ts --queue redis://127.0.0.1:6379   # variants on `fte worker`s',
  ];

  static override args = {
    spec: Args.string({ description: 'experiment spec (.ts/.js/.mjs with a default export, or a W&B sweep .yaml)', required: true }),
  };

  static override flags = {
    'dry-run': Flags.boolean({ description: 'print the variants without training' }),
    parallel: Flags.integer({ description: 'worker processes (default: CPU cores; 1 per GPU on a GPU backend)', min: 1 }),
    backend: Flags.string({ description: 'tensor backend', options: [...BACKENDS], default: 'auto' }),
    resume: Flags.boolean({ description: 'skip variants that already have a completed run (--no-resume re-runs them)', default: true, allowNo: true }),
    'limit-train': Flags.integer({ description: 'use at most N training examples (smoke tests, CI)', min: 1 }),
    'limit-eval': Flags.integer({ description: 'evaluate at most N test examples', min: 1 }),
    'max-bad-rows': Flags.string({ description: 'a JSONL dataset may have at most this many unusable rows, dropped with a warning: a count (5) or a share (default 1%)' }),
    'max-steps': Flags.integer({ description: 'stop each variant after N optimizer steps', min: 1 }),
    'run-cap': Flags.integer({ description: 'run at most N variants (overrides sweep.runCap; a grid runs a seeded random subset, see --dry-run)', min: 1 }),
    cache: Flags.boolean({ description: 'answer API requests from the response cache kept with the store (--no-cache sends them again)', default: true, allowNo: true }),
    queue: Flags.string({
      description: 'run the variants on `fte worker`s through this Redis queue: redis://HOST:PORT[/DB] (default: $FTE_QUEUE, else the spec\'s queue:; none: local worker processes)',
      helpValue: 'URL',
    }),
    quiet: Flags.boolean({ char: 'q', description: 'print only the final summary' }),
  };

  async run(): Promise<DryRunResult | SweepResult> {
    const { args, flags } = await this.parse(Sweep);
    if (flags['dry-run']) {
      const plan = await planSweep(args.spec, { runCap: flags['run-cap'] });
      for (const w of plan.warnings) process.stderr.write(`fte: warning: ${w}\n`);
      if (!this.jsonEnabled()) this.log(renderDryRun(plan));
      return dryRunResult(plan);
    }
    const { runSweep } = await import('../run/sweep.js');
    const summary = await runSweep({
      specFile: args.spec,
      db: flags.db,
      backend: flags.backend,
      parallel: flags.parallel,
      resume: flags.resume,
      runCap: flags['run-cap'],
      ...(flags.queue !== undefined ? { queue: flags.queue } : {}),
      maxBadRows: flags['max-bad-rows'],
      ...(flags.cache ? {} : { noCache: true }),
      limits: { limitTrain: flags['limit-train'], limitEval: flags['limit-eval'], maxSteps: flags['max-steps'] },
      quiet: flags.quiet,
      // progress and notices go to stderr (also with --json, whose stdout is only the summary)
      log: (line) => {
        if (!flags.quiet) process.stderr.write(`${line}\n`);
      },
      print: (line) => { if (!this.jsonEnabled()) this.log(line); },
    });
    // A signal ends the sweep cleanly with 128 + its number (SIGINT 130, SIGTERM 143), as shells do.
    if (summary.exitCode !== 0) process.exitCode = summary.exitCode;
    return summary.result;
  }
}

