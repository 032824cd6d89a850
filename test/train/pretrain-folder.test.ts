import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { pretrainModelFolder } from '../../src/train/pretrain-folder.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-pretrain-folder-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('pretrainModelFolder (the stage call behind fte pretrain)', () => {
  it('refuses a non-empty folder without force before any work, leaving it as it was', async () => {
    const out = path.join(tmp, 'model');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'config.json'), '{"mine": true}\n');
    const tiny = { nCtx: 16, nEmbd: 8, nLayer: 1, nHead: 1, steps: 1, timeBudgetSeconds: 0, batchSize: 1, learningRate: 1e-3, warmupSteps: 0, seed: 1, evalEvery: 1, backend: 'cpu', command: 'fte pretrain' };
    await expect(pretrainModelFolder({ out, ...tiny })).rejects.toBeInstanceOf(UserInputError);
    expect(fs.readdirSync(out)).toEqual(['config.json']);
    expect(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).toBe('{"mine": true}\n');
  });
});
