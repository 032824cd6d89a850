import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../../src/experiment/index.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fte-general-spec-'));

/** A spec beside its general-text file, with `evaluate.general` set to `general`. */
function spec(general: unknown): string {
  const p = join(dir, `spec-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(p, `export default ${JSON.stringify({
    name: 'g', model: { base: join(root, 'models/fte-tiny-base') }, dataset: join(root, 'evals/email-triage'), method: 'lora',
    evaluate: { general },
  })};\n`);
  return p;
}

describe('evaluate.general', () => {
  it('is resolved beside the spec and read once at plan time', async () => {
    writeFileSync(join(dir, 'general.txt'), 'First passage.\n\nSecond passage.\n');
    const plan = await planSweep(spec('general.txt'));
    expect(plan.loaded.spec.evaluate.general).toBe(join(dir, 'general.txt'));
  });

  it('false turns it off; absent means the built-in held-out passages', async () => {
    expect((await planSweep(spec(false))).loaded.spec.evaluate.general).toBe(false);
  });

  it('a bad file stops the plan with one line naming the field', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"text": 1}\n');
    const p = spec('bad.jsonl');
    await expect(planSweep(p)).rejects.toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: evaluate\\.general: .*bad\\.jsonl line 1: expected a JSON string or an object with a string "text"$`));
    await expect(planSweep(spec('missing.txt'))).rejects.toThrow(/evaluate\.general: cannot read .*missing\.txt: ENOENT/);
  });
});
