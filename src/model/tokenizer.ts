/**
 * Tokenizers, chosen by name through one registry: `byte` (fte's built-in models: ids 0-255 are the
 * UTF-8 bytes, 256 is `<|endoftext|>`) and `gpt2-bpe` (a real GPT-2 checkpoint's `tokenizer.json`, or
 * `vocab.json` + `merges.txt`, through `@huggingface/tokenizers`).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownNameError, UserInputError } from '../errors.js';

export interface TextTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  /** End-of-text id; also used as padding (padded positions are masked everywhere). */
  readonly eosId: number;
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

/** Registry of tokenizer kinds: name -> loader for a model folder. */
export const TOKENIZERS = {
  byte: async (_dir: string): Promise<TextTokenizer> => new ByteTokenizer(),
  'gpt2-bpe': loadGpt2Bpe,
} as const;
export type TokenizerName = keyof typeof TOKENIZERS;

/** Load the tokenizer `name` for the model in `dir`; throws `UnknownNameError` for an unknown kind. */
export async function loadTokenizer(name: string, dir: string): Promise<TextTokenizer> {
  const f = (TOKENIZERS as Record<string, (d: string) => Promise<TextTokenizer>>)[name];
  if (!f) throw new UnknownNameError('tokenizer', name, Object.keys(TOKENIZERS));
  return f(dir);
}
