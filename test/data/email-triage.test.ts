import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSuite, findPii, loadDataset, loadSuiteDescription, normalizeText, prepareSuite, resolveSuiteDir } from '../../src/data/index.js';
import { METRICS } from '../../src/eval/metrics/registry.js';
import { cleanBody, cleanSubject, cutAtWord, shortenLinks } from '../../src/data/suites/email-triage.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'fte-suite-'));
const cacheDir2 = mkdtempSync(join(tmpdir(), 'fte-suite2-'));
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(cacheDir2, { recursive: true, force: true });
});

describe('email-triage text cleaning', () => {
  it.each([
    ['drops quoted lines, attributions and signatures', 'Hi all,\nOn Mon, Bob wrote:\n> quoted\nreal text here\n-- \nsig line', 'Hi all, real text here'],
    ['collapses whitespace and folds to ASCII', 'caf\u00e9   \u201cquoted\u201d\t\tend', 'cafe "quoted" end'],
    ['shortens links to hosts and drops bracketed links', 'see http://www.example.org/a/b?c=1 [http://img.example.org/x.jpg] now', 'see www.example.org now'],
    ['stops at an original-message marker', 'answer\n-----Original Message-----\nold text', 'answer'],
    ['drops html-to-text image markers and relative links', '[IMG: www.example.org ([Feed])] Story [/b.gif] text', 'Story text'],
    ['keeps repeated words once', 'go www.example.org www.example.org www.example.org now', 'go www.example.org now'],
  ])('%s', (_name, input, expected) => {
    expect(cleanBody(input)).toBe(expected);
  });
  it('keeps a URL with a token for the PII scrubber', () => {
    expect(shortenLinks('go https://x.example.com/p?token=abc123 now')).toBe('go https://x.example.com/p?token=abc123 now');
  });
  it('cuts at a word boundary and cleans subjects', () => {
    expect(cutAtWord('alpha beta gamma delta', 13)).toBe('alpha beta');
    expect(cleanSubject('  Hello\n  World ')).toBe('Hello World');
  });
});

