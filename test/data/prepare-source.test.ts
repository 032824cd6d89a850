import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { prepareSource } from '../../src/data/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-prepare-source-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const jsonl = path.resolve(import.meta.dirname, 'fixtures/pii.jsonl');

describe('prepareSource (the stage call behind fte data prepare)', () => {
  it.each([
    ['email-triage', { split: '0.8,0.1,0.1' }, '--split: does not apply to a suite (suite.json decides; use --train/--val/--test for sizes)'],
    ['email-triage', { foldCase: true }, '--fold-case: does not apply to a suite (suite.json decides; use --train/--val/--test for sizes)'],
    ['email-triage', { train: 100 }, '--train, --val and --test: give all three or none'],
    [jsonl, { val: 10 }, '--train/--val/--test: only for suite sources; use --split for a JSONL file'],
    [jsonl, { ood: 10 }, '--ood: only for suite sources; in a JSONL file, mark out-of-distribution rows with "ood": true'],
  ])('%s with %o is refused before anything is written', async (src, extra, message) => {
    const out = path.join(tmp, 'out');
    const err = await prepareSource(src, { out, seed: 1, ...extra }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toBe(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--ood sizes a suite\'s out-of-distribution split; a suite without an ood section refuses it', async () => {
    const out = path.join(tmp, 'suite-ood');
    const r = await prepareSource('email-triage', { out, seed: 3, train: 40, val: 8, test: 8, ood: 12 });
    expect(r.manifest.counts).toMatchObject({ train: 40, val: 8, test: 8, ood: 12 });
    expect(fs.readFileSync(path.join(out, 'ood.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
    const plain = path.join(tmp, 'no-ood-suite');
    fs.mkdirSync(plain);
    const suite = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../evals/email-triage/suite.json'), 'utf8'));
    delete suite.ood;
    fs.writeFileSync(path.join(plain, 'suite.json'), JSON.stringify(suite));
    await expect(prepareSource(plain, { out: path.join(tmp, 'x'), seed: 1, ood: 10 })).rejects.toThrow('--ood: suite email-triage has no ood section (suite.json)');
  });

  it('prepares a JSONL file with the given split', async () => {
    const out = path.join(tmp, 'jsonl-out');
    const r = await prepareSource(jsonl, { out, seed: 1, split: '0.5,0.25,0.25' });
    expect(r.outDir).toBe(out);
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
  });
});
