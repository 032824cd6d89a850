/**
 * The `openai` provider: any OpenAI-compatible chat-completions endpoint (OpenAI, Azure's OpenAI-style
 * endpoint, vLLM, llama.cpp server, Ollama, LM Studio, `fte serve`) through the official `openai` client.
 *
 * Each `ChatRequest` becomes one `POST <baseURL>/chat/completions` with body
 * `{ model, messages, max_tokens, temperature (default 0), top_p?, stop?, seed? }`; the server applies the
 * stop sequences and its text is returned exactly as sent (nothing trimmed or cut).
 *
 * Retries and timeouts are the client's own: up to `maxRetries` retries (default 4) on 408/409/429/5xx,
 * connection errors and timeouts, with exponential backoff (0.5 s doubling to 8 s, jittered) or the wait the
 * server asks for (`retry-after-ms`, `Retry-After`). `timeoutMs` (default 60000) bounds each attempt; here it
 * also covers reading the response body (see `attemptFetch`), so a server that stalls mid-body times out
 * and is retried like one that never answers.
 *
 * At most `concurrency` (default 4) requests are in flight per provider, across concurrent `complete` calls.
 * A request that still fails yields `{ text: '', finishReason: 'error', error, promptTokens: 0,
 * completionTokens: 0 }`, `error` being one line such as `429 Too Many Requests after 5 attempts: <server
 * message>`, `timeout after 60000 ms (5 attempts)`, `cannot connect to <baseURL>: connect ECONNREFUSED ...`,
 * `malformed JSON response: ...` or `response has no choices`; `complete` never rejects for one request.
 *
 * Usage: `usage.prompt_tokens` and `usage.completion_tokens` are taken only when both are finite counts
 * in [0, MAX_REPORTED_TOKENS] (`reportedCount`); otherwise (missing, half missing, negative, absurd) the
 * answer still counts but `usageReported` is false and both counts are 0, so a broken server can neither
 * crash the store nor make a subject look free (cost accounting estimates its tokens instead).
 *
 * With `cacheDir`, successful answers are stored in src/providers/cache.ts's response cache and a request
 * found there is answered from it (`cached: true`, nothing sent). `noCache` skips the lookups but still
 * writes, so it refreshes the cache.
 *
 * The API key is read once, at creation, from `env[spec.apiKeyEnv]`; it lives only in the client's memory:
 * never in cache files, log lines or error messages (a server echoing it back is redacted to `***`).
 */
import { STATUS_CODES } from 'node:http';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import pLimit from 'p-limit';
import { UserInputError } from '../errors.js';
import { ResponseCache, responseCacheKey, type CachedResponse } from './cache.js';
import { MAX_REPORTED_TOKENS, type ChatRequest, type Completion, type CompletionOptions, type OpenAIProviderSpec, type Provider } from './types.js';

export { MAX_REPORTED_TOKENS };

export interface OpenAIProviderOptions {
  /** Response cache folder (created when missing). Absent: nothing cached. */
  cacheDir?: string;
  /** Skip cache lookups (every request is sent); successful answers are still written. Default false. */
  noCache?: boolean;
  /** Where `spec.apiKeyEnv` is read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Receives one line per client event (each retry, each failed request) and per cache write failure. Default: nothing. */
  log?: (line: string) => void;
}

/** The `Authorization: Bearer` value sent when the spec names no key variable (local servers ignore it). */
export const PLACEHOLDER_API_KEY = 'fte-no-key';

/** OpenAI's limit on `stop` sequences per request. */
export const MAX_STOP_SEQUENCES = 4;

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 4;

/** Longest server message quoted in an `error` line (characters). */
const MAX_MESSAGE = 300;

type ChatBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

/** Per-request bookkeeping filled by the fetch wrapper: attempts made, the last error response's body. */
interface AttemptState {
  attempts: number;
  errorBody?: string;
}

/**
 * A `Provider` over an OpenAI-compatible endpoint (see the file comment).
 * @throws UserInputError (one line) when `spec.apiKeyEnv` is named but unset or empty in `env` (the message
 *   names the variable, never a value), `baseURL` is not an http(s) URL, `model` is empty, `concurrency` or
 *   `timeoutMs` is not a positive integer, `maxRetries` not a non-negative integer, or the cache folder
 *   cannot be created or written.
 */