describe('email-triage suite', () => {
  it('suite.json validates and names only metrics the eval registry knows', () => {
    const { suite } = loadSuiteDescription(resolveSuiteDir('email-triage')!);
    expect(suite.tasks.map((t) => [t.name, t.kind])).toEqual([['classify', 'classification'], ['subject', 'generation']]);
    for (const t of suite.tasks) for (const m of t.metrics) expect(METRICS.get(m)?.kind, m).toBe(t.kind);
  });

  it('builds a balanced, scrubbed, deduplicated multi-task dataset within the byte budget, cached and deterministic', async () => {
    expect(resolveSuiteDir('email-triage')).toMatch(/evals[/\\]email-triage$/);
    const ds = await loadDataset('email-triage', { seed: 7, cacheDir });
    const all = [...ds.train, ...ds.val, ...ds.test];
    expect([ds.train.length, ds.val.length, ds.test.length]).toEqual([400, 60, 100]);
    // Both tasks and both labels in every split, in proportion.
    for (const [split, n] of [[ds.train, 400], [ds.val, 60], [ds.test, 100]] as const) {
      const buckets: Record<string, number> = {};
      for (const e of split) buckets[`${e.category}:${String(e.meta?.label)}`] = (buckets[`${e.category}:${String(e.meta?.label)}`] ?? 0) + 1;
      for (const b of ['classify:spam', 'classify:ham', 'subject:spam', 'subject:ham']) expect(buckets[b]).toBe(n / 4);
    }
    for (const e of all) {
      expect(Buffer.byteLength(e.prompt + e.completion)).toBeLessThanOrEqual(240); // suite.json maxExampleBytes
      expect(e.prompt + e.completion).toMatch(/^[\x20-\x7e\n]*$/);
      expect(findPii(e.prompt + e.completion)).toEqual([]);
      if (e.category === 'classify') {
        expect(e.prompt).toMatch(/^Is this e-mail spam or ham\?\nSubject: .*\nBody: .+\nAnswer:$/);
        expect(e.completion).toBe(` ${String(e.meta?.label)}`);
      } else {
        expect(e.prompt).toMatch(/^Write the subject line for this e-mail\.\nBody: .+\nSubject:$/);
        expect(e.completion).not.toMatch(/^ (re|fwd?):/i);
      }
    }
    expect(new Set(all.map((e) => normalizeText(e.prompt))).size).toBe(all.length);
    const m = ds.manifest;
    expect(m.counts.kept + m.counts.rejected).toBe(m.counts.input);
    expect(m.options).toEqual({ scrubPii: true, dedup: true });
    for (const f of ['source.jsonl', 'train.jsonl', 'val.jsonl', 'test.jsonl', 'rejects.jsonl']) expect(existsSync(join(ds.dir, f))).toBe(true);
    expect(readFileSync(join(ds.dir, 'rejects.jsonl'), 'utf8').trim().split('\n')).toHaveLength(m.counts.rejected);

    // The out-of-distribution split: the suite's ood groups only (the second collections), balanced
    // like the others, never a prompt of train/val/test, in the manifest with its description.
    expect(ds.ood).toHaveLength(100);
    const oodBuckets: Record<string, number> = {};
    for (const e of ds.ood) oodBuckets[`${e.category}:${String(e.meta?.label)}`] = (oodBuckets[`${e.category}:${String(e.meta?.label)}`] ?? 0) + 1;
    expect(oodBuckets).toEqual({ 'classify:spam': 25, 'classify:ham': 25, 'subject:spam': 25, 'subject:ham': 25 });
    expect(new Set(ds.ood.map((e) => e.meta?.group))).toEqual(new Set(['easy-ham-2', 'spam-2']));
    expect(new Set(all.map((e) => e.meta?.group))).toEqual(new Set(['easy-ham-1', 'hard-ham-1', 'spam-1']));
    const inPrompts = new Set(all.map((e) => normalizeText(e.prompt, true)));
    for (const e of ds.ood) {
      expect(inPrompts.has(normalizeText(e.prompt, true))).toBe(false);
      expect(findPii(e.prompt + e.completion)).toEqual([]);
      expect(e.meta?.ood).toBe(true);
    }
    expect(m.counts.ood).toBe(100);
    expect(m.files.ood).toBe('ood.jsonl');
    expect(m.ood?.description).toMatch(/second collections/);
    expect(m.counts.kept).toBe(660);

    // Cached: the second call reads the same folder; a fresh cache rebuilds the same content.
    const again = await buildSuite(resolveSuiteDir('email-triage')!, { seed: 7, cacheDir });
    expect(again.built).toBe(false);
    expect(again.dir).toBe(ds.dir);
    const fresh = await loadDataset('email-triage', { seed: 7, cacheDir: cacheDir2, limitTrain: 40, limitEval: 8 });
    expect(fresh.manifest.fingerprint).toBe(m.fingerprint);
    expect(fresh.train).toHaveLength(40);
    expect(fresh.test).toHaveLength(8);
    expect(fresh.ood).toHaveLength(8); // --limit-eval applies to the OOD split too
    expect(fresh.train.filter((e) => e.category === 'classify')).toHaveLength(20);

    // `fte data prepare email-triage --out DIR` copies the cached build, atomically, never over DIR without force.
    const out = join(cacheDir, 'copy');
    const copied = await prepareSuite('email-triage', { out, seed: 7, cacheDir });
    expect(copied.manifest.fingerprint).toBe(m.fingerprint);
    expect(readFileSync(join(out, 'train.jsonl'), 'utf8')).toBe(readFileSync(join(ds.dir, 'train.jsonl'), 'utf8'));
    await expect(prepareSuite('email-triage', { out, seed: 7, cacheDir })).rejects.toThrow(/already exists/);
  }, 180_000);
});
