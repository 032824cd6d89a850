import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { termSafe } from '../cli/terminal.js';
import { renderQueryResult, truncationNote } from '../store/render.js';
import { DEFAULT_QUERY_LIMIT, runSql, toCsv, type QueryResult } from '../store/sql.js';
import { withStore } from '../store/open.js';

export default class Query extends BaseCommand {
  static override summary = 'Run SQL against the store (read-only unless --write).';
  static override description = `Tables: experiments, sweeps, runs, run_params, eval_results, predictions, costs, artifacts; views:
step_metrics (run_id, step, epoch, split, name, value) and run_summary (one row per run, params as columns).
Without --write the store is opened read-only with its settings locked and no extension downloads, and only
SELECT statements run (WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE included): INSERT/UPDATE/DELETE/CREATE,
SET/RESET/PRAGMA, INSTALL/LOAD, ATTACH, COPY and EXPORT are refused before anything runs. A SELECT can still
read local files (read_csv('x.csv')), as the DuckDB CLI does; --no-external-access refuses every file but the
store (for queries from untrusted input). Several statements may be separated by ';' (the last one's rows are
printed). At most --limit rows are read and printed (default ${DEFAULT_QUERY_LIMIT}); a cut result says so.`;
  static override examples = [
    `<%= config.bin %> query "select run_id, rank, learning_rate, objective from run_summary order by objective limit 5"`,
    `<%= config.bin %> query "select subject, avg(value) from eval_results where metric = 'bleu' group by all" --csv`,
    `<%= config.bin %> query "select * from predictions" --json --limit 100000`,
    `<%= config.bin %> query "delete from runs where status = 'failed'" --write`,
  ];

  static override args = {
    sql: Args.string({ description: 'SQL statement(s)', required: true }),
  };

  static override flags = {
    csv: Flags.boolean({ description: 'print CSV (RFC 4180, header line) instead of a table' }),
    limit: Flags.integer({ description: "read and print at most N rows of the result (more: raise it, or use 'fte export')", min: 1, default: DEFAULT_QUERY_LIMIT }),
    write: Flags.boolean({ description: 'allow statements that modify the store (opens it for writing)' }),
    'no-external-access': Flags.boolean({ description: 'refuse every file and URL but the store (DuckDB enable_external_access=false)', exclusive: ['write'] }),
  };

  async run(): Promise<QueryResult> {
    const { args, flags } = await this.parse(Query);
    const open = { readOnly: !flags.write, externalAccess: !flags['no-external-access'] };
    const result = await withStore(flags.db, open, (store) => runSql(store.db, args.sql, { write: flags.write, limit: flags.limit }));
    // CSV is data: written as is into a pipe or file, but never raw control characters to a terminal.
    if (flags.csv && !this.jsonEnabled()) process.stdout.write(process.stdout.isTTY ? termSafe(toCsv(result).replaceAll('\r\n', '\n')) : toCsv(result));
    else if (!this.jsonEnabled()) this.log(renderQueryResult(result));
    if (result.truncated && (flags.csv || this.jsonEnabled())) process.stderr.write(`fte: ${truncationNote(result)}\n`);
    return result;
  }
}
