import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import { createPromptBuilder, fitContext, selectFewShot, type PromptTokenizer } from '../../src/eval/baselines.js';
import type { Example } from '../../src/data/example.js';
import type { Subject } from '../../src/eval/types.js';

/** Byte-level tokenizer, as fte's built-in models. */
const bytes: PromptTokenizer = {
  encode: (t) => Array.from(new TextEncoder().encode(t)),
  decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids)),
};

const topics = ['invoice payment overdue', 'team lunch friday', 'server outage tonight', 'cheap pills online', 'win a free cruise', 'quarterly budget review'];
const train: Example[] = [
  ...topics.map((t, i) => ({ id: `c${i}`, prompt: `Is this spam?\nBody: ${t}\nAnswer:`, completion: i >= 3 ? ' spam' : ' ham', category: 'classify' })),
  ...topics.map((t, i) => ({ id: `s${i}`, prompt: `Subject for:\nBody: about ${t}\nSubject:`, completion: ` Re ${t}`, category: 'subject' })),
];
const test: Example[] = [
  { id: 't1', prompt: 'Is this spam?\nBody: free cruise for you\nAnswer:', completion: ' spam', category: 'classify' },
  { id: 't2', prompt: 'Is this spam?\nBody: budget review moved\nAnswer:', completion: ' ham', category: 'classify' },
  { id: 't3', prompt: 'Subject for:\nBody: about the server outage\nSubject:', completion: ' outage', category: 'subject' },
];
const opts = { k: 2, seed: 1, tokenizer: bytes, maxPromptTokens: 10_000 };

describe('zero-shot (finetuned, base)', () => {
  it.each(['finetuned', 'base'] as Subject[])('%s uses the prompt as is and counts its tokens', (subject) => {
    const build = createPromptBuilder(subject, train, opts);
    for (const ex of test) {
      const b = build(ex);
      expect(b).toEqual({ exampleId: ex.id, prompt: ex.prompt, promptTokens: Buffer.byteLength(ex.prompt), contextIds: [], truncated: false });
    }
  });
});

describe('few-shot prompting', () => {
  it('prepends k demonstrations of the same category, stratified over labels', () => {
    const build = createPromptBuilder('prompting', train, { ...opts, k: 4 });
    const b = build(test[0]!);
    expect(b.contextIds).toHaveLength(4);
    const demos = b.contextIds.map((id) => train.find((e) => e.id === id)!);
    expect(demos.every((d) => d.category === 'classify')).toBe(true);
    expect(demos.filter((d) => d.completion === ' spam')).toHaveLength(2);
    expect(b.prompt).toBe(demos.map((d) => d.prompt + d.completion).join('\n\n') + '\n\n' + test[0]!.prompt);
    expect(b.promptTokens).toBe(Buffer.byteLength(b.prompt));
  });
  it('uses the same demonstrations for every example of a category, deterministic under the seed', () => {
    const build = createPromptBuilder('prompting', train, opts);
    expect(build(test[0]!).contextIds).toEqual(build(test[1]!).contextIds);
    expect(createPromptBuilder('prompting', train, opts)(test[0]!).contextIds).toEqual(build(test[0]!).contextIds);
    expect(build(test[2]!).contextIds.every((id) => id.startsWith('s'))).toBe(true);
  });
  it('changes the selection with the seed', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 10; seed++) seen.add(selectFewShot(train, 'subject', 2, seed).map((e) => e.id).join());
    expect(seen.size).toBeGreaterThan(1);
  });
  it('stratifies over categories when the example has none', () => {
    const demos = selectFewShot(train, undefined, 2, 3);
    expect(new Set(demos.map((d) => d.category))).toEqual(new Set(['classify', 'subject']));
  });
});

describe('RAG (BM25)', () => {
  it('retrieves the most similar training inputs of the same category, best nearest the input', () => {
    const build = createPromptBuilder('rag', train, opts);
    const b = build(test[0]!);
    expect(b.contextIds).toHaveLength(2);
    expect(b.contextIds[1]).toBe('c4'); // "win a free cruise" shares free + cruise
    expect(b.contextIds.every((id) => id.startsWith('c'))).toBe(true);
    expect(b.prompt.endsWith(`\n\n${test[0]!.prompt}`)).toBe(true);
    expect(build(test[2]!).contextIds.at(-1)).toBe('s2'); // server outage
  });
});

describe('context budget', () => {
  it('keeps the input whole and cuts the context from the left', () => {
    const budget = Buffer.byteLength(test[0]!.prompt) + 30;
    for (const subject of ['prompting', 'rag'] as Subject[]) {
      const b = createPromptBuilder(subject, train, { ...opts, k: 4, maxPromptTokens: budget })(test[0]!);
      expect(b.promptTokens).toBeLessThanOrEqual(budget);
      expect(b.prompt.endsWith(test[0]!.prompt)).toBe(true);
      expect(b.truncated).toBe(true);
      expect(b.promptTokens).toBe(budget); // the left-cut context fills the budget exactly (byte tokens)
    }
  });
  it('drops whole oldest demonstrations first', () => {
    const demos = train.slice(0, 3);
    const input = 'X';
    const full = demos.map((d) => d.prompt + d.completion).join('\n\n') + '\n\n';
    const lastTwo = demos.slice(1).map((d) => d.prompt + d.completion).join('\n\n') + '\n\n';
    const fit = fitContext(demos, input, bytes, Buffer.byteLength(lastTwo) + 1);
    expect(Buffer.byteLength(full)).toBeGreaterThan(Buffer.byteLength(lastTwo));
    expect(fit.contextIds).toEqual(['c1', 'c2']);
    expect(fit.prompt).toBe(lastTwo + input);
  });
  it('keeps an input longer than the budget whole, without context', () => {
    const fit = fitContext(train.slice(0, 2), 'a long input', bytes, 4);
    expect(fit.prompt).toBe('a long input');
    expect(fit.contextIds).toEqual([]);
  });
});

it('throws UnknownNameError for an unknown subject', () => {
  expect(() => createPromptBuilder('oracle' as Subject, train, opts)).toThrow(UnknownNameError);
});
