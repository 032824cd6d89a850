/**
 * fte as an installed package, not a clone: `npm pack`, install the tarball into a temporary prefix
 * (dependencies from the npm cache or registry, as a user's install would), then from an unrelated
 * temporary folder run `fte --version`, `fte sweep <bundled default spec> --dry-run`, a limited sweep,
 * and `fte init` + a dry run of the spec it writes (built-ins resolved by name from the package).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let tmp: string;
let fte: string;
let pkgDir: string;
let work: string;

const run = (args: string[]) => spawnSync(fte, args, { cwd: work, encoding: 'utf8', env: { ...process.env, FTE_DB: '', NO_COLOR: '1' } });

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-pack-'));
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp, '--json'], { cwd: root, encoding: 'utf8' });
  const tarball = path.join(tmp, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);
  const prefix = path.join(tmp, 'prefix');
  fs.mkdirSync(prefix);
  execFileSync('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] });
  fte = path.join(prefix, 'node_modules', '.bin', 'fte');
  pkgDir = path.join(prefix, 'node_modules', 'fte');
  work = path.join(tmp, 'elsewhere');
  fs.mkdirSync(work);
}, 600_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('installed package', () => {
  it('fte --version', () => {
    const r = run(['--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^fte\/0\.\d+\.\d+ /);
  });

  it('dry-runs its bundled default spec from another folder, writing nothing there', () => {
    const r = run(['sweep', path.join(pkgDir, 'experiments', 'lora-rank.ts'), '--dry-run', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { variants: unknown[] }).variants).toHaveLength(8);
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('runs a limited sweep of the bundled spec from another folder', () => {
    const r = run(['sweep', path.join(pkgDir, 'experiments', 'lora-rank.ts'), '--run-cap', '1', '--max-steps', '2', '--limit-train', '8', '--limit-eval', '4', '--json', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; variants: Array<{ status: string }> };
    expect(out.status).toBe('completed');
    expect(out.variants.map((x) => x.status)).toEqual(['completed']);
    expect(fs.existsSync(path.join(work, '.fte', 'fte.duckdb'))).toBe(true);
  }, 300_000);

  it('fte init scaffolds a spec that names the built-ins and dry-runs', () => {
    const init = run(['init', 'proj']);
    expect(init.status, init.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'proj', '.gitignore'), 'utf8')).toBe('.fte/\nreports/\n');
    const dry = spawnSync(fte, ['sweep', 'experiments/first-sweep.ts', '--dry-run', '--json'], { cwd: path.join(work, 'proj'), encoding: 'utf8' });
    expect(dry.status, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { variants: unknown[] }).variants).toHaveLength(2);
  });
});
