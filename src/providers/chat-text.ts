/**
 * A chat as text, for models without a chat template (the built-in byte model, GPT-2-layout models):
 * the system message, each demonstration as `user + assistant` (the example's prompt followed by its
 * completion, as the model was trained), and the final user message, separated by blank lines. For a
 * canonical request (src/providers/types.ts) this is exactly the few-shot text format fte has always
 * fed local models, so `fte serve` and the in-process path build the same prompt from the same messages.
 *
 * `fitChatText` keeps the text within a context budget: whole demonstrations are dropped oldest first;
 * when even no demonstrations do not fit, tokens are cut from the left (the input is kept whole when it
 * fits on its own). What was cut is returned as a `Truncation`.
 *
 * `PromptFormat` names which of the two a model read, so that a run and each evaluated subject can
 * say it (the run parameter `promptFormat`, `subjects.prompt_format`), and `promptFormatLabel` says
 * it in words wherever they are shown (`fte show`, the report, the sweep summary).
 */
import type { ChatMessage, Truncation } from './types.js';

/** The part of a tokenizer fitting needs (src/model's `TextTokenizer` satisfies it). */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /**
   * The model's chat template, when it has one (src/providers/local.ts renders chat rows with it);
   * `label` names it (src/model/chat-template.ts: model folder/file and the sha256 of its source).
   */
  readonly chatTemplate?: { render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string; readonly label?: string };
}

/**
 * How a model's input was built:
 * - `chat_template`: the conversation rendered by the model's own chat template (training: chat rows,
 *   loss on the assistant turns; evaluation: a chat row asked zero-shot, with the generation prompt);
 * - `flat`: fte's text format, no template (training: prompt + completion; evaluation: this
 *   module's system / demonstrations / input, blank-line separated);
 * - `mixed`: some inputs one way and some the other (chat rows through the template, the rest flat);
 * - `messages`: chat messages sent to an API, whose server applies its own template.
 */
export type PromptFormat = 'chat_template' | 'flat' | 'mixed' | 'messages';

/** The format of a set of inputs each built one way: the one they share, `mixed` when they differ, undefined for none. */
export function combinePromptFormats(formats: Iterable<PromptFormat>): PromptFormat | undefined {
  const seen = new Set(formats);
  return seen.size > 1 ? 'mixed' : [...seen][0];
}

/**
 * A prompt format in words: `chat template <label>`, `flat text (no chat template)`, `chat template
 * <label> for chat rows, flat text for the rest`, `chat messages (the endpoint applies its template)`;
 * `not recorded` when absent (stored before fte recorded it). `short` (table cells): `chat template
 * <label>`, `flat text`, `chat template <label> + flat text`, `chat messages`, `not recorded`.
 */
export function promptFormatLabel(format: string | null | undefined, chatTemplate?: string | null, opts: { short?: boolean } = {}): string {
  const template = chatTemplate ? `chat template ${chatTemplate}` : 'chat template';
  switch (format) {
    case 'chat_template':
      return template;
    case 'flat':
      return opts.short ? 'flat text' : 'flat text (no chat template)';
    case 'mixed':
      return opts.short ? `${template} + flat text` : `${template} for chat rows, flat text for the rest`;
    case 'messages':
      return opts.short ? 'chat messages' : 'chat messages (the endpoint applies its template)';
    case null:
    case undefined:
      return 'not recorded';
    default:
      return format;
  }
}

/** The run parameters a variant's training format is stored as (src/run/stages.ts, from the trainer's summary). */
export const TRAINING_FORMAT_PARAMS: readonly string[] = ['promptFormat', 'chatTemplate'];

/**
 * A variant's training format from its run parameters `promptFormat` and `chatTemplate` (written by
 * src/run/stages.ts from the trainer's summary), in words (`promptFormatLabel`).
 */
export function trainingFormatLabel(params: Readonly<Record<string, unknown>>): string {
  const f = params.promptFormat;
  const t = params.chatTemplate;
  return promptFormatLabel(typeof f === 'string' ? f : undefined, typeof t === 'string' ? t : undefined);
}

export const TURN_SEPARATOR = '\n\n';