export function createOpenAIProvider(spec: OpenAIProviderSpec, opts: OpenAIProviderOptions = {}): Provider {
  const baseURL = checkBaseURL(spec.baseURL);
  if (typeof spec.model !== 'string' || spec.model.trim() === '') throw new UserInputError('openai provider: model must be a non-empty string');
  const concurrency = checkInteger('concurrency', spec.concurrency ?? DEFAULT_CONCURRENCY, 1);
  const timeoutMs = checkInteger('timeoutMs', spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1);
  const maxRetries = checkInteger('maxRetries', spec.maxRetries ?? DEFAULT_MAX_RETRIES, 0);
  const env = opts.env ?? process.env;
  let apiKey = PLACEHOLDER_API_KEY;
  if (spec.apiKeyEnv !== undefined) {
    const value = env[spec.apiKeyEnv];
    if (value === undefined || value === '') {
      throw new UserInputError(`openai provider: environment variable ${spec.apiKeyEnv} (apiKeyEnv) is not set; export the API key in it`);
    }
    apiKey = value;
  }
  const secret = spec.apiKeyEnv !== undefined ? apiKey : undefined;
  const redact = (line: string): string => (secret ? line.split(secret).join('***') : line);
  const log = opts.log;
  const cache = opts.cacheDir !== undefined ? ResponseCache.open(opts.cacheDir) : undefined;

  const client = new OpenAI({
    apiKey,
    baseURL,
    maxRetries,
    timeout: timeoutMs,
    // Requests depend on the spec only, not on OPENAI_ORG_ID / OPENAI_PROJECT_ID in the environment.
    organization: null,
    project: null,
    logLevel: log ? 'info' : 'off',
    ...(log ? { logger: lineLogger((line) => log(redact(line))) } : {}),
  });
  const limit = pLimit(concurrency);

  async function send(body: ChatBody): Promise<Completion> {
    const state: AttemptState = { attempts: 0 };
    let response: unknown;
    try {
      response = await client.withOptions({ fetch: attemptFetch(state) }).chat.completions.create(body);
    } catch (err) {
      return failed(redact(describeFailure(err, state, { baseURL, timeoutMs })));
    }
    const parsed = parseResponse(response);
    return typeof parsed === 'string' ? failed(redact(parsed)) : { ...parsed };
  }

  async function one(request: ChatRequest, options: Omit<ChatBody, 'messages'>): Promise<Completion> {
    const body: ChatBody = { ...options, messages: request.messages.map((m) => ({ role: m.role, content: m.content })) };
    const parts = { baseURL, model: spec.model, body: body as unknown as Record<string, unknown> };
    if (cache && !opts.noCache) {
      const hit = await cache.get(responseCacheKey(parts));
      if (hit) return { ...hit, cached: true };
    }
    const c = await send(body);
    if (cache && c.error === undefined) {
      const entry: CachedResponse = {
        text: c.text,
        finishReason: c.finishReason,
        promptTokens: c.promptTokens,
        completionTokens: c.completionTokens,
        usageReported: c.usageReported ?? false,
      };
      await cache.put(parts, entry).catch((err: Error) => log?.(err.message));
    }
    if (c.error !== undefined) log?.(`request ${request.key} failed: ${c.error}`);
    return c;
  }

  return {
    type: 'openai',
    model: spec.model,
    endpoint: baseURL,
    /**
     * Answers every request (in order); each failure is an error `Completion`, never a rejection.
     * @throws UserInputError before any request when `opts` is invalid: `maxTokens` not a positive
     *   integer, more than 4 stop sequences, or an empty stop sequence.
     */
    async complete(requests: ChatRequest[], o: CompletionOptions): Promise<Completion[]> {
      const options = requestOptions(spec.model, o);
      return Promise.all(
        requests.map((r) =>
          limit(async () => {
            try {
              return await one(r, options);
            } catch (err) {
              return failed(redact(`request failed: ${oneLine((err as Error)?.message ?? String(err))}`));
            }
          }),
        ),
      );
    },
  };
}

