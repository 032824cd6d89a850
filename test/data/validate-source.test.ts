import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BYTE_COUNTER, validateSource } from '../../src/data/index.js';
import { tokenCounterForModel } from '../../src/model/token-counter.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('validateSource / tokenCounterForModel (the stage calls behind fte data validate)', () => {
  it('validates a JSONL file with the byte counter by default', async () => {
    const r = await validateSource(path.join(root, 'test/data/fixtures/errors.jsonl'));
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(11);
  });

  it("a model folder's counter is its tokenizer and context length", async () => {
    const c = await tokenCounterForModel(path.join(root, 'models/fte-tiny-base'));
    expect(c.name).toBe(BYTE_COUNTER.name);
    expect(c.contextLength).toBe(256);
    expect(c.count('héllo')).toBe(6);
  });
});
