import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { RunDetail } from '../store/queries.js';
import { renderRunDetail, staleRunsNote } from '../store/render.js';
import { withStore } from '../store/writer.js';

export default class Show extends BaseCommand {
  static override summary = "One run: params, curves, metrics by subject and perturbation, costs, artifacts.";
  static override description = `Reads the store (read-only). RUN is a run id or a unique prefix of one; a sweep's baseline results show as
<sweep-id>:baselines. Metrics list the run's own rows, then its sweep's baselines (base, prompting, rag).`;
  static override examples = ['<%= config.bin %> show 20261129-0712-ab12-003', '<%= config.bin %> show 2026112 --json'];

  static override args = {
    run: Args.string({ description: 'run id (or a unique prefix)', required: true }),
  };

  async run(): Promise<RunDetail> {
    const { args, flags } = await this.parse(Show);
    const [detail, noLiveWriter] = await withStore(flags.db, { readOnly: true }, async (store) => [await store.getRun(args.run), store.noLiveWriter] as const);
    if (!this.jsonEnabled()) {
      this.log(renderRunDetail(detail));
      const note = noLiveWriter ? staleRunsNote([detail.run.status]) : null;
      if (note) this.log(note);
    }
    return detail;
  }
}
