import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownNameError, UserInputError } from '../../src/errors.js';
import { compareSides, parseThresholds } from '../../src/report/compare.js';
import { compareRefs, resolveRef, resolveSides } from '../../src/report/compare-refs.js';
import { mdText, renderCompareMarkdown } from '../../src/report/markdown.js';
import { openStore, type Store } from '../../src/store/index.js';
import { buildFixtureDb, MAIN_SWEEP_ID } from './db-fixture.js';
import { HOSTILE, SWEEP_ID } from './fixture.js';
import { requireBuild } from '../cli/built.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fte-compare-'));
const dbFile = join(dir, 'fte.duckdb');
let store: Store;

beforeAll(async () => {
  await buildFixtureDb(dbFile);
  store = await openStore(dbFile, { readOnly: true });
});
afterAll(async () => store?.close());

describe('REF resolution', () => {
  it.each([
    ['run-4', 'run', 'run-4', 'finetuned', SWEEP_ID],
    [SWEEP_ID, 'run', 'run-4', 'finetuned', SWEEP_ID],
    [MAIN_SWEEP_ID, 'run', 'main-run-1', 'finetuned', MAIN_SWEEP_ID],
    ['best:email-triage-lora', 'run', 'run-4', 'finetuned', SWEEP_ID],
    [`${SWEEP_ID}:base`, 'baseline', null, 'base', SWEEP_ID],
    [`${MAIN_SWEEP_ID}:prompting`, 'baseline', null, 'prompting', MAIN_SWEEP_ID],
    [`${SWEEP_ID}:rag`, 'baseline', null, 'rag', SWEEP_ID],
    ['main-run', 'run', 'main-run-1', 'finetuned', MAIN_SWEEP_ID],
  ])('%s', async (ref, kind, runId, subject, sweepId) => {
    const side = await resolveRef(store.db, ref);
    expect({ kind: side.kind, runId: side.runId, subject: side.subject, sweepId: side.sweepId }).toEqual({ kind, runId, subject, sweepId });
  });

  it.each([
    ['nope', UserInputError, /not a run id, a sweep id/],
    [`${SWEEP_ID}:gpt`, UnknownNameError, /unknown baseline 'gpt'; known: base, prompting, rag/],
    ['best:nope', UserInputError, /no sweep of experiment 'nope'/],
    ['nope:base', UserInputError, /no sweep 'nope'/],
    ['run-', UserInputError, /ambiguous run id prefix/],
  ])('%s is a clear error', async (ref, type, message) => {
    const err = await resolveRef(store.db, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });

  it('no REFs: the latest sweep best vs its base model', async () => {
    const { base, head } = await resolveSides(store.db);
    expect([head.runId, base.subject, base.sweepId]).toEqual(['run-4', 'base', SWEEP_ID]);
  });
});

describe('thresholds', () => {
  it.each([
    ['f1_macro=-0.02', { metric: 'f1_macro', minImprovement: -0.02 }],
    ['classify/f1_macro=0', { metric: 'classify/f1_macro', minImprovement: 0 }],
    [' perplexity = 1e-1 ', { metric: 'perplexity', minImprovement: 0.1 }],
  ])('parses %j', (s, t) => {
    expect(parseThresholds([s])).toEqual([t]);
  });

  it.each(['f1_macro', 'f1_macro=abc', '=0.1'])('rejects %j with one line', (s) => {
    expect(() => parseThresholds([s])).toThrow(UserInputError);
  });

  it.each([
    // head = this sweep's base model, base = its best run: a significant regression (paired tests).
    [`${SWEEP_ID}:base`, ['f1_macro=-0.01'], true, ['classify/f1_macro'], 'worse'],
    [`${SWEEP_ID}:base`, ['f1_macro=-0.9'], false, [], 'worse'],
    [`${SWEEP_ID}:base`, ['classify/f1_macro=-0.9', 'perplexity=0'], true, ['perplexity'], 'worse'],
    [`${SWEEP_ID}:base`, [], true, ['classify/f1_macro'], 'worse'],
    // head = the older main sweep, 3% lower on every metric: noise, not a regression.
    [MAIN_SWEEP_ID, [], false, [], 'unchanged'],
    [MAIN_SWEEP_ID, ['f1_macro=-0.01'], false, [], 'unchanged'],
  ])('head %s, thresholds %j -> regression %s', async (head, thresholds, regression, failed, headline) => {
    const { comparison } = await compareRefs({ db: dbFile, base: SWEEP_ID, head, thresholds });
    expect(comparison.regression).toBe(regression);
    expect(comparison.failed).toEqual(failed);
    expect(comparison.headline).toBe(headline);
  });

  it('an unknown threshold metric lists the known ones', async () => {
    await expect(compareRefs({ db: dbFile, thresholds: ['f1_macr=0'] })).rejects.toThrow(/unknown threshold metric 'f1_macr'; known: .*classify\/f1_macro/);
  });
});

describe('comparison', () => {
  it('best variant vs base model: better on every metric, cost and robustness deltas, changed predictions', async () => {
    const { base, head } = await resolveSides(store.db);
    const c = compareSides(base, head);
    expect(c.headline).toBe('better');
    expect(c.metrics[0]!.key).toBe('classify/f1_macro');
    expect(c.metrics.every((m) => m.outcome === 'better')).toBe(true);
    expect(c.robustness.map((r) => r.key)).toEqual(['worst case classify/f1_macro', 'mean drop classify/f1_macro', 'worst case subject/rougeL', 'mean drop subject/rougeL', 'consistency']);
    expect(c.cost.map((r) => r.name)).toContain('inference per request (USD/request)');
    expect(c.changedPredictions.length).toBeGreaterThan(0);
    expect(c.paramsDiff.find((p) => p.name === 'subject')).toEqual({ name: 'subject', base: 'base', head: 'finetuned', changed: true });
  });

  it("forgetting's change vs base and its p-value are not compared as metrics; general-text perplexity is", async () => {
    const { base, head } = await resolveSides(store.db);
    const g = (subject: string, metric: string, value: number) => ({ subject, perturbation: 'none', slice: 'general', metric, value, n: 128, split: 'test' as const });
    const c = compareSides(
      { ...base, evalRows: [...base.evalRows, g('base', 'perplexity', 4.5)] },
      { ...head, evalRows: [...head.evalRows, g('finetuned', 'perplexity', 7.6), g('finetuned', 'perplexity_change', 0.69), g('finetuned', 'perplexity_change_p', 0.001)] },
    );
    const keys = [...c.metrics, ...c.perSlice].map((m) => m.key);
    expect(keys).toContain('general/perplexity');
    expect(keys.filter((k) => /perplexity_change/.test(k))).toEqual([]);
  });

  it('run vs run: a params diff of what changed', async () => {
    const c = compareSides(await resolveRef(store.db, 'run-2'), await resolveRef(store.db, 'run-4'));
    expect(c.paramsDiff.filter((p) => p.changed).map((p) => p.name).sort()).toEqual(['alpha', 'rank']);
  });
});

describe('out of distribution', () => {
  const withOod = <T extends { evalRows: import('../../src/eval/types.js').EvalRow[]; predictions: import('../../src/eval/types.js').PredictionRow[] }>(side: T, shiftBy = 0) => ({
    ...side,
    ood: {
      description: `Later e-mails ${HOSTILE}`,
      evalRows: side.evalRows.map((r) => ({ ...r, split: 'ood' as const, value: r.value - shiftBy })),
      predictions: side.predictions.map((p) => ({ ...p, split: 'ood' as const, exampleId: `ood:${p.exampleId}` })),
    },
  });

  it('both sides on the OOD examples, paired there; never part of the verdict or the exit code', async () => {
    const { base, head } = await resolveSides(store.db);
    const plain = compareSides(base, head);
    expect(plain.ood).toBeNull();
    // The head much worse out of distribution (its OOD values lowered): reported, not gated.
    const c = compareSides(withOod(base), withOod(head, 0.5), parseThresholds(['classify/f1_macro=0']));
    expect(c.ood!.metrics.map((m) => m.key)).toEqual(['classify/f1_macro', 'subject/rougeL']);
    const f1 = c.ood!.metrics[0]!;
    expect(f1.head).toBeCloseTo(c.metrics[0]!.head! - 0.5, 9);
    expect(f1.test).toBe(c.metrics[0]!.test); // the same paired test, on the OOD predictions
    expect(f1.n).toBe(c.metrics[0]!.n);
    expect(c.regression).toBe(plain.regression);
    expect(c.headline).toBe(plain.headline);
    const md = renderCompareMarkdown(c);
    expect(md).toContain('#### Out of distribution');
    expect(md).toContain('not part of the verdict or the thresholds');
    expect(md).not.toContain('<script>');
    // Only one side with OOD results: no section.
    expect(compareSides(base, withOod(head)).ood).toBeNull();
  });

  it('OOD predictions on different examples are left untested, not compared', async () => {
    const { base, head } = await resolveSides(store.db);
    const b = withOod(base);
    const moved = { ...b, ood: { ...b.ood, predictions: b.ood.predictions.map((p) => ({ ...p, exampleId: `other:${p.exampleId}` })) } };
    const c = compareSides(moved, withOod(head));
    expect(c.ood!.metrics.every((m) => m.test === null && m.pValue === null)).toBe(true);
  });
});

describe('markdown', () => {
  it('matches the snapshot', async () => {
    const { text } = await compareRefs({ db: dbFile, version: 'test' });
    expect(text.startsWith('<!-- fte:compare -->\n')).toBe(true);
    await expect(text).toMatchFileSnapshot('__snapshots__/compare.md');
  });

  it.each([
    ['<script>alert(1)</script>', (s: string) => !s.includes('<script') && s.includes('&lt;script&gt;')],
    ['a | b', (s: string) => !s.includes('|')],
    ['`rm -rf`', (s: string) => !s.includes('`')],
    ['cc @someone and @org/team', (s: string) => !/@[A-Za-z]/.test(s) && s.includes('@&#8203;someone')],
    ['<!-- fte:compare -->', (s: string) => !s.includes('<!--')],
    ['**bold** [x](javascript:alert(2)) # h', (s: string) => !/(^|[^\\])[*[\]()#]/.test(s)],
    ['two\nlines', (s: string) => s === 'two<br>lines'],
  ])('mdText neutralises %j', (input, ok) => {
    expect(ok(mdText(input))).toBe(true);
  });

  it('hostile predictions cannot break a table, mention anyone, or add HTML', async () => {
    const { text } = await compareRefs({ db: dbFile, base: MAIN_SWEEP_ID, head: SWEEP_ID });
    expect(text).toContain('T4'); // the changed prediction with @someone, `, |
    expect(text.match(/<!-- fte:compare -->/g)).toHaveLength(1);
    expect(text).not.toMatch(/<script|@someone|`sure`|`now`/);
    // Every table row has as many unescaped cell separators as its header.
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|---/.test(lines[i]!)) continue;
      const cols = lines[i - 1]!.split('|').length;
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('|'); j++) expect(lines[j]!.split('|').length, lines[j]).toBe(cols);
    }
    expect(HOSTILE).toContain('@someone');
  });

  it('json format is the comparison', async () => {
    const { text, comparison } = await compareRefs({ db: dbFile, format: 'json' });
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(comparison)));
    expect(comparison.marker).toBe('<!-- fte:compare -->');
  });

  it('renders a comparison with no changed predictions', async () => {
    const s = await resolveRef(store.db, 'run-4');
    const text = renderCompareMarkdown(compareSides(s, s), { version: 'test' });
    expect(text).toContain('fte compare: unchanged');
    expect(text).toContain('No test example got a different output.');
  });
});

