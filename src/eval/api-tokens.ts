/**
 * Token counts of a request as an OpenAI API would bill it, for pricing a locally evaluated prompt as
 * an API call (the `fte roi --api-model` what-if): the chat messages as built (before any truncation to
 * a local model's context) and the answer text, counted with OpenAI's `o200k_base` encoding (the
 * tokenizer of gpt-4o, gpt-4o-mini and their successors) from the `gpt-tokenizer` package.
 *
 * Chat format, from OpenAI's cookbook "How to count tokens with tiktoken" (num_tokens_from_messages,
 * gpt-4o family): each message costs 3 tokens of framing plus its role and content tokens, and every
 * reply is primed with 3 more (`<|start|>assistant<|message|>`):
 *   chat tokens = sum over messages (3 + tokens(role) + tokens(content)) + 3
 *
 * The package is optional at run time: without it `loadApiTokenCounter` gives null, the evaluation
 * records no counts, and `fte roi` says its what-if tokens are estimated.
 */
import type { ChatMessage } from '../providers/types.js';

/** An OpenAI tokenizer. */
export interface ApiTokenCounter {
  /** The encoding's name, stored with the counts (`o200k_base`). */
  name: string;
  /** Tokens of a plain text. */
  countText(text: string): number;
}

/** The module the counter comes from (`gpt-tokenizer`'s o200k_base entry point). */
export const API_TOKENIZER_MODULE = 'gpt-tokenizer/encoding/o200k_base';

let loading: Promise<ApiTokenCounter | null> | undefined;

/**
 * The o200k_base counter, or null when `gpt-tokenizer` is not installed (any other load error is
 * thrown). Loaded once per process.
 */
export function loadApiTokenCounter(): Promise<ApiTokenCounter | null> {
  loading ??= (async () => {
    // A variable specifier: the package is optional, so the compiler must not require it.
    const specifier: string = API_TOKENIZER_MODULE;
    try {
      const mod = (await import(specifier)) as { countTokens?: (text: string) => number; encode?: (text: string) => number[] };
      const count = mod.countTokens ?? (mod.encode ? (t: string) => mod.encode!(t).length : undefined);
      if (!count) return null;
      return { name: 'o200k_base', countText: (t: string) => (t.length === 0 ? 0 : count(t)) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
      throw e;
    }
  })();
  return loading;
}

/** Tokens of a chat request in the OpenAI chat format (module comment). */
export function chatTokens(messages: readonly ChatMessage[], counter: ApiTokenCounter): number {
  return messages.reduce((s, m) => s + 3 + counter.countText(m.role) + counter.countText(m.content), 0) + 3;
}
