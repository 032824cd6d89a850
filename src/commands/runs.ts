import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { RUN_STATUSES, type RunList } from '../store/queries.js';
import { renderRunList, staleRunsNote } from '../store/render.js';
import { withStore } from '../store/open.js';
import type { RunStatus } from '../store/types.js';

export default class Runs extends BaseCommand {
  static override summary = 'List runs with their params and main metrics.';
  static override description = `Reads the store (read-only); while a sweep holds it, reads that sweep's snapshot (<db>.snapshot) and says so on stderr. Params that differ between the listed runs get a column; val loss is the
final validation loss, ppl the test perplexity, objective the sweep's objective metric. --sort takes
"objective" (best first), a run_summary column (final_val_loss, learning_rate, wall_seconds, usd...) or an
evaluation metric of the fine-tuned model: <metric> or <slice>/<metric> (bleu, classify/f1_macro).`;
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --sweep latest --sort objective --limit 5',
    '<%= config.bin %> runs --status failed --status diverged --json',
    '<%= config.bin %> runs --sort classify/f1_macro --limit 20',
  ];

  static override flags = {
    sweep: Flags.string({ description: "sweep id or 'latest' (default: every sweep)" }),
    status: Flags.string({ description: 'only runs with this status (repeatable)', options: [...RUN_STATUSES], multiple: true }),
    sort: Flags.string({ description: "'objective', a run_summary column, or an eval metric <slice>/<metric>" }),
    order: Flags.string({ description: "sort order (default: best first / ascending for losses, descending for other metrics)", options: ['asc', 'desc'] }),
    limit: Flags.integer({ description: 'at most this many runs', default: 50, min: 0 }),
  };

  async run(): Promise<RunList> {
    const { flags } = await this.parse(Runs);
    const [list, noLiveWriter] = await withStore(flags.db, { readOnly: true, onSnapshot: (line) => process.stderr.write(`${line}\n`) }, async (store) => [
      await store.listRuns({
        sweep: flags.sweep,
        status: flags.status as RunStatus[] | undefined,
        sort: flags.sort,
        order: flags.order as 'asc' | 'desc' | undefined,
        limit: flags.limit,
      }),
      store.noLiveWriter,
    ] as const);
    if (!this.jsonEnabled()) {
      this.log(renderRunList(list));
      const note = noLiveWriter ? staleRunsNote(list.runs.map((r) => r.status)) : null;
      if (note) this.log(note);
    }
    return list;
  }
}
