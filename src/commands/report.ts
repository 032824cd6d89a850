import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { WriteReportResult } from '../report/report.js';

export default class Report extends BaseCommand {
  static override summary = 'Render a sweep as one self-contained HTML report.';
  static override description = `Summary and best variant, sweep table, training curves, a rank x learning-rate heat map, the subjects
(provider / model, prompt, tokens, errors, cache hits, truncation) and fine-tuned vs every baseline and
extra model per slice, robustness, cost and ROI, and sample outputs, in one HTML file that needs no
network to view (CSS, script and SVG charts inline). An evaluation without training (fte eval) gets
the same report, its subjects compared among themselves.`;
  static override examples = ['<%= config.bin %> report', '<%= config.bin %> report --sweep 20261129-075804-8be9 --out review.html --open'];

  static override flags = {
    sweep: Flags.string({ description: 'sweep id (default: the latest sweep)' }),
    out: Flags.string({ char: 'o', description: 'output file, in an existing folder; an existing file needs --force (default: reports/<experiment>-<sweep>.html, folder created, replaced on a re-run)' }),
    force: Flags.boolean({ description: 'replace an existing --out file (never the store)' }),
    open: Flags.boolean({ description: 'open the report in a browser (xdg-open/open); prints the path when none is available' }),
  };

  /** The `--json` output: where the report went, and whether a browser was opened. */
  async run(): Promise<WriteReportResult & { opened: boolean }> {
    const { flags } = await this.parse(Report);
    const { writeReport } = await import('../report/report.js');
    const result = await writeReport({ db: flags.db, sweepId: flags.sweep, out: flags.out, force: flags.force });
    let opened = false;
    if (flags.open) {
      const { openInBrowser } = await import('../report/open.js');
      opened = openInBrowser(result.path);
    }
    this.log(`wrote ${result.path} (${(result.bytes / 1024).toFixed(0)} KiB) for sweep ${result.sweepId}${result.limited ? ' [limited sweep]' : ''}`);
    if (flags.open && !opened) this.log(`no browser opener found; open ${result.path} yourself`);
    return { ...result, opened };
  }
}
