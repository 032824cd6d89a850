/**
 * fte review: the seeded blind sample, the answer-by-answer session (driven through a line source
 * and, once, through the built CLI's standard input), resuming after an interruption, and the CSV
 * round trip, on a store written by the store's own writer (test/report/db-fixture.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { loadReviews } from '../../src/store/reviews.js';
import { DEFAULT_RUBRIC, parseRubric, readRubric } from '../../src/review/rubric.js';
import { reviewSample, runReviewSession, type LineSource } from '../../src/review/session.js';
import { exportReviewCsv, importReviewCsv, parseCsv } from '../../src/review/csv.js';
import { renderReviewSummary, summarizeReviews, wilsonInterval } from '../../src/review/summary.js';
import { UserInputError } from '../../src/errors.js';
import { buildFixtureDb } from '../report/db-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-review-'));
const RUN = 'run-4';

const lines = (xs: string[]): LineSource => {
  let i = 0;
  return { next: async () => (i < xs.length ? xs[i++]! : null) };
};

async function fixture(name: string): Promise<string> {
  const file = join(dir, `${name}.duckdb`);
  await buildFixtureDb(file);
  return file;
}

/** Answers for one example: 3 scores for A, 3 for B, preference, note. */
const oneExample = (a: number, b: number, pref: string, note: string) => [String(a), String(a), String(a), String(b), String(b), String(b), pref, note];

describe('reviewSample', () => {
  it('is seeded: the same sample and A/B positions for the same seed, the base model blind beside the run', async () => {
    const store = await openStore(await fixture('sample'));
    try {
      const a = await reviewSample(store.db, RUN, { sample: 4, seed: 7 });
      const b = await reviewSample(store.db, RUN, { sample: 4, seed: 7 });
      const c = await reviewSample(store.db, RUN, { sample: 4, seed: 8 });
      expect(a.items).toHaveLength(4);
      expect(a.items).toEqual(b.items);
      expect(c.items.map((x) => x.exampleId)).not.toEqual(a.items.map((x) => x.exampleId));
      expect(a.baselineSubject).toBe('base');
      expect(a.items.every((x) => x.baseline?.subject === 'base' && (x.runPosition === 'A' || x.runPosition === 'B'))).toBe(true);
      await expect(reviewSample(store.db, RUN, { baseline: 'nope' })).rejects.toThrow(/--baseline: 'nope' has no stored outputs .* known: /);
    } finally {
      await store.close();
    }
  });
});

describe('review session', () => {
  it('saves every answer as given; an interrupted session continues where it stopped; the blind pairing is recorded', async () => {
    const file = await fixture('session');
    let store = await openStore(file);
    const { items } = await reviewSample(store.db, RUN, { sample: 3, seed: 1 });
    const out: string[] = [];
    // Example 1 complete (an invalid score re-asked), example 2 stopped after two scores (input ends).
    const first = await runReviewSession({
      db: store.db, runId: RUN, reviewer: 'ann', rubric: DEFAULT_RUBRIC, items, existing: [],
      input: lines(['5', '9', '4', '3', '2', '2', '2', 'a', 'looks right', '1', '2']), write: (t) => out.push(t),
    });
    expect(first).toEqual({ completed: 1, remaining: 2, ended: 'eof' });
    expect(out.join('')).toContain('enter a whole number from 1 to 5');
    await store.close();

    store = await openStore(file);
    const saved = await loadReviews(store.db, RUN, 'ann');
    expect(saved).toHaveLength(2);
    const [r1, r2] = saved;
    const i1 = items[0]!;
    expect(r1).toMatchObject({ exampleId: i1.exampleId, complete: true, note: 'looks right', baselineSubject: 'base', runPosition: i1.runPosition, source: 'terminal' });
    // A scored 5/4/3, B 2/2/2, A preferred: which subject that is depends on the blind position.
    const aScores = { correct: 5, format: 4, tone: 3 };
    const bScores = { correct: 2, format: 2, tone: 2 };
    expect(r1!.runScores).toEqual(i1.runPosition === 'A' ? aScores : bScores);
    expect(r1!.baselineScores).toEqual(i1.runPosition === 'A' ? bScores : aScores);
    expect(r1!.preference).toBe(i1.runPosition === 'A' ? 'run' : 'baseline');
    expect(r2).toMatchObject({ exampleId: items[1]!.exampleId, complete: false });
    expect(Object.keys({ ...r2!.runScores, ...r2!.baselineScores })).toHaveLength(2);

    // Re-run: the sample keeps the stored examples first; only the missing answers are asked.
    const again = await reviewSample(store.db, RUN, { sample: 3, seed: 1, existing: saved });
    expect(again.items.map((x) => [x.exampleId, x.runPosition])).toEqual(items.map((x) => [x.exampleId, x.runPosition]));
    const second = await runReviewSession({
      db: store.db, runId: RUN, reviewer: 'ann', rubric: DEFAULT_RUBRIC, items: again.items, existing: saved,
      input: lines(['3', '3', '3', '3', 't', '', ...oneExample(4, 4, 'q', '')]), write: () => {},
    });
    expect(second).toEqual({ completed: 1, remaining: 1, ended: 'quit' });
    const after = await loadReviews(store.db, RUN, 'ann');
    expect(after.filter((r) => r.complete)).toHaveLength(2);
    expect(after.find((r) => r.exampleId === items[1]!.exampleId)).toMatchObject({ preference: 'tie', note: null, complete: true });
    const s = summarizeReviews(RUN, after);
    expect(s.preference).toMatchObject({ tie: 1 });
    expect(s.items.map((x) => x.item)).toEqual(['correct', 'format', 'tone']);
    expect(renderReviewSummary(s)[0]).toMatch(/^human review: 2 examples complete of 3 started, by ann; blind baseline: base$/);
    await store.close();
  });
});

