import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { loadDataset, parseSplit, prepareDataset, type DatasetManifest, type RejectRow } from '../../src/data/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fte-prepare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

/** 200 valid rows in 3 categories (120/60/20) + 4 bad rows + 3 duplicates + PII in some rows. */
function writeSource(): string {
  const lines: string[] = [];
  const cats = ['alpha', 'beta', 'gamma'];
  for (let i = 0; i < 200; i++) {
    const category = i < 120 ? cats[0] : i < 180 ? cats[1] : cats[2];
    const pii = i % 50 === 0 ? ` mail user${i}@example.com` : i % 50 === 1 ? ' from 192.0.2.9' : '';
    lines.push(JSON.stringify({ prompt: `Question number ${i}${pii}?`, completion: ` answer ${i}`, category }));
  }
  lines.splice(10, 0, '{not json');
  lines.splice(20, 0, JSON.stringify({ prompt: 'only a prompt' }));
  lines.splice(30, 0, JSON.stringify({ foo: 1 }));
  lines.splice(40, 0, JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
  lines.push(JSON.stringify({ prompt: 'Question number 5?', completion: ' answer 5', category: 'alpha' }));
  lines.push(JSON.stringify({ prompt: 'question NUMBER 6', completion: ' answer 6!', category: 'alpha' }));
  lines.push(JSON.stringify({ prompt: 'Question number 7?', completion: ' answer 7', category: 'alpha' }));
  const file = join(tmp, 'source.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
const src = writeSource();
const readJsonl = <T>(file: string): T[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;

describe('prepareDataset', () => {
  it('splits stratified with the requested proportions; rejects + kept = input', async () => {
    const out = join(tmp, 'plain');
    const { manifest: m } = await prepareDataset(src, { out, seed: 3 });
    expect(m.counts).toEqual({ lines: 207, blankLines: 0, input: 207, kept: 203, rejected: 4, train: 163, val: 20, test: 20 });
    expect(m.rejects).toEqual({ malformed_json: 1, missing_field: 1, unknown_format: 1, roles_out_of_order: 1 });
    // Kept per category: alpha 123 (with the 3 duplicates), beta 60, gamma 20; each split within one of its share.
    const kept: Record<string, number> = { alpha: 123, beta: 60, gamma: 20 };
    for (const split of ['train', 'val', 'test'] as const) {
      for (const [cat, n] of Object.entries(kept)) {
        expect(Math.abs((m.categories[split][cat] ?? 0) - (n * m.counts[split]) / m.counts.kept)).toBeLessThanOrEqual(1);
      }
    }
    expect(m.categories.train).toEqual({ alpha: 99, beta: 48, gamma: 16 });
    for (const split of ['train', 'val', 'test'] as const) {
      expect(readJsonl(join(out, `${split}.jsonl`))).toHaveLength(m.counts[split]);
    }
    const rejects = readJsonl<RejectRow>(join(out, 'rejects.jsonl'));
    expect(rejects.map((r) => [r.line, r.kind])).toEqual([[11, 'malformed_json'], [21, 'missing_field'], [31, 'unknown_format'], [41, 'roles_out_of_order']]);
    expect(rejects[0]!.raw).toBe('{not json');
    expect(m.options).toEqual({ scrubPii: false, dedup: false });
    expect(m.sourceSha256).toBe(createHash('sha256').update(readFileSync(src)).digest('hex'));
  });

  it('dedups (exact and normalised) and scrubs PII with typed placeholders, counting by kind', async () => {
    const out = join(tmp, 'clean');
    const { manifest: m } = await prepareDataset(src, { out, seed: 3, scrubPii: true, dedup: true });
    expect(m.counts.kept + m.counts.rejected).toBe(m.counts.input);
    expect(m.rejects.duplicate).toBe(3);
    expect(m.pii).toEqual({ email: 4, phone: 0, ipv4: 4, credit_card: 0, url_secret: 0 });
    const rejects = readJsonl<RejectRow>(join(out, 'rejects.jsonl')).filter((r) => r.kind === 'duplicate');
    expect(rejects.map((r) => r.reason)).toEqual([
      'line 205: exact duplicate of line 6',
      'line 206: normalised duplicate of line 7',
      'line 207: exact duplicate of line 8',
    ]);
    const all = ['train', 'val', 'test'].flatMap((s) => readJsonl<{ prompt: string }>(join(out, `${s}.jsonl`)));
    expect(all.filter((e) => e.prompt.includes('<EMAIL>'))).toHaveLength(4);
    expect(all.some((e) => /@example\.com|192\.0\.2\.9/.test(e.prompt))).toBe(false);
  });

  it('is deterministic: same seed -> byte-identical files and fingerprint; the fingerprint hashes the split files', async () => {
    const a = await prepareDataset(src, { out: join(tmp, 'det-a'), seed: 11 });
    const b = await prepareDataset(src, { out: join(tmp, 'det-b'), seed: 11 });
    const c = await prepareDataset(src, { out: join(tmp, 'det-c'), seed: 12 });
    expect(a.manifest.fingerprint).toBe(b.manifest.fingerprint);
    expect(c.manifest.fingerprint).not.toBe(a.manifest.fingerprint);
    for (const f of ['train.jsonl', 'val.jsonl', 'test.jsonl', 'rejects.jsonl', 'manifest.json']) {
      expect(readFileSync(join(tmp, 'det-b', f), 'utf8')).toBe(readFileSync(join(tmp, 'det-a', f), 'utf8'));
    }
    const h = createHash('sha256');
    for (const s of ['train', 'val', 'test']) h.update(`${s}\n`).update(readFileSync(join(tmp, 'det-a', `${s}.jsonl`)));
    expect(a.manifest.fingerprint).toBe(h.digest('hex'));
  });

  it('keeps the fingerprint of a fixed fixture stable across versions (a change means cached datasets change)', async () => {
    const { manifest } = await prepareDataset(fixture('instruction.jsonl'), { out: join(tmp, 'stable'), seed: 42 });
    expect(manifest.fingerprint).toBe('a1c80731dcdb533c1cfb89ec1bbf8b7a05aafa0af239b5ea2e2428be30e05847');
  });

  it('never writes over an existing folder without force, and replaces it atomically with force', async () => {
    const out = join(tmp, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(prepareDataset(src, { out, seed: 1 })).rejects.toThrow(UserInputError);
    // A folder with files prepare did not write is never replaced, not even with force (issue 18).
    await expect(prepareDataset(src, { out, seed: 1, force: true })).rejects.toThrow(/holds files fte data prepare did not write \(keep\.txt\)/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    rmSync(join(out, 'keep.txt'));
    await prepareDataset(src, { out, seed: 1 });
    await expect(prepareDataset(src, { out, seed: 1 })).rejects.toThrow(/already exists; pass --force/);
    await prepareDataset(src, { out, seed: 2, force: true });
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'rejects.jsonl', 'test.jsonl', 'train.jsonl', 'val.jsonl']);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes nothing when the source is unusable', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"foo": 1}\n{"bar": 2}\n');
    const out = join(tmp, 'bad-out');
    await expect(prepareDataset(bad, { out })).rejects.toThrow(/no valid examples \(2 rejected; first: line 1: unknown format/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['0.8,0.1,0.1', [0.8, 0.1, 0.1]],
    ['0.9, 0.1, 0', [0.9, 0.1, 0]],
  ])('parseSplit(%s)', (text, split) => expect(parseSplit(text)).toEqual(split));
  it.each(['0.8,0.1', '0.5,0.1,0.1', 'a,b,c', '0,0.5,0.5', '1.2,-0.1,-0.1'])('parseSplit(%s) is a UserInputError', (text) => {
    expect(() => parseSplit(text)).toThrow(UserInputError);
  });
});

describe('loadDataset on files and prepared folders', () => {
  it('prepares a JSONL file into the cache with default options, once', async () => {
    const cacheDir = join(tmp, 'cache');
    const a = await loadDataset(fixture('duplicates.jsonl'), { seed: 1, cacheDir });
    expect(a.train.length + a.val.length + a.test.length).toBe(6);
    expect(a.manifest.options).toEqual({ scrubPii: false, dedup: false });
    expect(a.dir.startsWith(join(cacheDir, 'files'))).toBe(true);
    const b = await loadDataset(fixture('duplicates.jsonl'), { seed: 1, cacheDir });
    expect(b.dir).toBe(a.dir);
    expect(b.train).toEqual(a.train);
  });

  it('reads a prepared folder as is, with stratified limits', async () => {
    const dir = join(tmp, 'plain');
    const d = await loadDataset(dir, { seed: 99, limitTrain: 20, limitEval: 5 });
    expect(d.manifest.seed).toBe(3);
    expect(d.train).toHaveLength(20);
    expect(d.train.filter((e) => e.category === 'alpha')).toHaveLength(12);
    expect(d.val).toHaveLength(5);
    expect(d.test).toHaveLength(5);
  });

  it('names a missing source in one line', async () => {
    await expect(loadDataset(join(tmp, 'missing.jsonl'), { seed: 1 })).rejects.toThrow(/missing\.jsonl: no such file, folder or built-in suite/);
  });
});

describe('prepareDataset --dedup: conflicting completions and empty splits (QA)', () => {
  /** 20 distinct rows + a conflict pair (Lunch/Dinner plans) + a ham/spam conflict with an exact copy. */
  function conflictSource(): string {
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(JSON.stringify({ prompt: `Subject: note ${i}`, completion: ` ham`, category: 'ham' }));
    lines.push(JSON.stringify({ prompt: 'Summarise: meet at noon', completion: ' Lunch plans' }));
    lines.push(JSON.stringify({ prompt: 'Summarise: meet at noon', completion: ' Dinner plans' }));
    lines.push(JSON.stringify({ prompt: 'Subject: WIN money', completion: ' spam' }));
    lines.push(JSON.stringify({ prompt: 'Subject: win money!', completion: ' ham' }));
    lines.push(JSON.stringify({ prompt: 'Subject: WIN money', completion: ' spam' }));
    const file = join(tmp, 'conflicts.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it.each([1, 2, 3, 4, 5])('seed %i: every row of a conflicting group is rejected; no prompt in two splits', async (seed) => {
    const out = join(tmp, `conflicts-${seed}`);
    const { manifest: m } = await prepareDataset(conflictSource(), { out, seed, dedup: true });
    expect(m.rejects).toEqual({ duplicate: 1, conflicting_completion: 4 });
    expect(m.counts.kept).toBe(20);
    const rejects = readJsonl<RejectRow>(join(out, 'rejects.jsonl')).filter((r) => r.kind === 'conflicting_completion');
    expect(rejects.map((r) => r.line)).toEqual([21, 22, 23, 24]);
    expect(rejects[0]!.reason).toMatch(/line 21: .*line 22/);
    const seen = new Map<string, string>();
    for (const s of ['train', 'val', 'test']) {
      for (const e of readJsonl<{ prompt: string }>(join(out, `${s}.jsonl`))) {
        const key = e.prompt.toLowerCase().replace(/[^a-z0-9 ]/g, '');
        expect(seen.get(key) ?? s).toBe(s);
        seen.set(key, s);
      }
    }
  });

  it('without --dedup it keeps conflicts but warns about them', async () => {
    const out = join(tmp, 'conflicts-nodedup');
    const { manifest: m } = await prepareDataset(conflictSource(), { out, seed: 1, split: [0.5, 0.25, 0.25] });
    expect(m.rejects).toEqual({});
    expect(m.warnings).toContainEqual(expect.stringMatching(/^2 prompts have conflicting completions \(lines 21, 22, 23, 24, 25\).*--dedup/));
  });

  it('warns (manifest.warnings) when a split gets 0 examples', async () => {
    const file = join(tmp, 'tiny.jsonl');
    writeFileSync(file, ['a', 'b', 'c', 'd', 'e'].map((x) => JSON.stringify({ prompt: `q ${x}`, completion: ` ${x}` })).join('\n'));
    const { manifest: m } = await prepareDataset(file, { out: join(tmp, 'tiny'), seed: 1 });
    expect(m.counts.test).toBe(0);
    expect(m.warnings).toEqual([expect.stringMatching(/^split test: 0 examples/)]);
    const ok = await prepareDataset(src, { out: join(tmp, 'no-warn'), seed: 3 });
    expect(ok.manifest.warnings).toEqual([]);
  });
});

describe('prepareDataset output errors (QA)', () => {
  it.each(['/proc/fte-qa-out', '/proc/fte-qa-out/a/b'])('an unwritable --out %s is one UserInputError line (no recursive-mkdir hang)', async (out) => {
    const err = await prepareDataset(src, { out, seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toMatch(/^cannot (create folder|write) \/proc\/fte-qa-out/);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('out-of-distribution rows', () => {
  const rows = (n: number, ood: (i: number) => boolean) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `Question ${i}?`, completion: ` answer ${i % 3}`, category: i % 2 ? 'odd' : 'even', ...(ood(i) ? { ood: true } : {}) })).join('\n');

  it('rows marked "ood": true are kept out of train/val/test and written to ood.jsonl; the fingerprint covers them', async () => {
    const file = join(tmp, 'with-ood.jsonl');
    writeFileSync(file, `${rows(60, (i) => i >= 50)}\n`);
    const out = join(tmp, 'with-ood');
    const { manifest: m } = await prepareDataset(file, { out, seed: 1 });
    expect(m.counts).toMatchObject({ input: 60, kept: 60, train: 40, val: 5, test: 5, ood: 10 });
    expect(m.files.ood).toBe('ood.jsonl');
    expect(m.ood?.description).toMatch(/"ood": true/);
    const { renderPrepare } = await import('../../src/data/index.js');
    const printed = renderPrepare(out, m);
    expect(printed).toMatch(/│ ood +│ +10 │/);
    expect(printed).toContain('ood.jsonl: out-of-distribution examples, evaluated only');
    const ood = readJsonl<{ prompt: string; meta: { ood: boolean } }>(join(out, 'ood.jsonl'));
    expect(ood.map((e) => e.prompt).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `Question ${50 + i}?`).sort());
    const inDist = ['train', 'val', 'test'].flatMap((s) => readJsonl<{ prompt: string }>(join(out, `${s}.jsonl`)).map((e) => e.prompt));
    expect(inDist.some((p) => Number(/\d+/.exec(p)![0]) >= 50)).toBe(false);
    const ds = await loadDataset(out, { seed: 1 });
    expect(ds.ood).toHaveLength(10);
    // Editing ood.jsonl after prepare is caught like any split.
    writeFileSync(join(out, 'ood.jsonl'), readFileSync(join(out, 'ood.jsonl'), 'utf8').replace('Question 5', 'Question 9'));
    await expect(loadDataset(out, { seed: 1 })).rejects.toThrow(/files changed since fte data prepare/);
    // --limit-eval keeps a stratified subset of the OOD split too.
    writeFileSync(file, `${rows(60, (i) => i >= 50)}\n`);
    const limited = await loadDataset(file, { seed: 1, cacheDir: join(tmp, 'cache-ood'), limitEval: 4 });
    expect(limited.ood).toHaveLength(4);
  });

  it('a dataset without ood rows keeps the fingerprint it always had (sha256 over train, val, test)', async () => {
    const file = join(tmp, 'no-ood.jsonl');
    writeFileSync(file, `${rows(40, () => false)}\n`);
    const out = join(tmp, 'no-ood');
    const { manifest: m } = await prepareDataset(file, { out, seed: 1 });
    const h = createHash('sha256');
    for (const s of ['train', 'val', 'test']) h.update(`${s}\n`).update(readFileSync(join(out, `${s}.jsonl`), 'utf8'));
    expect(m.fingerprint).toBe(h.digest('hex'));
    expect(m.files.ood).toBeUndefined();
    expect(m.counts.ood).toBeUndefined();
    expect(existsSync(join(out, 'ood.jsonl'))).toBe(false);
    expect((await loadDataset(out, { seed: 1 })).ood).toEqual([]);
  });

  it('rows marked "ood" whose prompt is in train/val/test are left out (not unusable rows), with a warning the sweep prints', async () => {
    const file = join(tmp, 'ood-leak.jsonl');
    const base = rows(40, () => false);
    const leak = Array.from({ length: 5 }, (_, i) => JSON.stringify({ prompt: `Question ${i}?`, completion: ` answer ${i % 3}`, category: i % 2 ? 'odd' : 'even', ood: true })).join('\n');
    writeFileSync(file, `${base}\n${leak}\n${JSON.stringify({ prompt: 'Fresh?', completion: ' answer 1', category: 'odd', ood: true })}\n`);
    const ds = await loadDataset(file, { seed: 1, cacheDir: join(tmp, 'cache-leak') });
    expect(ds.ood.map((e) => e.prompt)).toEqual(['Fresh?']);
    expect(ds.manifest.rejects).toEqual({ ood_in_distribution: 5 });
    expect(ds.manifest.counts.kept + ds.manifest.counts.rejected).toBe(ds.manifest.counts.input);
    expect(ds.warnings).toEqual([`${file}: 5 rows marked "ood" left out: their prompts are in train/val/test`]);
  });

  it('"ood" that is not a boolean rejects the row, naming the line', async () => {
    const file = join(tmp, 'bad-ood.jsonl');
    writeFileSync(file, `${rows(20, () => false)}\n${JSON.stringify({ prompt: 'x', completion: ' y', ood: 'yes' })}\n`);
    const out = join(tmp, 'bad-ood');
    const { manifest: m } = await prepareDataset(file, { out, seed: 1 });
    expect(m.rejects).toEqual({ bad_ood: 1 });
    expect(readJsonl<RejectRow>(join(out, 'rejects.jsonl'))[0]!.reason).toBe('line 21: "ood" is a string, expected true or false');
  });

  it('evaluate.ood: a separate file replaces the OOD split; rows also in train/val/test are left out with a warning; a bad row names file and line', async () => {
    const file = join(tmp, 'in-dist.jsonl');
    writeFileSync(file, `${rows(40, () => false)}\n`);
    const oodFile = join(tmp, 'shifted.jsonl');
    writeFileSync(oodFile, `${[JSON.stringify({ prompt: 'Question 3?', completion: ' answer 0', category: 'odd' }), JSON.stringify({ prompt: 'A different question?', completion: ' answer 1', category: 'odd' }), JSON.stringify({ instruction: 'Another one', output: ' answer 2', category: 'even' })].join('\n')}\n`);
    const cacheDir = join(tmp, 'cache-evaluate-ood');
    const base = await loadDataset(file, { seed: 1, cacheDir });
    const ds = await loadDataset(file, { seed: 1, cacheDir, ood: oodFile });
    const sha = createHash('sha256').update(readFileSync(oodFile)).digest('hex').slice(0, 8);
    expect(ds.ood.map((e) => e.id)).toEqual([`ood:${sha}:L2`, `ood:${sha}:L3`]);
    expect(ds.warnings).toEqual([`${oodFile}: 1 out-of-distribution rows left out: their prompts are in train/val/test`]);
    // Loaded again (from the cache): the same warning again.
    expect((await loadDataset(file, { seed: 1, cacheDir, ood: oodFile })).warnings).toEqual(ds.warnings);
    expect(ds.train).toEqual(base.train);
    expect(ds.test).toEqual(base.test);
    expect(ds.manifest.fingerprint).not.toBe(base.manifest.fingerprint);
    expect(ds.manifest.ood?.source).toBe(oodFile);
    // false turns the dataset's own OOD split off.
    expect((await loadDataset(file, { seed: 1, cacheDir, ood: false })).ood).toEqual([]);
    const bad = join(tmp, 'shifted-bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ prompt: 'ok?', completion: ' fine' })}\n{"prompt": 1}\n`);
    await expect(loadDataset(file, { seed: 1, cacheDir, ood: bad })).rejects.toThrow(`${bad}: line 2: `);
  });
});
