/**
 * `fte serve`: an OpenAI-compatible HTTP server (fastify) over the store's models.
 *
 * Routes (all under `/v1`):
 * - `GET /v1/models` -> `{object: 'list', data: [{id, object: 'model', created, owned_by: 'fte'}]}`
 *   (ids: src/serve/catalog.ts); `GET /v1/models/:id` -> one such object. Both re-read the store
 *   (at most once a second), so runs finished after start appear; an unknown model id re-reads too.
 * - `POST /v1/chat/completions` -> `chat.completion` (or an SSE stream of `chat.completion.chunk`s).
 * - `POST /v1/completions` -> `text_completion` (or an SSE stream).
 * Request fields and errors: src/serve/openai.ts.
 *
 * Every answer goes through `createLocalProvider(...).complete` (src/providers/local.ts) over the
 * model src/serve/host.ts holds, so an HTTP answer equals the in-process one for the same messages
 * and options (sampling uses the request key `serve`; without `seed`, a random one per request).
 * Chat completions on a model with a chat template (Llama-family models' tokenizer_config.json) are
 * the template's rendering of the messages with the generation prompt; without one, fte's flat text.
 * `max_tokens` defaults to min(--max-tokens-cap, nCtx / 4) and must stay below the model's context
 * (nCtx); over the cap or the context -> 400. `logprobs: true` (chat) scores the returned text's tokens, as the tokenizer
 * encodes it, given the same fitted prompt.
 *
 * Status codes: 400 bad request (OpenAI error body naming `param`), 401 missing or wrong
 * `Authorization: Bearer <key>` when an API key is set, 404 unknown model (`code: model_not_found`)
 * or route, 413 body over `bodyLimit` (`code: request_too_large`), 500 a model that fails to load or
 * run (`type: server_error`; one line, never a stack trace).
 *
 * One request at a time reaches the model (a queue of one: tfjs is single-threaded and adapters
 * swap over a shared base). One stderr line per request: `METHOD PATH model=ID STATUS tokens=P+C MS ms`.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pLimit from 'p-limit';
import { termSafe } from '../cli/terminal.js';
import { UserInputError } from '../errors.js';
import { tokenNll } from '../eval/generate.js';
import { fitChatText } from '../providers/chat-text.js';
import { createLocalProvider } from '../providers/local.js';
import type { Completion } from '../providers/types.js';
import { readCatalog, type Catalog, type ModelEntry } from './catalog.js';
import { ModelHost } from './host.js';
import {
  ApiError, chatCompletionBody, parseChatRequest, parseCompletionRequest, responseId, streamBody, textCompletionBody,
  type ParsedRequest, type TokenLogprob,
} from './openai.js';

export interface ServeOptions {
  /** The store (DuckDB file). */
  db: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 = any free port. */
  port?: number;
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Most `max_tokens` a request may ask for. Default 256. */
  maxTokensCap?: number;
  /** Largest request body, bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** tfjs backend (`auto`, `wasm`, `cpu`, `tensorflow`, `tensorflow-gpu`). Default `auto`. */
  backend?: string;
  /** Where request lines and notices go (one line each, no newline). Default: stderr. */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** `http://HOST:PORT/v1` */
  url: string;
  host: string;
  port: number;
  /** The catalog read at start (later reads may add models). */
  catalog: Catalog;
  /** Stop listening (in-flight requests finish) and release the models. */
  close(): Promise<void>;
}

/** Sampling stream key of every request (src/eval/generate.ts combines it with `seed`). */
export const REQUEST_KEY = 'serve';
export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_TOKENS_CAP = 256;
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** The store's catalog, re-read on demand (at most once per `minIntervalMs`); a failed re-read keeps the last one. */
export class CatalogSource {
  private readAt = Date.now();
  private reading: Promise<Catalog> | null = null;
  constructor(
    private readonly db: string,
    public current: Catalog,
    private readonly log: (line: string) => void,
    private readonly minIntervalMs = 1000,
  ) {}

  async refresh(): Promise<Catalog> {
    if (Date.now() - this.readAt < this.minIntervalMs) return this.current;
    this.reading ??= readCatalog(this.db, () => {}) // while a sweep holds the store: its snapshot
      .then((c) => {
        for (const w of c.warnings) if (!this.current.warnings.includes(w)) this.log(`fte serve: warning: ${w}`);
        this.current = c;
        return c;
      })
      .catch((e: Error) => {
        this.log(`fte serve: warning: could not re-read ${this.db} (${e.message}); serving the models read before`);
        return this.current;
      })
      .finally(() => {
        this.readAt = Date.now();
        this.reading = null;
      });
    return this.reading;
  }

