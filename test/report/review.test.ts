/**
 * Human review (`fte review`) in `fte compare` and in the HTML report, on a real DuckDB store: the
 * report fixture (./db-fixture.ts) plus reviews written by the store's own review writer. Each side's
 * mean and 95% interval per rubric item, the blind preference rate with its Wilson interval and
 * counts, complete / started and reviewers; side by side when both sides share a rubric; never a
 * change to the verdict or the exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSides, parseThresholds } from '../../src/report/compare.js';
import { compareRefs, resolveSides } from '../../src/report/compare-refs.js';
import { loadReportData } from '../../src/report/load.js';
import { renderReportHtml } from '../../src/report/render.js';
import { buildReportViewModel } from '../../src/report/view-model.js';
import { DEFAULT_RUBRIC, type Rubric } from '../../src/review/rubric.js';
import { openStore, type Store } from '../../src/store/index.js';
import { saveReview, type ReviewRecord, type RubricScores } from '../../src/store/reviews.js';
import { requireBuild } from '../cli/built.js';
import { buildFixtureDb, MAIN_SWEEP_ID } from './db-fixture.js';
import { fixtureReportData, SWEEP_ID } from './fixture.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fte-review-report-'));
const dbFile = join(dir, 'fte.duckdb');
const plainDb = join(dir, 'plain.duckdb');
const HOSTILE_REVIEWER = '@someone <script>x</script> | `y`';
const OTHER_RUBRIC: Rubric = { items: [{ name: 'helpful', question: 'Would it help?', min: 0, max: 3 }] };

function review(runId: string, exampleId: string, reviewer: string, seq: number, run: RubricScores, baseline: RubricScores, preference: ReviewRecord['preference'], rubric: Rubric = DEFAULT_RUBRIC): ReviewRecord {
  const complete = preference !== null && Object.keys(run).length === rubric.items.length && Object.keys(baseline).length === rubric.items.length;
  return {
    runId, exampleId, reviewer, seq, rubricJson: JSON.stringify(rubric), baselineSubject: 'base', baselineRunId: 'b', runPosition: seq % 2 === 0 ? 'A' : 'B',
    runScores: run, baselineScores: baseline, preference, note: null, complete, source: 'terminal',
  };
}
const s3 = (c: number, f: number, t: number): RubricScores => ({ correct: c, format: f, tone: t });

let store: Store;

beforeAll(async () => {
  await buildFixtureDb(plainDb);
  await buildFixtureDb(dbFile);
  const w = await openStore(dbFile);
  try {
    // run-4 (the best run of SWEEP_ID): 4 examples, run correct 5 4 4 5 vs base 2 3 2 3; run preferred 3 of 4.
    await saveReview(w.db, review('run-4', 'C14', 'ann', 0, s3(5, 4, 4), s3(2, 3, 3), 'run'));
    await saveReview(w.db, review('run-4', 'C40', 'ann', 1, s3(4, 4, 4), s3(3, 3, 3), 'run'));
    await saveReview(w.db, review('run-4', 'C60', HOSTILE_REVIEWER, 0, s3(4, 5, 4), s3(2, 3, 3), 'baseline'));
    await saveReview(w.db, review('run-4', 'C12', HOSTILE_REVIEWER, 1, s3(5, 5, 4), s3(3, 3, 3), 'run'));
    // main-run-1 (the best run of MAIN_SWEEP_ID), same rubric: 2 examples, one tie, one for the base model; one more started.
    await saveReview(w.db, review('main-run-1', 'C14', 'bo', 0, s3(3, 3, 4), s3(3, 3, 4), 'tie'));
    await saveReview(w.db, review('main-run-1', 'C40', 'bo', 1, s3(3, 4, 4), s3(4, 4, 4), 'baseline'));
    await saveReview(w.db, review('main-run-1', 'C60', 'bo', 2, { correct: 2 }, {}, null));
    // run-2 (SWEEP_ID), another rubric: one example, no decided comparison.
    await saveReview(w.db, review('run-2', 'C14', 'cy', 0, { helpful: 2 }, { helpful: 1 }, 'tie', OTHER_RUBRIC));
  } finally {
    await w.close();
  }
  store = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fte compare shows human review', () => {
  it('both sides reviewed on the same rubric: one table side by side, each side’s preference rate with its Wilson interval and counts', async () => {
    const { comparison: c, text } = await compareRefs({ db: dbFile, base: MAIN_SWEEP_ID, head: SWEEP_ID, version: 'test' });
    expect(c.review).not.toBeNull();
    expect(c.review!.sameRubric).toBe(true);
    expect(c.review!.head).toMatchObject({ runId: 'run-4', complete: 4, started: 4, reviewers: [HOSTILE_REVIEWER, 'ann'].sort(), preference: { run: 3, baseline: 1, tie: 0, rate: 0.75 } });
    expect(c.review!.base).toMatchObject({ runId: 'main-run-1', complete: 2, started: 3, reviewers: ['bo'], preference: { run: 0, baseline: 1, tie: 1, rate: 0 } });
    const lines = text.split('\n');
    const at = lines.indexOf('#### Human review');
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('#### Cost')));
    const section = lines.slice(at, lines.findIndex((l, i) => i > at && l.startsWith('<details>')));
    expect(section).toContain('| rubric item | base: run | base: blind baseline (base) | head: run | head: blind baseline (base) |');
    // Means with their 95% bootstrap interval and n: run-4's correct is 5 4 4 5, main-run-1's 3 3 2.
    expect(section.find((l) => l.startsWith('| correct (1–5) |'))).toMatch(/^\| correct \(1–5\) \| 2\.67 \[2\.\d\d, 3\.00\] \(n = 3\) \| 3\.50 \[3\.00, 4\.00\] \(n = 2\) \| 4\.50 \[4\.00, 5\.00\] \(n = 4\) \| 2\.50 \[2\.00, 3\.00\] \(n = 4\) \|$/);
    // 3 of 4 decided: Wilson 95% [0.3006, 0.9544]; 0 of 1: [0, 0.7935].
    expect(section.find((l) => l.startsWith('- **head**'))).toBe('- **head** run-4 \\(r=8 lr=3e-4\\): run preferred over base \\(blind\\) in 3 of 4 decided \\(75% \\[30%, 95%\\], Wilson 95%; 0 ties\\); 4 of 4 examples complete, by @&#8203;someone &lt;script&gt;x&lt;/script&gt; &#124; &#96;y&#96;, ann.');
    expect(section.find((l) => l.startsWith('- **base**'))).toMatch(/^- \*\*base\*\* main-run-1: run preferred over base \\\(blind\\\) in 0 of 1 decided \\\(0% \\\[0%, 79%\\\], Wilson 95%; 1 tie\\\); 2 of 3 examples complete, by bo\.$/);
    expect(section.join('\n')).toContain('never change the verdict or the exit code');
  });

  it('ratings never change the comparison: the same verdict, thresholds and regression without them', async () => {
    for (const [base, head, thresholds] of [[MAIN_SWEEP_ID, SWEEP_ID, []], [SWEEP_ID, `${SWEEP_ID}:base`, ['f1_macro=-0.01']]] as const) {
      const sides = await resolveSides(store.db, base, head);
      const withReview = compareSides(sides.base, sides.head, parseThresholds(thresholds));
      const without = compareSides({ ...sides.base, review: null }, { ...sides.head, review: null }, parseThresholds(thresholds));
      expect(withReview.review).not.toBeNull();
      expect(without.review).toBeNull();
      expect({ ...withReview, review: null }).toEqual(without);
    }
  });

  it('only one side reviewed: its table with the blind baseline beside it', async () => {
    const { comparison: c, text } = await compareRefs({ db: dbFile, version: 'test' });
    expect(c.review).toMatchObject({ base: null, sameRubric: false, head: { runId: 'run-4' } });
    expect(text).toContain('**head** run-4 \\(r=8 lr=3e-4\\)\n\n| rubric item | run | blind baseline (base) |\n|---|---:|---:|\n| correct (1–5) | 4.50 [4.00, 5.00] (n = 4) | 2.50 [2.00, 3.00] (n = 4) |');
    expect(text.slice(text.indexOf('#### Human review'))).not.toContain('**base**');
  });

  it('different rubrics: one table per side, not side by side', async () => {
    const { comparison: c, text } = await compareRefs({ db: dbFile, base: 'run-2', head: 'run-4', version: 'test' });
    expect(c.review!.sameRubric).toBe(false);
    expect(text).toMatch(/\*\*base\*\* run-2 [^\n]*\n\n\| rubric item \| run \| blind baseline \(base\) \|\n\|---\|---:\|---:\|\n\| helpful \(0–3\) \| 2\.00 \[2\.00, 2\.00\] \(n = 1\) \| 1\.00 \[1\.00, 1\.00\] \(n = 1\) \|/);
    expect(text).toContain('- **base** run-2 \\(r=4 lr=3e-4\\): no decided blind comparison with base yet \\(1 tie\\); 1 of 1 examples complete, by cy.');
    expect(text).toMatch(/\*\*head\*\* run-4 [^\n]*\n\n\| rubric item \| run \| blind baseline \(base\) \|/);
  });

  it('a store without reviews: no section, review null', async () => {
    const { comparison: c, text } = await compareRefs({ db: plainDb, version: 'test' });
    expect(c.review).toBeNull();
    expect(text).not.toContain('Human review');
  });

  it('hostile reviewer names cannot break a table, mention anyone, or add HTML', async () => {
    const { text } = await compareRefs({ db: dbFile, base: MAIN_SWEEP_ID, head: SWEEP_ID });
    expect(text).not.toMatch(/<script|@someone|`y`/);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|---/.test(lines[i]!)) continue;
      const cols = lines[i - 1]!.split('|').length;
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('|'); j++) expect(lines[j]!.split('|').length, lines[j]).toBe(cols);
    }
  });
});

describe('fte compare (built CLI) with reviews', () => {
  beforeAll(() => requireBuild('dist/commands/compare.js'));
  const fte = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args, '--db', dbFile], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('--json and --format json include the ratings; the exit code is the metrics’ alone', () => {
    const j = fte(['compare', '--base', MAIN_SWEEP_ID, '--head', SWEEP_ID, '--json']);
    expect(j.status, j.stderr).toBe(0);
    const c = JSON.parse(j.stdout);
    expect(c.review.sameRubric).toBe(true);
    expect(c.review.head.items[0]).toMatchObject({ item: 'correct', scale: { min: 1, max: 5 }, run: { mean: 4.5, ciLow: 4, ciHigh: 5, n: 4 }, baseline: { mean: 2.5, n: 4 } });
    expect(c.review.head.preference.ciLow).toBeCloseTo(0.3006, 3);
    expect(c.review.head.preference.ciHigh).toBeCloseTo(0.9544, 3);
    expect(c.head.review).toBeUndefined();
    const f = fte(['compare', '--base', MAIN_SWEEP_ID, '--head', SWEEP_ID, '--format', 'json']);
    expect(JSON.parse(f.stdout).review).toEqual(c.review);
    // The base side (run-4) is well reviewed, the head (its base model) regresses: exit 1 all the same.
    const bad = fte(['compare', '--base', SWEEP_ID, '--head', `${SWEEP_ID}:base`, '--threshold', 'f1_macro=-0.01', '--fail-on-regression']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('#### Human review');
    expect(bad.stdout).toContain('- **base** run-4');
  });
});

describe('the report shows human review', () => {
  /** The text cells of each table row of `html`. */
  const rows = (html: string): string[][] =>
    [...html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.trim()));

  it('a table per reviewed run, the best first: mean, 95% interval and n per rubric item; the preference rate with its Wilson interval', async () => {
    const data = await loadReportData(store.db, SWEEP_ID);
    const vm = buildReportViewModel(data, { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(vm.review!.tables.map((t) => t.runId)).toEqual(['run-4', 'run-2']);
    const html = await renderReportHtml(vm, { version: 'test' });
    const section = html.slice(html.indexOf('data-testid="human-review"'), html.indexOf('data-testid="sample"'));
    expect(section.length).toBeGreaterThan(0);
    const best = section.slice(section.indexOf('data-run="run-4"'), section.indexOf('data-run="run-2"'));
    expect(best).toContain('Human review of run-4 (r&#x3D;8 lr&#x3D;3e-4), the best variant</h3>');
    expect(rows(best)).toEqual([
      ['rubric item', 'scale', 'run mean', '95% interval', 'n', 'base mean', '95% interval', 'n'],
      ['correct', '1–5', '4.50', '[4.00, 5.00]', '4', '2.50', '[2.00, 3.00]', '4'],
      ['format', '1–5', '4.50', expect.stringMatching(/^\[4\.00, 5\.00\]$/), '4', '3.00', '[3.00, 3.00]', '4'],
      ['tone', '1–5', '4.00', '[4.00, 4.00]', '4', '3.00', '[3.00, 3.00]', '4'],
      ['blind preference', 'run preferred', '95% interval (Wilson)', 'decided', 'run', 'base', 'ties'],
      ['run over base', '75%', '[30%, 95%]', '4', '3', '1', '0'],
    ]);
    // Reviewer names are escaped, never markup.
    expect(best).toContain('4 of 4 examples complete, by @someone &lt;script&gt;x&lt;/script&gt; | &#x60;y&#x60;, ann; blind baseline: base.');
    expect(section).not.toContain('<script>x');
    const other = section.slice(section.indexOf('data-run="run-2"'));
    expect(rows(other).slice(0, 2)).toEqual([
      ['rubric item', 'scale', 'run mean', '95% interval', 'n', 'base mean', '95% interval', 'n'],
      ['helpful', '0–3', '2.00', '[2.00, 2.00]', '1', '1.00', '[1.00, 1.00]', '1'],
    ]);
    expect(rows(other)[3]).toEqual(['run over base', '—', '', '0', '0', '0', '1']);
    // The summary's best-variant card keeps its one line.
    expect(html).toMatch(/<li>Human review: correct 4\.50 \[4\.00, 5\.00\] vs baseline 2\.50 \[2\.00, 3\.00\]; .*preferred over base \(blind\) in 3 of 4 decided \(75% \[30%, 95%\], Wilson 95%; 0 ties\); 4 of 4 examples complete, by /);
  });

  it('no review: no section', async () => {
    const vm = buildReportViewModel(fixtureReportData(), { generatedAt: '2026-11-29T08:00:00.000Z' });
    expect(vm.review).toBeNull();
    expect(await renderReportHtml(vm, { version: 'test' })).not.toContain('data-testid="human-review"');
  });
});
