/**
 * The response cache (src/providers/cache.ts): key format, round trips, atomic writes, bad files, and
 * sharing one folder between writers; plus the provider reading it through a real HTTP server.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { ResponseCache, responseCacheKey, type CachedResponse, type CacheKeyParts } from '../../src/providers/cache.js';
import { createOpenAIProvider } from '../../src/providers/openai.js';
import { startChatServer, type ChatServer } from './chat-server.js';

const dirs: string[] = [];
const servers: ChatServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fte-cache-'));
  dirs.push(d);
  return d;
}

const parts: CacheKeyParts = {
  baseURL: 'http://127.0.0.1:8000/v1',
  model: 'm',
  body: { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, temperature: 0 },
};
const response: CachedResponse = { text: 'hello', finishReason: 'stop', promptTokens: 3, completionTokens: 2, usageReported: true };

describe('responseCacheKey', () => {
  it('is sha256 hex of the canonical JSON of { baseURL, model, body }', () => {
    const canonical =
      '{"baseURL":"http://127.0.0.1:8000/v1","body":{"max_tokens":8,"messages":[{"content":"hi","role":"user"}],"model":"m","temperature":0},"model":"m"}';
    expect(responseCacheKey(parts)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('ignores field order and differs when the endpoint, model or any body field differs', () => {
    const reordered: CacheKeyParts = { model: 'm', body: { temperature: 0, max_tokens: 8, model: 'm', messages: [{ content: 'hi', role: 'user' }] }, baseURL: parts.baseURL };
    expect(responseCacheKey(reordered)).toBe(responseCacheKey(parts));
    const keys = new Set([
      responseCacheKey(parts),
      responseCacheKey({ ...parts, baseURL: 'http://127.0.0.1:8001/v1' }),
      responseCacheKey({ ...parts, model: 'n' }),
      responseCacheKey({ ...parts, body: { ...parts.body, max_tokens: 9 } }),
      responseCacheKey({ ...parts, body: { ...parts.body, stop: ['\n'] } }),
      responseCacheKey({ ...parts, body: { ...parts.body, messages: [{ role: 'user', content: 'hi ' }] } }),
    ]);
    expect(keys.size).toBe(6);
  });
});

describe('ResponseCache', () => {
  it('creates its folder, round-trips a response and keeps the request beside it', async () => {
    const dir = join(tmp(), 'a', 'b');
    const cache = ResponseCache.open(dir);
    const key = responseCacheKey(parts);
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.put(parts, response)).toBe(key);
    expect(await cache.get(key)).toEqual(response);
    expect(readdirSync(dir)).toEqual([`${key}.json`]);
    expect(JSON.parse(readFileSync(cache.path(key), 'utf8'))).toEqual({ version: 1, ...parts, response });
  });

  it('treats unreadable or wrongly shaped files as misses', async () => {
    const cache = ResponseCache.open(tmp());
    const key = responseCacheKey(parts);
    writeFileSync(cache.path(key), '{"version":1,"response":');
    expect(await cache.get(key)).toBeUndefined();
    writeFileSync(cache.path(key), JSON.stringify({ version: 1, response: { ...response, promptTokens: -1 } }));
    expect(await cache.get(key)).toBeUndefined();
    // an absurd count (written before the provider bounded usage) is a miss, never passed on to the store
    writeFileSync(cache.path(key), JSON.stringify({ version: 1, response: { ...response, completionTokens: 1e30 } }));
    expect(await cache.get(key)).toBeUndefined();
    writeFileSync(cache.path(key), JSON.stringify({ version: 2, response }));
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(parts, response); // replaced on the next success
    expect(await cache.get(key)).toEqual(response);
    expect(() => cache.path('../etc/passwd')).toThrow(/bad response cache key/);
  });

  it('many concurrent writers of one key (two handles on one folder) leave one valid file and no temporary files', async () => {
    const dir = tmp();
    const a = ResponseCache.open(dir);
    const b = ResponseCache.open(dir);
    const texts = Array.from({ length: 24 }, (_, i) => `answer ${i}`);
    await Promise.all(texts.map((text, i) => (i % 2 ? a : b).put(parts, { ...response, text })));
    expect(readdirSync(dir)).toEqual([`${responseCacheKey(parts)}.json`]);
    const got = await a.get(responseCacheKey(parts));
    expect(texts).toContain(got!.text);
  });

  it('a failed write is one line naming the file, and removes its temporary file', async () => {
    const dir = tmp();
    const cache = ResponseCache.open(dir);
    mkdirSync(cache.path(responseCacheKey(parts))); // a folder where the file should go: rename fails
    const err = await cache.put(parts, response).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toMatch(/^cannot write response cache file .*\.json: /);
    expect((err as Error).message).not.toMatch(/\n/);
    expect(readdirSync(dir)).toEqual([`${responseCacheKey(parts)}.json`]);
  });

  it('refuses a cache folder that is a file', () => {
    const file = join(tmp(), 'f');
    writeFileSync(file, 'x');
    expect(() => ResponseCache.open(file)).toThrow(UserInputError);
  });
});

describe('the provider over the cache (real HTTP server)', () => {
  it('a second provider on the same folder answers from it without a request, keyed by the request sent', async () => {
    const s = await startChatServer();
    servers.push(s);
    const cacheDir = tmp();
    const spec = { type: 'openai' as const, baseURL: s.baseURL, model: 'test-model', maxRetries: 0 };
    const request = { key: 'a', messages: [{ role: 'user' as const, content: 'cached?' }] };
    const [first] = await createOpenAIProvider(spec, { cacheDir, env: {} }).complete([request], { maxTokens: 5 });
    expect(s.count).toBe(1);
    // The file is named by the key of { baseURL, model, body } with the body the server received.
    const key = responseCacheKey({ baseURL: s.baseURL, model: 'test-model', body: s.requests[0]!.body });
    expect(readdirSync(cacheDir)).toEqual([`${key}.json`]);

    const [second] = await createOpenAIProvider(spec, { cacheDir, env: {} }).complete([request], { maxTokens: 5 });
    expect(s.count).toBe(1);
    expect(second).toEqual({ ...first, cached: true });

    // A trailing slash on baseURL is the same endpoint.
    const [third] = await createOpenAIProvider({ ...spec, baseURL: `${s.baseURL}/` }, { cacheDir, env: {} }).complete([request], { maxTokens: 5 });
    expect(third!.cached).toBe(true);
    expect(s.count).toBe(1);
  });
});
