import { format } from 'node:util';
import { Command, Flags } from '@oclif/core';
import { FteError } from '../errors.js';
import { useColor } from './table.js';
import { termSafe } from './terminal.js';

/**
 * Base of every fte command: `--json` (oclif's enableJsonFlag), `--db` (default `FTE_DB` or
 * `.fte/fte.duckdb`), and one-line errors. Library code throws `FteError`; this turns it into one
 * line on stderr and `process.exitCode` (never `process.exit`). `FTE_DEBUG=1` prints the stack.
 * Everything printed through `log`, `logToStderr` and the error line passes through `termSafe`: user
 * or model text never reaches the terminal as raw control characters (colour sequences fte adds to
 * tables on a colour TTY are kept).
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    db: Flags.string({
      description: 'DuckDB file (default: $FTE_DB or .fte/fte.duckdb)',
      env: 'FTE_DB',
      default: '.fte/fte.duckdb',
      helpGroup: 'GLOBAL',
    }),
  };

  override log(message = '', ...args: unknown[]): void {
    super.log(termSafe(args.length > 0 ? format(message, ...args) : message, { keepSgr: useColor(process.stdout) }));
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(termSafe(args.length > 0 ? format(message, ...args) : message, { keepSgr: useColor(process.stderr) }));
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof FteError || err.name === 'FteError' || (err as { exitCode?: unknown }).exitCode !== undefined && !err.oclif) {
      if (process.env.FTE_DEBUG === '1') process.stderr.write(`${err.stack}\n`);
      process.stderr.write(`fte: ${termSafe(err.message)}\n`);
      process.exitCode = err.exitCode ?? 1;
      return undefined;
    }
    if (err.oclif) return super.catch(err);
    if (process.env.FTE_DEBUG === '1') process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`fte: ${termSafe(err.message)}\n`);
    process.exitCode = 1;
    return undefined;
  }
}
