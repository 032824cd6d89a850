import { createInterface } from 'node:readline';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { UserInputError } from '../errors.js';
import { withStore } from '../store/open.js';
import { resolveRunId } from '../store/queries.js';
import { loadReviews } from '../store/reviews.js';
import { exportReviewCsv, importReviewCsv } from '../review/csv.js';
import { DEFAULT_RUBRIC, readRubric } from '../review/rubric.js';
import { reviewSample, runReviewSession, type LineSource } from '../review/session.js';
import { renderReviewSummary, summarizeReviews, type ReviewSummary } from '../review/summary.js';

export default class Review extends BaseCommand {
  static override summary = "Human review of a run's test outputs against a blind baseline, with a rubric.";
  static override description = `Walks you through a seeded sample of RUN's clean test examples: the input, the reference, the run's output
and, blind and at a random position (A or B), a baseline's output for the same example. Score each output on
the rubric (default: correct, format, tone, 1-5), say which is better (a, b or t for a tie) and leave a note.
Every answer is saved to the store as you give it: Ctrl-C (or q) loses nothing, and running the same command
again continues where you stopped. --export writes the sample as a CSV to fill in a spreadsheet (the blind
pairing is recorded then); --import reads it back. Prints the ratings so far: the mean score per rubric item
with its 95% bootstrap interval, and how often the run's output was preferred (95% Wilson interval).`;
  static override examples = [
    '<%= config.bin %> review 0002f3d9-849e93',
    '<%= config.bin %> review 0002f3d9 --sample 30 --rubric rubric.yaml --baseline prompting',
    '<%= config.bin %> review 0002f3d9 --export review.csv',
    '<%= config.bin %> review 0002f3d9 --import review.csv',
  ];

  static override args = {
    run: Args.string({ description: 'run id (or a unique prefix)', required: true }),
  };

  static override flags = {
    sample: Flags.integer({ description: 'examples to review (a seeded sample of the test split)', default: 20, min: 1 }),
    seed: Flags.integer({ description: 'seed of the sample and of the blind A/B positions', default: 1, min: 0 }),
    rubric: Flags.string({ description: 'rubric file (JSON or YAML): a list of items, each a name or { name, question, min, max }' }),
    baseline: Flags.string({ description: "the baseline shown blind beside the run's output (default: base)" }),
    reviewer: Flags.string({ description: 'your name, stored with every answer (default: $USER)' }),
    export: Flags.string({ description: 'write the sample to this CSV file to fill in a spreadsheet', exclusive: ['import'] }),
    import: Flags.string({ description: 'read answers from a filled-in CSV written by --export', exclusive: ['export'] }),
    summary: Flags.boolean({ description: 'print the ratings so far and ask nothing' }),
  };

  async run(): Promise<ReviewSummary> {
    const { args, flags } = await this.parse(Review);
    const rubric = flags.rubric ? readRubric(flags.rubric) : DEFAULT_RUBRIC;
    const reviewer = (flags.reviewer ?? process.env.USER ?? process.env.USERNAME ?? 'reviewer').trim();
    if (!reviewer) throw new UserInputError('--reviewer: give a name');
    const readOnly = flags.summary === true;
    return withStore(flags.db, readOnly ? { readOnly: true } : {}, async (store) => {
      const db = store.db;
      const runId = await resolveRunId(db, args.run);
      const say = (line: string) => (this.jsonEnabled() ? undefined : this.logToStderr(line));
      if (!flags.summary) {
        const existing = await loadReviews(db, runId, reviewer);
        if (flags.import) {
          const r = await importReviewCsv(db, flags.import, { runId, reviewer, rubric, existing });
          say(`imported ${r.saved} review${r.saved === 1 ? '' : 's'} from ${flags.import} (${r.complete} complete)`);
        } else {
          const { items, baselineSubject } = await reviewSample(db, runId, { sample: flags.sample, seed: flags.seed, ...(flags.baseline ? { baseline: flags.baseline } : {}), existing });
          if (flags.export) {
            const n = await exportReviewCsv(db, flags.export, { runId, reviewer, rubric, items, existing });
            say(`wrote ${n} example${n === 1 ? '' : 's'} to ${flags.export}${baselineSubject ? ` (outputs A and B: the run's and ${baselineSubject}'s, blind)` : ''}; fill it in, then: fte review ${runId} --import ${flags.export}`);
          } else {
            say(`reviewing ${items.length} test example${items.length === 1 ? '' : 's'} of run ${runId} as ${reviewer}${baselineSubject ? `, beside a blind baseline` : ''}; answers are saved as you go (q to stop)`);
            const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
            const it = rl[Symbol.asyncIterator]();
            const input: LineSource = { next: async () => { const r = await it.next(); return r.done ? null : (r.value as string); } };
            // Ctrl-C: every answer given is already stored; close the store cleanly and stop.
            let interrupted = false;
            const onSigint = () => { interrupted = true; rl.close(); };
            process.once('SIGINT', onSigint);
            try {
              const r = await runReviewSession({ db, runId, reviewer, rubric, items, existing, input, write: (t) => process.stdout.write(t), echo: !process.stdin.isTTY });
              if (interrupted) process.exitCode = 130; // 128 + SIGINT, as fte sweep
              say(r.ended === 'done' ? `done: ${r.completed} example${r.completed === 1 ? '' : 's'} reviewed in this session` : `stopped: ${r.completed} completed in this session, ${r.remaining} left; run the same command to continue`);
            } finally {
              process.removeListener('SIGINT', onSigint);
              rl.close();
            }
          }
        }
      }
      const summary = summarizeReviews(runId, await loadReviews(db, runId));
      if (!this.jsonEnabled()) {
        const lines = renderReviewSummary(summary);
        this.log(lines.length ? lines.join('\n') : `no review of run ${runId} yet`);
      }
      return summary;
    });
  }
}
