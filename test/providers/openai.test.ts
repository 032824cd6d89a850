/**
 * The `openai` provider against a real HTTP server on 127.0.0.1 (test/providers/chat-server.ts) through
 * the real `openai` client: request shape, key handling, the client's retries (429 with Retry-After, 5xx),
 * timeouts, malformed answers, the concurrency cap, and the response cache.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { createOpenAIProvider, MAX_RETRY_AFTER_MS, PLACEHOLDER_API_KEY, sanitisedHeaders } from '../../src/providers/openai.js';
import type { ChatRequest, Completion, OpenAIProviderSpec } from '../../src/providers/types.js';
import { startChatServer, type ChatServer, type ChatServerOptions } from './chat-server.js';

const KEY = 'sk-test-SECRET-0123456789';
const env = { FTE_TEST_KEY: KEY };

const servers: ChatServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function server(opts: ChatServerOptions = {}): Promise<ChatServer> {
  const s = await startChatServer(opts);
  servers.push(s);
  return s;
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fte-openai-'));
  dirs.push(d);
  return d;
}

const spec = (s: ChatServer, extra: Partial<OpenAIProviderSpec> = {}): OpenAIProviderSpec => ({
  type: 'openai',
  baseURL: s.baseURL,
  model: 'test-model',
  maxRetries: 0,
  ...extra,
});

const req = (key: string, input: string, system?: string): ChatRequest => ({
  key,
  messages: [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: input }],
});

const withoutCached = (cs: Completion[]) => cs.map(({ cached: _cached, ...c }) => c);

describe('openai provider: requests', () => {
  it('sends the documented body and the env key as bearer token, and maps the answer', async () => {
    const s = await server();
    const p = createOpenAIProvider(spec(s, { apiKeyEnv: 'FTE_TEST_KEY' }), { env });
    expect(p.type).toBe('openai');
    expect(p.model).toBe('test-model');
    expect(p.endpoint).toBe(s.baseURL);
    const [c] = await p.complete([req('a', 'hello', 'be brief')], { maxTokens: 16, stop: ['\n', 'END'], topP: 0.9, seed: 7 });
    expect(s.requests[0]!.body).toEqual({
      model: 'test-model',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 16,
      temperature: 0,
      top_p: 0.9,
      stop: ['\n', 'END'],
      seed: 7,
    });
    expect(s.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(c).toEqual({ text: 'echo:hello#1', promptTokens: 13, completionTokens: 12, finishReason: 'stop', usageReported: true });

    await p.complete([req('b', 'x')], { maxTokens: 4, temperature: 0.7 });
    expect(s.requests[1]!.body).toEqual({ model: 'test-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 4, temperature: 0.7 });
  });

  it('sends a placeholder key without apiKeyEnv, keeps request order, and reports missing usage', async () => {
    const s = await server({ noUsage: true, delayMs: 5 });
    const p = createOpenAIProvider(spec(s), { env: {} });
    const cs = await p.complete(
      Array.from({ length: 9 }, (_, i) => req(`k${i}`, `in${i}`)),
      { maxTokens: 8 },
    );
    expect(cs.map((c) => c.text.split('#')[0])).toEqual(Array.from({ length: 9 }, (_, i) => `echo:in${i}`));
    expect(cs.every((c) => c.promptTokens === 0 && c.completionTokens === 0 && c.usageReported === false)).toBe(true);
    expect(s.requests.every((r) => r.headers.authorization === `Bearer ${PLACEHOLDER_API_KEY}`)).toBe(true);
    expect(await p.complete([], { maxTokens: 8 })).toEqual([]);
  });

  it('absurd usage (huge, negative, not a number, half missing) is treated as not reported, never passed on', async () => {
    const usages: unknown[] = [
      { prompt_tokens: 5, completion_tokens: 1e30 },
      { prompt_tokens: -3, completion_tokens: 2 },
      { prompt_tokens: 'many', completion_tokens: 2 },
      { prompt_tokens: 1e9 + 1, completion_tokens: 2 },
      { prompt_tokens: 7 },
      null,
      { prompt_tokens: 1e9, completion_tokens: 0 },
    ];
    const s = await server({
      reply: (n) => ({ status: 200, json: { id: `c${n}`, object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `a${n}` }, finish_reason: 'stop' }], usage: usages[n - 1] } }),
    });
    const p = createOpenAIProvider({ ...spec(s), concurrency: 1 }, { env: {} });
    const cs = await p.complete(usages.map((_, i) => req(`k${i}`, `in${i}`)), { maxTokens: 8 });
    expect(cs.map((c) => [c.text, c.promptTokens, c.completionTokens, c.usageReported])).toEqual([
      ['a1', 0, 0, false],
      ['a2', 0, 0, false],
      ['a3', 0, 0, false],
      ['a4', 0, 0, false],
      ['a5', 0, 0, false],
      ['a6', 0, 0, false],
      // the bound itself is a count
      ['a7', 1e9, 0, true],
    ]);
    expect(cs.every((c) => c.error === undefined)).toBe(true);
  });

  it('throws one line naming the variable when apiKeyEnv is unset or empty, before any request', async () => {
    const s = await server();
    for (const e of [{}, { FTE_TEST_KEY: '' }]) {
      let err: unknown;
      try {
        createOpenAIProvider(spec(s, { apiKeyEnv: 'FTE_TEST_KEY' }), { env: e });
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(UserInputError);
      expect((err as Error).message).toMatch(/FTE_TEST_KEY/);
      expect((err as Error).message).not.toMatch(/\n/);
    }
    expect(s.count).toBe(0);
  });

  it('rejects more than 4 stop sequences and bad specs before any request', async () => {
    const s = await server();
    const p = createOpenAIProvider(spec(s), { env: {} });
    await expect(p.complete([req('a', 'x')], { maxTokens: 4, stop: ['a', 'b', 'c', 'd', 'e'] })).rejects.toThrow(
      /at most 4 stop sequences are allowed, got 5/,
    );
    await expect(p.complete([req('a', 'x')], { maxTokens: 0 })).rejects.toBeInstanceOf(UserInputError);
    expect(s.count).toBe(0);
    expect(() => createOpenAIProvider({ ...spec(s), baseURL: 'not a url' })).toThrow(UserInputError);
    expect(() => createOpenAIProvider({ ...spec(s), concurrency: 0 })).toThrow(/concurrency must be a positive integer/);
    expect(() => createOpenAIProvider({ ...spec(s), maxRetries: -1 })).toThrow(/maxRetries must be a non-negative integer/);
    expect(() => createOpenAIProvider({ ...spec(s), timeoutMs: 1.5 })).toThrow(/timeoutMs/);
  });
});

describe('openai provider: retries and failures (the client does the retrying)', () => {
  it('429 with Retry-After: 1 is retried after the wait the server asked for', async () => {
    const s = await server({
      reply: (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } } : undefined),
    });
    const lines: string[] = [];
    const p = createOpenAIProvider(spec(s, { maxRetries: 2, apiKeyEnv: 'FTE_TEST_KEY' }), { env, log: (l) => lines.push(l) });
    const t0 = Date.now();
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // the default first backoff is at most 0.5 s
    expect(c).toMatchObject({ text: 'echo:hi#2', finishReason: 'stop' });
    expect(c!.error).toBeUndefined();
    expect(s.count).toBe(2);
    expect(lines.some((l) => /429/.test(l) && /retrying/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toContain(KEY);
  });

  it('429 on every attempt: one error line after maxRetries + 1 attempts', async () => {
    const s = await server({ reply: () => ({ status: 429, headers: { 'retry-after-ms': '0' }, json: { error: { message: 'slow down' } } }) });
    const p = createOpenAIProvider(spec(s, { maxRetries: 2 }), { env: {} });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c).toEqual({ text: '', promptTokens: 0, completionTokens: 0, finishReason: 'error', error: '429 Too Many Requests after 3 attempts: slow down' });
    expect(s.count).toBe(3);
  });

  it('500 then success: retried with the default backoff', async () => {
    const s = await server({ reply: (n) => (n === 1 ? { status: 500, json: { error: { message: 'boom' } } } : undefined) });
    const p = createOpenAIProvider(spec(s, { maxRetries: 1 }), { env: {} });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c).toMatchObject({ text: 'echo:hi#2', finishReason: 'stop' });
    expect(s.count).toBe(2);
  });

  it('400 is not retried; a body without `error` (e.g. `{ detail }`) still gives the server message', async () => {
    const s = await server({
      reply: (_n, body) =>
        body.messages[0]!.content === 'bad'
          ? { status: 400, json: { error: { message: 'max_tokens is too large', type: 'invalid_request_error' } } }
          : { status: 422, json: { detail: 'messages: field required' } },
    });
    const p = createOpenAIProvider(spec(s, { maxRetries: 3 }), { env: {} });
    const [a, b] = await p.complete([req('a', 'bad'), req('b', 'other')], { maxTokens: 4 });
    expect(a!.error).toBe('400 Bad Request: max_tokens is too large');
    expect(b!.error).toBe('422 Unprocessable Entity: messages: field required');
    expect(s.count).toBe(2);
  });

  it('a request that never answers times out on every attempt', async () => {
    const s = await server({ reply: () => ({ hang: true }) });
    const p = createOpenAIProvider(spec(s, { maxRetries: 1, timeoutMs: 200 }), { env: {} });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c).toEqual({ text: '', promptTokens: 0, completionTokens: 0, finishReason: 'error', error: 'timeout after 200 ms (2 attempts)' });
    expect(s.count).toBe(2);
  });

  it('a body that stalls after the headers also times out (the timeout covers the body)', async () => {
    const s = await server({ reply: () => ({ stallBody: true }) });
    const p = createOpenAIProvider(spec(s, { maxRetries: 0, timeoutMs: 200 }), { env: {} });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c!.error).toBe('timeout after 200 ms');
    expect(s.count).toBe(1);
  });

  it('malformed JSON, a non-JSON body and missing choices are error completions (not retried)', async () => {
    const s = await server({
      reply: (_n, body) => {
        const input = body.messages[0]!.content;
        if (input === 'json') return { status: 200, text: '{"choices": [', contentType: 'application/json' };
        if (input === 'html') return { status: 200, text: '<html>proxy page</html>', contentType: 'text/html' };
        if (input === 'empty') return { status: 200, json: { id: 'x', choices: [] } };
        return { status: 200, json: { id: 'x' } };
      },
    });
    const p = createOpenAIProvider(spec(s, { maxRetries: 2 }), { env: {} });
    const cs = await p.complete([req('a', 'json'), req('b', 'html'), req('c', 'empty'), req('d', 'none')], { maxTokens: 4 });
    expect(cs[0]!.error).toMatch(/^malformed JSON response: /);
    expect(cs[1]!.error).toBe('response is not JSON: <html>proxy page</html>');
    expect(cs[2]!.error).toBe('response has no choices');
    expect(cs[3]!.error).toBe('response has no choices');
    for (const c of cs) expect(c).toMatchObject({ text: '', finishReason: 'error', promptTokens: 0, completionTokens: 0 });
    expect(cs.every((c) => !c.error!.includes('\n'))).toBe(true);
    expect(s.count).toBe(4);
  });

  it('a refused connection is an error completion naming the endpoint', async () => {
    const s = await server();
    const baseURL = s.baseURL;
    await s.close();
    servers.length = 0;
    const p = createOpenAIProvider({ type: 'openai', baseURL, model: 'm', maxRetries: 0 }, { env: {} });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c!.finishReason).toBe('error');
    expect(c!.error).toMatch(new RegExp(`^cannot connect to ${baseURL.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`));
  });

  it('never puts the key in an error, even when the server echoes it', async () => {
    const s = await server({ reply: () => ({ status: 401, json: { error: { message: `Incorrect API key provided: ${KEY}.` } } }) });
    const p = createOpenAIProvider(spec(s, { apiKeyEnv: 'FTE_TEST_KEY', maxRetries: 2 }), { env });
    const [c] = await p.complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c!.error).toBe('401 Unauthorized: Incorrect API key provided: ***.');
    expect(s.count).toBe(1);
  });
});

describe('openai provider: concurrency', () => {
  it('keeps at most `concurrency` requests in flight, across concurrent complete calls', async () => {
    const s = await server({ delayMs: 60 });
    const p = createOpenAIProvider(spec(s, { concurrency: 3 }), { env: {} });
    const cs = await p.complete(Array.from({ length: 10 }, (_, i) => req(`k${i}`, `in${i}`)), { maxTokens: 4 });
    expect(cs.every((c) => c.error === undefined)).toBe(true);
    expect(s.maxInFlight).toBe(3);
    const both = await Promise.all([
      p.complete(Array.from({ length: 6 }, (_, i) => req(`a${i}`, `a${i}`)), { maxTokens: 4 }),
      p.complete(Array.from({ length: 6 }, (_, i) => req(`b${i}`, `b${i}`)), { maxTokens: 4 }),
    ]);
    expect(both.flat()).toHaveLength(12);
    expect(s.maxInFlight).toBe(3);
    expect(s.count).toBe(22);
  });
});

describe('openai provider: response cache', () => {
  it('a re-run with the same cacheDir sends nothing and returns identical completions', async () => {
    const s = await server();
    const cacheDir = join(tmp(), 'cache');
    const requests = [req('a', 'one'), req('b', 'two', 'sys'), req('c', 'three')];
    const options = { maxTokens: 8, stop: ['\n'] };
    const first = await createOpenAIProvider(spec(s, { apiKeyEnv: 'FTE_TEST_KEY' }), { env, cacheDir }).complete(requests, options);
    expect(s.count).toBe(3);
    expect(first.every((c) => c.cached === undefined && c.error === undefined)).toBe(true);

    const again = await createOpenAIProvider(spec(s, { apiKeyEnv: 'FTE_TEST_KEY' }), { env, cacheDir }).complete(requests, options);
    expect(s.count).toBe(3);
    expect(again.every((c) => c.cached === true)).toBe(true);
    expect(withoutCached(again)).toEqual(first);

    const files = readdirSync(cacheDir);
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(3);
    expect(files.every((f) => /^[0-9a-f]{64}\.json$/.test(f))).toBe(true); // no temporary files left
    for (const f of files) expect(readFileSync(join(cacheDir, f), 'utf8')).not.toContain(KEY);

    // Other decoding options are other requests.
    await createOpenAIProvider(spec(s), { env, cacheDir }).complete(requests.slice(0, 1), { maxTokens: 9, stop: ['\n'] });
    expect(s.count).toBe(4);
  });

  it('noCache sends every request again (and refreshes the entries); failures are never cached', async () => {
    let failing = true;
    const s = await server({ reply: (_n, body) => (failing && body.messages[0]!.content === 'bad' ? { status: 400, json: { error: { message: 'no' } } } : undefined) });
    const cacheDir = tmp();
    const requests = [req('a', 'good'), req('b', 'bad')];
    const first = await createOpenAIProvider(spec(s), { cacheDir }).complete(requests, { maxTokens: 4 });
    expect(first[1]!.error).toBe('400 Bad Request: no');
    expect(readdirSync(cacheDir)).toHaveLength(1);

    const fresh = await createOpenAIProvider(spec(s), { cacheDir, noCache: true }).complete(requests, { maxTokens: 4 });
    expect(s.count).toBe(4);
    expect(fresh[0]!.text).not.toBe(first[0]!.text); // answered again (the server numbers its answers)
    expect(fresh[0]!.cached).toBeUndefined();

    failing = false;
    const later = await createOpenAIProvider(spec(s), { cacheDir }).complete(requests, { maxTokens: 4 });
    expect(s.count).toBe(5); // only the failed one is sent
    expect(later[0]).toMatchObject({ text: fresh[0]!.text, cached: true }); // refreshed by the noCache run
    expect(later[1]).toMatchObject({ text: 'echo:bad#5' });
    expect(later[1]!.cached).toBeUndefined();
  });
});

describe('openai provider: what a server may not impose', () => {
  const enc = (t: string) => new TextEncoder().encode(t).buffer as ArrayBuffer;
  it('cuts a Retry-After longer than 60 s to 60 s (seconds, HTTP date, retry-after-ms); shorter ones pass', () => {
    expect(sanitisedHeaders(new Headers({ 'retry-after': '3600' }), false, enc('')).get('retry-after')).toBe('60');
    expect(sanitisedHeaders(new Headers({ 'retry-after': new Date(Date.now() + 7_200_000).toUTCString() }), false, enc('')).get('retry-after')).toBe('60');
    expect(sanitisedHeaders(new Headers({ 'retry-after-ms': '10000000' }), false, enc('')).get('retry-after-ms')).toBe(String(MAX_RETRY_AFTER_MS));
    expect(sanitisedHeaders(new Headers({ 'retry-after': '2' }), false, enc('')).get('retry-after')).toBe('2');
    expect(sanitisedHeaders(new Headers({ 'retry-after': 'soon' }), false, enc('')).get('retry-after')).toBe('60');
  });
  it('reads a valid JSON answer served as text/plain', async () => {
    const body = { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: ' ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };
    const s = await server({ reply: () => ({ status: 200, text: JSON.stringify(body), contentType: 'text/plain' }) });
    const [c] = await createOpenAIProvider(spec(s), { env: {} }).complete([req('a', 'hi')], { maxTokens: 4 });
    expect(c).toMatchObject({ text: ' ok', promptTokens: 3, completionTokens: 1 });
    expect(c!.error).toBeUndefined();
  });
});
