import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../cli/built.js';

const root = resolve(__dirname, '../..');
const fte = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });

describe('fte sweep --dry-run (built CLI)', () => {
  beforeAll(() => requireBuild());

  it('prints the 8 variants of the default experiment with alpha resolved', () => {
    const r = fte(['sweep', 'experiments/lora-rank.ts', '--dry-run', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.experiment).toBe('lora-rank');
    expect(out.variants).toHaveLength(8);
    for (const v of out.variants) {
      expect(v.key).toMatch(/^[0-9a-f]{16}$/);
      expect(v.params.alpha).toBe(2 * v.params.rank);
    }
    expect(out.variants.map((v: { params: { rank: number } }) => v.params.rank)).toEqual([4, 4, 8, 8, 16, 16, 32, 32]);
  });

  // The key names the dataset too: it moved from bf0e5871d74ef037 when the e-mail suite gained its
  // out-of-distribution split (suite.json changed: other training groups, an ood section), and must not
  // move again unless the spec, the suite or the base model does.
  it('keeps the variant keys of stores already written (canonical JSON unchanged): rank 4, lr 2e-3 is baccd2b40559ba49', () => {
    const r = fte(['sweep', 'experiments/lora-rank.ts', '--dry-run', '--json']);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout).variants.find((x: { params: { rank: number; learningRate: number } }) => x.params.rank === 4 && x.params.learningRate === 2e-3);
    expect(v.key).toBe('baccd2b40559ba49');
  });

  it('prints a table without --json', () => {
    const r = fte(['sweep', 'experiments/lora-rank.ts', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lora-rank: 8 variant(s) (grid)');
    expect(r.stdout).toMatch(/learningRate/);
  });

  it('bad spec: one line naming file and field, exit 2, no stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fte-cli-'));
    const p = join(dir, 'bad.ts');
    writeFileSync(p, `export default { name: 'b', model: { base: 'm' }, dataset: 'd', sweep: { strategy: 'grid', parameters: { rank: [4, 8, -4] } } };`);
    const r = fte(['sweep', p, '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('bad.ts: sweep.parameters.rank[2]: expected a positive integer, got -4');
    const missing = fte(['sweep', join(dir, 'missing.ts'), '--dry-run']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing\.ts: file not found/);
  });

  it('--help describes every flag', () => {
    const r = fte(['sweep', '--help']);
    for (const flag of ['--dry-run', '--parallel', '--backend', '--no-resume', '--limit-train', '--limit-eval', '--max-steps', '--quiet', '--json', '--db']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