describe('CSV export and import', () => {
  it('round-trips: the export records the blind pairing, the filled-in sheet is saved against it', async () => {
    const file = await fixture('csv');
    const store = await openStore(file);
    try {
      const { items } = await reviewSample(store.db, RUN, { sample: 3, seed: 2 });
      const csv = join(dir, 'review.csv');
      await exportReviewCsv(store.db, csv, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, items, existing: [] });
      const pairing = await loadReviews(store.db, RUN, 'bo');
      expect(pairing.map((r) => [r.exampleId, r.runPosition, r.complete])).toEqual(items.map((x) => [x.exampleId, x.runPosition, false]));
      const rows = parseCsv(readFileSync(csv, 'utf8'));
      expect(rows[0]).toEqual(['example_id', 'category', 'input', 'reference', 'output_a', 'output_b', 'a_correct', 'a_format', 'a_tone', 'b_correct', 'b_format', 'b_tone', 'preference', 'note']);
      expect(rows.slice(1).map((r) => r[0])).toEqual(items.map((x) => x.exampleId));
      const runAt = (i: number) => (items[i]!.runPosition === 'A' ? 4 : 5);
      expect(rows[1]![runAt(0)]).toBe(items[0]!.runOutput);
      // Fill in: row 1 complete (B preferred, a note with a comma and quotes), row 2 only one score.
      rows[1]!.splice(6, 8, '5', '5', '4', '1', '2', '3', 'b', 'fine, "mostly"');
      rows[2]!.splice(6, 1, '3');
      const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      writeFileSync(csv, rows.map((r) => r.map(field).join(',')).join('\r\n'));
      const r = await importReviewCsv(store.db, csv, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, existing: pairing });
      expect(r).toEqual({ saved: 3, complete: 1 });
      const got = await loadReviews(store.db, RUN, 'bo');
      const g1 = got.find((x) => x.exampleId === items[0]!.exampleId)!;
      expect(g1).toMatchObject({ complete: true, note: 'fine, "mostly"', source: 'csv', preference: items[0]!.runPosition === 'B' ? 'run' : 'baseline' });
      expect(items[0]!.runPosition === 'A' ? g1.runScores : g1.baselineScores).toEqual({ correct: 5, format: 5, tone: 4 });
      // Export again: the answers come back in the same cells.
      const csv2 = join(dir, 'review2.csv');
      await exportReviewCsv(store.db, csv2, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, items, existing: got });
      expect(parseCsv(readFileSync(csv2, 'utf8'))[1]!.slice(6)).toEqual(['5', '5', '4', '1', '2', '3', 'b', 'fine, "mostly"']);
      // Bad sheets: one line, nothing saved.
      writeFileSync(csv, `${rows[0]!.join(',')}\r\n${items[0]!.exampleId},,,,,,7,,,,,,,\r\n`);
      await expect(importReviewCsv(store.db, csv, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, existing: got })).rejects.toThrow(/line 2: a_correct must be a whole number from 1 to 5, got '7'/);
      writeFileSync(csv, `${rows[0]!.join(',')}\r\nnope,,,,,,,,,,,,,\r\n`);
      await expect(importReviewCsv(store.db, csv, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, existing: got })).rejects.toThrow(/example 'nope' was not exported/);
      writeFileSync(csv, 'example_id,note\r\n');
      await expect(importReviewCsv(store.db, csv, { runId: RUN, reviewer: 'bo', rubric: DEFAULT_RUBRIC, existing: got })).rejects.toThrow(/missing columns preference, a_correct/);
    } finally {
      await store.close();
    }
  });
});

