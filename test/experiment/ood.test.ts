import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../../src/experiment/index.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fte-ood-spec-'));

/** A spec beside its OOD file, with `evaluate.ood` set to `ood` (omitted when undefined). */
function spec(ood: unknown): string {
  const p = join(dir, `spec-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(p, `export default ${JSON.stringify({
    name: 'o', model: { base: join(root, 'models/fte-tiny-base') }, dataset: join(root, 'evals/email-triage'), method: 'lora',
    evaluate: ood === undefined ? {} : { ood },
  })};\n`);
  return p;
}

describe('evaluate.ood', () => {
  it('is resolved beside the spec, and the file joins the dataset fingerprint of every variant key', async () => {
    writeFileSync(join(dir, 'shifted.jsonl'), `${JSON.stringify({ prompt: 'p', completion: ' c' })}\n`);
    const withFile = await planSweep(spec('shifted.jsonl'));
    expect(withFile.loaded.spec.evaluate.ood).toBe(join(dir, 'shifted.jsonl'));
    const without = await planSweep(spec(undefined));
    expect(withFile.fingerprints.dataset).not.toBe(without.fingerprints.dataset);
    expect(withFile.variants[0]!.key).not.toBe(without.variants[0]!.key);
    // Another file, another key; false another (turning the split back on must re-run the variants never scored on it).
    writeFileSync(join(dir, 'shifted2.jsonl'), `${JSON.stringify({ prompt: 'q', completion: ' d' })}\n`);
    expect((await planSweep(spec('shifted2.jsonl'))).fingerprints.dataset).not.toBe(withFile.fingerprints.dataset);
    const off = await planSweep(spec(false));
    expect(off.loaded.spec.evaluate.ood).toBe(false);
    expect(off.fingerprints.dataset).not.toBe(without.fingerprints.dataset);
    expect(off.fingerprints.dataset).not.toBe(withFile.fingerprints.dataset);
  });

  it('a missing file stops the plan with one line naming the field', async () => {
    const p = spec('missing.jsonl');
    await expect(planSweep(p)).rejects.toThrow(/^.*\.mjs: evaluate\.ood: .*missing\.jsonl: no such file \(expected a JSONL dataset of out-of-distribution examples\)$/);
  });

  it('a directory is named as one', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'adir'), { recursive: true });
    await expect(planSweep(spec('adir'))).rejects.toThrow(/evaluate\.ood: .*adir: is a directory, expected a JSONL file/);
  });

  it('a wrong type names the field', async () => {
    await expect(planSweep(spec(3))).rejects.toThrow(/evaluate\.ood/);
  });
});

describe('datasetSourceFingerprint', () => {
  it("a folder's documentation (*.md, a dataset card) does not change it; any other file does", async () => {
    const { datasetSourceFingerprint } = await import('../../src/experiment/fingerprint.js');
    const suite = mkdtempSync(join(tmpdir(), 'fte-fp-'));
    writeFileSync(join(suite, 'suite.json'), '{"name":"x"}');
    const before = datasetSourceFingerprint(suite);
    writeFileSync(join(suite, 'README.md'), '# card\n');
    expect(datasetSourceFingerprint(suite)).toBe(before);
    writeFileSync(join(suite, 'README.md'), '# card, edited\n');
    expect(datasetSourceFingerprint(suite)).toBe(before);
    writeFileSync(join(suite, 'extra.json'), '{}');
    expect(datasetSourceFingerprint(suite)).not.toBe(before);
  });
});
