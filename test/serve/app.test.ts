/**
 * `fte serve` in process: the real fastify server on 127.0.0.1 port 0 over a store built by real
 * sweeps (full, LoRA and QLoRA runs over one base; a LoRA run over a second base), spoken to over
 * real HTTP with fetch and the official `openai` client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_KEY, startServer, type RunningServer } from '../../src/serve/app.js';
import { createLocalProvider } from '../../src/providers/local.js';
import type { ChatMessage, Completion, CompletionOptions } from '../../src/providers/types.js';
import { withStore } from '../../src/store/open.js';
import { bestRun, type RunCheckpointRecord } from '../../src/store/queries.js';
import { loadForInference } from '../../src/train/index.js';
import { BASE_DIR, buildStore, type ServeStore } from './fixture.js';

const CAP = 300; // above the model context (256), so both the cap and the context check can be hit
const BODY_LIMIT = 64 * 1024;

let store: ServeStore;
let server: RunningServer;
let keyed: RunningServer;
const logLines: string[] = [];
let runs: RunCheckpointRecord[];
let sweeps: { sweepId: string; experiment: string | null }[];
let bestMethods: string;
let client: OpenAI;

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Classify each e-mail as spam or ham.' },
  { role: 'user', content: 'Subject: meeting moved to 3pm\n\nSee you there.\nLabel: ' },
  { role: 'assistant', content: 'ham' },
  { role: 'user', content: 'Subject: WIN A FREE CRUISE NOW\n\nClick here to claim your prize.\nLabel: ' },
];

function runOf(method: string, experiment = 'methods'): RunCheckpointRecord {
  const r = runs.find((x) => x.method === method && x.experiment === experiment);
  if (!r) throw new Error(`no ${method} run of ${experiment}`);
  return r;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}, base = server.url): Promise<{ status: number; json: any; text: string; type: string | null }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* SSE or empty */
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}

/** The same request answered in process: loadForInference (adapter merged into a fresh base) + createLocalProvider. */
async function inProcess(baseDir: string, checkpointDir: string | undefined, messages: ChatMessage[], opts: CompletionOptions): Promise<Completion> {
  const lm = await loadForInference(baseDir, checkpointDir, 'auto');
  try {
    const provider = createLocalProvider({ model: lm.model, tokenizer: lm.tokenizer, name: 'in-process' });
    return (await provider.complete([{ key: REQUEST_KEY, messages }], opts))[0]!;
  } finally {
    lm.dispose();
  }
}

function expectErrorBody(json: any, param?: string | null, code?: string | null): void {
  expect(Object.keys(json)).toEqual(['error']);
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof json.error.message).toBe('string');
  expect(json.error.message).not.toMatch(/\n|\bat .*\.[jt]s:\d+/);
  if (param !== undefined) expect(json.error.param).toBe(param);
  if (code !== undefined) expect(json.error.code).toBe(code);
}

beforeAll(async () => {
  store = buildStore({ methods: true });
  const cat = await withStore(store.db, { readOnly: true }, async (s) => {
    const c = await s.servingCatalog();
    const best = await bestRun(s.db, c.sweeps.find((x) => x.experiment === 'methods')!.sweepId);
    return { ...c, best: best!.runId };
  });
  runs = cat.runs;
  sweeps = cat.sweeps;
  bestMethods = cat.best;
  server = await startServer({ db: store.db, port: 0, maxTokensCap: CAP, bodyLimit: BODY_LIMIT, log: (l) => logLines.push(l) });
  keyed = await startServer({ db: store.db, port: 0, apiKey: 'sekrit-key', log: () => {} });
  client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await server?.close();
  await keyed?.close();
});

