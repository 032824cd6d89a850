/**
 * The `local` provider: an in-process text model (the sweep's base model or a run's checkpoint, on
 * TensorFlow.js). Each request's messages become text (src/providers/chat-text.ts), fitted to the
 * model's context minus `maxTokens` (whole demonstrations dropped first, recorded as `truncation`),
 * then every request is decoded in one batched call (src/eval/generate.ts: greedy unless
 * `temperature` > 0).
 *
 * A model whose tokenizer has a chat template reads a request that carries its example's
 * conversation (`ChatRequest.chat`, chat rows asked zero-shot) as the template's rendering of it with
 * the generation prompt, exactly as it was trained (src/train/data.ts); every other request is flat
 * text as above. `promptFormat(request)` says which of the two a request gets, and `chatTemplate`
 * names the template, so that evaluation can record how each subject was prompted.
 */
import { generate, tokenNll, type CausalLM, type DecodeTokenizer, type Generation, type GenerateOptions } from '../eval/generate.js';
import { fitChatText, type TextTokenizer } from './chat-text.js';
import type { ChatRequest, Completion, CompletionOptions, Provider } from './types.js';

/** A text model: decoding and token NLL over text prompts (see `modelGenerator`). */
export interface Generator {
  /** Context length in tokens. */
  readonly nCtx: number;
  readonly tokenizer: TextTokenizer;
  generate(prompts: string[], opts: GenerateOptions): Promise<Generation[]>;
  /**
   * NLL (nats) of each completion token given its prompt, then of the end-of-text token after it
   * (the quantity the validation loss averages; perplexity is exp of its mean).
   */
  tokenNll(prompts: string[], completions: string[]): Promise<number[][]>;
}

/** A `Generator` over a causal LM and its tokenizer (src/eval/generate.ts). */
export function modelGenerator(model: CausalLM, tokenizer: DecodeTokenizer, batchSize = 16): Generator {
  return {
    nCtx: model.config.nCtx,
    tokenizer,
    generate: (prompts, o) => generate(model, tokenizer, prompts, { batchSize, ...o }),
    tokenNll: (prompts, completions) => tokenNll(model, tokenizer, prompts, completions, batchSize, { scoreEnd: true }),
  };
}

/** A local provider: the ready interface plus the context length its prompts were fitted to. */
export type LocalProvider = Provider & { readonly type: 'local'; readonly nCtx: number; tokenNll(requests: ChatRequest[], completions: string[]): Promise<number[][]> };

/**
 * The `local` provider over a text model.
 * @param name the model's name (`fte-tiny-base`, a run id)
 * @throws Error (from `fitChatText`) when a request's messages are not canonical.
 */
export function textModelProvider(gen: Generator, name: string): LocalProvider {
  const template = gen.tokenizer.chatTemplate;
  const formatOf = (r: ChatRequest): 'chat_template' | 'flat' => (template && r.chat ? 'chat_template' : 'flat');
  const fit = (r: ChatRequest, reserve: number): ReturnType<typeof fitChatText> => {
    if (template && r.chat) {
      // Over-long renderings are cut from the left by generate / tokenNll (the reply's end is what matters).
      const text = template.render(r.chat, true);
      return { text, tokens: gen.tokenizer.encode(text).length };
    }
    return fitChatText(r.messages, gen.tokenizer, Math.max(1, gen.nCtx - reserve));
  };
  return {
    type: 'local',
    model: name,
    endpoint: 'in-process',
    nCtx: gen.nCtx,
    promptFormat: formatOf,
    ...(template?.label ? { chatTemplate: template.label } : {}),
    async complete(requests: ChatRequest[], o: CompletionOptions): Promise<Completion[]> {
      const fitted = requests.map((r) => fit(r, o.maxTokens));
      const gens = await gen.generate(fitted.map((f) => f.text), {
        maxNewTokens: o.maxTokens,
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
      // The reference completion and its end token must fit after the prompt: reserve their length.
      const texts = requests.map((r, i) => fit(r, gen.tokenizer.encode(completions[i] ?? '').length + 1).text);
      return gen.tokenNll(texts, completions);
    },
  };
}

export interface LocalProviderOptions {
  model: CausalLM;
  tokenizer: DecodeTokenizer;
  /** The model's name (`fte-tiny-base`, a run id). */
  name: string;
  /** Prompts per decoding batch. Default 16. */
  batchSize?: number;
}

/** The `local` provider over an in-process causal LM (src/train's `loadForInference` gives one). */
export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  return textModelProvider(modelGenerator(opts.model, opts.tokenizer, opts.batchSize ?? 16), opts.name);
}
