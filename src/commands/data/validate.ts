import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { renderValidation, validateSource, type ValidationReport } from '../../data/index.js';

export default class DataValidate extends BaseCommand {
  static override summary = 'Check a JSONL dataset: row errors, token statistics, balance, duplicates, PII, length.';
  static override description = `Reads one example per line in any supported format (chat "messages", "prompt"/"completion",
"instruction"/"input"/"output"; optional "category" or "label") and reports, with line numbers: malformed
rows, token counts (p50/p95/max), category balance, exact and normalised duplicates, conflicting
completions, PII (masked) and examples longer than the model's context. FILE may also be an eval suite
(folder with suite.json, or a built-in name such as email-triage): its raw source rows are checked.
Exit 0 when clean or warnings only, 1 when rows have errors, 2 when the file is unreadable, empty or not JSONL.`;
  static override examples = [
    '<%= config.bin %> data validate data/train.jsonl',
    '<%= config.bin %> data validate data/train.jsonl --model models/fte-tiny-base --json',
    '<%= config.bin %> data validate email-triage',
  ];

  static override args = {
    file: Args.string({ description: 'JSONL dataset, or an eval suite folder / built-in suite name', required: true }),
  };

  static override flags = {
    'fold-case': Flags.boolean({ description: 'answers are case-insensitive: completions that differ only in case are duplicates, not conflicts' }),
    model: Flags.string({ description: 'model folder whose tokenizer and context length to use (default: byte-level, context 256)' }),
  };

  async run(): Promise<ValidationReport> {
    const { args, flags } = await this.parse(DataValidate);
    const { tokenCounterForModel } = await import('../../model/token-counter.js');
    const counter = flags.model ? await tokenCounterForModel(flags.model) : undefined;
    const report = await validateSource(args.file, { counter, foldCase: flags['fold-case'] });
    if (!this.jsonEnabled()) this.log(renderValidation(report));
    if (!report.ok) process.exitCode = 1;
    return report;
  }
}
