/**
 * The `reviews` table (schema 7; src/store/schema.ts): human review answers of `fte review`, one row
 * per (run, example, reviewer), rewritten after every answer so an interrupted session loses nothing.
 */
import type { Db } from './db.js';
import { sqlTimestamp } from './db.js';

/** Rubric scores of one output: item name -> score (integer within the item's range). */
export type RubricScores = Record<string, number>;

/** One review as stored. */
export interface ReviewRecord {
  runId: string;
  exampleId: string;
  reviewer: string;
  /** Position in the reviewer's sample (0-based): the order examples were shown in. */
  seq: number;
  /** The rubric the answers are on (JSON of `Rubric`, src/review/rubric.ts). */
  rubricJson: string;
  /** The baseline shown blind beside the run's output (null: none had this example). */
  baselineSubject: string | null;
  baselineRunId: string | null;
  /** Where the run's output was shown: `A` or `B` (the baseline at the other); null without a baseline. */
  runPosition: 'A' | 'B' | null;
  runScores: RubricScores;
  baselineScores: RubricScores;
  preference: 'run' | 'baseline' | 'tie' | null;
  note: string | null;
  /** Every question answered (a note may be empty). */
  complete: boolean;
  /** `terminal` or `csv`. */
  source: 'terminal' | 'csv';
  updatedAt?: string;
}

/** Every stored review of `runId` (all reviewers unless `reviewer`), in sample order. */
export async function loadReviews(db: Db, runId: string, reviewer?: string): Promise<ReviewRecord[]> {
  const rows = await db.all<Record<string, unknown>>(
    `SELECT * FROM reviews WHERE run_id = $1 ${reviewer !== undefined ? 'AND reviewer = $2' : ''} ORDER BY reviewer, seq, example_id`,
    reviewer !== undefined ? [runId, reviewer] : [runId],
  );
  return rows.map((r) => ({
    runId: String(r.run_id),
    exampleId: String(r.example_id),
    reviewer: String(r.reviewer),
    seq: Number(r.seq),
    rubricJson: String(r.rubric_json),
    baselineSubject: r.baseline_subject === null ? null : String(r.baseline_subject),
    baselineRunId: r.baseline_run_id === null ? null : String(r.baseline_run_id),
    runPosition: r.run_position === null ? null : (String(r.run_position) as 'A' | 'B'),
    runScores: JSON.parse(String(r.run_scores_json)) as RubricScores,
    baselineScores: JSON.parse(String(r.baseline_scores_json)) as RubricScores,
    preference: r.preference === null ? null : (String(r.preference) as ReviewRecord['preference']),
    note: r.note === null ? null : String(r.note),
    complete: Boolean(r.complete),
    source: String(r.source) as ReviewRecord['source'],
    updatedAt: String(r.updated_at),
  }));
}

/** Write (replace) one review row, in one transaction. */
export async function saveReview(db: Db, r: ReviewRecord): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(`DELETE FROM reviews WHERE run_id = $1 AND example_id = $2 AND reviewer = $3`, [r.runId, r.exampleId, r.reviewer]);
    await tx.run(
      `INSERT INTO reviews (run_id, example_id, reviewer, seq, rubric_json, baseline_subject, baseline_run_id, run_position,
         run_scores_json, baseline_scores_json, preference, note, complete, source, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::TIMESTAMP)`,
      [r.runId, r.exampleId, r.reviewer, r.seq, r.rubricJson, r.baselineSubject, r.baselineRunId, r.runPosition,
        JSON.stringify(r.runScores), JSON.stringify(r.baselineScores), r.preference, r.note, r.complete, r.source, sqlTimestamp(new Date())],
    );
  });
}