/**
 * The request body without `messages`: `{ model, max_tokens, temperature, top_p?, stop?, seed? }`.
 * @throws UserInputError as `complete` documents.
 */
export function requestOptions(model: string, o: CompletionOptions): Omit<ChatBody, 'messages'> {
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 1) throw new UserInputError(`openai provider: maxTokens must be a positive integer, got ${o.maxTokens}`);
  if (o.stop && o.stop.length > MAX_STOP_SEQUENCES) {
    throw new UserInputError(`openai provider: at most ${MAX_STOP_SEQUENCES} stop sequences are allowed, got ${o.stop.length}`);
  }
  if (o.stop?.some((s) => typeof s !== 'string' || s === '')) throw new UserInputError('openai provider: stop sequences must be non-empty strings');
  return {
    model,
    max_tokens: o.maxTokens,
    temperature: o.temperature ?? 0,
    ...(o.topP !== undefined ? { top_p: o.topP } : {}),
    ...(o.stop && o.stop.length > 0 ? { stop: [...o.stop] } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  };
}

const failed = (error: string): Completion => ({ text: '', promptTokens: 0, completionTokens: 0, finishReason: 'error', error });

/**
 * A reported token count as stored: a finite number in [0, MAX_REPORTED_TOKENS], rounded; anything
 * else (negative, NaN/Infinity, too large, not a number) is undefined: usage not reported.
 */
export function reportedCount(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_REPORTED_TOKENS ? Math.round(v) : undefined;
}

/**
 * A successful Completion from a parsed response body, or the one-line reason it is unusable. Usage is
 * taken only when both counts pass `reportedCount`; else both are 0 and `usageReported` is false.
 */
function parseResponse(response: unknown): Completion | string {
  if (response === undefined || response === null) return 'empty response';
  if (typeof response === 'string') return `response is not JSON: ${quote(response)}`;
  if (typeof response !== 'object' || Array.isArray(response)) return 'response is not a JSON object';
  const r = response as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
  if (!Array.isArray(r.choices) || r.choices.length === 0) return 'response has no choices';
  const choice = r.choices[0] as { message?: { content?: unknown }; finish_reason?: unknown } | null;
  const message = choice?.message;
  if (!message || typeof message !== 'object') return 'response choice has no message';
  if (message.content !== undefined && message.content !== null && typeof message.content !== 'string') return 'response message content is not a string';
  const usage = r.usage && typeof r.usage === 'object' ? r.usage : undefined;
  const prompt = reportedCount(usage?.prompt_tokens);
  const completion = reportedCount(usage?.completion_tokens);
  // Usage counts only when both numbers are sane: a half-reported or absurd usage is not reported.
  const reported = prompt !== undefined && completion !== undefined;
  return {
    text: typeof message.content === 'string' ? message.content : '',
    promptTokens: reported ? prompt : 0,
    completionTokens: reported ? completion : 0,
    finishReason: typeof choice!.finish_reason === 'string' && choice!.finish_reason !== '' ? choice!.finish_reason : 'unknown',
    usageReported: reported,
  };
}

/** One line for a request the client gave up on. */
function describeFailure(err: unknown, state: AttemptState, ctx: { baseURL: string; timeoutMs: number }): string {
  const n = state.attempts;
  const times = n > 1 ? ` (${n} attempts)` : '';
  if (err instanceof APIConnectionTimeoutError) return `timeout after ${ctx.timeoutMs} ms${times}`;
  if (err instanceof APIConnectionError) return `cannot connect to ${ctx.baseURL}${times}: ${rootCause(err)}`;
  if (err instanceof APIError && typeof err.status === 'number') {
    const head = `${err.status} ${STATUS_CODES[err.status] ?? 'HTTP error'}${n > 1 ? ` after ${n} attempts` : ''}`;
    const msg = serverMessage(err, state.errorBody);
    return msg ? `${head}: ${msg}` : head;
  }
  if (err instanceof SyntaxError) return `malformed JSON response: ${oneLine(err.message)}`;
  return `request failed: ${oneLine((err as Error)?.message ?? String(err))}`;
}

