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
  ])('%s with %o is refused before anything is written', async (src, extra, message) => {
    const out = path.join(tmp, 'out');
    const err = await prepareSource(src, { out, seed: 1, ...extra }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toBe(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('prepares a JSONL file with the given split', async () => {
    const out = path.join(tmp, 'jsonl-out');
    const r = await prepareSource(jsonl, { out, seed: 1, split: '0.5,0.25,0.25' });
    expect(r.outDir).toBe(out);
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
  });
});