describe('built CLI', () => {
  beforeAll(() => requireBuild('dist/commands/compare.js'));
  const fte = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args, '--db', dbFile], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('fte compare prints the comment; --fail-on-regression exits 1 on a thresholded regression', () => {
    const ok = fte(['compare']);
    expect(ok.status).toBe(0);
    expect(ok.stdout.startsWith('<!-- fte:compare -->')).toBe(true);
    const bad = fte(['compare', '--base', SWEEP_ID, '--head', `${SWEEP_ID}:base`, '--threshold', 'f1_macro=-0.01', '--fail-on-regression']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('fte compare: worse');
    const tolerated = fte(['compare', '--base', SWEEP_ID, '--head', `${SWEEP_ID}:base`, '--threshold', 'f1_macro=-0.9', '--fail-on-regression']);
    expect(tolerated.status).toBe(0);
    // 3% lower on every metric, not significant: noise does not fail a pull request.
    const noise = fte(['compare', '--base', SWEEP_ID, '--head', MAIN_SWEEP_ID, '--threshold', 'f1_macro=-0.01', '--fail-on-regression']);
    expect(noise.status).toBe(0);
    expect(noise.stdout).toContain('no significant change at α = 0.05');
    expect(noise.stdout).toMatch(/\| classify\/f1\\_macro ↑ \| 40 \| [0-9.]+ \| [0-9.]+ \| −[0-9.]+ \[[−+±][0-9.]+, [−+±][0-9.]+\] \| [0-9.]+ \|/);
  });

  it('fte compare refuses a head run that is not completed, in one line, exit 2', () => {
    const r = fte(['compare', '--head', 'run-6', '--fail-on-regression']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^fte: run-6: run run-6 is diverged, not completed .*; fte compare compares completed runs only$/);
    expect(r.stdout).toBe('');
  });

  it('fte compare --out writes the file; a bad REF is one line, exit 2', () => {
    const out = join(dir, 'comment.md');
    expect(fte(['compare', '--out', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8').startsWith('<!-- fte:compare -->')).toBe(true);
    const bad = fte(['compare', '--head', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fte report writes the page and --json gives its path', () => {
    const out = join(dir, 'r.html');
    const r = fte(['report', '--out', out, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: out, sweepId: SWEEP_ID, bestRunId: 'run-4', limited: true, opened: false });
    expect(readFileSync(out, 'utf8')).toContain('data-section="samples"');
    const def = fte(['report']);
    expect(def.status).toBe(0);
    expect(existsSync(join(dir, 'reports', `email-triage-lora-${SWEEP_ID}.html`))).toBe(true);
  });
});
