import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { renderQueryResult } from '../store/render.js';
import { runSql, toCsv, type QueryResult } from '../store/sql.js';
import { withStore } from '../store/writer.js';

export default class Query extends BaseCommand {
  static override summary = 'Run SQL against the store (read-only unless --write).';
  static override description = `Tables: experiments, sweeps, runs, run_params, eval_results, predictions, costs, artifacts; views:
step_metrics (run_id, step, epoch, split, name, value) and run_summary (one row per run, params as columns).
Without --write the file is opened read-only and INSERT/UPDATE/DELETE/CREATE/DROP/ALTER... are refused, as are
COPY ... TO and EXPORT DATABASE (they write files).
Several statements may be separated by ';' (the last one's rows are printed).`;
  static override examples = [
    `<%= config.bin %> query "select run_id, rank, learning_rate, objective from run_summary order by objective limit 5"`,
    `<%= config.bin %> query "select subject, avg(value) from eval_results where metric = 'bleu' group by all" --csv`,
    `<%= config.bin %> query "delete from runs where status = 'failed'" --write`,
  ];

  static override args = {
    sql: Args.string({ description: 'SQL statement(s)', required: true }),
  };

  static override flags = {
    csv: Flags.boolean({ description: 'print CSV (RFC 4180, header line) instead of a table' }),
    write: Flags.boolean({ description: 'allow statements that modify the store (opens it for writing)' }),
  };

  async run(): Promise<QueryResult> {
    const { args, flags } = await this.parse(Query);
    const result = await withStore(flags.db, { readOnly: !flags.write }, (store) => runSql(store.db, args.sql, { write: flags.write }));
    if (!this.jsonEnabled()) {
      if (flags.csv) process.stdout.write(toCsv(result));
      else this.log(renderQueryResult(result));
    }
    return result;
  }
}
