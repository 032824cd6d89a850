/**
 * The `local` provider: the in-process TensorFlow.js model (the sweep's base model or a run's
 * checkpoint). Each request's messages become text (src/providers/chat-text.ts), fitted to the model's
 * context minus `maxTokens` (whole demonstrations dropped first, recorded as `truncation`), then every
 * request is decoded in one batched call (src/eval/generate.ts: greedy unless `temperature` > 0).
 */
import { generate, tokenNll, type CausalLM, type DecodeTokenizer } from '../eval/generate.js';
import { fitChatText } from './chat-text.js';
import type { ChatRequest, Completion, CompletionOptions, Provider } from './types.js';

export interface LocalProviderOptions {
  model: CausalLM;
  tokenizer: DecodeTokenizer;
  /** The model's name (`fte-tiny-base`, a run id). */
  name: string;
  /** Prompts per decoding batch. Default 16. */
  batchSize?: number;
}

/** A `Provider` over an in-process causal LM. `tokenNll` is available (perplexity). */
export function createLocalProvider(opts: LocalProviderOptions): Provider & { readonly nCtx: number } {
  const { model, tokenizer } = opts;
  const batchSize = opts.batchSize ?? 16;
  const nCtx = model.config.nCtx;
  const fit = (r: ChatRequest, maxNew: number) => fitChatText(r.messages, tokenizer, Math.max(1, nCtx - maxNew));
  return {
    type: 'local',
    model: opts.name,
    endpoint: 'in-process',
    nCtx,
    async complete(requests: ChatRequest[], o: CompletionOptions): Promise<Completion[]> {
      const fitted = requests.map((r) => fit(r, o.maxTokens));
      const gens = await generate(model, tokenizer, fitted.map((f) => f.text), {
        maxNewTokens: o.maxTokens,
        batchSize,
        ...(o.stop ? { stop: o.stop } : {}),
        ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
        ...(o.topP !== undefined ? { topP: o.topP } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        keys: requests.map((r) => r.key),
      });
      return gens.map((g, i) => ({
        text: g.text,
        promptTokens: g.promptTokens,
        completionTokens: g.completionTokens,
        finishReason: g.finishReason,
        ...(fitted[i]!.truncation ? { truncation: fitted[i]!.truncation } : {}),
      }));
    },
    async tokenNll(requests: ChatRequest[], completions: string[]): Promise<number[][]> {
      // The reference completion must fit after the prompt: reserve its length (at least one token).
      const texts = requests.map((r, i) => fit(r, Math.max(1, tokenizer.encode(completions[i] ?? '').length)).text);
      return tokenNll(model, tokenizer, texts, completions, batchSize);
    },
  };
}
