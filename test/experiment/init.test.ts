import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initProject, SAMPLE_SPEC } from '../../src/experiment/init.js';
import { defineExperiment } from '../../src/experiment/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-init-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('initProject', () => {
  it('creates the sample spec and .gitignore in a new folder', () => {
    const dir = path.join(tmp, 'a');
    const r = initProject(dir);
    expect(r.files.map((f) => [path.relative(dir, f.path), f.action])).toEqual([
      [path.join('experiments', 'first-sweep.ts'), 'created'],
      ['.gitignore', 'created'],
    ]);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('.fte/\nreports/\n');
    expect(fs.readFileSync(path.join(dir, 'experiments', 'first-sweep.ts'), 'utf8')).toBe(SAMPLE_SPEC);
  });

  it('adds only the missing .gitignore lines and keeps the rest byte for byte', () => {
    const dir = path.join(tmp, 'b');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules\n.fte');
    const r = initProject(dir);
    expect(r.files[1]!.action).toBe('updated');
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules\n.fte\nreports/\n');
    fs.rmSync(path.join(dir, 'experiments'), { recursive: true });
    expect(initProject(dir).files[1]!.action).toBe('unchanged');
  });

  it('refuses to overwrite an existing spec without force, leaving it untouched', () => {
    const dir = path.join(tmp, 'c');
    initProject(dir);
    const spec = path.join(dir, 'experiments', 'first-sweep.ts');
    fs.writeFileSync(spec, 'mine');
    expect(() => initProject(dir)).toThrow(/first-sweep\.ts: exists; fte init writes nothing over it \(use --force/);
    expect(fs.readFileSync(spec, 'utf8')).toBe('mine');
    expect(initProject(dir, { force: true }).files[0]!.action).toBe('replaced');
  });

  it('refuses a DIR that is a file', () => {
    const file = path.join(tmp, 'f');
    fs.writeFileSync(file, 'x');
    expect(() => initProject(file)).toThrow(/exists and is not a folder/);
  });

  it('the sample spec is a valid experiment', async () => {
    const { createJiti } = await import('jiti');
    const file = path.join(tmp, 'spec.ts');
    fs.writeFileSync(file, SAMPLE_SPEC.replace("from 'fte'", `from '${path.resolve('src/experiment/index.ts')}'`));
    const mod = (await createJiti(import.meta.url).import(file)) as { default: ReturnType<typeof defineExperiment> };
    expect(mod.default.model.base).toBe('fte-tiny-base');
    expect(mod.default.dataset).toBe('email-triage');
  });
});
