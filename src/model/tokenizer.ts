/**
 * Tokenizers, chosen by name through one registry: `byte` (fte's built-in models: ids 0-255 are the
 * UTF-8 bytes, 256 is `<|endoftext|>`), `gpt2-bpe` (a real GPT-2 checkpoint's `tokenizer.json`, or
 * `vocab.json` + `merges.txt`, through `@huggingface/tokenizers`) and `hf` (any model's
 * `tokenizer.json` with its special tokens and chat template: the Llama family).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownNameError, UserInputError } from '../errors.js';
import { ChatTemplate } from './chat-template.js'; // loads @huggingface/jinja only when a model has a template

export interface TextTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  /** End-of-text id; also used as padding (padded positions are masked everywhere). */
  readonly eosId: number;
  /**
   * Beginning-of-sequence id, set only when the model's tokenizer puts it before every sequence
   * (Llama's `<s>` / `<|begin_of_text|>`): training and decoding prepend it unless the text already
   * starts with it (a chat template that writes `bos_token` itself).
   */
  readonly bosId?: number;
  /** Ids that end generation: eosId plus the model's other end ids (generation_config.json `eos_token_id`). Default [eosId]. */
  readonly stopIds?: readonly number[];
  /** The model's chat template (absent: chat rows use fte's flat text format). */
  readonly chatTemplate?: ChatTemplate;
  /** Token ids of a text, no special tokens added (special tokens written in the text are recognised). */
  encode(text: string): number[];
  /** Decodes ids; special tokens are dropped, invalid UTF-8 becomes U+FFFD. */
  decode(ids: number[]): string;
}

/** Byte-level tokenizer: one token per UTF-8 byte plus `<|endoftext|>` = 256. */
export class ByteTokenizer implements TextTokenizer {
  readonly name = 'byte';
  readonly vocabSize = 257;
  readonly eosId = 256;
  private enc = new TextEncoder();
  private dec = new TextDecoder('utf-8', { fatal: false });
  encode(text: string): number[] {
    return Array.from(this.enc.encode(text));
  }
  decode(ids: number[]): string {
    return this.dec.decode(Uint8Array.from(ids.filter((i) => i >= 0 && i < 256)));
  }
}

/** GPT-2 byte-level BPE via `@huggingface/tokenizers`. */
export class Gpt2BpeTokenizer implements TextTokenizer {
  readonly name = 'gpt2-bpe';
  constructor(
    private tok: { encode(t: string, o?: { add_special_tokens?: boolean }): { ids: number[] }; decode(ids: number[], o?: { skip_special_tokens?: boolean }): string },
    readonly vocabSize: number,
    readonly eosId: number,
  ) {}
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }
  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: true });
  }
}

/** tokenizer.json equivalent of GPT-2's `vocab.json` + `merges.txt` (ByteLevel pre-tokenizer and decoder, BPE model). */
function gpt2TokenizerJson(vocab: Record<string, number>, merges: string[]): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [{ id: vocab['<|endoftext|>'] ?? 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, vocab, merges },
  };
}

async function loadGpt2Bpe(dir: string): Promise<TextTokenizer> {
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let json: Record<string, unknown>;
  if (existsSync(join(dir, 'tokenizer.json'))) {
    json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  } else if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) {
    const vocab = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = (await readFile(join(dir, 'merges.txt'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#version'));
    json = gpt2TokenizerJson(vocab, merges);
  } else {
    throw new UserInputError(`${dir}: gpt2-bpe tokenizer needs tokenizer.json or vocab.json + merges.txt`);
  }
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? JSON.parse(await readFile(cfgPath, 'utf8')) : {};
  const tok = new Tokenizer(json, cfg) as unknown as ConstructorParameters<typeof Gpt2BpeTokenizer>[0];
  const model = json.model as { vocab: Record<string, number> };
  const added = (json.added_tokens as { id: number }[] | undefined) ?? [];
  const vocabSize = Math.max(Object.keys(model.vocab).length, ...added.map((a) => a.id + 1));
  const eos = model.vocab['<|endoftext|>'] ?? vocabSize - 1;
  return new Gpt2BpeTokenizer(tok, vocabSize, eos);
}

type HfTok = ConstructorParameters<typeof Gpt2BpeTokenizer>[0] & { token_to_id(t: string): number | undefined; get_vocab(withAdded?: boolean): Map<string, number> };

/** A Hugging Face `tokenizer.json` tokenizer with the model's special tokens and chat template (see `loadHfTokenizer`). */
export class HfTokenizer implements TextTokenizer {
  readonly name = 'hf';
  constructor(
    private tok: HfTok,
    readonly vocabSize: number,
    readonly eosId: number,
    readonly stopIds: readonly number[],
    readonly bosId: number | undefined,
    readonly chatTemplate: ChatTemplate | undefined,
  ) {}
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }
  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: true });
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UserInputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A special token of tokenizer_config.json: a string or an AddedToken object `{ content }`. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

