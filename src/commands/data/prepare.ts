import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { termSafe } from '../../cli/terminal.js';
import { prepareSource, renderPrepare, DEFAULT_SEED, DEFAULT_SPLIT, type PrepareResult } from '../../data/index.js';

export default class DataPrepare extends BaseCommand {
  static override summary = 'Split a JSONL dataset into train/val/test (stratified, seeded), optionally scrubbing PII and duplicates.';
  static override description = `Writes OUT/train.jsonl, val.jsonl, test.jsonl, rejects.jsonl (every row left out, with its line and
reason) and manifest.json (source, counts, seed, category counts per split, PII replacements, and a
sha256 fingerprint of the prepared content). Splits are stratified by category and deterministic for a
seed. --scrub-pii replaces e-mail addresses, phone numbers, IPv4 addresses, card numbers and URLs with
credentials by <EMAIL>, <PHONE>, <IP>, <CARD>, <URL>. --dedup rejects exact and normalised duplicates
(whitespace, punctuation and the prompt's case folded; the completion's case only with --fold-case) after the first, and every row of a conflicting group (the
same normalised prompt with different completions, e.g. ham vs spam) with reason conflicting_completion,
so no prompt lands in two splits. Without --dedup such rows are kept and a warning says so. A warning
(one line on stderr, and manifest "warnings") is also given when a split gets 0 examples. The folder is written atomically (default mode, umask
applies); an existing one is only replaced with --force, and only when it holds nothing but the files a previous
prepare wrote (its manifest lists them). An --out that is or contains SRC is refused.
SRC may also be an eval suite (folder with suite.json, or a built-in name such as email-triage): it is
built from its corpus as suite.json says (PII scrub, dedup, balanced tasks), at --train/--val/--test
examples per split when given, and OUT gets the prepared folder plus the raw candidate rows (source.jsonl).`;
  static override examples = [
    '<%= config.bin %> data prepare data/raw.jsonl --out data/prepared --scrub-pii --dedup',
    '<%= config.bin %> data prepare data/raw.jsonl --out data/prepared --seed 7 --split 0.9,0.05,0.05 --force',
    '<%= config.bin %> data prepare email-triage --out data/email-triage-2k --train 2000 --val 200 --test 200',
  ];

  static override args = {
    src: Args.string({ description: 'JSONL dataset, or an eval suite folder / built-in suite name', required: true }),
  };

  static override flags = {
    out: Flags.string({ description: 'output folder', required: true }),
    seed: Flags.integer({ description: 'split seed', default: DEFAULT_SEED, min: 0 }),
    split: Flags.string({ description: `train,val,test fractions (default ${DEFAULT_SPLIT.join(',')}; JSONL sources)` }),
    'scrub-pii': Flags.boolean({ description: 'replace PII with typed placeholders (JSONL sources; suites follow suite.json)' }),
    'max-example-bytes': Flags.integer({ description: 'reject (over_size) an example whose prompt + completion exceed this many UTF-8 bytes (JSONL sources)', default: 262144, min: 1 }),
    'fold-case': Flags.boolean({ description: 'answers are case-insensitive: completions that differ only in case are duplicates (default: -v and -V are different answers)' }),
    dedup: Flags.boolean({ description: 'reject duplicates and every row of a conflicting-completion group (JSONL sources; suites follow suite.json)' }),
    train: Flags.integer({ description: 'suite sources: training examples, all tasks together', min: 4 }),
    val: Flags.integer({ description: 'suite sources: validation examples', min: 4 }),
    test: Flags.integer({ description: 'suite sources: test examples', min: 4 }),
    ood: Flags.integer({ description: 'suite sources with an ood section: out-of-distribution examples (evaluated only)', min: 4 }),
    force: Flags.boolean({ description: 'replace an output folder a previous prepare wrote (never one with other files)' }),
  };

  async run(): Promise<PrepareResult> {
    const { args, flags } = await this.parse(DataPrepare);
    const result = await prepareSource(args.src, {
      out: flags.out,
      seed: flags.seed,
      force: flags.force,
      split: flags.split,
      scrubPii: flags['scrub-pii'],
      dedup: flags.dedup,
      foldCase: flags['fold-case'],
      maxExampleBytes: flags['max-example-bytes'],
      train: flags.train,
      val: flags.val,
      test: flags.test,
      ood: flags.ood,
    });
    for (const w of result.manifest.warnings ?? []) process.stderr.write(`fte: warning: ${termSafe(w)}\n`);
    if (!this.jsonEnabled()) this.log(renderPrepare(result.outDir, result.manifest));
    return result;
  }
}