/** The parts of a canonical chat: system, (user, assistant) pairs, and the final user message. */
export interface ChatParts {
  system?: string;
  demonstrations: { user: string; assistant: string }[];
  input: string;
}

/**
 * Split messages into canonical parts.
 * @throws Error naming the position when the messages are not: optional system first, then
 *   alternating user/assistant pairs, then one final user message.
 */
export function chatParts(messages: ChatMessage[]): ChatParts {
  let i = 0;
  let system: string | undefined;
  if (messages[0]?.role === 'system') {
    system = messages[0].content;
    i = 1;
  }
  const demonstrations: ChatParts['demonstrations'] = [];
  while (i < messages.length - 1) {
    const u = messages[i]!;
    const a = messages[i + 1]!;
    if (u.role !== 'user') throw new Error(`messages[${i}]: expected role "user", got "${u.role}"`);
    if (a.role !== 'assistant') throw new Error(`messages[${i + 1}]: expected role "assistant", got "${a.role}"`);
    demonstrations.push({ user: u.content, assistant: a.content });
    i += 2;
  }
  const last = messages[i];
  if (!last || last.role !== 'user') throw new Error(`messages: the last message must have role "user"${last ? `, got "${last.role}"` : ' (none given)'}`);
  return { ...(system !== undefined && system !== '' ? { system } : {}), demonstrations, input: last.content };
}

/** Messages of canonical parts (inverse of `chatParts`). */
export function chatMessages(parts: ChatParts): ChatMessage[] {
  return [
    ...(parts.system ? [{ role: 'system' as const, content: parts.system }] : []),
    ...parts.demonstrations.flatMap((d) => [
      { role: 'user' as const, content: d.user },
      { role: 'assistant' as const, content: d.assistant },
    ]),
    { role: 'user' as const, content: parts.input },
  ];
}

/** The text of canonical parts: system, then `user + assistant` per demonstration, then the input, blank-line separated. */
export function partsText(parts: ChatParts): string {
  const context = [...(parts.system ? [parts.system] : []), ...parts.demonstrations.map((d) => d.user + d.assistant)];
  return context.length === 0 ? parts.input : context.join(TURN_SEPARATOR) + TURN_SEPARATOR + parts.input;
}

/**
 * The text of `messages` within `maxTokens` tokens (see the module comment).
 * @returns the text, its token count, and the truncation (absent when nothing was cut).
 * @throws as `chatParts` for non-canonical messages.
 */
export function fitChatText(
  messages: ChatMessage[],
  tokenizer: TextTokenizer,
  maxTokens: number,
): { text: string; tokens: number; truncation?: Truncation } {
  const parts = chatParts(messages);
  const total = parts.demonstrations.length;
  // The fewest oldest demonstrations to drop so that the text fits: a binary search over the number
  // dropped (the text only shrinks as more are dropped), so a chat of thousands of turns costs
  // O(log n) encodings rather than n.
  const textWith = (drop: number) => partsText({ ...parts, demonstrations: parts.demonstrations.slice(drop) });
  let text = textWith(0);
  let ids = tokenizer.encode(text);
  let dropped = 0;
  if (ids.length > maxTokens && total > 0) {
    let lo = 1;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tokenizer.encode(textWith(mid)).length <= maxTokens) hi = mid;
      else lo = mid + 1;
    }
    dropped = lo;
    text = textWith(dropped);
    ids = tokenizer.encode(text);
  }
  let tokensCut = 0;
  if (ids.length > maxTokens) {
    const room = Math.max(0, maxTokens);
    tokensCut = ids.length - room;
    let cut = ids.slice(ids.length - room);
    text = tokenizer.decode(cut);
    // BPE may re-tokenize decoded text differently: shrink until it fits.
    while (cut.length > 0 && tokenizer.encode(text).length > room) {
      cut = cut.slice(1);
      tokensCut++;
      text = tokenizer.decode(cut);
    }
    ids = tokenizer.encode(text);
  }
  return {
    text,
    tokens: ids.length,
    ...(dropped > 0 || tokensCut > 0 ? { truncation: { demonstrations: total, demonstrationsDropped: dropped, tokensCut } } : {}),
  };
}
