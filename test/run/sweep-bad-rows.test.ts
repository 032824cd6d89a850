/** Issue 18, item 5: `fte sweep` on a JSONL dataset with unusable rows refuses above --max-bad-rows (default 1%), before any training. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-bad-rows-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fte sweep with malformed dataset rows', () => {
  it('refuses with one line naming the file, the count and the flag', () => {
    const data = path.join(tmp, 'd.jsonl');
    const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ prompt: `Question ${i}?`, completion: ` answer ${i}` }));
    fs.writeFileSync(data, [...rows, '{oops', '{"foo": 1}'].join('\n') + '\n');
    const spec = path.join(tmp, 'spec.ts');
    fs.writeFileSync(spec, `export default { name: 'bad-rows', model: { base: ${JSON.stringify(path.join(root, 'models/fte-tiny-base'))} }, dataset: ${JSON.stringify(data)}, method: 'lora', sweep: { strategy: 'grid', parameters: { rank: [4] } } };\n`);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'sweep', spec, '--db', path.join(tmp, 's.duckdb'), '--max-steps', '1', '--limit-eval', '2'], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(fs.existsSync(path.join(tmp, 's.duckdb')), 'a refused sweep leaves no new store behind').toBe(false);
    expect(last).toMatch(new RegExp(`^fte: ${data}: 2 of 32 rows unusable \\(malformed_json 1, unknown_format 1; first: line 31: malformed JSON .*\\), over --max-bad-rows 1%; fix them, or prepare with fte data prepare$`));
  });
});
