import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import { evaluateSubject, inferSliceKinds, type Generator } from '../../src/eval/evaluate.js';
import { textModelProvider } from '../../src/providers/local.js';
import type { ChatRequest, Provider } from '../../src/providers/types.js';
import { DEFAULT_METRICS, getMetric } from '../../src/eval/metrics/registry.js';
import { evaluateMajority, majorityLabel } from '../../src/eval/majority.js';
import type { Example } from '../../src/data/example.js';

const bodies = [
  'Claim your FREE cash prize now, winner',
  'Meeting notes from Tuesday are attached',
  'Free trial ends today, act now',
  'Can we move lunch to Friday please',
  'Server maintenance window tonight at ten',
  'You are a winner of our free lottery',
];
const mk = (i: number, split: string): Example[] => [
  { id: `${split}c${i}`, prompt: `Is this e-mail spam or ham?\nSubject: note ${i}\nBody: ${bodies[i % 6]}\nAnswer:`, completion: /free|winner/i.test(bodies[i % 6]!) ? ' spam' : ' ham', category: 'classify' },
  { id: `${split}s${i}`, prompt: `Write the subject line for this e-mail.\nBody: ${bodies[(i + 1) % 6]} number ${i}\nSubject:`, completion: ` ${bodies[(i + 1) % 6]!.split(' ').slice(0, 3).join(' ')}`, category: 'subject' },
];
const train = Array.from({ length: 12 }, (_, i) => mk(i, 'tr')).flat();
const test = Array.from({ length: 4 }, (_, i) => mk(i, 'te')).flat();

/** A rule-based "model": spam if the last Body line mentions free/winner; the subject is its first 3 words. */
function fakeGenerator(): Generator & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    nCtx: 1024,
    tokenizer: { encode: (t) => Array.from(Buffer.from(t)), decode: (ids) => Buffer.from(ids).toString() },
    async generate(ps) {
      prompts.push(...ps);
      return ps.map((p) => {
        const body = p.split('\n').filter((l) => l.startsWith('Body:')).at(-1)!.slice(5).trim();
        const text = p.includes('spam or ham') && p.trimEnd().endsWith('Answer:') && !p.endsWith('Subject:')
          ? (/free|winner/i.test(body) ? ' spam' : ' ham')
          : ` ${body.split(/ +/).slice(0, 3).join(' ')}`;
        return { text, completionTokens: text.length, promptTokens: p.length, finishReason: 'stop' as const };
      });
    },
    async tokenNll(_ps, cs) {
      return cs.map((c) => Array.from(Buffer.from(c)).map(() => 0.5));
    },
  };
}

const base = { subject: 'base' as const, train, test, fewShotK: 2, ragK: 2, maxNewTokens: 16, seed: 1 };

describe('API token counts of the clean answered requests (for the fte roi --api-model what-if)', () => {
  const words = { name: 'words', countText: (t: string) => (t.trim() ? t.trim().split(/\s+/).length : 0) };
  it('the prompts as built and the answers, with the counter given; none with null', async () => {
    const r = await evaluateSubject({ ...base, subject: 'prompting', provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], apiTokenCounter: words });
    const { chatTokens } = await import('../../src/eval/api-tokens.js');
    const { createPromptBuilder } = await import('../../src/eval/baselines.js');
    const build = createPromptBuilder('few_shot', train, { k: 2, seed: 1 });
    const want = test.reduce((s, ex) => s + chatTokens(build(ex).messages, words), 0);
    expect(r.subjectRow.apiPromptTokens).toBe(want);
    expect(r.subjectRow.apiCompletionTokens).toBe(r.predictions.filter((p) => p.perturbation === 'none').reduce((s, p) => s + words.countText(p.prediction), 0));
    expect(r.subjectRow.apiTokenizer).toBe('words');
    const none = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], apiTokenCounter: null });
    expect(none.subjectRow.apiPromptTokens).toBeUndefined();
  });
});