describe('GET /v1/models', () => {
  it('lists base, each sweep base (two bases here), every completed run and best:<experiment>, in the OpenAI list shape', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string; created: number; owned_by: string }[] };
    expect(body.object).toBe('list');
    for (const m of body.data) {
      expect(Object.keys(m).sort()).toEqual(['created', 'id', 'object', 'owned_by']);
      expect(m.object).toBe('model');
      expect(m.owned_by).toBe('fte');
      expect(Number.isInteger(m.created) && m.created > 1_600_000_000).toBe(true);
    }
    const ids = body.data.map((m) => m.id);
    expect(runs.map((r) => r.method).sort()).toEqual(['full', 'lora', 'lora', 'qlora']);
    expect(ids.sort()).toEqual(
      ['base', ...sweeps.map((s) => `base:${s.sweepId}`), ...runs.map((r) => r.runId), 'best:methods', 'best:other-base'].sort(),
    );
  });

  it('best:<experiment> is the store ranking\'s best run (same answer as the run id)', async () => {
    const m = await (await fetch(`${server.url}/models/best:methods`)).json();
    expect(m).toMatchObject({ id: 'best:methods', object: 'model', owned_by: 'fte' });
    const a = await post('/chat/completions', { model: 'best:methods', messages: MESSAGES, max_tokens: 12, logprobs: true });
    const b = await post('/chat/completions', { model: bestMethods, messages: MESSAGES, max_tokens: 12, logprobs: true });
    expect(a.status).toBe(200);
    expect(a.json.model).toBe('best:methods');
    expect(a.json.choices).toEqual(b.json.choices);
  });

  it('the official client lists the same ids; an unknown id is 404 model_not_found', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('base');
    expect(ids).toContain(bestMethods);
    const res = await fetch(`${server.url}/models/nope`);
    expect(res.status).toBe(404);
    expectErrorBody(await res.json(), 'model', 'model_not_found');
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers exactly as the in-process local provider, for the base and for full, LoRA and QLoRA runs (greedy and seeded sampling)', async () => {
    const subjects: [string, string, string | undefined][] = [
      ['base', BASE_DIR, undefined],
      ...(['lora', 'qlora', 'full'] as const).map((m): [string, string, string | undefined] => [runOf(m).runId, BASE_DIR, runOf(m).checkpointDir!]),
      [runOf('lora', 'other-base').runId, store.otherBaseDir, runOf('lora', 'other-base').checkpointDir!],
    ];
    for (const [model, baseDir, ckpt] of subjects) {
      for (const opts of [{ maxTokens: 16 }, { maxTokens: 12, temperature: 0.9, topP: 0.95, seed: 7 }] as CompletionOptions[]) {
        const res = await post('/chat/completions', {
          model, messages: MESSAGES, max_tokens: opts.maxTokens,
          ...(opts.temperature !== undefined ? { temperature: opts.temperature, top_p: opts.topP, seed: opts.seed } : {}),
        });
        expect(res.status, `${model}: ${res.text}`).toBe(200);
        const want = await inProcess(baseDir, ckpt, MESSAGES, opts);
        const choice = res.json.choices[0];
        expect(choice.message, model).toEqual({ role: 'assistant', content: want.text, refusal: null });
        expect(choice.finish_reason).toBe(want.finishReason === 'length' || want.finishReason === 'context' ? 'length' : 'stop');
        expect(res.json.usage).toEqual({ prompt_tokens: want.promptTokens, completion_tokens: want.completionTokens, total_tokens: want.promptTokens + want.completionTokens });
      }
    }
  });

  it("a run's answer uses its adapter: its token log-probabilities differ from the base's; swapping back restores the base exactly", async () => {
    const ask = async (model: string) => {
      const r = await post('/chat/completions', { model, messages: MESSAGES, max_tokens: 16, logprobs: true });
      expect(r.status).toBe(200);
      return { text: r.json.choices[0].message.content as string, lps: (r.json.choices[0].logprobs.content as { token: string; logprob: number }[]) };
    };
    const base1 = await ask('base');
    expect(base1.lps.length).toBeGreaterThan(0);
    expect(base1.lps.map((t) => t.token).join('')).toBe(base1.text);
    for (const method of ['lora', 'qlora', 'full']) {
      const run = await ask(runOf(method).runId);
      const differs = run.text !== base1.text || run.lps.some((t, i) => Math.abs(t.logprob - base1.lps[i]!.logprob) > 1e-5);
      expect(differs, `${method} run answers like the base`).toBe(true);
      expect(run.lps.every((t) => t.logprob <= 0 && Number.isFinite(t.logprob))).toBe(true);
    }
    const base2 = await ask('base');
    expect(base2).toEqual(base1);
  });

  it('the official client: non-streaming and streaming (with usage) give the same text; stop sequences cut the text', async () => {
    const model = runOf('lora').runId;
    const plain = await client.chat.completions.create({ model, messages: MESSAGES, max_tokens: 20 });
    expect(plain.object).toBe('chat.completion');
    expect(plain.id).toMatch(/^chatcmpl-/);
    expect(plain.model).toBe(model);
    expect(plain.choices).toHaveLength(1);
    expect(['stop', 'length']).toContain(plain.choices[0]!.finish_reason);
    const text = plain.choices[0]!.message.content!;
    expect(text.length).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({ model, messages: MESSAGES, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    let streamed = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const c of chunk.choices) {
        streamed += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(text);
    expect(finish).toBe(plain.choices[0]!.finish_reason);
    expect(usage).toEqual(plain.usage);

    const stopAt = text.trim()[0]!;
    const stopped = await client.chat.completions.create({ model, messages: MESSAGES, max_tokens: 20, stop: [stopAt, 'zzz'] });
    expect(stopped.choices[0]!.message.content).toBe(text.slice(0, text.indexOf(stopAt)));
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
  });

  it('sampling with a seed repeats; without one each request draws its own', async () => {
    const ask = async (extra: Record<string, unknown>) => (await post('/chat/completions', { model: 'base', messages: MESSAGES, max_tokens: 16, temperature: 1.5, ...extra })).json.choices[0].message.content as string;
    expect(await ask({ seed: 3 })).toBe(await ask({ seed: 3 }));
    const unseeded = new Set([await ask({}), await ask({}), await ask({})]);
    expect(unseeded.size).toBeGreaterThan(1);
  });

  it('the raw stream is data: {chunk} events ending with data: [DONE]', async () => {
    const r = await post('/chat/completions', { model: 'base', messages: MESSAGES, max_tokens: 5, stream: true });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/event-stream/);
    const events = r.text.split('\n\n').filter((e) => e !== '');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('one request at a time reaches the model: concurrent requests for different models each get their own answer', async () => {
    const models = ['base', runOf('lora').runId, runOf('qlora').runId, runOf('full').runId, runOf('lora', 'other-base').runId];
    const sequential = [];
    for (const model of models) sequential.push((await post('/chat/completions', { model, messages: MESSAGES, max_tokens: 10 })).json.choices);
    const concurrent = await Promise.all([...models, ...models].map((model) => post('/chat/completions', { model, messages: MESSAGES, max_tokens: 10 })));
    expect(concurrent.map((r) => r.json.choices)).toEqual([...sequential, ...sequential]);
  });

  it('logs one stderr line per request: method, path, model, status, prompt+completion tokens, ms', async () => {
    logLines.length = 0;
    await post('/chat/completions', { model: 'base', messages: MESSAGES, max_tokens: 3 });
    await post('/chat/completions', { model: 'nope', messages: MESSAGES });
    // onResponse runs once the response is flushed, possibly after the client has read it.
    for (let i = 0; i < 50 && logLines.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(logLines).toHaveLength(2);
    expect(logLines[0]).toMatch(/^POST \/v1\/chat\/completions model=base 200 tokens=\d+\+3 \d+ ms$/);
    expect(logLines[1]).toMatch(/^POST \/v1\/chat\/completions model=nope 404 tokens=- \d+ ms$/);
  });
});

describe('POST /v1/completions', () => {
  it('completes a text prompt as the in-process provider does with the prompt as the one user message', async () => {
    const prompt = 'Subject: lunch on friday?\n\nLabel: ';
    const res = await post('/completions', { model: runOf('qlora').runId, prompt, max_tokens: 12 });
    expect(res.status).toBe(200);
    expect(res.json.object).toBe('text_completion');
    expect(res.json.id).toMatch(/^cmpl-/);
    const want = await inProcess(BASE_DIR, runOf('qlora').checkpointDir!, [{ role: 'user', content: prompt }], { maxTokens: 12 });
    expect(res.json.choices).toEqual([{ index: 0, text: want.text, logprobs: null, finish_reason: want.finishReason === 'stop' || want.finishReason === 'eos' ? 'stop' : 'length' }]);
    expect(res.json.usage).toEqual({ prompt_tokens: want.promptTokens, completion_tokens: want.completionTokens, total_tokens: want.promptTokens + want.completionTokens });
  });

  it('a prompt longer than the context is cut from the left (the official client)', async () => {
    const prompt = 'x'.repeat(1000) + 'END';
    const c = await client.completions.create({ model: 'base', prompt, max_tokens: 6 });
    expect(c.usage).toMatchObject({ prompt_tokens: 256 - 6, completion_tokens: 6 });
    expect(c.choices[0]!.finish_reason).toBe('length');
    const same = await client.completions.create({ model: 'base', prompt: 'x'.repeat(247) + 'END', max_tokens: 6 });
    expect(same.choices[0]!.text).toBe(c.choices[0]!.text);
  });

  it('streams text_completion chunks ending with [DONE]', async () => {
    const r = await post('/completions', { model: 'base', prompt: 'Hello', max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    const events = r.text.split('\n\n').filter((e) => e !== '');
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(chunks[0].object).toBe('text_completion');
    expect(chunks.at(-1).usage).toMatchObject({ completion_tokens: 4 });
  });
});

describe('bad requests', () => {
  const chat = (extra: Record<string, unknown>) => ({ model: 'base', messages: MESSAGES, ...extra });
  const cases: [string, string, unknown, string | null, RegExp][] = [
    ['not JSON', '/chat/completions', '{"model": ', null, /not valid JSON/],
    ['an array body', '/chat/completions', [1, 2], null, /JSON object/],
    ['no model', '/chat/completions', { messages: MESSAGES }, 'model', /model: required/],
    ['a numeric model', '/chat/completions', { model: 3, messages: MESSAGES }, 'model', /non-empty string/],
    ['no messages', '/chat/completions', { model: 'base' }, 'messages', /messages: required/],
    ['empty messages', '/chat/completions', chat({ messages: [] }), 'messages', /at least one/],
    ['two user messages in a row', '/chat/completions', chat({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'user', content: 'c' }] }), 'messages', /messages\[1\]: expected role "assistant"/],
    ['an assistant message last', '/chat/completions', chat({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] }), 'messages', /last message must have role "user"/],
    ['a system message not first', '/chat/completions', chat({ messages: [{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }, { role: 'user', content: 'c' }] }), 'messages', /messages\[1\]: expected role "assistant", got "system"/],
    ['a tool message', '/chat/completions', chat({ messages: [{ role: 'tool', content: 'x' }] }), 'messages[0].role', /'tool' is not supported/],
    ['an image part', '/chat/completions', chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 'messages[0].content', /only text parts/],
    ['max_tokens over the cap', '/chat/completions', chat({ max_tokens: CAP + 1 }), 'max_tokens', /over this server's cap of 300/],
    ['max_tokens at the context', '/chat/completions', chat({ max_tokens: 256 }), 'max_tokens', /below the model's context of 256/],
    ['max_tokens 0', '/chat/completions', chat({ max_tokens: 0 }), 'max_tokens', /at least 1/],
    ['max_tokens 2.5', '/chat/completions', chat({ max_tokens: 2.5 }), 'max_tokens', /integer/],
    ['temperature 3', '/chat/completions', chat({ temperature: 3 }), 'temperature', /\[0, 2\]/],
    ['top_p 0', '/chat/completions', chat({ top_p: 0 }), 'top_p', /\(0, 1\]/],
    ['5 stop sequences', '/chat/completions', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop', /at most 4/],
    ['a numeric stop', '/chat/completions', chat({ stop: 3 }), 'stop', /string or an array of strings/],
    ['n 2', '/chat/completions', chat({ n: 2 }), 'n', /only 1/],
    ['a fractional seed', '/chat/completions', chat({ seed: 1.5 }), 'seed', /integer/],
    ['stream "yes"', '/chat/completions', chat({ stream: 'yes' }), 'stream', /boolean/],
    ['tools', '/chat/completions', chat({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools', /not supported/],
    ['top_logprobs', '/chat/completions', chat({ logprobs: true, top_logprobs: 3 }), 'top_logprobs', /not supported/],
    ['no prompt', '/completions', { model: 'base' }, 'prompt', /prompt: required/],
    ['a token-id prompt', '/completions', { model: 'base', prompt: [1, 2, 3] }, 'prompt', /only a string/],
    ['echo', '/completions', { model: 'base', prompt: 'a', echo: true }, 'echo', /not supported/],
  ];
  for (const [what, path, body, param, message] of cases) {
    it(`${what} -> 400 naming ${param ?? 'the body'}`, async () => {
      const r = await post(path, body);
      expect(r.status, r.text).toBe(400);
      expectErrorBody(r.json, param);
      expect(r.json.error.type).toBe('invalid_request_error');
      expect(r.json.error.message).toMatch(message);
    });
  }

  it('a non-JSON content type and an empty body -> 400', async () => {
    const plain = await post('/chat/completions', 'hello', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(400);
    expectErrorBody(plain.json, null);
    expect(plain.json.error.message).toMatch(/must be JSON/);
    const empty = await post('/chat/completions', '');
    expect(empty.status).toBe(400);
    expectErrorBody(empty.json, null);
  });

  it('the official client surfaces a 400 as BadRequestError', async () => {
    await expect(client.chat.completions.create({ model: 'base', messages: MESSAGES, n: 3 })).rejects.toMatchObject({ status: 400, param: 'n', type: 'invalid_request_error' });
    await expect(client.chat.completions.create({ model: 'nope', messages: MESSAGES })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('a body over --body-limit -> 413 with the error shape', async () => {
    const r = await post('/chat/completions', chat({ messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT + 10) }] }));
    expect(r.status).toBe(413);
    expectErrorBody(r.json, null, 'request_too_large');
    expect(r.json.error.message).toMatch(/65536 bytes/);
  });

  it('an unknown route -> 404 with the error shape', async () => {
    const r = await post('/embeddings', { model: 'base', input: 'x' });
    expect(r.status).toBe(404);
    expectErrorBody(r.json, null, 'not_found');
  });
});

describe('--api-key', () => {
  it('without or with a wrong bearer token -> 401; the right one answers (fetch and the official client)', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'sekrit-key' }] as Record<string, string>[]) {
      const r = await post('/chat/completions', { model: 'base', messages: MESSAGES, max_tokens: 2 }, headers, keyed.url);
      expect(r.status).toBe(401);
      expectErrorBody(r.json, null, 'invalid_api_key');
    }
    const models = await fetch(`${keyed.url}/models`);
    expect(models.status).toBe(401);
    const ok = await post('/chat/completions', { model: 'base', messages: MESSAGES, max_tokens: 2 }, { authorization: 'Bearer sekrit-key' }, keyed.url);
    expect(ok.status).toBe(200);

    const wrong = new OpenAI({ baseURL: keyed.url, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'base', messages: MESSAGES, max_tokens: 2 })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const right = new OpenAI({ baseURL: keyed.url, apiKey: 'sekrit-key', maxRetries: 0 });
    const c = await right.chat.completions.create({ model: 'base', messages: MESSAGES, max_tokens: 2 });
    expect(c.usage?.completion_tokens).toBe(2);
  });
});
