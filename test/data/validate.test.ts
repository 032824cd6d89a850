import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { percentile, validateDataset, type TokenCounter } from '../../src/data/index.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const tmp = mkdtempSync(join(tmpdir(), 'fte-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('validateDataset', () => {
  it('reports every row error with its line and is not ok', () => {
    const r = validateDataset(fixture('errors.jsonl'));
    expect(r.ok).toBe(false);
    expect(r.examples).toBe(2);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.errorCounts).toEqual({
      malformed_json: 1,
      unknown_format: 1,
      missing_field: 1,
      empty_field: 2,
      roles_out_of_order: 2,
      non_string_content: 1,
      invalid_utf8: 1,
      not_an_object: 1,
      unknown_role: 1,
    });
  });

  it('finds exact duplicates, normalised duplicates and conflicting completions', () => {
    const r = validateDataset(fixture('duplicates.jsonl'));
    expect(r.ok).toBe(true);
    expect(r.exactDuplicates).toEqual([[1, 2]]);
    expect(r.normalizedDuplicates).toEqual([[1, 2, 3]]);
    expect(r.conflicts).toEqual([{ lines: [4, 5], completions: 2 }]);
    expect(r.warnings).toBe(3); // one per group listed (exact, normalised, conflict)
  });

  it('reports PII by kind with lines and masked samples only', () => {
    const r = validateDataset(fixture('pii.jsonl'));
    expect(r.pii.map((f) => [f.kind, f.count, f.lines])).toEqual([
      ['url_secret', 2, [5, 6]],
      ['email', 1, [1]],
      ['credit_card', 1, [4]],
      ['ipv4', 1, [3]],
      ['phone', 1, [2]],
    ]);
    const json = JSON.stringify(r);
    for (const secret of ['jane.doe@example.com', '4111 1111 1111 1111', 'hunter2', '192.0.2.44', 'abcDEF123456']) expect(json).not.toContain(secret);
  });

  it('token statistics, category balance and over-long examples follow the counter', () => {
    const words: TokenCounter = { name: 'words', contextLength: 5, count: (t) => t.split(/\s+/).filter((w) => /\w/.test(w)).length };
    const r = validateDataset(fixture('prompt-completion.jsonl'), words);
    // prompts: 4, 4, 2 words (`+` and `=` are not words); completions: 1 word + end token.
    expect(r.tokens).toEqual({
      prompt: { p50: 4, p95: 4, max: 4, mean: 3.3 },
      completion: { p50: 2, p95: 2, max: 2, mean: 2 },
      total: { p50: 6, p95: 6, max: 6, mean: 5.3 },
    });
    expect(r.tooLong).toEqual([{ line: 1, tokens: 6 }, { line: 2, tokens: 6 }]);
    expect(r.categories).toEqual([
      { category: 'translate', count: 2, share: 0.667 },
      { category: 'math', count: 1, share: 0.333 },
    ]);
    expect(r.tokenizer).toEqual({ name: 'words', contextLength: 5 });
  });

  it('counts UTF-8 bytes by default (byte-level tokenizer, context 256)', () => {
    const r = validateDataset(fixture('prompt-completion.jsonl'));
    expect(r.tokenizer).toEqual({ name: 'byte', contextLength: 256 });
    expect(r.tokens?.prompt.max).toBe(Buffer.byteLength('Translate to French: cat'));
  });

  it.each([[[1, 2, 3, 4], 50, 2.5], [[1, 2, 3, 4], 95, 3.85], [[7], 95, 7], [[], 50, 0]])('percentile(%j, %i) = %d (numpy linear)', (xs, p, v) => {
    expect(percentile(xs, p)).toBeCloseTo(v, 10);
  });

  it.each([
    ['empty', '', /empty file/],
    ['blank', '\n  \n', /empty file/],
    ['csv', 'prompt,completion\nhello,world\n', /not JSONL/],
    ['array', '[{"prompt": "a", "completion": "b"}]\n', /not JSONL \(the file is one JSON array/],
    ['binary', '\u0000\u0001\u0002\n\u00ff\n', /not JSONL/],
  ])('a %s file is one clear UserInputError', (name, content, message) => {
    const file = join(tmp, `${name}.jsonl`);
    writeFileSync(file, content);
    expect(() => validateDataset(file)).toThrow(UserInputError);
    expect(() => validateDataset(file)).toThrow(message);
  });

  it('a missing file or a directory is a UserInputError naming the path', () => {
    expect(() => validateDataset(join(tmp, 'nope.jsonl'))).toThrow(/nope\.jsonl: cannot read \(no such file\)/);
    mkdirSync(join(tmp, 'dir.jsonl'));
    expect(() => validateDataset(join(tmp, 'dir.jsonl'))).toThrow(/is a directory/);
  });
});

describe('validateDataset warnings (QA)', () => {
  it('the warning count equals the findings listed (one per group / PII kind)', () => {
    expect(validateDataset(fixture('duplicates.jsonl')).warnings).toBe(3);
    expect(validateDataset(fixture('pii.jsonl')).warnings).toBe(5);
  });

  it('warns when one file mixes formats', () => {
    const file = join(tmp, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ prompt: 'Hi', completion: ' there' }),
        JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi' }] }),
      ].join('\n'),
    );
    const r = validateDataset(file);
    expect(r.mixedFormats).toEqual({ chat: 1, prompt_completion: 1 });
    expect(r.warnings).toBe(1);
    const clean = validateDataset(fixture('prompt-completion.jsonl'));
    expect(clean.mixedFormats).toBeNull();
  });
});
