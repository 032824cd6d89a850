/**
 * The OpenAI wire format as `fte serve` speaks it: request validation, error bodies, response and
 * stream-chunk shapes for `POST /v1/chat/completions` and `POST /v1/completions`.
 *
 * Requests. Read: `model`, `messages` (chat) / `prompt` (completions), `max_tokens` (chat also
 * `max_completion_tokens`), `temperature` [0, 2], `top_p` (0, 1], `stop` (a string or up to 4),
 * `seed` (integer), `n` (only 1), `stream`, `stream_options.include_usage`, `logprobs` (chat: true
 * returns each completion token's log-probability; no `top_logprobs`). `null` means absent. Message
 * `content` is a string or an array of `{type: 'text', text}` parts (joined); the `developer` role is
 * read as `system`. Parameters that would change the answer and that fte models cannot honour (tools,
 * functions, response_format other than text, logit_bias, presence/frequency penalties, echo, best_of,
 * suffix, audio) are refused when set to a non-default value; other unknown fields (`user`,
 * `metadata`, `store`, ...) are ignored.
 *
 * Errors: `{error: {message, type, param, code}}` (OpenAI's shape) with `type` `invalid_request_error`
 * (400, 401, 404, 413) or `server_error` (500).
 */
import { randomBytes } from 'node:crypto';
import { chatParts } from '../providers/chat-text.js';
import type { ChatMessage, Completion } from '../providers/types.js';

/** An error answered as OpenAI's error body with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: 'invalid_request_error' | 'server_error' = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `{error: {message, type, param, code}}` */
  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A validated request of either endpoint. */
export interface ParsedRequest {
  model: string;
  /** Canonical messages (src/providers/types.ts); for /v1/completions one user message holding the prompt. */
  messages: ChatMessage[];
  /** Absent: the server's default (see app.ts). */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `usage` and no choices. */
  includeUsage: boolean;
  /** Chat `logprobs: true`. */
  logprobs: boolean;
}

const bad = (message: string, param: string | null, code: string | null = null) => new ApiError(400, message, param, code);
const unsupported = (param: string, why: string) => bad(`${param}: ${why}`, param, 'unsupported_parameter');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function integer(body: Record<string, unknown>, name: string, min: number): number | undefined {
  const v = body[name];
  if (!present(v)) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`${name}: expected an integer, got ${describe(v)}`, name, 'invalid_type');
  if (v < min) throw bad(`${name}: must be at least ${min}, got ${v}`, name, 'invalid_value');
  return v;
}