/** The server's own words: `error.message`, `error` (a string), `detail`, `message`, or the raw body. */
function serverMessage(err: APIError, body: string | undefined): string {
  const fromError = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      for (const k of ['message', 'error', 'detail']) {
        const v = o[k];
        if (typeof v === 'string' && v.trim()) return v;
        if (v && typeof v === 'object') {
          const inner = fromError(v);
          if (inner) return inner;
        }
      }
    }
    return undefined;
  };
  let msg = fromError(err.error);
  if (!msg && body !== undefined && body.trim() !== '') {
    try {
      msg = fromError(JSON.parse(body)) ?? body;
    } catch {
      msg = body;
    }
  }
  return msg ? quote(msg) : '';
}

/** The deepest cause's message (`connect ECONNREFUSED 127.0.0.1:9`), or its code. */
function rootCause(err: Error): string {
  let cur: unknown = err;
  let best = err.message;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    const e = cur as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof e.message === 'string' && e.message.trim()) best = e.message;
    else if (typeof e.code === 'string') best = e.code;
    cur = e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
  }
  return oneLine(best);
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
const quote = (s: string): string => {
  const line = oneLine(s);
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
};

/**
 * The fetch the client uses for one request: counts attempts, and reads each response's body before
 * handing it back. The client's `timeout` timer runs around this whole call, so it then bounds headers
 * and body together (on its own it stops at the headers, and a server stalling mid-body would hang the
 * request forever); an overrun is an abort, which the client retries and finally reports as
 * `APIConnectionTimeoutError`. Error responses' bodies are kept: the client drops bodies that have no
 * `error` member (e.g. `{ "detail": ... }`).
 */
function attemptFetch(state: AttemptState): typeof fetch {
  return async (input, init) => {
    state.attempts++;
    const res = await fetch(input, init);
    const bytes = await res.arrayBuffer();
    if (!res.ok) state.errorBody = new TextDecoder().decode(bytes.slice(0, 4096));
    const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
    return new Response(nullBody ? null : bytes, { status: res.status, statusText: res.statusText, headers: sanitisedHeaders(res.headers, res.ok, bytes) });
  };
}

/** The longest wait between attempts a server may ask for (`Retry-After`, `retry-after-ms`): 60 s. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Response headers as the client should see them: a `Retry-After` / `retry-after-ms` longer than
 * MAX_RETRY_AFTER_MS is cut to it (a server asking for an hour would otherwise stall the whole
 * evaluation), and a successful body that is valid JSON is labelled `application/json` whatever the
 * server called it (some servers answer `text/plain`).
 */
export function sanitisedHeaders(headers: Headers, ok: boolean, body: ArrayBuffer): Headers {
  const out = new Headers(headers);
  const ms = out.get('retry-after-ms');
  if (ms !== null && !(Number(ms) <= MAX_RETRY_AFTER_MS)) out.set('retry-after-ms', String(MAX_RETRY_AFTER_MS));
  const ra = out.get('retry-after');
  if (ra !== null) {
    const secs = /^\s*\d+(\.\d+)?\s*$/.test(ra) ? Number(ra) : (Date.parse(ra) - Date.now()) / 1000;
    if (!(secs * 1000 <= MAX_RETRY_AFTER_MS)) out.set('retry-after', String(MAX_RETRY_AFTER_MS / 1000));
  }
  if (ok && !/json/i.test(out.get('content-type') ?? '')) {
    try {
      JSON.parse(new TextDecoder().decode(body));
      out.set('content-type', 'application/json');
    } catch {
      // not JSON: the client reports it as such
    }
  }
  return out;
}

/** The client's logger as one line per event (debug dropped). */
function lineLogger(log: (line: string) => void): OpenAI['logger'] {
  const emit = (level: string) => (message: string) => log(`openai ${level}: ${oneLine(String(message))}`);
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: () => undefined };
}

function checkBaseURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserInputError(`openai provider: baseURL '${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserInputError(`openai provider: baseURL '${raw}' must be http(s)`);
  return raw.replace(/\/+$/, '');
}

function checkInteger(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) {
    throw new UserInputError(`openai provider: ${name} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${v}`);
  }
  return v;
}
