/**
 * Issue 18, item 2 (and the folder-mode part of item 8): `fte data prepare --force` only replaces a
 * folder that prepare itself wrote. An output folder that is or contains the input, or holds foreign
 * files, is refused (and the message does not suggest --force); inputs and victims stay byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-prep-safe-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fte = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const fixture = fs.readFileSync(path.join(root, 'test/data/fixtures/prompt-completion.jsonl'));

/** sha256 of every file under `dir` (relative path -> hash). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

let n = 0;
let work: string;
beforeEach(() => {
  work = path.join(tmp, `case-${++n}`);
  fs.mkdirSync(work);
});

describe('data prepare --out refuses what it did not write', () => {
  it('SRC inside DIR with --force: refused, the input and the other files are kept', () => {
    const dir = path.join(work, 'data');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'raw.jsonl'), fixture);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    const before = tree(work);
    const r = fte(['data', 'prepare', path.join(dir, 'raw.jsonl'), '--out', dir, '--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fte: --out ${dir} contains the input ${path.join(dir, 'raw.jsonl')}; choose a new folder\n`);
    expect(tree(work)).toEqual(before);
  });

  it('--out equal to the input file: refused, the file stays a file', () => {
    const src = path.join(work, 'raw.jsonl');
    fs.writeFileSync(src, fixture);
    const before = tree(work);
    const r = fte(['data', 'prepare', src, '--out', src, '--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fte: --out ${src} is the input ${src}; choose a new folder\n`);
    expect(tree(work)).toEqual(before);
  });

  it('an existing plain file as --out: refused even with --force', () => {
    fs.writeFileSync(path.join(work, 'raw.jsonl'), fixture);
    fs.writeFileSync(path.join(work, 'victim'), 'precious\n');
    const before = tree(work);
    const r = fte(['data', 'prepare', 'raw.jsonl', '--out', 'victim', '--force'].map((a) => (a.endsWith('.jsonl') || a === 'victim' ? path.join(work, a) : a)));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/victim is a file, not a folder fte data prepare wrote; choose a new folder\n$/);
    expect(tree(work)).toEqual(before);
  });

  it('a folder with foreign files: refused even with --force, and no --force hint', () => {
    const src = path.join(work, 'raw.jsonl');
    fs.writeFileSync(src, fixture);
    const out = path.join(work, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'thesis.tex'), 'years of work\n');
    const before = tree(work);
    for (const force of [[], ['--force']]) {
      const r = fte(['data', 'prepare', src, '--out', out, ...force]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`fte: --out ${out} holds files fte data prepare did not write (thesis.tex); choose a new folder\n`);
      expect(r.stderr).not.toContain('--force');
    }
    expect(tree(work)).toEqual(before);
  });

  it('a prepared folder with a file added later: refused with --force; a clean one is replaced', () => {
    const src = path.join(work, 'raw.jsonl');
    fs.writeFileSync(src, fixture);
    const out = path.join(work, 'out');
    expect(fte(['data', 'prepare', src, '--out', out]).status).toBe(0);
    const again = fte(['data', 'prepare', src, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`fte: ${out}: already exists; pass --force to replace it\n`);
    expect(fte(['data', 'prepare', src, '--out', out, '--force', '--seed', '3']).status).toBe(0);
    fs.writeFileSync(path.join(out, 'analysis.ipynb'), '{}\n');
    const before = tree(work);
    const r = fte(['data', 'prepare', src, '--out', out, '--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('holds files fte data prepare did not write (analysis.ipynb)');
    expect(tree(work)).toEqual(before);
  });

  it('the output folder gets the default mode (umask applies), not 0700', () => {
    const src = path.join(work, 'raw.jsonl');
    fs.writeFileSync(src, fixture);
    const out = path.join(work, 'out');
    const r = spawnSync('sh', ['-c', `umask 022 && exec "${process.execPath}" "${path.join(root, 'bin/run.js')}" data prepare "${src}" --out "${out}"`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect((fs.statSync(out).mode & 0o777).toString(8)).toBe('755');
  });
});
