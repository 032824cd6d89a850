/**
 * Providers: how a subject's prompts reach a model. Every subject (fine-tuned run, base, prompting,
 * RAG, any extra model) is evaluated through one. `local` is the in-process TensorFlow.js model;
 * `openai` is any OpenAI-compatible chat-completions endpoint (OpenAI, Azure, vLLM, llama.cpp server,
 * Ollama, LM Studio, `fte serve`) through the official `openai` client.
 *
 * Everything here is plain data except `Provider` itself, so specs and results cross process
 * boundaries as JSON.
 */

/** One chat message (OpenAI chat-completions roles). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * One request: the messages of one example. A prompt is canonical: an optional system message, then
 * zero or more demonstrations as (user, assistant) turn pairs, then the example's input as the final
 * user message.
 */
export interface ChatRequest {
  /** Stable key of the request within an evaluation (e.g. `none:L12`, `typos:L12`). */
  key: string;
  messages: ChatMessage[];
  /**
   * The example's own conversation up to the reply (a chat row's messages without the final
   * assistant one), when the request is that conversation asked zero-shot. A local model with a chat
   * template renders this with its template instead of reading `messages` as flat text; API
   * providers send `messages` and ignore it.
   */
  chat?: ChatMessage[];
}

/** Decoding options shared by every provider. */
export interface CompletionOptions {
  /** Most new tokens per request (OpenAI `max_tokens`). */
  maxTokens: number;
  /** Stop sequences (OpenAI `stop`, at most 4 there); default none. */
  stop?: string[];
  /** 0 = greedy (default). */
  temperature?: number;
  topP?: number;
  /** Seed for sampling (OpenAI `seed`; local: combined with each request's key). */
  seed?: number;
}

/** How a local model's context cut a prompt to fit (absent when nothing was cut). */
export interface Truncation {
  /** Demonstration pairs in the request. */
  demonstrations: number;
  /** Demonstration pairs dropped (oldest first) to fit the context. */
  demonstrationsDropped: number;
  /** Tokens cut from the left of what remained (the input itself, or the system message) when even no demonstrations did not fit. */
  tokensCut: number;
}

/**
 * Most tokens one request may report (`usage.prompt_tokens` or `usage.completion_tokens`). No model's
 * context is near it; a larger figure is a broken server, and taking it would overflow the store's
 * per-request INTEGER columns (2^31 - 1) and price one request at millions of dollars.
 */
export const MAX_REPORTED_TOKENS = 1e9;

/** One request's answer. */
export interface Completion {
  /** The completion text, cut before a stop sequence ('' when `error` is set). */
  text: string;
  /** Prompt tokens as the model counted them (API `usage.prompt_tokens`; local: tokens fed). */
  promptTokens: number;
  /** Completion tokens (API `usage.completion_tokens`; local: tokens generated). */
  completionTokens: number;
  /** `stop` | `length` | `eos` | `context` | the API's `finish_reason`; `error` when the request failed. */
  finishReason: string;
  /** Why the request failed after every retry (one line); absent on success. */
  error?: string;
  /** True when the answer came from the response cache (no request was sent). */
  cached?: boolean;
  /**
   * API providers, successful answers only: whether the server reported `usage` (both token counts).
   * False means `promptTokens` / `completionTokens` are 0 because nothing was reported, not measured
   * (some local servers omit usage); cost accounting should treat them as unknown. Absent for local models.
   */
  usageReported?: boolean;
  /** Local models only: what the context cut. */
  truncation?: Truncation;
}

/** An OpenAI-compatible endpoint (spec field `provider: { type: 'openai', ... }`). */
export interface OpenAIProviderSpec {
  type: 'openai';
  /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama), `http://127.0.0.1:8000/v1` (vLLM, fte serve). */
  baseURL: string;
  /** The endpoint's model name (`gpt-4o-mini`, `llama3.2`, a run id on `fte serve`). */
  model: string;
  /** Environment variable holding the API key (never stored or printed). Absent: no key (local servers). */
  apiKeyEnv?: string;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Per-request timeout, milliseconds. Default 60000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 408/409/429/5xx, connection errors and timeouts. Default 4. */
  maxRetries?: number;
}

/** The in-process TensorFlow.js model (the sweep's base model, or a run's checkpoint). */
export interface LocalProviderSpec {
  type: 'local';
}

export type ProviderSpec = LocalProviderSpec | OpenAIProviderSpec;
export type ProviderType = ProviderSpec['type'];

/** A provider bound to one model. */
export interface Provider {
  readonly type: ProviderType;
  /** The model's name as the provider knows it (`fte-tiny-base`, `gpt-4o-mini`, a run id). */
  readonly model: string;
  /** Where requests go: `in-process` or the base URL. */
  readonly endpoint: string;
  /** Answer every request; never throws for one request's failure (its `error` is set instead). */
  complete(requests: ChatRequest[], opts: CompletionOptions): Promise<Completion[]>;
  /**
   * Local models: how a request becomes the model's input (`PromptFormat` of ./chat-text.ts): its
   * conversation through the model's chat template, or flat text. Absent for APIs, which receive the
   * messages and apply their own template (`messages`).
   */
  promptFormat?(request: ChatRequest): 'chat_template' | 'flat';
  /** Local models with a chat template: its label (src/model/chat-template.ts: model folder/file, sha256). */
  readonly chatTemplate?: string;
  /**
   * Local models only: NLL (nats) of each completion token given its request's prompt (perplexity).
   * Absent for APIs (chat endpoints return no prompt log-probabilities), so perplexity is skipped.
   */
  tokenNll?(requests: ChatRequest[], completions: string[]): Promise<number[][]>;
  /** Release connections or tensors. */
  close?(): Promise<void> | void;
}
