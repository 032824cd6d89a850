/** Issue 18, item 8: `fte pretrain --out` refuses an existing model folder without --force, before any work. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-pretrain-out-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fte pretrain --out', () => {
  it('an existing folder is refused without --force; its files stay byte-identical', () => {
    const out = path.join(tmp, 'model');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'config.json'), '{"mine": true}\n');
    fs.writeFileSync(path.join(out, 'model.safetensors'), Buffer.from([1, 2, 3]));
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(out, f))).digest('hex');
    const before = [sha('config.json'), sha('model.safetensors')];
    const tiny = ['--steps', '1', '--eval-every', '1', '--n-layer', '1', '--n-embd', '8', '--n-head', '1', '--n-ctx', '16', '--batch-size', '1', '--backend', 'cpu'];
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'pretrain', '--out', out, ...tiny], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe(`fte: --out ${out} already exists; pass --force to replace its model files\n`);
    expect(r.status).toBe(2);
    expect([sha('config.json'), sha('model.safetensors')]).toEqual(before);
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});
