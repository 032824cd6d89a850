import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evenlySpaced, generalRows, readGeneralFile, scoreGeneral, type GeneralScore } from '../../src/eval/general.js';
import { heldOutPassages } from '../../src/train/corpus.js';
import { UserInputError } from '../../src/errors.js';
import { CounterLM, byteTokenizer } from './fake-model.js';

const dir = mkdtempSync(join(tmpdir(), 'fte-general-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('readGeneralFile', () => {
  it('reads JSONL strings and { id, text } objects, skipping blank lines and empty texts', () => {
    const p = file('g.jsonl', '"first passage"\n\n{"id": "x", "text": "second"}\n{"text": "  "}\n{"text": "third"}\n');
    expect(readGeneralFile(p)).toEqual([
      { id: 'line-1', text: 'first passage' },
      { id: 'x', text: 'second' },
      { id: 'line-5', text: 'third' },
    ]);
  });

  it('reads plain text as passages separated by blank lines', () => {
    const p = file('g.txt', 'One line.\nStill one.\n\n  \nTwo.\r\n\r\nThree.\n');
    expect(readGeneralFile(p).map((x) => x.text)).toEqual(['One line.\nStill one.', 'Two.', 'Three.']);
  });

  it('rejects bad input with one line', () => {
    expect(() => readGeneralFile(join(dir, 'missing.txt'))).toThrow(/cannot read .*missing\.txt: ENOENT/);
    expect(() => readGeneralFile(file('bad.jsonl', '"ok"\n{not json\n'))).toThrow(/line 2: not JSON/);
    expect(() => readGeneralFile(file('num.jsonl', '{"text": 3}\n'))).toThrow(/line 1: expected a JSON string or an object with a string "text"/);
    expect(() => readGeneralFile(file('empty.txt', '\n \n'))).toThrow(UserInputError);
  });
});

describe('evenlySpaced', () => {
  it('keeps all when there are few, else n evenly spaced in order', () => {
    expect(evenlySpaced([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(evenlySpaced([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
  });
});

describe('scoreGeneral', () => {
  it('scores each passage after <|endoftext|>, cut to nCtx - 1 tokens, with the bytes scored', async () => {
    const lm = new CounterLM(8, 10);
    const scores = await scoreGeneral(lm, byteTokenizer, [
      { id: 'a', text: 'abcd' },
      { id: 'b', text: 'abcdefghijkl' },
    ]);
    expect(scores.map((s) => [s.id, s.tokens, s.bytes])).toEqual([['a', 4, 4], ['b', 7, 7]]);
    // The counter model predicts each next byte well (logit 10): the first byte after EOS (256 -> 0) is not 'a'.
    const b = scores[1]!;
    expect(b.nll).toBeGreaterThan(10);
    expect(b.nll / b.tokens).toBeLessThan(3);
  });
});

describe('generalRows', () => {
  const scores = (nll: number[]): GeneralScore[] => nll.map((x, i) => ({ id: `p${i}`, nll: x, tokens: 10, bytes: 12 }));
  const baseNll = [20, 22, 18, 25, 21, 19, 23, 20];

  it('perplexity and bits per byte over the summed passages, with intervals', () => {
    const rows = generalRows('base', scores(baseNll));
    const ppl = rows.find((r) => r.metric === 'perplexity')!;
    const sum = baseNll.reduce((a, b) => a + b, 0);
    expect(ppl).toMatchObject({ subject: 'base', split: 'test', perturbation: 'none', slice: 'general', n: 8 });
    expect(ppl.value).toBeCloseTo(Math.exp(sum / 80), 10);
    expect(ppl.ciLow!).toBeLessThanOrEqual(ppl.value);
    expect(ppl.ciHigh!).toBeGreaterThanOrEqual(ppl.value);
    expect(ppl.ciSignature).toMatch(/^bootstrap-percentile:1000:seed=12345:ci=0.95\|over:passages/);
    expect(rows.find((r) => r.metric === 'bits_per_byte')!.value).toBeCloseTo(sum / Math.LN2 / 96, 10);
    expect(rows.some((r) => r.metric === 'perplexity_change')).toBe(false);
  });

  it('the change vs the base: 0 and p = 1 for the same model; worse everywhere is significant', () => {
    const same = generalRows('finetuned', scores(baseNll), { base: scores(baseNll) });
    expect(same.find((r) => r.metric === 'perplexity_change')!.value).toBe(0);
    expect(same.find((r) => r.metric === 'perplexity_change_p')!.value).toBe(1);
    const worse = generalRows('finetuned', scores(baseNll.map((x) => x + 3)), { base: scores(baseNll) });
    const change = worse.find((r) => r.metric === 'perplexity_change')!;
    expect(change.value).toBeCloseTo(Math.exp(0.3) - 1, 10);
    expect(change.ciLow!).toBeGreaterThan(0);
    expect(change.ciSignature).toMatch(/^paired-bootstrap:1000:seed=12345/);
    const p = worse.find((r) => r.metric === 'perplexity_change_p')!;
    expect(p.value).toBeLessThan(0.05);
    expect(p.signature).toBe('paired-bootstrap:1000:seed=12345');
  });

  it('refuses base scores of other passages', () => {
    expect(() => generalRows('finetuned', scores([1, 2]), { base: scores([1]) })).toThrow(RangeError);
  });
});

describe('heldOutPassages', () => {
  it('gives the held-out documents (i % 20 === 10) of both sources as text', () => {
    const ps = heldOutPassages();
    expect(ps.length).toBeGreaterThan(100);
    expect(ps.every((p) => /^(sotu|moby-dick):\d+:\d+$/.test(p.id) && Number(p.id.split(':')[1]) % 20 === 10)).toBe(true);
    expect(ps.some((p) => p.id.startsWith('moby-dick:'))).toBe(true);
    expect(ps[0]!.text).not.toContain('<|endoftext|>');
  });
});