  /** The entry for `id`, re-reading the store once when unknown. @throws ApiError 404 */
  async lookup(id: string): Promise<ModelEntry> {
    const hit = this.current.models.get(id) ?? (await this.refresh()).models.get(id);
    if (hit) return hit;
    const listed = [...this.current.models.values()].filter((m) => m.listed).map((m) => m.id);
    const shown = listed.length > 8 ? `${listed.slice(0, 8).join(', ')}, ... (GET /v1/models lists all)` : listed.join(', ');
    throw new ApiError(404, `The model '${id}' does not exist; known: ${shown}`, 'model', 'model_not_found');
  }
}

function modelObject(m: ModelEntry) {
  return { id: m.id, object: 'model' as const, created: m.created, owned_by: 'fte' };
}

function keyMatches(header: string | undefined, key: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** First line of a message, for error bodies and logs. */
const oneLine = (s: string): string => s.split('\n')[0]!.slice(0, 500);

/**
 * The fastify app over a catalog and a model host (not listening). Exposed for tests and embedding;
 * `startServer` is the usual entry.
 */
export function buildApp(opts: ServeOptions, catalog: CatalogSource, host: ModelHost): FastifyInstance {
  const cap = opts.maxTokensCap ?? DEFAULT_MAX_TOKENS_CAP;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const queue = pLimit(1);
  const info = new WeakMap<FastifyRequest, { model?: string; tokens?: [number, number] }>();
  const app = Fastify({ bodyLimit, logger: false, forceCloseConnections: 'idle' });
  // JSON only: another Content-Type is a 400 naming the problem (fastify would also parse text/plain).
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req, reply) => {
    info.set(req, {});
    if (opts.apiKey === undefined) return;
    const auth = req.headers.authorization;
    if (keyMatches(auth, opts.apiKey)) return;
    const e = new ApiError(401, auth ? 'Incorrect API key provided' : 'Missing API key: send Authorization: Bearer <key>', null, 'invalid_api_key');
    return reply.code(401).send(e.body());
  });

  app.addHook('onResponse', async (req, reply) => {
    const i = info.get(req) ?? {};
    const tokens = i.tokens ? `${i.tokens[0]}+${i.tokens[1]}` : '-';
    const path = req.url.split('?')[0]!.slice(0, 200);
    const model = i.model === undefined ? '-' : i.model.length > 100 ? `${i.model.slice(0, 100)}...` : i.model;
    log(termSafe(`${req.method} ${path} model=${model} ${reply.statusCode} tokens=${tokens} ${Math.round(reply.elapsedTime)} ms`));
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new ApiError(413, `the request body is over this server's limit of ${bodyLimit} bytes`, null, 'request_too_large');
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new ApiError(400, 'the request body must be JSON (Content-Type: application/json)', null, 'invalid_content_type');
    else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') e = new ApiError(400, 'the request body is empty; send a JSON object', null, 'invalid_json');
    else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) e = new ApiError(400, `the request body is not valid JSON (${oneLine(err.message)})`, null, 'invalid_json');
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) e = new ApiError(err.statusCode, oneLine(err.message), null, err.code ?? null);
    else {
      log(`fte serve: error: ${termSafe(oneLine(err.message))}`);
      e = new ApiError(500, `the server could not answer: ${oneLine(err.message)}`, null, null, 'server_error');
    }
    return reply.code(e.status).send(e.body());
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, `no route ${req.method} ${req.url.split('?')[0]} (fte serve answers GET /v1/models, POST /v1/chat/completions, POST /v1/completions)`, null, 'not_found');
    return reply.code(404).send(e.body());
  });

  app.get('/v1/models', async () => {
    const c = await catalog.refresh();
    return { object: 'list', data: [...c.models.values()].filter((m) => m.listed).map(modelObject) };
  });

  app.get<{ Params: { model: string } }>('/v1/models/:model', async (req) => {
    info.get(req)!.model = req.params.model;
    return modelObject(await catalog.lookup(req.params.model));
  });

  /** Run one parsed request on its model (queued) and return the completion (+ logprobs). */
  /** `chat`: a chat completion (a model with a chat template reads the messages through it); else a text completion. */
  async function answer(req: FastifyRequest, p: ParsedRequest, chat: boolean): Promise<{ c: Completion; logprobs: TokenLogprob[] | null }> {
    info.get(req)!.model = p.model;
    const entry = await catalog.lookup(p.model);
    const out = await queue(async () => {
      const { model, tokenizer } = await host.acquire(entry);
      const nCtx = model.config.nCtx;
      const maxTokens = p.maxTokens ?? Math.max(1, Math.min(cap, Math.floor(nCtx / 4)));
      if (maxTokens >= nCtx) throw new ApiError(400, `max_tokens: ${maxTokens} must be below the model's context of ${nCtx} tokens`, 'max_tokens', 'invalid_value');
      const provider = createLocalProvider({ model, tokenizer, name: entry.id });
      const [c] = await provider.complete([{ key: REQUEST_KEY, messages: p.messages, ...(chat ? { chat: p.messages } : {}) }], {
        maxTokens,
        ...(p.stop ? { stop: p.stop } : {}),
        ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
        ...(p.topP !== undefined ? { topP: p.topP } : {}),
        // Unseeded sampling draws a fresh seed per request (as the API varies its answers); greedy needs none.
        ...(p.seed !== undefined ? { seed: p.seed } : (p.temperature ?? 0) > 0 ? { seed: randomInt(2 ** 31) } : {}),
      });
      if (!c || c.error) throw new Error(c?.error ?? 'the model returned no completion');
      let logprobs: TokenLogprob[] | null = null;
      if (p.logprobs) {
        // The prompt exactly as the provider fitted it (same budget), then the returned text's tokens.
        const prompt = chat && tokenizer.chatTemplate ? tokenizer.chatTemplate.render(p.messages, true) : fitChatText(p.messages, tokenizer, Math.max(1, nCtx - maxTokens)).text;
        const [nll] = await tokenNll(model, tokenizer, [prompt], [c.text]);
        logprobs = tokenizer.encode(c.text).map((id, j) => {
          const token = tokenizer.decode([id]);
          return { token, logprob: -(nll![j] ?? NaN), bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] as [] };
        });
      }
      return { c, logprobs };
    });
    info.get(req)!.tokens = [out.c.promptTokens, out.c.completionTokens];
    return out;
  }

  function sendStream(reply: FastifyReply, payload: string): FastifyReply {
    return reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send(payload);
  }

  /** The body's `model` for the request log, before validation (so a 400 names it too). */
  function noteModel(req: FastifyRequest): void {
    const m = (req.body as { model?: unknown } | null)?.model;
    if (typeof m === 'string') info.get(req)!.model = m;
  }

  app.post('/v1/chat/completions', async (req, reply) => {
    noteModel(req);
    const p = parseChatRequest(req.body, cap);
    const { c, logprobs } = await answer(req, p, true);
    const id = responseId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    if (p.stream) return sendStream(reply, streamBody('chat', id, created, p.model, c, p.includeUsage, logprobs));
    return chatCompletionBody(id, created, p.model, c, logprobs);
  });

  app.post('/v1/completions', async (req, reply) => {
    noteModel(req);
    const p = parseCompletionRequest(req.body, cap);
    const { c } = await answer(req, p, false);
    const id = responseId('cmpl');
    const created = Math.floor(Date.now() / 1000);
    if (p.stream) return sendStream(reply, streamBody('text', id, created, p.model, c, p.includeUsage, null));
    return textCompletionBody(id, created, p.model, c);
  });

  return app;
}