describe('evaluateSubject', () => {
  it('produces every (perturbation x slice x metric) row', async () => {
    const perturbations = ['typos', 'lowercase', 'spaces', 'contractions'];
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations });
    const keys = new Set(r.rows.map((x) => `${x.perturbation}|${x.slice}|${x.metric}`));
    const expected: string[] = [];
    const sliceMetrics: [string, readonly string[]][] = [
      ['all', DEFAULT_METRICS.generation],
      ['classify', DEFAULT_METRICS.classification],
      ['subject', DEFAULT_METRICS.generation],
    ];
    for (const [slice, ms] of sliceMetrics) {
      // worst_case needs a per-example score (invalid_rate has none: it depends on the label set).
      // `<p>`: perturbed, over the inputs p changed; `<p>:original`: clean, over the same inputs (HELM).
      for (const m of ms) for (const p of ['none', ...perturbations, ...perturbations.map((x) => `${x}:original`), ...(getMetric(m).perExample ? ['worst_case'] : [])]) expected.push(`${p}|${slice}|${m}`);
      expected.push(`none|${slice}|perplexity`);
      for (const p of perturbations) expected.push(`${p}|${slice}|consistency`, `${p}|${slice}|input_change_rate`);
      expected.push(`worst_case|${slice}|consistency`);
    }
    expect([...keys].sort()).toEqual(expected.sort());
    expect(r.rows.length).toBe(expected.length); // no duplicates
    expect(r.rows.every((x) => x.subject === 'base' && typeof x.signature === 'string' && x.signature.length > 0)).toBe(true);
  });

  it('scores clean inputs as the rules say and perplexity from token NLL', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [] });
    const v = (slice: string, metric: string, p = 'none') => r.rows.find((x) => x.slice === slice && x.metric === metric && x.perturbation === p)!;
    expect(v('classify', 'accuracy').value).toBe(1);
    expect(v('classify', 'accuracy').n).toBe(4);
    expect(v('subject', 'exact_match').value).toBe(100);
    expect(v('all', 'perplexity').value).toBeCloseTo(Math.exp(0.5), 12);
    expect(v('all', 'perplexity').n).toBe(test.reduce((a, e) => a + Buffer.byteLength(e.completion), 0));
  });

  it('does not regenerate unchanged inputs and does not double-count them', async () => {
    const g = fakeGenerator();
    const r = await evaluateSubject({ ...base, provider: textModelProvider(g, 'fake'), perturbations: ['contractions', 'lowercase'] });
    const changed = (p: string) => r.rows.find((x) => x.perturbation === p && x.slice === 'all' && x.metric === 'input_change_rate')!;
    expect(g.prompts.length).toBe(test.length + Math.round(changed('contractions').value * test.length) + Math.round(changed('lowercase').value * test.length));
    // Prediction rows: all clean + only the changed perturbed ones.
    expect(r.predictions.filter((p) => p.perturbation === 'contractions').length).toBe(Math.round(changed('contractions').value * test.length));
    const cons = r.rows.find((x) => x.perturbation === 'contractions' && x.slice === 'all' && x.metric === 'consistency')!;
    expect(cons.n).toBe(Math.round(changed('contractions').value * test.length));
  });

  it('scores each perturbation over the inputs it changed, paired with clean over the same inputs (HELM)', async () => {
    // 4 classification examples, 2 of them with a "do not" the contractions perturbation changes; the
    // model is right on every clean input and wrong on every input with an apostrophe.
    const texts = ['Free cash now, do not wait', 'Lunch is on Friday, do not be late', 'A winner of our free lottery', 'Meeting notes attached'];
    const few: Example[] = texts.map((b, i) => ({ id: `few${i}`, prompt: `Is this e-mail spam or ham?\nBody: ${b}\nAnswer:`, completion: /free|winner/i.test(b) ? ' spam' : ' ham', category: 'classify' }));
    const g = fakeGenerator();
    const fragile: Generator = {
      ...g,
      async generate(ps, o) {
        const out = await g.generate(ps, o);
        return out.map((x, i) => (ps[i]!.includes("'") ? { ...x, text: x.text === ' spam' ? ' ham' : ' spam' } : x));
      },
    };
    const r = await evaluateSubject({ ...base, test: few, provider: textModelProvider(fragile, 'fake'), perturbations: ['contractions', 'lowercase'], metrics: ['accuracy'] });
    const row = (p: string, slice = 'all') => r.rows.find((x) => x.perturbation === p && x.slice === slice && x.metric === 'accuracy')!;
    expect(row('none')).toMatchObject({ value: 1, n: 4 });
    expect(r.rows.find((x) => x.perturbation === 'contractions' && x.slice === 'all' && x.metric === 'input_change_rate')).toMatchObject({ value: 0.5, n: 4 });
    // Over the changed inputs: clean 1, perturbed 0, a drop of 1 (over the whole slice it would read 1 - 0.5 = 0.5).
    expect(row('contractions')).toMatchObject({ value: 0, n: 2 });
    expect(row('contractions:original')).toMatchObject({ value: 1, n: 2 });
    expect(row('contractions:original').signature).toMatch(/computed_on:original\|over:inputs_changed_by:contractions/);
    expect(row('contractions').signature).toMatch(/computed_on:perturbed\|over:inputs_changed_by:contractions/);
    // Lowercase changes every input and no answer: perturbed = clean over all 4.
    expect(row('lowercase')).toMatchObject({ value: 1, n: 4 });
    expect(row('lowercase:original')).toMatchObject({ value: 1, n: 4 });
    // Worst case stays per example over the whole slice (unchanged inputs count as clean).
    expect(row('worst_case')).toMatchObject({ value: 0.5, n: 4 });
  });

  it('a perturbation that changes no input of a slice has n = 0 rows (no value)', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['contractions'], metrics: ['accuracy'] });
    const changed = r.rows.find((x) => x.perturbation === 'contractions' && x.slice === 'classify' && x.metric === 'input_change_rate')!;
    expect(changed.value).toBe(0);
    for (const p of ['contractions', 'contractions:original']) {
      const row = r.rows.find((x) => x.perturbation === p && x.slice === 'classify' && x.metric === 'accuracy')!;
      expect(row.n).toBe(0);
      expect(row.value).toBeNaN();
      expect(row.ciLow).toBeUndefined();
    }
  });

  it('lowercase keeps classification consistent but changes subjects; worst case is never better than any variant', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['lowercase', 'typos'], perturbationParams: { typos: { prob: 0.3 } } });
    const v = (slice: string, metric: string, p: string) => r.rows.find((x) => x.slice === slice && x.metric === metric && x.perturbation === p)!.value;
    expect(v('classify', 'consistency', 'lowercase')).toBe(1);
    expect(v('subject', 'consistency', 'lowercase')).toBe(0);
    expect(v('subject', 'exact_match', 'lowercase')).toBe(100); // SQuAD normalisation lowercases
    for (const m of ['exact_match', 'f1', 'rougeL']) {
      const wc = v('subject', m, 'worst_case');
      expect(wc).toBeLessThanOrEqual(Math.min(v('subject', m, 'none'), v('subject', m, 'lowercase'), v('subject', m, 'typos')));
    }
    expect(v('classify', 'accuracy', 'worst_case')).toBeLessThanOrEqual(v('classify', 'accuracy', 'typos'));
  });

  it('leaves references untouched and reports the clean prompt tokens', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['typos', 'synonyms'] });
    for (const p of r.predictions) expect(p.reference).toBe(test.find((e) => e.id === p.exampleId)!.completion);
    expect(r.examples).toBe(test.length);
    expect(r.promptTokens).toBe(test.reduce((a, e) => a + Buffer.byteLength(e.prompt), 0));
    expect(r.evalPromptTokens).toBeGreaterThan(r.promptTokens);
  });

  it('builds the baseline prompts: prompting and RAG prompts are longer than base', async () => {
    const tokens: Record<string, number> = {};
    for (const subject of ['base', 'prompting', 'rag'] as const) {
      tokens[subject] = (await evaluateSubject({ ...base, subject, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [] })).promptTokens;
    }
    expect(tokens.prompting).toBeGreaterThan(tokens.base!);
    expect(tokens.rag).toBeGreaterThan(tokens.base!);
  });

  it('restricts to the requested metrics and rejects unknown names', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], metrics: ['accuracy', 'bleu'] });
    expect(new Set(r.rows.map((x) => x.metric))).toEqual(new Set(['accuracy', 'bleu']));
    await expect(evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], metrics: ['blue'] })).rejects.toThrow(UnknownNameError);
    await expect(evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['typo'] })).rejects.toThrow(UnknownNameError);
  });

  it('infers slice kinds from the references', () => {
    const kinds = inferSliceKinds(test, train);
    expect(Object.fromEntries(kinds)).toEqual({ classify: 'classification', subject: 'generation' });
    expect(Object.fromEntries(inferSliceKinds(test, train, { subject: 'classification' }))).toMatchObject({ subject: 'classification' });
  });

  it('stores a 95% bootstrap interval with every metric row (ci_low <= value <= ci_high), seeded', async () => {
    const r = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['typos', 'lowercase'] });
    let withCi = 0;
    for (const row of r.rows) {
      if (row.n === 0) continue;
      expect(row.ciLow, `${row.perturbation}/${row.slice}/${row.metric}`).toBeTypeOf('number');
      expect(row.ciLow!).toBeLessThanOrEqual(row.value + 1e-9);
      expect(row.ciHigh!).toBeGreaterThanOrEqual(row.value - 1e-9);
      expect(row.ciSignature).toMatch(/^bootstrap-percentile:1000:seed=12345:ci=0\.95\|over:examples\|level:(corpus|mean)$/);
      withCi++;
    }
    expect(withCi).toBeGreaterThan(50);
    const again = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: ['typos', 'lowercase'] });
    expect(again.rows.map((x) => [x.ciLow, x.ciHigh])).toEqual(r.rows.map((x) => [x.ciLow, x.ciHigh]));
    // Corpus metrics resample at the corpus level.
    expect(r.rows.find((x) => x.metric === 'bleu' && x.perturbation === 'none')!.ciSignature).toMatch(/level:corpus/);
    const other = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], bootstrap: { resamples: 200, seed: 7 } });
    expect(other.rows[0]!.ciSignature).toMatch(/^bootstrap-percentile:200:seed=7:/);
  });

  it('stamps the split on every row and maps answers to the fixed label set (confusion matrix, invalid answers)', async () => {
    const g = fakeGenerator();
    const sloppy: Generator = {
      ...g,
      async generate(ps, o) {
        const out = await g.generate(ps, o);
        // "Spam." instead of " spam", and junk for every ham answer.
        return out.map((x, i) => ({ ...x, text: x.text === ' spam' ? ' Spam.' : x.text === ' ham' ? ` no idea ${i}` : x.text }));
      },
    };
    const r = await evaluateSubject({ ...base, subject: 'finetuned', provider: textModelProvider(sloppy, 'fake'), perturbations: [], split: 'val', labels: { classify: ['spam', 'ham'] } });
    expect(new Set(r.rows.map((x) => x.split))).toEqual(new Set(['val']));
    const v = (metric: string) => r.rows.find((x) => x.slice === 'classify' && x.metric === metric)!.value;
    const spam = test.filter((e) => e.category === 'classify' && e.completion === ' spam').length;
    expect(v('accuracy')).toBeCloseTo(spam / 4, 12);
    expect(v('invalid_rate')).toBeCloseTo(1 - spam / 4, 12);
    expect(r.confusion.filter((c) => c.slice === 'classify').sort((a, b) => a.gold.localeCompare(b.gold))).toEqual([
      { subject: 'finetuned', split: 'val', slice: 'classify', gold: 'ham', predicted: null, count: 4 - spam },
      { subject: 'finetuned', split: 'val', slice: 'classify', gold: 'spam', predicted: 'spam', count: spam },
    ]);
  });
});

