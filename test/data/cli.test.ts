import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../cli/built.js';

// End-to-end: the built CLI (npm test builds first) as a user runs it.
const root = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'fte-data-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fte = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const fixture = (name: string) => join(root, 'test/data/fixtures', name);

describe('fte data (built CLI)', () => {
  beforeAll(() => requireBuild('dist/commands/data/validate.js', 'dist/commands/data/prepare.js'));

  it('validate: row errors exit 1 with line numbers; --json gives the report', () => {
    const r = fte(['data', 'validate', fixture('errors.jsonl')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('2 examples, 11 errors');
    expect(r.stdout).toMatch(/│ 8 +│ invalid_utf8/);
    const j = fte(['data', 'validate', fixture('errors.jsonl'), '--json']);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout).errors).toHaveLength(11);
  });

  it('validate: warnings alone exit 0, PII masked in the table', () => {
    const r = fte(['data', 'validate', fixture('pii.jsonl')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('OK with warnings.');
    expect(r.stdout).not.toContain('jane.doe@example.com');
  });

  it.each([
    ['missing', join(tmp, 'missing.jsonl')],
    ['not JSONL', 'csv'],
  ])('validate: %s file -> one line on stderr, exit 2', (_name, arg) => {
    let path = arg;
    if (arg === 'csv') writeFileSync((path = join(tmp, 'table.csv')), 'a,b\n1,2\n');
    const r = fte(['data', 'validate', path]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('prepare: writes the folder, refuses to overwrite without --force', () => {
    const out = join(tmp, 'prep');
    const r = fte(['data', 'prepare', fixture('duplicates.jsonl'), '--out', out, '--dedup', '--scrub-pii', '--seed', '5', '--json']);
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    // 2 duplicates of line 1, and both rows of the fruit conflict (lines 4, 5) are rejected.
    expect(res.manifest.counts).toMatchObject({ input: 6, kept: 2, rejected: 4 });
    expect(res.manifest.rejects).toEqual({ duplicate: 2, conflicting_completion: 2 });
    // 2 kept examples leave val and test empty: one warning line each on stderr and in the manifest.
    expect(res.manifest.warnings).toHaveLength(2);
    expect(r.stderr.trim().split('\n')).toEqual(res.manifest.warnings.map((w: string) => `fte: warning: ${w}`));
    expect(r.stderr).toMatch(/split val: 0 examples/);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'rejects.jsonl', 'test.jsonl', 'train.jsonl', 'val.jsonl']);
    const again = fte(['data', 'prepare', fixture('duplicates.jsonl'), '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already exists; pass --force');
    expect(fte(['data', 'prepare', fixture('duplicates.jsonl'), '--out', out, '--force']).status).toBe(0);
    const bad = fte(['data', 'prepare', fixture('duplicates.jsonl'), '--out', join(tmp, 'x'), '--split', '0.5,0.5']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--split');
  });

  it.each([
    [['--dedup'], '--dedup: does not apply to a suite'],
    [['--train', '100'], 'give all three or none'],
  ])('prepare a suite with %j: one-line usage error, exit 2', (flags, message) => {
    const r = fte(['data', 'prepare', 'email-triage', '--out', join(tmp, 'suite-out'), ...flags]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(join(tmp, 'suite-out'))).toBe(false);
  });
});
