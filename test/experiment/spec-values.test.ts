/**
 * Bad spec values are caught at `fte sweep --dry-run`, before any training: one stderr line naming the
 * spec file and the field, exit code 2, no store file. Each case runs the built CLI on a spec written
 * to a temporary folder (the real built-in model folder and e-mail triage suite where the check needs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const MODEL = join(root, 'models/fte-tiny-base'); // n_ctx 256, n_embd 160
const SUITE = join(root, 'evals/email-triage');
const dir = mkdtempSync(join(tmpdir(), 'fte-specval-'));

function dryRun(name: string, body: string, extra: string[] = []) {
  const file = join(dir, name);
  writeFileSync(file, body);
  const db = join(dir, `${name}.duckdb`);
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'sweep', file, '--dry-run', '--db', db, ...extra], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { ...r, db };
}

/** A spec module on the real model and suite with `fields` spliced in (TypeScript object-literal text). */
function spec(fields: string, opts: { model?: string; dataset?: string } = {}): string {
  return `export default { name: 'v', model: { base: ${JSON.stringify(opts.model ?? MODEL)} }, dataset: ${JSON.stringify(opts.dataset ?? SUITE)}, ${fields} };\n`;
}

const bad: Array<[string, string, RegExp]> = [
  // the objective must be a metric the task produces
  ['objective-kind', spec(`objective: { metric: 'classify/bleu', goal: 'maximize' }`), /objective\.metric: .*'classify\/bleu'.*; can produce: .*val_loss.*classify\/f1_macro/],
  ['objective-slice', spec(`objective: { metric: 'clasify/f1_macro', goal: 'maximize' }`), /objective\.metric: .*'clasify\/f1_macro'.*classify\/accuracy.*subject\/rougeL/],
  ['objective-name', spec(`objective: { metric: 'f1_macroo', goal: 'maximize' }`), /objective\.metric: .*'f1_macroo'/],
  ['objective-not-requested', spec(`evaluate: { metrics: ['accuracy'] }, objective: { metric: 'classify/f1_macro', goal: 'maximize' }`), /objective\.metric: .*'classify\/f1_macro'.*classify\/accuracy/],
  // registry names
  ['perturbation', spec(`evaluate: { perturbations: ['typos', 'typo'] }`), /evaluate\.perturbations\[1\]: unknown perturbation 'typo' \(did you mean 'typos'\?\); known: .*lowercase/],
  ['metric', spec(`evaluate: { metrics: ['bleuu'] }`), /evaluate\.metrics\[0\]: unknown metric 'bleuu' \(did you mean 'bleu'\?\); known: .*chrf/],
  // model limits from config.json
  ['max-new-tokens', spec(`evaluate: { maxNewTokens: 300 }`), /evaluate\.maxNewTokens: expected an integer < 256 \(the context length of .*fte-tiny-base\), got 300/],
  ['rank-list', spec(`params: { targetModules: ['c_attn', 'c_fc'] }, sweep: { parameters: { rank: [4, 512] } }`), /sweep\.parameters\.rank\[1\]: expected an integer <= 160 \(the smallest dimension of the target modules of .*fte-tiny-base\), got 512/],
  ['rank-params', spec(`params: { rank: 161 }`), /params\.rank: expected an integer <= 160 .*got 161/],
  // ranges and non-finite numbers
  ['dropout-one', spec(`params: { dropout: 1 }`), /params\.dropout: expected a number < 1, got 1$/],
  ['dropout-list', spec(`sweep: { parameters: { dropout: [0.1, 1.5] } }`), /sweep\.parameters\.dropout\[1\]: expected a number < 1, got 1\.5$/],
  ['nan', spec(`params: { learningRate: NaN }`), /params\.learningRate: expected a finite number, got NaN$/],
  ['infinity', spec(`sweep: { parameters: { learningRate: [1e-3, Infinity] } }`), /sweep\.parameters\.learningRate\[1\]: expected a finite number, got Infinity$/],
  ['neg-infinity', spec(`cost: { monthlyRequests: -Infinity }`), /cost\.monthlyRequests: expected a finite number, got -Infinity$/],
  // a spec that exits the process while it is evaluated
  ['exit', `process.exit(0);\nexport default {};\n`, /exit\.ts: cannot load: the spec called process\.exit\(0\)/],
  ['exit-derived', spec(`sweep: { parameters: { rank: [4], alpha: () => process.exit(0) } }`), /sweep\.parameters\.alpha: the function threw for rank=4: the spec called process\.exit\(0\)/],
];

describe('fte sweep --dry-run rejects bad values before any work', () => {
  it.each(bad)('%s: one line naming file and field, exit 2, no store', (name, body, pattern) => {
    const r = dryRun(`${name}.ts`, body);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^fte: .*${name}\\.ts: `));
    expect(r.stderr.trim()).toMatch(pattern);
    expect(r.status).toBe(2);
    expect(existsSync(r.db)).toBe(false);
  });

  it('accepts objectives the task produces', () => {
    for (const metric of ['val_loss', 'perplexity', 'classify/f1_macro', 'subject/rougeL', 'subject/perplexity', 'bleu']) {
      const r = dryRun('ok.ts', spec(`objective: { metric: '${metric}', goal: 'maximize' }`));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('without the model folder or dataset, the checks that need them wait for the run', () => {
    const r = dryRun('missing.ts', spec(`params: { rank: 1000 }, evaluate: { maxNewTokens: 4000 }, objective: { metric: 'classify/f1_macro', goal: 'maximize' }`, { model: 'nowhere/m', dataset: 'nowhere/d' }));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('large grids expand lazily', () => {
  const grid = (cap: string) =>
    spec(`sweep: { strategy: 'grid', ${cap} parameters: { seed: Array.from({ length: 1000 }, (_, i) => i), warmupSteps: Array.from({ length: 1000 }, (_, i) => i) } }`);

  it('a 1000 x 1000 grid with runCap 2 dry-runs and reports the grid size', () => {
    const r = dryRun('big.ts', grid('runCap: 2,'), ['--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.gridSize).toBe(1_000_000);
    expect(out.variants).toHaveLength(2);
    expect(out.selection).toBe('seeded-subset');
    for (const v of out.variants as { gridIndex: number; params: { seed: number; warmupSteps: number } }[]) {
      expect([v.params.seed, v.params.warmupSteps]).toEqual([Math.floor((v.gridIndex - 1) / 1000), (v.gridIndex - 1) % 1000]);
    }
    const text = dryRun('big.ts', grid('runCap: 2,'));
    expect(text.stdout).toContain('v: 2 variant(s) of a grid of 1000000 (runCap 2): a seeded random subset (sweep.seed 0), in grid order');
  });

  it('--run-cap caps an uncapped grid the same way', () => {
    const r = dryRun('big2.ts', grid(''), ['--json', '--run-cap', '3']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).variants).toHaveLength(3);
  });
});

describe('duplicate grid values', () => {
  it('warn on stderr, naming the field, and run once', () => {
    const r = dryRun('dup.ts', spec(`sweep: { parameters: { rank: [4, 8, 4] } }`), ['--json']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toMatch(/^fte: warning: .*dup\.ts: sweep\.parameters\.rank\[2\]: duplicate value 4 \(same as rank\[0\]; the grid runs it once\)$/);
    expect(JSON.parse(r.stdout).variants).toHaveLength(2);
  });
});