describe('majority-class baseline', () => {
  it('answers the most frequent training label of each classification slice', () => {
    expect(majorityLabel([' spam', ' ham', ' ham', 'junk'], ['ham', 'spam'])).toBe('ham');
    expect(majorityLabel([' spam', ' ham'], ['ham', 'spam'])).toBe('ham'); // tie: first in sorted order
    const trainHam = train.filter((e) => e.category === 'classify' && e.completion === ' ham').length;
    const trainSpam = train.filter((e) => e.category === 'classify' && e.completion === ' spam').length;
    const majority = trainHam >= trainSpam ? 'ham' : 'spam';
    const { rows, confusion } = evaluateMajority({ test, train });
    expect(new Set(rows.map((x) => x.slice))).toEqual(new Set(['classify'])); // `all` mixes in generation
    const gold = test.filter((e) => e.category === 'classify').map((e) => e.completion.trim());
    const acc = gold.filter((x) => x === majority).length / gold.length;
    const row = (m: string) => rows.find((x) => x.metric === m)!;
    expect(row('accuracy').value).toBeCloseTo(acc, 12);
    // Macro-F1 over the two labels: the majority class has F1 = 2acc/(1+acc), the other 0.
    expect(row('f1_macro').value).toBeCloseTo((2 * acc) / (1 + acc) / 2, 12);
    expect(rows.every((x) => x.subject === 'majority' && x.split === 'test' && x.perturbation === 'none')).toBe(true);
    expect(row('accuracy').ciLow).toBeLessThanOrEqual(acc);
    expect(confusion.every((c) => c.predicted === majority)).toBe(true);
    expect(confusion.reduce((a, c) => a + c.count, 0)).toBe(gold.length);
  });
});

