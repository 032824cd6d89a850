import { describe, expect, it } from 'vitest';
import { DEFAULT_API_SYSTEM, evaluateSchema } from '../../src/experiment/schema.js';
import { evaluationSubjects } from '../../src/experiment/subjects.js';
import { checkSubjects } from '../../src/experiment/plan-checks.js';
import { defineExperiment } from '../../src/experiment/define.js';

const api = { type: 'openai', baseURL: 'http://127.0.0.1:8000/v1', model: 'gpt-4o-mini', apiKeyEnv: 'FTE_TEST_KEY' } as const;

describe('evaluate.baselines and evaluate.models', () => {
  it('keeps strings as local baselines with their default prompts', () => {
    const e = evaluateSchema.parse({});
    expect(evaluationSubjects(e)).toEqual([
      { name: 'base', kind: 'base', prompt: 'zero_shot', k: 0, provider: { type: 'local' }, field: 'evaluate.baselines[0]' },
      { name: 'prompting', kind: 'prompting', prompt: 'few_shot', k: 3, provider: { type: 'local' }, field: 'evaluate.baselines[1]' },
      { name: 'rag', kind: 'rag', prompt: 'bm25', k: 3, provider: { type: 'local' }, field: 'evaluate.baselines[2]' },
    ]);
  });

  it('resolves provider objects, names, k and the default system message of API subjects', () => {
    const e = evaluateSchema.parse({
      fewShotK: 2,
      baselines: ['base', { kind: 'prompting', k: 4, provider: api }, { kind: 'rag', name: 'rag-llama', provider: { type: 'openai', baseURL: 'http://localhost:11434/v1', model: 'llama3.2' }, system: 'Be brief.' }],
      models: [{ name: 'my-ft', provider: { type: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'ft:gpt-4o-mini:acme' } }],
    });
    const s = evaluationSubjects(e);
    expect(s.map((x) => [x.name, x.kind, x.prompt, x.k, x.system])).toEqual([
      ['base', 'base', 'zero_shot', 0, undefined],
      ['prompting', 'prompting', 'few_shot', 4, DEFAULT_API_SYSTEM],
      ['rag-llama', 'rag', 'bm25', 3, 'Be brief.'],
      ['my-ft', 'model', 'zero_shot', 0, DEFAULT_API_SYSTEM],
    ]);
    expect(s[1]!.provider).toEqual(api);
    // '' turns the default system message off
    expect(evaluationSubjects(evaluateSchema.parse({ system: '', baselines: [{ kind: 'base', provider: api }] }))[0]!.system).toBeUndefined();
  });

  it('refuses duplicate and reserved subject names, unknown provider types and bad URLs, naming the field', () => {
    const issue = (input: unknown) => {
      const r = evaluateSchema.safeParse(input);
      expect(r.success).toBe(false);
      return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    expect(issue({ baselines: ['prompting', { kind: 'prompting', provider: api }] })).toMatch(/baselines\.1: a subject name not already used by evaluate\.baselines\[0\]/);
    expect(issue({ models: [{ name: 'finetuned', provider: api }] })).toMatch(/models\.0\.name: finetuned and majority are reserved/);
    expect(issue({ baselines: [{ kind: 'base', provider: { type: 'anthropic', model: 'x' } }] })).toMatch(/baselines\.0/);
    expect(issue({ baselines: [{ kind: 'base', provider: { ...api, baseURL: 'localhost:8000' } }] })).toMatch(/baseURL: an http\(s\) URL/);
    expect(issue({ baselines: [{ kind: 'base', provider: { ...api, apiKey: 'sk-123' } }] })).toMatch(/apiKey/);
  });

  it('a spec naming an unset API key variable is refused before any work, naming the field and the variable only', () => {
    const spec = defineExperiment({ name: 'x', model: { base: 'm' }, dataset: 'd', evaluate: { baselines: ['base', { kind: 'prompting', provider: api }] } });
    expect(() => checkSubjects(spec, {})).toThrow('evaluate.baselines[1].provider.apiKeyEnv: environment variable FTE_TEST_KEY is not set');
    expect(() => checkSubjects(spec, { FTE_TEST_KEY: 'sk-secret' })).not.toThrow();
    const local = defineExperiment({ name: 'x', model: { base: 'm' }, dataset: 'd', evaluate: { models: [{ name: 'ft', provider: { type: 'local', checkpoint: '/nonexistent/ckpt' } }] } });
    expect(() => checkSubjects(local, {})).toThrow(/evaluate\.models\[0\]\.provider\.checkpoint: \/nonexistent\/ckpt: not a checkpoint folder/);
  });
});

describe('spec errors about providers (one line, field named, secrets never echoed)', () => {
  const err = (evaluate: unknown) => {
    try {
      defineExperiment({ name: 'x', model: { base: 'm' }, dataset: 'd', evaluate } as never);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  it('names the known provider types, baseline kinds and provider fields', () => {
    expect(err({ baselines: [{ kind: 'base', provider: { type: 'anthropic', model: 'x' } }] })).toBe('evaluate.baselines[0].provider.type: expected one of local, openai, got "anthropic"');
    expect(err({ baselines: [{ kind: 'bse' }] })).toBe('evaluate.baselines[0].kind: expected one of base, prompting, rag, got "bse"');
    expect(err({ baselines: ['prompt'] })).toBe('evaluate.baselines[0]: expected one of base, prompting, rag, got "prompt"');
    expect(err({ baselines: [{ kind: 'base', provider: { ...api, retries: 3 } }] })).toMatch(/^evaluate\.baselines\[0\]\.provider\.retries: unknown field; known: type, checkpoint, baseURL/);
  });
  it('never echoes a key written in the spec, in a URL or under a wrong field', () => {
    const literal = err({ baselines: [{ kind: 'base', provider: { type: 'anthropic', model: 'x', apiKey: 'sk-LEAKED-777xyz' } }] });
    expect(literal).not.toContain('LEAKED');
    expect(err({ baselines: [{ kind: 'base', provider: { ...api, apiKey: 'sk-LEAKED-777xyz' } }] })).toBe('evaluate.baselines[0].provider.apiKey: unknown field: keys are never written in a spec; put the key in an environment variable and name the variable in apiKeyEnv');
    const url = err({ baselines: [{ kind: 'base', provider: { ...api, baseURL: 'http://user:sk-URLSECRET999@127.0.0.1:1/v1' } }] });
    expect(url).toMatch(/^evaluate\.baselines\[0\]\.provider\.baseURL: expected an http\(s\) URL without credentials/);
    expect(url).not.toContain('URLSECRET');
  });
  it('refuses malformed URLs and timeouts beyond what a timer can hold', () => {
    expect(err({ baselines: [{ kind: 'base', provider: { ...api, baseURL: 'http://exa mple.com:99999/v1' } }] })).toMatch(/provider\.baseURL: expected an http\(s\) URL/);
    expect(err({ baselines: [{ kind: 'base', provider: { ...api, baseURL: 'localhost:8000/v1' } }] })).toMatch(/provider\.baseURL/);
    expect(err({ baselines: [{ kind: 'base', provider: { ...api, timeoutMs: 3_000_000_000 } }] })).toMatch(/provider\.timeoutMs: expected a number <= 2147483647/);
  });
});
