import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { EXPORT_FORMATS, exportStore, type ExportResult } from '../store/export.js';
import { storeFiles } from '../fsutil.js';
import { withStore } from '../store/open.js';

export default class Export extends BaseCommand {
  static override summary = "Export store tables to Parquet, CSV or JSON with DuckDB's COPY.";
  static override description = `With --table, writes that table or view to the file --out. Without, --out is a folder that gets one file per
table: experiments, sweeps, runs, run_params, step_metrics, eval_results, predictions, costs, artifacts,
run_summary. JSON is newline-delimited (one object per line); CSV has a header line. An existing output file
is only replaced with --force, and never when it is the store or its WAL.`;
  static override examples = [
    '<%= config.bin %> export --format parquet --out export/',
    '<%= config.bin %> export --format csv --table run_summary --out runs.csv',
  ];

  static override flags = {
    format: Flags.string({ description: 'file format', options: Object.keys(EXPORT_FORMATS), required: true }),
    out: Flags.string({ description: 'output file (with --table) or folder', required: true }),
    table: Flags.string({ description: 'one table or view (default: all)' }),
    force: Flags.boolean({ description: 'replace existing output files (never the store)' }),
  };

  async run(): Promise<ExportResult> {
    const { flags } = await this.parse(Export);
    const options = { format: flags.format, out: flags.out, table: flags.table, force: flags.force, protect: storeFiles(flags.db) };
    const result = await withStore(flags.db, { readOnly: true }, (store) => exportStore(store.db, options));
    if (!this.jsonEnabled()) for (const t of result.tables) this.log(`${t.table}: ${t.rows} rows -> ${t.path}`);
    return result;
  }
}
