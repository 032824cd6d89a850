import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseSplit, prepareDataset, renderPrepare, resolveDataSource, DEFAULT_SEED, type DatasetManifest } from '../../data/index.js';

export default class DataPrepare extends BaseCommand {
  static override summary = 'Split a JSONL dataset into train/val/test (stratified, seeded), optionally scrubbing PII and duplicates.';
  static override description = `Writes OUT/train.jsonl, val.jsonl, test.jsonl, rejects.jsonl (every row left out, with its line and
reason) and manifest.json (source, counts, seed, category counts per split, PII replacements, and a
sha256 fingerprint of the prepared content). Splits are stratified by category and deterministic for a
seed. --scrub-pii replaces e-mail addresses, phone numbers, IPv4 addresses, card numbers and URLs with
credentials by <EMAIL>, <PHONE>, <IP>, <CARD>, <URL>. The folder is written atomically and an existing
one is only replaced with --force. SRC may also be an eval suite (its raw source rows are prepared).`;
  static override examples = [
    '<%= config.bin %> data prepare data/raw.jsonl --out data/prepared --scrub-pii --dedup',
    '<%= config.bin %> data prepare data/raw.jsonl --out data/prepared --seed 7 --split 0.9,0.05,0.05 --force',
  ];

  static override args = {
    src: Args.string({ description: 'JSONL dataset, or an eval suite folder / built-in suite name', required: true }),
  };

  static override flags = {
    out: Flags.string({ description: 'output folder', required: true }),
    seed: Flags.integer({ description: 'split seed', default: DEFAULT_SEED, min: 0 }),
    split: Flags.string({ description: 'train,val,test fractions', default: '0.8,0.1,0.1' }),
    'scrub-pii': Flags.boolean({ description: 'replace PII with typed placeholders' }),
    dedup: Flags.boolean({ description: 'reject exact and normalised duplicates (case, whitespace, punctuation folded)' }),
    force: Flags.boolean({ description: 'replace an existing output folder' }),
  };

  async run(): Promise<{ outDir: string; manifest: DatasetManifest }> {
    const { args, flags } = await this.parse(DataPrepare);
    const split = parseSplit(flags.split);
    const src = await resolveDataSource(args.src, { seed: flags.seed });
    const result = await prepareDataset(src, {
      out: flags.out,
      seed: flags.seed,
      split,
      scrubPii: flags['scrub-pii'],
      dedup: flags.dedup,
      force: flags.force,
    });
    if (!this.jsonEnabled()) this.log(renderPrepare(result.outDir, result.manifest));
    return result;
  }
}
