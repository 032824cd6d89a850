/**
 * A model's chat template: the Jinja template Hugging Face models ship (`chat_template` in
 * tokenizer_config.json, or a `chat_template.jinja` file beside it), rendered with
 * `@huggingface/jinja` as transformers' `apply_chat_template` renders it: variables `messages`,
 * `add_generation_prompt`, the special tokens (`bos_token`, `eos_token`, `pad_token`, `unk_token`),
 * and `raise_exception`.
 *
 * `assistantSpans` splits a rendered conversation into the text before each assistant turn and the
 * assistant turn itself (what training puts the loss on): for assistant message i, the prefix is
 * render(messages[..i], add_generation_prompt) and the turn is what render(messages[..i+1]) adds to
 * it. A template for which a prefix is not a prefix of the longer rendering (one that rewrites
 * earlier turns, e.g. drops reasoning) is refused with a clear error.
 *
 * `label` names a template where a run records it (run params, the `subjects` table): the model
 * folder and file it came from and the first 12 hex digits of the sha256 of its source, e.g.
 * `SmolLM2-135M-Instruct/tokenizer_config.json sha256:4f2b7c0d9e1a`.
 */
import type { Template } from '@huggingface/jinja';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { UserInputError } from '../errors.js';

/** `@huggingface/jinja`'s Template class, loaded on first use (models without a template never load it). */
let TemplateClass: typeof Template | undefined;

export interface ChatTurn {
  role: string;
  content: string;
}

/** A conversation cut into text pieces; `loss` pieces are assistant turns. Concatenated, they are the full rendering. */
export interface ChatSpans {
  pieces: { text: string; loss: boolean }[];
}

export class ChatTemplate {
  private readonly template: Template;

  /**
   * Use `ChatTemplate.load` (it loads the Jinja engine first).
   * @param source the Jinja source
   * @param specials special token strings passed to the template (`bos_token`, `eos_token`, ...)
   * @param origin where the template came from, for error messages
   * @throws UserInputError when the template does not parse.
   */
  private constructor(
    readonly source: string,
    private readonly specials: Record<string, string>,
    readonly origin: string,
  ) {
    try {
      this.template = new TemplateClass!(source);
    } catch (e) {
      throw new UserInputError(`${origin}: chat template does not parse (${(e as Error).message})`);
    }
  }

  /** `<model folder>/<file> sha256:<12 hex digits of the source's sha256>` (see the module comment). */
  get label(): string {
    const dir = basename(dirname(this.origin));
    const where = dir && dir !== '.' && dir !== '/' ? `${dir}/${basename(this.origin)}` : this.origin;
    return `${where} sha256:${createHash('sha256').update(this.source).digest('hex').slice(0, 12)}`;
  }

  /** Parse a template (see the constructor's parameters). @throws UserInputError when it does not parse. */
  static async load(source: string, specials: Record<string, string> = {}, origin = 'chat_template'): Promise<ChatTemplate> {
    TemplateClass ??= (await import('@huggingface/jinja')).Template;
    return new ChatTemplate(source, specials, origin);
  }

  /**
   * Render `messages`; with `addGenerationPrompt` the text ends where the assistant's reply starts.
   * @throws UserInputError when the template raises (e.g. roles out of the order it accepts).
   */
  render(messages: readonly ChatTurn[], addGenerationPrompt: boolean): string {
    try {
      return this.template.render({ messages, add_generation_prompt: addGenerationPrompt, ...this.specials });
    } catch (e) {
      throw new UserInputError(`${this.origin}: rendering the chat template failed (${(e as Error).message})`);
    }
  }

  /**
   * The conversation as pieces, assistant turns marked (see the module comment).
   * @throws UserInputError when the template's renderings are not prefixes of each other.
   */
  assistantSpans(messages: readonly ChatTurn[]): ChatSpans {
    const pieces: ChatSpans['pieces'] = [];
    let done = '';
    for (let i = 0; i < messages.length; i++) {
      if (messages[i]!.role !== 'assistant') continue;
      const prefix = this.render(messages.slice(0, i), true);
      const upto = this.render(messages.slice(0, i + 1), false);
      if (!prefix.startsWith(done) || !upto.startsWith(prefix)) {
        throw new UserInputError(`${this.origin}: the chat template renders earlier turns differently once later ones follow (message ${i}); it cannot mark assistant turns for the loss`);
      }
      if (prefix.length > done.length) pieces.push({ text: prefix.slice(done.length), loss: false });
      pieces.push({ text: upto.slice(prefix.length), loss: true });
      done = upto;
    }
    const full = this.render(messages, false);
    if (!full.startsWith(done)) throw new UserInputError(`${this.origin}: the chat template renders earlier turns differently once later ones follow; it cannot mark assistant turns for the loss`);
    if (full.length > done.length) pieces.push({ text: full.slice(done.length), loss: false });
    return { pieces };
  }
}
