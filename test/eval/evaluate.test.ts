import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import { evaluateSubject, inferSliceKinds, type Generator } from '../../src/eval/evaluate.js';
import { DEFAULT_METRICS } from '../../src/eval/metrics/registry.js';
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

describe('evaluateSubject', () => {
  it('produces every (perturbation x slice x metric) row', async () => {
    const perturbations = ['typos', 'lowercase', 'spaces', 'contractions'];
    const r = await evaluateSubject({ ...base, model: fakeGenerator(), perturbations });
    const keys = new Set(r.rows.map((x) => `${x.perturbation}|${x.slice}|${x.metric}`));
    const expected: string[] = [];
    const sliceMetrics: [string, readonly string[]][] = [
      ['all', DEFAULT_METRICS.generation],
      ['classify', DEFAULT_METRICS.classification],
      ['subject', DEFAULT_METRICS.generation],
    ];
    for (const [slice, ms] of sliceMetrics) {
      for (const m of ms) for (const p of ['none', ...perturbations, 'worst_case']) expected.push(`${p}|${slice}|${m}`);
      expected.push(`none|${slice}|perplexity`);
      for (const p of perturbations) expected.push(`${p}|${slice}|consistency`, `${p}|${slice}|input_change_rate`);
      expected.push(`worst_case|${slice}|consistency`);
    }
    expect([...keys].sort()).toEqual(expected.sort());
    expect(r.rows.length).toBe(expected.length); // no duplicates
    expect(r.rows.every((x) => x.subject === 'base' && typeof x.signature === 'string' && x.signature.length > 0)).toBe(true);
  });

  it('scores clean inputs as the rules say and perplexity from token NLL', async () => {
    const r = await evaluateSubject({ ...base, model: fakeGenerator(), perturbations: [] });
    const v = (slice: string, metric: string, p = 'none') => r.rows.find((x) => x.slice === slice && x.metric === metric && x.perturbation === p)!;
    expect(v('classify', 'accuracy').value).toBe(1);
    expect(v('classify', 'accuracy').n).toBe(4);
    expect(v('subject', 'exact_match').value).toBe(100);
    expect(v('all', 'perplexity').value).toBeCloseTo(Math.exp(0.5), 12);
    expect(v('all', 'perplexity').n).toBe(test.reduce((a, e) => a + Buffer.byteLength(e.completion), 0));
  });

  it('does not regenerate unchanged inputs and does not double-count them', async () => {
    const g = fakeGenerator();
    const r = await evaluateSubject({ ...base, model: g, perturbations: ['contractions', 'lowercase'] });
    const changed = (p: string) => r.rows.find((x) => x.perturbation === p && x.slice === 'all' && x.metric === 'input_change_rate')!;
    expect(g.prompts.length).toBe(test.length + Math.round(changed('contractions').value * test.length) + Math.round(changed('lowercase').value * test.length));
    // Prediction rows: all clean + only the changed perturbed ones.
    expect(r.predictions.filter((p) => p.perturbation === 'contractions').length).toBe(Math.round(changed('contractions').value * test.length));
    const cons = r.rows.find((x) => x.perturbation === 'contractions' && x.slice === 'all' && x.metric === 'consistency')!;
    expect(cons.n).toBe(Math.round(changed('contractions').value * test.length));
  });

  it('lowercase keeps classification consistent but changes subjects; worst case is never better than any variant', async () => {
    const r = await evaluateSubject({ ...base, model: fakeGenerator(), perturbations: ['lowercase', 'typos'], perturbationParams: { typos: { prob: 0.3 } } });
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
    const r = await evaluateSubject({ ...base, model: fakeGenerator(), perturbations: ['typos', 'synonyms'] });
    for (const p of r.predictions) expect(p.reference).toBe(test.find((e) => e.id === p.exampleId)!.completion);
    expect(r.examples).toBe(test.length);
    expect(r.promptTokens).toBe(test.reduce((a, e) => a + Buffer.byteLength(e.prompt), 0));
    expect(r.evalPromptTokens).toBeGreaterThan(r.promptTokens);
  });

  it('builds the baseline prompts: prompting and RAG prompts are longer than base', async () => {
    const tokens: Record<string, number> = {};
    for (const subject of ['base', 'prompting', 'rag'] as const) {
      tokens[subject] = (await evaluateSubject({ ...base, subject, model: fakeGenerator(), perturbations: [] })).promptTokens;
    }
    expect(tokens.prompting).toBeGreaterThan(tokens.base!);
    expect(tokens.rag).toBeGreaterThan(tokens.base!);
  });

  it('restricts to the requested metrics and rejects unknown names', async () => {
    const r = await evaluateSubject({ ...base, model: fakeGenerator(), perturbations: [], metrics: ['accuracy', 'bleu'] });
    expect(new Set(r.rows.map((x) => x.metric))).toEqual(new Set(['accuracy', 'bleu']));
    await expect(evaluateSubject({ ...base, model: fakeGenerator(), perturbations: [], metrics: ['blue'] })).rejects.toThrow(UnknownNameError);
    await expect(evaluateSubject({ ...base, model: fakeGenerator(), perturbations: ['typo'] })).rejects.toThrow(UnknownNameError);
  });

  it('infers slice kinds from the references', () => {
    const kinds = inferSliceKinds(test, train);
    expect(Object.fromEntries(kinds)).toEqual({ classify: 'classification', subject: 'generation' });
    expect(Object.fromEntries(inferSliceKinds(test, train, { subject: 'classification' }))).toMatchObject({ subject: 'classification' });
  });
});