/**
 * Read the store's catalog, initialise the backend, load the `base` model, and listen.
 * @throws StoreMissingError / StoreLockedError / StoreCorruptError / StoreVersionError (read-only
 *   open), UserInputError (no sweep with a base model found; a broken base model folder; the port is
 *   in use), UnknownNameError / FteError (backend).
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const first = await readCatalog(opts.db, (line) => log(`fte serve: ${line}`));
  for (const w of first.warnings) log(`fte serve: warning: ${w}`);
  const host = new ModelHost({ ...(opts.backend ? { backend: opts.backend } : {}) });
  const catalog = new CatalogSource(opts.db, first, log);
  let app: FastifyInstance | null = null;
  try {
    const backend = await host.init();
    await host.acquire(first.models.get('base')!);
    app = buildApp({ ...opts, log }, catalog, host);
    const hostName = opts.host ?? '127.0.0.1';
    try {
      await app.listen({ host: hostName, port: opts.port ?? DEFAULT_PORT });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new UserInputError(`port ${opts.port} is in use on ${hostName}; pick another with --port (0 = any free port)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserInputError(`cannot listen on ${hostName}: not an address of this machine`);
      throw e;
    }
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? DEFAULT_PORT);
    const urlHost = hostName.includes(':') ? `[${hostName}]` : hostName;
    const listed = [...first.models.values()].filter((m) => m.listed);
    const names = listed.map((m) => m.id);
    if (!opts.apiKey && !/^(127\.|::1$|localhost$)/.test(hostName)) log(`fte serve: warning: listening on ${hostName} without --api-key: anyone who can reach it can use the models`);
    log(`fte serve: ${listed.length} models from ${opts.db} (${names.length > 10 ? `${names.slice(0, 10).join(', ')}, ...` : names.join(', ')}) on ${backend.name}`);
    const running = app;
    return {
      url: `http://${urlHost}:${port}/v1`,
      host: hostName,
      port,
      catalog: first,
      async close() {
        await running.close();
        host.dispose();
      },
    };
  } catch (e) {
    await app?.close();
    host.dispose();
    throw e;
  }
}