const ids = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : typeof v === 'number' ? [v] : []);

/**
 * Load `dir/tokenizer.json` with the special tokens of `tokenizer_config.json` (`bos_token`,
 * `eos_token`, `pad_token`), `generation_config.json` and `config.json` (`eos_token_id`, a number or
 * a list: every one stops generation), and the chat template (`chat_template` in
 * tokenizer_config.json, a string or a list of `{ name, template }` (the `default` one is used), or a
 * `chat_template.jinja` file). BOS is prepended when the tokenizer's own post-processor adds it
 * (encoding with special tokens starts with the BOS id).
 * @throws UserInputError when tokenizer.json is missing or malformed, or no eos token can be found.
 */
export async function loadHfTokenizer(dir: string): Promise<HfTokenizer> {
  const path = join(dir, 'tokenizer.json');
  const json = await readJson(path);
  if (!json) throw new UserInputError(`${path}: not found (this model's tokenizer is its tokenizer.json)`);
  const cfg = (await readJson(join(dir, 'tokenizer_config.json'))) ?? {};
  const gen = (await readJson(join(dir, 'generation_config.json'))) ?? {};
  const modelCfg = (await readJson(join(dir, 'config.json'))) ?? {};
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let tok: HfTok;
  try {
    tok = new Tokenizer(json, cfg) as unknown as HfTok;
  } catch (e) {
    throw new UserInputError(`${path}: cannot build the tokenizer (${(e as Error).message})`);
  }
  const vocab = tok.get_vocab(true);
  const vocabSize = Math.max(...vocab.values()) + 1;
  const idOf = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
  const eosFromCfg = idOf(tokenString(cfg.eos_token));
  const endIds = [...ids(gen.eos_token_id), ...ids(modelCfg.eos_token_id)];
  const eosId = eosFromCfg ?? endIds[0];
  if (eosId === undefined) throw new UserInputError(`${dir}: no end-of-sequence token (eos_token in tokenizer_config.json or eos_token_id in generation_config.json / config.json)`);
  const stopIds = [...new Set([eosId, ...endIds])];
  const bosCandidate = idOf(tokenString(cfg.bos_token)) ?? ids(gen.bos_token_id)[0] ?? ids(modelCfg.bos_token_id)[0];
  const withSpecial = tok.encode('a', { add_special_tokens: true }).ids;
  const addsBos = bosCandidate !== undefined && withSpecial[0] === bosCandidate && tok.encode('a', { add_special_tokens: false }).ids[0] !== bosCandidate;
  let templateSource: string | undefined;
  let origin = join(dir, 'tokenizer_config.json');
  const ct = cfg.chat_template;
  if (typeof ct === 'string') templateSource = ct;
  else if (Array.isArray(ct)) templateSource = (ct.find((t) => t?.name === 'default') ?? ct[0])?.template;
  else if (existsSync(join(dir, 'chat_template.jinja'))) {
    origin = join(dir, 'chat_template.jinja');
    templateSource = await readFile(origin, 'utf8');
  }
  const specials: Record<string, string> = {};
  for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const v = tokenString(cfg[k]);
    if (v !== undefined) specials[k] = v;
  }
  const template = templateSource !== undefined ? await ChatTemplate.load(templateSource, specials, origin) : undefined;
  return new HfTokenizer(tok, vocabSize, eosId, stopIds, addsBos ? bosCandidate : undefined, template);
}

/** Registry of tokenizer kinds: name -> loader for a model folder. */
export const TOKENIZERS = {
  byte: async (_dir: string): Promise<TextTokenizer> => new ByteTokenizer(),
  'gpt2-bpe': loadGpt2Bpe,
  hf: loadHfTokenizer,
} as const;
export type TokenizerName = keyof typeof TOKENIZERS;

/** Load the tokenizer `name` for the model in `dir`; throws `UnknownNameError` for an unknown kind. */
export async function loadTokenizer(name: string, dir: string): Promise<TextTokenizer> {
  const f = (TOKENIZERS as Record<string, (d: string) => Promise<TextTokenizer>>)[name];
  if (!f) throw new UnknownNameError('tokenizer', name, Object.keys(TOKENIZERS));
  return f(dir);
}