function number(body: Record<string, unknown>, name: string, lo: number, hi: number, loOpen = false): number | undefined {
  const v = body[name];
  if (!present(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${name}: expected a number, got ${describe(v)}`, name, 'invalid_type');
  if (v > hi || v < lo || (loOpen && v === lo)) throw bad(`${name}: must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${v}`, name, 'invalid_value');
  return v;
}

function boolean(body: Record<string, unknown>, name: string): boolean {
  const v = body[name];
  if (!present(v)) return false;
  if (typeof v !== 'boolean') throw bad(`${name}: expected a boolean, got ${describe(v)}`, name, 'invalid_type');
  return v;
}

/** Refuse parameters fte models cannot honour when they ask for something. */
function refuseUnsupported(body: Record<string, unknown>, names: string[]): void {
  const nonEmpty = (v: unknown) => present(v) && !(Array.isArray(v) && v.length === 0) && !(isObject(v) && Object.keys(v).length === 0);
  for (const name of names) {
    const v = body[name];
    switch (name) {
      case 'tools':
      case 'functions':
      case 'logit_bias':
      case 'audio':
      case 'prediction':
        if (nonEmpty(v)) throw unsupported(name, 'not supported by fte models');
        break;
      case 'tool_choice':
      case 'function_call':
        if (present(v) && v !== 'none' && v !== 'auto') throw unsupported(name, 'not supported by fte models (no tools)');
        break;
      case 'response_format':
        if (present(v) && !(isObject(v) && v.type === 'text')) throw unsupported(name, "only {type: 'text'} is supported");
        break;
      case 'modalities':
        if (present(v) && !(Array.isArray(v) && v.every((m) => m === 'text'))) throw unsupported(name, "only ['text'] is supported");
        break;
      case 'presence_penalty':
      case 'frequency_penalty':
        if (present(v) && v !== 0) throw unsupported(name, 'only 0 is supported');
        break;
      case 'top_logprobs':
        if (present(v) && v !== 0) throw unsupported(name, 'not supported (logprobs: true returns the chosen tokens only)');
        break;
      case 'echo':
        if (v === true) throw unsupported(name, 'not supported');
        break;
      case 'best_of':
        if (present(v) && v !== 1) throw unsupported(name, 'only 1 is supported');
        break;
      case 'suffix':
        if (present(v) && v !== '') throw unsupported(name, 'not supported');
        break;
      case 'logprobs':
        // /v1/completions: an integer asking for top alternatives.
        if (present(v) && v !== 0) throw unsupported(name, 'not supported on /v1/completions');
        break;
    }
  }
}

/** Fields shared by both endpoints (everything but the input). */
function common(body: unknown, maxTokensCap: number): Omit<ParsedRequest, 'messages' | 'logprobs'> & { body: Record<string, unknown> } {
  if (!isObject(body)) throw bad(`the request body must be a JSON object, got ${describe(body)}`, null);
  const model = body.model;
  if (!present(model)) throw bad('model: required', 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model === '') throw bad(`model: expected a non-empty string, got ${describe(model)}`, 'model', 'invalid_type');
  const maxTokens = integer(body, 'max_tokens', 1);
  const maxCompletion = integer(body, 'max_completion_tokens', 1);
  if (maxTokens !== undefined && maxCompletion !== undefined && maxTokens !== maxCompletion) {
    throw bad(`max_tokens (${maxTokens}) and max_completion_tokens (${maxCompletion}) disagree; send one`, 'max_tokens', 'invalid_value');
  }
  const max = maxTokens ?? maxCompletion;
  const maxParam = maxTokens !== undefined ? 'max_tokens' : 'max_completion_tokens';
  if (max !== undefined && max > maxTokensCap) throw bad(`${maxParam}: ${max} is over this server's cap of ${maxTokensCap} tokens`, maxParam, 'invalid_value');
  const n = body.n;
  if (present(n) && n !== 1) throw bad(`n: only 1 is supported, got ${JSON.stringify(n)}`, 'n', 'unsupported_value');
  let stop: string[] | undefined;
  if (present(body.stop)) {
    const s = body.stop;
    const list = typeof s === 'string' ? [s] : s;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw bad(`stop: expected a string or an array of strings, got ${describe(s)}`, 'stop', 'invalid_type');
    if (list.length > 4) throw bad(`stop: at most 4 sequences, got ${list.length}`, 'stop', 'invalid_value');
    if (list.length > 0) stop = list as string[];
  }
  const temperature = number(body, 'temperature', 0, 2);
  const topP = number(body, 'top_p', 0, 1, true);
  const seed = integer(body, 'seed', Number.MIN_SAFE_INTEGER);
  const stream = boolean(body, 'stream');
  const so = body.stream_options;
  if (present(so) && !isObject(so)) throw bad(`stream_options: expected an object, got ${describe(so)}`, 'stream_options', 'invalid_type');
  if (present(so) && !stream) throw bad('stream_options: only allowed with stream: true', 'stream_options', 'invalid_value');
  const includeUsage = isObject(so) && so.include_usage === true;
  return {
    body, model, stream, includeUsage,
    ...(max !== undefined ? { maxTokens: max } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(stop ? { stop } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** A message's content as text: a string, or text parts joined. */
function contentText(m: Record<string, unknown>, i: number): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((p, j) => {
        if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return p.text;
        const type = isObject(p) && typeof p.type === 'string' ? `'${p.type}'` : describe(p);
        throw bad(`messages[${i}].content[${j}]: only text parts are supported, got ${type}`, `messages[${i}].content`, 'invalid_value');
      })
      .join('');
  }
  throw bad(`messages[${i}].content: expected a string or an array of text parts, got ${describe(c)}`, `messages[${i}].content`, 'invalid_type');
}

/**
 * Validate a `POST /v1/chat/completions` body.
 * @throws ApiError 400 naming the parameter (a non-canonical chat names the message position, see `chatParts`).
 */
export function parseChatRequest(body: unknown, maxTokensCap: number): ParsedRequest {
  const c = common(body, maxTokensCap);
  refuseUnsupported(c.body, ['tools', 'functions', 'tool_choice', 'function_call', 'response_format', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'top_logprobs', 'audio', 'modalities', 'prediction']);
  const raw = c.body.messages;
  if (!present(raw)) throw bad('messages: required', 'messages', 'missing_required_parameter');
  if (!Array.isArray(raw)) throw bad(`messages: expected an array, got ${describe(raw)}`, 'messages', 'invalid_type');
  if (raw.length === 0) throw bad('messages: at least one message is required', 'messages', 'invalid_value');
  const messages: ChatMessage[] = raw.map((m, i) => {
    if (!isObject(m)) throw bad(`messages[${i}]: expected an object, got ${describe(m)}`, `messages[${i}]`, 'invalid_type');
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw bad(`messages[${i}].role: ${typeof m.role === 'string' ? `'${m.role}' is not supported` : `expected a string, got ${describe(m.role)}`} (system, developer, user, assistant)`, `messages[${i}].role`, 'invalid_value');
    }
    return { role, content: contentText(m, i) };
  });
  try {
    chatParts(messages);
  } catch (e) {
    throw bad(`${(e as Error).message} (fte models take an optional system message, then user/assistant pairs, then the user message to answer)`, 'messages', 'invalid_value');
  }
  const lp = c.body.logprobs;
  if (present(lp) && typeof lp !== 'boolean') throw bad(`logprobs: expected a boolean, got ${describe(lp)}`, 'logprobs', 'invalid_type');
  const { body: _b, ...rest } = c;
  return { ...rest, messages, logprobs: lp === true };
}

/**
 * Validate a `POST /v1/completions` body. `prompt` is a string (or an array holding one string); it
 * becomes the single user message, so the model sees the prompt text itself, cut from the left when
 * it does not fit the context.
 * @throws ApiError 400 naming the parameter.
 */
export function parseCompletionRequest(body: unknown, maxTokensCap: number): ParsedRequest {
  const c = common(body, maxTokensCap);
  refuseUnsupported(c.body, ['logit_bias', 'presence_penalty', 'frequency_penalty', 'echo', 'best_of', 'suffix', 'logprobs']);
  let prompt = c.body.prompt;
  if (!present(prompt)) throw bad('prompt: required', 'prompt', 'missing_required_parameter');
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== 'string') throw bad('prompt: only a string (or an array of exactly one string) is supported', 'prompt', 'invalid_value');
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string') throw bad(`prompt: expected a string, got ${describe(prompt)}`, 'prompt', 'invalid_type');
  const { body: _b, ...rest } = c;
  return { ...rest, messages: [{ role: 'user', content: prompt }], logprobs: false };
}

/** fte's finish reasons (src/eval/generate.ts) as OpenAI's: `stop` | `eos` -> `stop`; `length` | `context` -> `length`. */
export function finishReason(f: string): 'stop' | 'length' {
  return f === 'length' || f === 'context' ? 'length' : 'stop';
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(c: Completion): Usage {
  return { prompt_tokens: c.promptTokens, completion_tokens: c.completionTokens, total_tokens: c.promptTokens + c.completionTokens };
}

/** One token's log-probability as chat `logprobs.content[]` holds it (`bytes`: UTF-8 of the decoded token). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: [];
}

/** A fresh response id: `chatcmpl-<24 hex>` / `cmpl-<24 hex>`. */
export function responseId(prefix: 'chatcmpl' | 'cmpl'): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

/** The `chat.completion` object. */
export function chatCompletionBody(id: string, created: number, model: string, c: Completion, logprobs: TokenLogprob[] | null) {
  return {
    id,
    object: 'chat.completion' as const,
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: c.text, refusal: null }, logprobs: logprobs ? { content: logprobs, refusal: null } : null, finish_reason: finishReason(c.finishReason) }],
    usage: usageOf(c),
  };
}

