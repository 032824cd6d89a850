import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { Comparison } from '../report/compare.js';

export default class Compare extends BaseCommand {
  static override summary = 'Compare two results as a pull-request comment (markdown) or JSON.';
  static override description = `REF is a run id, a sweep id (its best run), best:<experiment> (the best run of its latest sweep) or
<sweep>:base|prompting|rag (a baseline). Without REFs: the latest sweep's best variant vs its base model.
--threshold METRIC=DELTA sets the smallest acceptable change in the metric's good direction (negative =
tolerated regression). Every metric is compared with a paired test on the examples both sides were scored
on: exact McNemar for 0/1-per-example metrics (accuracy, exact match), paired bootstrap (Koehn 2004, as
sacrebleu --paired-bs) otherwise; "better" and "worse" mean significant at --alpha, else "no significant
change", and each row shows Δ with its 95% interval and p. A thresholded metric fails when its whole 95%
interval of the change lies below the threshold, or (threshold >= 0) when it is significantly worse:
f1_macro=-0.02 fails only when a drop of more than 0.02 is certain; without thresholds the objective must
not regress significantly. Both sides must be completed runs (or baselines) scored on the same examples,
else fte compare exits 2 with one line. Human ratings (fte review) of either side's run are shown too: per
rubric item the mean with its 95% interval, and the blind preference rate with its Wilson interval (side by
side when both sides share a rubric); they are information and never change the verdict or the exit code.
The markdown starts with <!-- fte:compare --> so CI can update one comment.`;
  static override examples = [
    '<%= config.bin %> compare',
    '<%= config.bin %> compare --base 20261129-075804-8be9:base --head best:lora-rank --threshold f1_macro=-0.01 --fail-on-regression',
    '<%= config.bin %> compare --base 0002f3d9-849e93 --head 0002f3d9-5c1a07 --format json --out compare.json',
  ];

  static override flags = {
    base: Flags.string({ description: 'REF compared against (default: the head sweep\'s base model)' }),
    head: Flags.string({ description: 'REF under review (default: the latest sweep\'s best run)' }),
    format: Flags.string({ description: 'output format', options: ['markdown', 'json'], default: 'markdown' }),
    threshold: Flags.string({ description: 'METRIC=DELTA, repeatable (e.g. f1_macro=-0.02, perplexity=-0.5)', multiple: true }),
    'fail-on-regression': Flags.boolean({ description: 'exit 1 on a significant regression of a thresholded metric, or when its whole 95% interval lies beyond its threshold' }),
    alpha: Flags.string({ description: 'significance level of "better" and "worse" (paired tests)', default: '0.05' }),
    out: Flags.string({ char: 'o', description: 'write the output to FILE instead of stdout (its folder must exist; an existing file needs --force)' }),
    force: Flags.boolean({ description: 'replace an existing --out file (never the store)' }),
  };

  async run(): Promise<Comparison> {
    const { flags } = await this.parse(Compare);
    const { compareRefs } = await import('../report/compare-refs.js');
    const { fteVersion } = await import('../report/report.js');
    const { checkOutputFile, storeFiles, writeOutputFile } = await import('../fsutil.js');
    const outOpts = { force: flags.force, protect: storeFiles(flags.db) };
    if (flags.out) checkOutputFile(flags.out, outOpts);
    const { comparison, text } = await compareRefs({
      db: flags.db,
      base: flags.base,
      head: flags.head,
      thresholds: flags.threshold ?? [],
      alpha: Number(flags.alpha),
      onSnapshot: (line) => process.stderr.write(`${line}\n`),
      format: flags.format as 'markdown' | 'json',
      version: fteVersion(),
    });
    if (flags.out) {
      writeOutputFile(flags.out, text, outOpts);
      if (!this.jsonEnabled()) this.logToStderr(`wrote ${flags.out}: ${comparison.headline}, ${comparison.summary}`);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text);
    }
    if (flags['fail-on-regression'] && comparison.regression) process.exitCode = 1;
    return comparison;
  }
}