describe('evaluateSubject through a provider', () => {
  it('scores a failed request as an empty answer, counts it, and keeps going; no perplexity without prompt log-probabilities', async () => {
    const sent: ChatRequest[] = [];
    const api: Provider = {
      type: 'openai', model: 'gpt-test', endpoint: 'http://127.0.0.1:9/v1',
      async complete(requests) {
        sent.push(...requests);
        return requests.map((r, i) => (i === 1
          ? { text: '', promptTokens: 0, completionTokens: 0, finishReason: 'error', error: '500 Internal Server Error after 5 attempts' }
          : { text: ' spam', promptTokens: 40, completionTokens: 2, finishReason: 'stop', ...(i === 2 ? { cached: true } : {}) }));
      },
    };
    const r = await evaluateSubject({ ...base, subject: 'gpt', provider: api, prompt: 'few_shot', k: 2, system: 'Answer only.', perturbations: ['lowercase'] });
    expect(sent[0]!.messages[0]).toEqual({ role: 'system', content: 'Answer only.' });
    expect(sent[0]!.messages.filter((m) => m.role === 'assistant')).toHaveLength(2);
    const clean = r.predictions.filter((p) => p.perturbation === 'none');
    expect(clean[1]!.prediction).toBe('');
    expect(clean[1]!.error).toBe('500 Internal Server Error after 5 attempts');
    expect(clean[0]).toMatchObject({ prediction: ' spam', promptTokens: 40, completionTokens: 2, demonstrations: 2 });
    expect(clean[2]!.cached).toBe(true);
    expect(r.subjectRow).toMatchObject({
      subject: 'gpt', kind: 'model', prompt: 'few_shot', k: 2, provider: 'openai', model: 'gpt-test', endpoint: 'http://127.0.0.1:9/v1',
      examples: test.length, answered: test.length - 1, requests: sent.length, errors: 1, cached: 1, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
    });
    expect(r.promptTokens).toBe(40 * (test.length - 1));
    expect(r.rows.some((x) => x.metric === 'perplexity')).toBe(false);
  });

  it('counts the clean answered requests whose API reported no usage; their per-request usage is stored as unknown (NULL), not 0', async () => {
    const api: Provider = {
      type: 'openai', model: 'gpt-test', endpoint: 'http://127.0.0.1:9/v1',
      async complete(requests) {
        // the first clean request reports usage, the others do not; the last one fails
        return requests.map((r, i) => (i === requests.length - 1 && r.key.startsWith('none')
          ? { text: '', promptTokens: 0, completionTokens: 0, finishReason: 'error', error: 'timeout' }
          : i === 0 ? { text: ' spam', promptTokens: 40, completionTokens: 2, finishReason: 'stop', usageReported: true } : { text: ' spam', promptTokens: 0, completionTokens: 0, finishReason: 'stop', usageReported: false }));
      },
    };
    const r = await evaluateSubject({ ...base, subject: 'gpt', provider: api, prompt: 'few_shot', k: 2, perturbations: [], apiTokenCounter: null });
    const clean = r.predictions.filter((p) => p.perturbation === 'none');
    expect(clean[0]).toMatchObject({ promptTokens: 40, completionTokens: 2 });
    expect(clean[1]!.promptTokens).toBeUndefined();
    expect(clean[1]!.completionTokens).toBeUndefined();
    // failed requests are not answered, so not "not reported" either
    expect(r.subjectRow).toMatchObject({ answered: test.length - 1, usageNotReported: test.length - 2, promptTokens: 40, completionTokens: 2 });
    // a local model reports everything
    const local = await evaluateSubject({ ...base, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], apiTokenCounter: null });
    expect(local.subjectRow.usageNotReported).toBe(0);
  });

  it('records how the model read its prompts: a chat-template model reads chat rows asked zero-shot through its template, everything else flat; an API gets messages', async () => {
    const label = 'tiny-llama/tokenizer_config.json sha256:0123456789ab';
    const rendered: string[] = [];
    const g = fakeGenerator();
    const withTemplate = {
      ...g,
      tokenizer: { ...g.tokenizer, chatTemplate: { label, render: (m: readonly { content: string }[]) => (rendered.push(m.at(-1)!.content), m.map((x) => x.content).join('\n')) } },
    };
    const asChat = (ex: Example): Example => ({ ...ex, meta: { chatMessages: [{ role: 'user', content: ex.prompt }, { role: 'assistant', content: ex.completion }] } });
    const chatTest = test.map(asChat);
    const zero = await evaluateSubject({ ...base, test: chatTest, provider: textModelProvider(withTemplate, 'tiny-llama'), perturbations: [], apiTokenCounter: null });
    expect(zero.subjectRow).toMatchObject({ prompt: 'zero_shot', promptFormat: 'chat_template', chatTemplate: label });
    expect(new Set(rendered)).toEqual(new Set(chatTest.map((ex) => ex.prompt))); // generation and perplexity both read the template
    // demonstrations are read as flat text even by a template model
    const few = await evaluateSubject({ ...base, subject: 'prompting', test: chatTest, provider: textModelProvider(withTemplate, 'tiny-llama'), perturbations: [], apiTokenCounter: null });
    expect(few.subjectRow).toMatchObject({ prompt: 'few_shot', promptFormat: 'flat' });
    expect(few.subjectRow).not.toHaveProperty('chatTemplate');
    const half = await evaluateSubject({ ...base, test: test.map((ex, i) => (i % 2 ? asChat(ex) : ex)), provider: textModelProvider(withTemplate, 'tiny-llama'), perturbations: [], apiTokenCounter: null });
    expect(half.subjectRow).toMatchObject({ promptFormat: 'mixed', chatTemplate: label });
    // no template: flat, whatever the rows are
    const plain = await evaluateSubject({ ...base, test: chatTest, provider: textModelProvider(fakeGenerator(), 'fake'), perturbations: [], apiTokenCounter: null });
    expect(plain.subjectRow).toMatchObject({ promptFormat: 'flat' });
    const api: Provider = { type: 'openai', model: 'gpt-test', endpoint: 'http://127.0.0.1:9/v1', complete: async (rs) => rs.map(() => ({ text: ' spam', promptTokens: 1, completionTokens: 1, finishReason: 'stop' })) };
    expect((await evaluateSubject({ ...base, test: chatTest, subject: 'gpt', provider: api, perturbations: [], apiTokenCounter: null })).subjectRow).toMatchObject({ promptFormat: 'messages' });
  });

  it('records what a local model\'s context cut: dropped demonstrations, examples that saw none, inputs cut', async () => {
    const g = fakeGenerator();
    const small = { ...g, nCtx: 16 + 96 }; // room for about one input (maxNewTokens 16)
    const r = await evaluateSubject({ ...base, subject: 'prompting', provider: textModelProvider(small, 'tiny'), perturbations: [] });
    const s = r.subjectRow;
    expect(s.k).toBe(2);
    expect(s.demonstrationsDropped).toBe(test.length);
    expect(s.noDemonstrations).toBe(test.length);
    const p = r.predictions[0]!;
    expect(p.demonstrations).toBe(2);
    expect(p.demonstrationsDropped).toBe(2);
    for (const prompt of g.prompts) expect(Buffer.byteLength(prompt)).toBeLessThanOrEqual(96);
    expect(s.inputsCut).toBe(r.predictions.filter((x) => (x.tokensCut ?? 0) > 0).length);
  });
});