/** The `text_completion` object. */
export function textCompletionBody(id: string, created: number, model: string, c: Completion) {
  return {
    id,
    object: 'text_completion' as const,
    created,
    model,
    choices: [{ index: 0, text: c.text, logprobs: null, finish_reason: finishReason(c.finishReason) }],
    usage: usageOf(c),
  };
}

const sse = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;

/**
 * A whole answer as a server-sent event stream: the model decodes a request in one call, so the text
 * arrives as one content chunk. Chat: a role chunk, the content chunk (when not empty), a chunk with
 * `finish_reason`, then with `includeUsage` a chunk with `usage` and no choices, then `data: [DONE]`.
 * Completions: a text chunk with `finish_reason`, the optional usage chunk, `data: [DONE]`.
 */
export function streamBody(kind: 'chat' | 'text', id: string, created: number, model: string, c: Completion, includeUsage: boolean, logprobs: TokenLogprob[] | null): string {
  const fr = finishReason(c.finishReason);
  const out: string[] = [];
  if (kind === 'chat') {
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => sse({ id, object: 'chat.completion.chunk', created, model, choices, ...extra });
    out.push(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    if (c.text !== '') out.push(chunk([{ index: 0, delta: { content: c.text }, logprobs: logprobs ? { content: logprobs, refusal: null } : null, finish_reason: null }]));
    out.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: fr }]));
    if (includeUsage) out.push(chunk([], { usage: usageOf(c) }));
  } else {
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => sse({ id, object: 'text_completion', created, model, choices, ...extra });
    out.push(chunk([{ index: 0, text: c.text, logprobs: null, finish_reason: fr }]));
    if (includeUsage) out.push(chunk([], { usage: usageOf(c) }));
  }
  out.push('data: [DONE]\n\n');
  return out.join('');
}