describe('rubrics and intervals', () => {
  it('reads a YAML rubric and refuses bad ones with one line', () => {
    const p = join(dir, 'rubric.yaml');
    writeFileSync(p, 'items:\n  - name: helpful\n    question: Would it help?\n    min: 0\n    max: 3\n  - safe\n');
    expect(readRubric(p).items).toEqual([
      { name: 'helpful', question: 'Would it help?', min: 0, max: 3 },
      { name: 'safe', question: 'safe?', min: 1, max: 5 },
    ]);
    expect(() => parseRubric([])).toThrow(UserInputError);
    expect(() => parseRubric(['a', 'a'])).toThrow(/appears twice/);
    expect(() => parseRubric([{ name: 'x', min: 3, max: 3 }])).toThrow(/min < max/);
    expect(() => parseRubric(['note'])).toThrow(/asked anyway/);
  });

  it("each item's scale comes from the stored rubrics; null when two reviews' rubrics disagree", () => {
    const rec = (id: string, rubric: unknown) => ({
      runId: RUN, exampleId: id, reviewer: 'ann', seq: 0, rubricJson: JSON.stringify(rubric), baselineSubject: null, baselineRunId: null, runPosition: null,
      runScores: { correct: 3 }, baselineScores: {}, preference: null, note: null, complete: false, source: 'terminal' as const,
    });
    const narrow = { items: [{ name: 'correct', question: '?', min: 0, max: 3 }] };
    expect(summarizeReviews(RUN, [rec('a', DEFAULT_RUBRIC), rec('b', DEFAULT_RUBRIC)]).items.map((x) => [x.item, x.scale])).toEqual([
      ['correct', { min: 1, max: 5 }], ['format', { min: 1, max: 5 }], ['tone', { min: 1, max: 5 }],
    ]);
    expect(summarizeReviews(RUN, [rec('a', DEFAULT_RUBRIC), rec('b', narrow)]).items[0]).toMatchObject({ item: 'correct', scale: null, run: { n: 2 } });
    expect(summarizeReviews(RUN, [rec('a', 'not a rubric')]).items).toEqual([expect.objectContaining({ item: 'correct', scale: null })]);
  });

  it('Wilson interval: known values', () => {
    const w = wilsonInterval(8, 10)!;
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('fte review through standard input (built CLI)', () => {
  const root = resolve(__dirname, '../..');
  const bin = join(root, 'bin/run.js');
  let db: string;
  beforeAll(async () => {
    db = await fixture('cli');
  });
  const fte = (args: string[], input: string) => spawnSync(process.execPath, [bin, 'review', RUN, '--db', db, '--reviewer', 'cy', '--sample', '2', ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  it('asks, saves, stops at the end of the input, and continues on the next run', () => {
    const a = fte([], ['4', '4', '4', '2'].join('\n') + '\n');
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toContain('INPUT:');
    expect(a.stdout).toContain('OUTPUT B:');
    expect(a.stderr).toContain('stopped: 0 completed in this session, 2 left; run the same command to continue');
    expect(a.stdout).toContain('human review: 0 examples complete of 1 started, by cy');
    const b = fte([], [...['2', '2'], 'b', 'ok', ...oneExample(3, 3, 'a', '')].join('\n') + '\n');
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toContain('done: 2 examples reviewed in this session');
    expect(b.stdout).toMatch(/human review: 2 examples complete of 2 started, by cy; blind baseline: base/);
    expect(b.stdout).toMatch(/preference: run preferred in \d of 2 decided/);
  });

  it('--summary prints the ratings without asking; --json returns them', () => {
    const r = spawnSync(process.execPath, [bin, 'review', RUN, '--db', db, '--summary', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ runId: RUN, complete: 2, reviewers: ['cy'] });
  });

  it('fte show lists the ratings under the run', () => {
    const r = spawnSync(process.execPath, [bin, 'show', RUN, '--db', db], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/human review: 2 examples complete of 2 started, by cy; blind baseline: base\n  correct: run \d\.\d\d \[/);
  });
});
