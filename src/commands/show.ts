import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { RunDetail } from '../store/queries.js';
import { renderRunDetail, staleRunsNote } from '../store/render.js';
import { withStore } from '../store/open.js';
import { loadReviews } from '../store/reviews.js';
import { renderReviewSummary, summarizeReviews } from '../review/summary.js';

export default class Show extends BaseCommand {
  static override summary = "One run: params, curves, metrics by subject and perturbation, costs, artifacts.";
  static override description = `Reads the store (read-only); while a sweep holds it, reads that sweep's snapshot (<db>.snapshot) and says so on stderr. RUN is a run id or a unique prefix of one; a sweep's baseline results show as
<sweep-id>:baselines. Metrics list the run's own rows, then its sweep's baselines (base, prompting, rag, majority).
Each metric row says its split (val: validation, the objective that selects the best variant; test: the
held-out result), its 95% bootstrap interval and its scale (0-100, 0-1, >=1).
By default the metric table shows the fine-tuned model, the base model and the majority-class baseline on
clean inputs (perturbation none), followed by a robustness summary per perturbation (test split): the
objective metric clean and perturbed over the inputs the perturbation changed (as HELM; rows <p> and
<p>:original), its drop (positive = worse), how many inputs it changed, and consistency (unchanged outputs
among the inputs the perturbation changed), and a confusion matrix per classification slice.
--subject and --perturbation pick other rows, --all shows every row; --json always has every row.
A value measured on 0 examples (n = 0) shows as '-'.`;
  static override examples = [
    '<%= config.bin %> show 0002f3d9-849e93',
    '<%= config.bin %> show 2026112 --subject rag --subject prompting --perturbation typos',
    '<%= config.bin %> show 2026112 --all',
    '<%= config.bin %> show 2026112 --json',
  ];

  static override args = {
    run: Args.string({ description: 'run id (or a unique prefix)', required: true }),
  };

  static override flags = {
    subject: Flags.string({ description: 'subject(s) whose metrics to show: finetuned, base, prompting, rag, majority (default: finetuned, base, majority)', multiple: true }),
    perturbation: Flags.string({ description: "perturbation whose metrics to show, or 'all' (default: none, plus a robustness summary)" }),
    all: Flags.boolean({ description: 'show every subject and perturbation', exclusive: ['subject', 'perturbation'] }),
  };

  async run(): Promise<RunDetail> {
    const { args, flags } = await this.parse(Show);
    const [detail, noLiveWriter, reviews] = await withStore(flags.db, { readOnly: true, onSnapshot: (line) => process.stderr.write(`${line}\n`) }, async (store) => {
      const d = await store.getRun(args.run);
      return [d, store.noLiveWriter, await loadReviews(store.db, d.run.runId)] as const;
    });
    // Rendered in --json mode too, so an unknown --subject / --perturbation is refused either way.
    const text = renderRunDetail(detail, { subjects: flags.subject, perturbation: flags.perturbation, all: flags.all });
    if (!this.jsonEnabled()) {
      this.log(text);
      // Human review (fte review): mean rubric scores with intervals and the blind preference rate.
      const review = renderReviewSummary(summarizeReviews(detail.run.runId, reviews));
      if (review.length > 0) this.log(review.join('\n'));
      const note = noLiveWriter ? staleRunsNote([detail.run.status]) : null;
      if (note) this.log(note);
    }
    return detail;
  }
}
