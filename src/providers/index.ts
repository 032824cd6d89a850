/**
 * The provider registry: `local` (the in-process TensorFlow.js model) and `openai` (any
 * OpenAI-compatible chat-completions endpoint through the official `openai` client). See types.ts.
 */
import { UnknownNameError, UserInputError } from '../errors.js';
import type { OpenAIProviderSpec, Provider } from './types.js';

export type { ChatMessage, ChatRequest, Completion, CompletionOptions, OpenAIProviderSpec, Provider, ProviderSpec, ProviderType, Truncation } from './types.js';
export { chatMessages, chatParts, fitChatText, partsText, type ChatParts } from './chat-text.js';
export { createLocalProvider, modelGenerator, textModelProvider, type Generator, type LocalProvider } from './local.js';

/** Every provider type. */
export const PROVIDER_TYPES = ['local', 'openai'] as const;

/** A provider as a spec names it, plus a local model's checkpoint. */
export type ProviderRequest = { type: string; checkpoint?: string } & Partial<Omit<OpenAIProviderSpec, 'type'>>;

export interface OpenProviderContext {
  /** Opens the in-process model (the base, or a checkpoint over it). */
  local(checkpoint?: string): Promise<Provider>;
  /** The response cache folder of API providers (kept with the store); none = no caching. */
  cacheDir?: string;
  /** Bypass the cache. */
  noCache?: boolean;
  /** Environment the API key is read from. Default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * Open the provider a subject names.
 * @throws UnknownNameError for an unknown `type` (listing the known ones); UserInputError when an
 *   `openai` provider's `apiKeyEnv` is not set.
 */
export async function openProvider(spec: ProviderRequest, ctx: OpenProviderContext): Promise<Provider> {
  switch (spec.type) {
    case 'local':
      return ctx.local(spec.checkpoint);
    case 'openai': {
      const { createOpenAIProvider } = await import('./openai.js');
      return createOpenAIProvider(spec as OpenAIProviderSpec, {
        ...(ctx.cacheDir ? { cacheDir: ctx.cacheDir } : {}),
        ...(ctx.noCache ? { noCache: true } : {}),
        ...(ctx.env ? { env: ctx.env } : {}),
      });
    }
    default:
      throw new UnknownNameError('provider type', spec.type, [...PROVIDER_TYPES]);
  }
}

/**
 * Check before any work that every `openai` provider's API key variable is set.
 * @throws UserInputError naming the spec field and the variable (never its value).
 */
export function checkProviderEnv(subjects: { field: string; provider: ProviderRequest }[], env: Record<string, string | undefined> = process.env): void {
  for (const s of subjects) {
    const v = s.provider.apiKeyEnv;
    if (s.provider.type === 'openai' && v && !env[v]) throw new UserInputError(`${s.field}.provider.apiKeyEnv: environment variable ${v} is not set`);
  }
}
