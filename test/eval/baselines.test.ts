import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import { categoriesAreLabels, createPromptBuilder, selectFewShot, type PromptTokenizer } from '../../src/eval/baselines.js';
import { partsText, chatParts } from '../../src/providers/chat-text.js';
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
const opts = { k: 2, seed: 1 };
/** What a local model reads. */
const textOf = (b: { messages: Parameters<typeof chatParts>[0] }) => partsText(chatParts(b.messages));
void bytes;

describe('zero-shot (finetuned, base)', () => {
  it.each(['finetuned', 'base'] as Subject[])('%s sends the prompt alone as one user message', (subject) => {
    const build = createPromptBuilder(subject, train, opts);
    for (const ex of test) expect(build(ex)).toEqual({ exampleId: ex.id, messages: [{ role: 'user', content: ex.prompt }], contextIds: [] });
  });
  it('puts a system message first when one is given', () => {
    const b = createPromptBuilder('base', train, { ...opts, system: 'Answer with one word.' })(test[0]!);
    expect(b.messages).toEqual([{ role: 'system', content: 'Answer with one word.' }, { role: 'user', content: test[0]!.prompt }]);
  });
});

describe('few-shot prompting', () => {
  it('sends k demonstrations of the same task as user/assistant turns, stratified over labels', () => {
    const build = createPromptBuilder('prompting', train, { ...opts, k: 4 });
    const b = build(test[0]!);
    expect(b.contextIds).toHaveLength(4);
    const demos = b.contextIds.map((id) => train.find((e) => e.id === id)!);
    expect(demos.every((d) => d.category === 'classify')).toBe(true);
    expect(demos.filter((d) => d.completion === ' spam')).toHaveLength(2);
    expect(b.messages).toEqual([...demos.flatMap((d) => [{ role: 'user', content: d.prompt }, { role: 'assistant', content: d.completion }]), { role: 'user', content: test[0]!.prompt }]);
    // A local model reads the same text fte always fed it.
    expect(textOf(b)).toBe(demos.map((d) => d.prompt + d.completion).join('\n\n') + '\n\n' + test[0]!.prompt);
  });
  it('uses the same demonstrations for every example of a task, deterministic under the seed', () => {
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
  it('never hands a test example demonstrations of only its own label when the categories are the labels', () => {
    // A JSONL dataset with a `label` field: the label becomes the category.
    const labelled: Example[] = topics.flatMap((t, i) => [0, 1].map((j) => ({ id: `l${i}${j}`, prompt: `Body: ${t} ${j}\nAnswer:`, completion: i >= 3 ? ' spam' : ' ham', category: i >= 3 ? 'spam' : 'ham' })));
    expect(categoriesAreLabels(labelled)).toBe(true);
    expect(categoriesAreLabels(train)).toBe(false);
    const build = createPromptBuilder('prompting', labelled, { ...opts, k: 4 });
    const spamTest = { id: 'x', prompt: 'Body: free money\nAnswer:', completion: ' spam', category: 'spam' };
    const hamTest = { id: 'y', prompt: 'Body: lunch\nAnswer:', completion: ' ham', category: 'ham' };
    const a = build(spamTest).contextIds.map((id) => labelled.find((e) => e.id === id)!.completion);
    expect(a.filter((c) => c === ' spam')).toHaveLength(2);
    expect(a.filter((c) => c === ' ham')).toHaveLength(2);
    // The same demonstrations whatever the test example's label.
    expect(build(hamTest).contextIds).toEqual(build(spamTest).contextIds);
    // RAG retrieves by input similarity across labels too.
    const rag = createPromptBuilder('rag', labelled, { ...opts, k: 12 })(hamTest);
    expect(new Set(rag.contextIds.map((id) => labelled.find((e) => e.id === id)!.category))).toEqual(new Set(['spam', 'ham']));
  });
});

describe('RAG (BM25)', () => {
  it('retrieves the most similar training inputs of the same task, best nearest the input', () => {
    const build = createPromptBuilder('rag', train, opts);
    const b = build(test[0]!);
    expect(b.contextIds).toHaveLength(2);
    expect(b.contextIds[1]).toBe('c4'); // "win a free cruise" shares free + cruise
    expect(b.contextIds.every((id) => id.startsWith('c'))).toBe(true);
    expect(b.messages.at(-2)).toEqual({ role: 'assistant', content: ' spam' });
    expect(b.messages.at(-1)).toEqual({ role: 'user', content: test[0]!.prompt });
    expect(build(test[2]!).contextIds.at(-1)).toBe('s2'); // server outage
  });
});

it('throws UnknownNameError for an unknown strategy', () => {
  expect(() => createPromptBuilder('oracle' as Subject, train, opts)).toThrow(UnknownNameError);
});

it('treats label categories as labels when a few rows write the answer differently (case, spacing)', () => {
  const rows: Example[] = [];
  for (let i = 0; i < 40; i++) {
    const pos = i % 2 === 0;
    const answer = i === 4 ? ' Positive' : i === 7 ? ' Negative' : pos ? ' positive' : ' negative';
    rows.push({ id: `r${i}`, prompt: `Review: ${pos ? 'great' : 'awful'} item ${i}\nSentiment:`, completion: answer, category: pos ? 'positive' : 'negative' });
  }
  expect(categoriesAreLabels(rows)).toBe(true);
  const build = createPromptBuilder('prompting', rows, { k: 4, seed: 1 });
  const neg = { id: 'x', prompt: 'Review: horrible\nSentiment:', completion: ' negative', category: 'negative' };
  const pos = { id: 'y', prompt: 'Review: lovely\nSentiment:', completion: ' positive', category: 'positive' };
  const labelsOf = (ids: string[]) => ids.map((id) => rows.find((e) => e.id === id)!.category);
  expect(labelsOf(build(neg).contextIds).filter((c) => c === 'negative')).toHaveLength(2);
  expect(build(neg).contextIds).toEqual(build(pos).contextIds);
});
