/**
 * Issue 18, item 5 and item 8 (data): a prepared folder edited after prepare is refused; malformed
 * rows in a JSONL dataset are counted and refused above --max-bad-rows; an example over the byte cap
 * is rejected as over_size; answers that differ only in case are different answers unless --fold-case.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { UserInputError } from '../../src/errors.js';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-integrity-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fte = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const sha = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const row = (i: number) => JSON.stringify({ prompt: `Question number ${i}?`, completion: ` answer ${i}`, category: i % 2 ? 'a' : 'b' });
function jsonl(name: string, lines: string[]): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, lines.map((l) => `${l}\n`).join(''));
  return p;
}

describe('a prepared folder edited after prepare', () => {
  it('is refused with one line naming the folder and the fix', async () => {
    const src = jsonl('fp.jsonl', Array.from({ length: 20 }, (_, i) => row(i)));
    const out = path.join(tmp, 'fp-out');
    expect(fte(['data', 'prepare', src, '--out', out]).status).toBe(0);
    await expect(loadDataset(out, { seed: 42 })).resolves.toMatchObject({ dir: out });
    fs.appendFileSync(path.join(out, 'train.jsonl'), `${JSON.stringify({ id: 'x', prompt: 'injected', completion: ' y' })}\n`);
    const before = sha(path.join(out, 'train.jsonl'));
    const err = await loadDataset(out, { seed: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toMatch(new RegExp(`^${out}: train/val/test files changed since fte data prepare \\(fingerprint [0-9a-f]{12}, manifest says [0-9a-f]{12}\\); re-run fte data prepare`));
    expect(sha(path.join(out, 'train.jsonl'))).toBe(before);
  });
});

describe('malformed rows in a JSONL dataset', () => {
  it('are refused above the threshold (default 1%), naming the count and the first reason', async () => {
    const src = jsonl('bad.jsonl', [...Array.from({ length: 20 }, (_, i) => row(i)), '{not json', '{"foo": 1}']);
    const err = await loadDataset(src, { seed: 42, cacheDir: path.join(tmp, 'cache1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    // (the JSON parser's own words vary between Node versions)
    const msg = (err as Error).message;
    expect(msg.startsWith(`${src}: 2 of 22 rows unusable (malformed_json 1, unknown_format 1; first: line 21: malformed JSON (`)).toBe(true);
    expect(msg.endsWith(`), over --max-bad-rows 1%; fix them, or prepare with fte data prepare`)).toBe(true);
  });

  it('are dropped with a warning at or under the threshold', async () => {
    const src = jsonl('bad2.jsonl', [...Array.from({ length: 20 }, (_, i) => row(i)), '{not json']);
    const data = await loadDataset(src, { seed: 42, cacheDir: path.join(tmp, 'cache2'), maxBadRows: '10%' });
    expect(data.train.length + data.val.length + data.test.length).toBe(20);
    expect(data.warnings).toHaveLength(1);
    expect(data.warnings[0]!.startsWith(`${src}: 1 of 21 rows dropped (malformed_json 1; first: line 21: malformed JSON (`)).toBe(true);
  });
});

describe('example byte cap', () => {
  it('data prepare rejects an example over --max-example-bytes as over_size', () => {
    const src = jsonl('big.jsonl', [...Array.from({ length: 10 }, (_, i) => row(i)), JSON.stringify({ prompt: 'p'.repeat(300_000), completion: ' c' })]);
    const r = fte(['data', 'prepare', src, '--out', path.join(tmp, 'big-out'), '--json']);
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.manifest.rejects).toEqual({ over_size: 1 });
    const rej = fs.readFileSync(path.join(tmp, 'big-out', 'rejects.jsonl'), 'utf8');
    expect(JSON.parse(rej).reason).toBe('line 11: example is 300002 bytes, over the cap of 262144 (--max-example-bytes)');
    // the rejects file does not carry the 300 KB text either
    expect(rej.length).toBeLessThan(2000);
  });
});

describe('case is significant in duplicates and conflicts unless --fold-case', () => {
  const lines = [
    JSON.stringify({ prompt: 'Which flag prints the version?', completion: ' -v' }),
    JSON.stringify({ prompt: 'Which flag prints the version?', completion: ' -V' }),
    JSON.stringify({ prompt: 'What does ls -v do?', completion: ' natural sort' }),
    JSON.stringify({ prompt: 'What does ls -V do?', completion: ' nothing' }),
  ];
  it('validate: -v / -V answers to one prompt are a conflict, not normalised duplicates (unless --fold-case)', () => {
    const src = jsonl('case.jsonl', lines.slice(0, 2));
    const r = JSON.parse(fte(['data', 'validate', src, '--json']).stdout);
    expect(r.normalizedDuplicates).toEqual([]);
    expect(r.conflicts).toEqual([{ lines: [1, 2], completions: 2 }]);
    const folded = JSON.parse(fte(['data', 'validate', src, '--json', '--fold-case']).stdout);
    expect(folded.normalizedDuplicates).toEqual([[1, 2]]);
    expect(folded.conflicts).toEqual([]);
  });
  it('prepare --dedup: the -v / -V answers are a conflict (both rejected), not one kept as the "duplicate" of the other', () => {
    const src = jsonl('case2.jsonl', [...lines.slice(0, 2), ...Array.from({ length: 4 }, (_, i) => row(i))]);
    const r = fte(['data', 'prepare', src, '--out', path.join(tmp, 'case-out'), '--dedup', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).manifest.rejects).toEqual({ conflicting_completion: 2 });
    const folded = fte(['data', 'prepare', src, '--out', path.join(tmp, 'case-out2'), '--dedup', '--fold-case', '--json']);
    expect(JSON.parse(folded.stdout).manifest.rejects).toEqual({ duplicate: 1 });
  });
});
