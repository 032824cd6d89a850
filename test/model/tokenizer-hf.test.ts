/**
 * The `hf` tokenizer (tokenizer.json + tokenizer_config.json + generation_config.json) and chat
 * templates, on the tiny Llama folder scripts/make-tiny-llama.ts writes; and how training encodes
 * chat rows with the template (loss on assistant turns only).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TEMPLATE, makeTinyLlama } from '../../scripts/make-tiny-llama.js';
import { ChatTemplate } from '../../src/model/chat-template.js';
import { loadHfTokenizer, loadTokenizer, type HfTokenizer } from '../../src/model/tokenizer.js';
import { encodeExample, makeBatch } from '../../src/train/data.js';
import { normalizeRow } from '../../src/data/formats.js';
import type { Example } from '../../src/data/example.js';
import { UserInputError } from '../../src/errors.js';

let dir: string;
let tok: HfTokenizer;
let special: Record<string, number>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fte-tok-'));
  await makeTinyLlama(dir);
  tok = await loadHfTokenizer(dir);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] };
  special = Object.fromEntries(json.added_tokens.map((t) => [t.content, t.id]));
});

const chatRow = (messages: { role: string; content: string }[]): Example => {
  const r = normalizeRow({ messages }, 1);
  if (!r.ok) throw new Error(r.error.message);
  return r.example;
};

describe('hf tokenizer', () => {
  it('reads special tokens: eos from tokenizer_config, stop ids from generation_config, BOS because the post-processor adds it', () => {
    expect(tok.eosId).toBe(special['<|im_end|>']);
    expect([...tok.stopIds].sort()).toEqual([special['<|im_end|>'], special['<|end_of_text|>']].sort());
    expect(tok.bosId).toBe(special['<|begin_of_text|>']);
    expect(tok.vocabSize).toBe(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).vocab_size);
  });

  it('encodes without adding special tokens, recognises special tokens written in the text, decodes without them', () => {
    const ids = tok.encode('<|im_start|>user\nHello there!<|im_end|>');
    expect(ids[0]).toBe(special['<|im_start|>']);
    expect(ids.at(-1)).toBe(special['<|im_end|>']);
    expect(tok.decode(ids)).toBe('user\nHello there!');
    expect(tok.decode(tok.encode('The quick brown fox, 42 times.'))).toBe('The quick brown fox, 42 times.');
    expect(tok.encode('the the the').length).toBeLessThan('the the the'.length); // merges learned
  });

  it('is the registry kind `hf`; a folder without tokenizer.json is a one-line error', async () => {
    expect((await loadTokenizer('hf', dir)).name).toBe('hf');
    await expect(loadHfTokenizer(mkdtempSync(join(tmpdir(), 'fte-empty-')))).rejects.toThrow(/tokenizer\.json: not found/);
  });

  it('without BOS in the post-processor and without a template: no bosId, no chatTemplate', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fte-tok2-'));
    await makeTinyLlama(d);
    const j = JSON.parse(readFileSync(join(d, 'tokenizer.json'), 'utf8'));
    j.post_processor = null;
    writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(j));
    const cfg = JSON.parse(readFileSync(join(d, 'tokenizer_config.json'), 'utf8'));
    delete cfg.chat_template;
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify(cfg));
    const t = await loadHfTokenizer(d);
    expect(t.bosId).toBeUndefined();
    expect(t.chatTemplate).toBeUndefined();
    // a chat_template.jinja file is the other place a template lives
    writeFileSync(join(d, 'chat_template.jinja'), CHAT_TEMPLATE);
    expect((await loadHfTokenizer(d)).chatTemplate).toBeDefined();
  });

  it("labels its chat template by model folder, file and the source's sha256 (what a run records)", async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'fte-hf-')), 'My-Model');
    await makeTinyLlama(d);
    const sha = createHash('sha256').update(CHAT_TEMPLATE).digest('hex').slice(0, 12);
    expect((await loadHfTokenizer(d)).chatTemplate!.label).toBe(`My-Model/tokenizer_config.json sha256:${sha}`);
    const cfg = JSON.parse(readFileSync(join(d, 'tokenizer_config.json'), 'utf8'));
    delete cfg.chat_template;
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify(cfg));
    writeFileSync(join(d, 'chat_template.jinja'), `${CHAT_TEMPLATE} `);
    const other = createHash('sha256').update(`${CHAT_TEMPLATE} `).digest('hex').slice(0, 12);
    expect((await loadHfTokenizer(d)).chatTemplate!.label).toBe(`My-Model/chat_template.jinja sha256:${other}`);
    expect((await ChatTemplate.load('x')).label).toMatch(/^chat_template sha256:[0-9a-f]{12}$/);
  });
});

describe('chat templates', () => {
  it('render as apply_chat_template: special tokens as variables, generation prompt', async () => {
    const t = await ChatTemplate.load(CHAT_TEMPLATE, { bos_token: '<s>' });
    expect(t.render([{ role: 'user', content: 'hi' }], true)).toBe('<s><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(t.render([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }], false)).toBe('<s><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n');
  });

  it('split a conversation into context and assistant turns', async () => {
    const t = await ChatTemplate.load(CHAT_TEMPLATE, { bos_token: '<s>' });
    const { pieces } = t.assistantSpans([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
      { role: 'assistant', content: 'd' },
    ]);
    expect(pieces).toEqual([
      { text: '<s><|im_start|>system\nS<|im_end|>\n<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n', loss: false },
      { text: 'b<|im_end|>\n', loss: true },
      { text: '<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n', loss: false },
      { text: 'd<|im_end|>\n', loss: true },
    ]);
  });

  it('errors are one line: a template that does not parse, one that raises, one that rewrites earlier turns', async () => {
    await expect(ChatTemplate.load('{% for %}', {}, 'x/tokenizer_config.json')).rejects.toThrow(/x\/tokenizer_config\.json: chat template does not parse/);
    const strict = await ChatTemplate.load("{% if messages[0]['role'] != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok");
    expect(() => strict.render([{ role: 'assistant', content: 'x' }], false)).toThrow(UserInputError);
    expect(() => strict.render([{ role: 'assistant', content: 'x' }], false)).toThrow(/first must be user/);
    const rewriting = await ChatTemplate.load("{% for m in messages %}{% if loop.last %}{{ m['content'] }}{% else %}.{% endif %}{% endfor %}");
    expect(() => rewriting.assistantSpans([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }])).toThrow(/renders earlier turns differently/);
  });
});

describe('training examples with the chat template', () => {
  it('chat rows keep their conversation; the flat prompt stays the fallback', () => {
    const ex = chatRow([{ role: 'user', content: 'Is it spam?' }, { role: 'assistant', content: 'ham' }]);
    expect(ex.prompt).toBe('user: Is it spam?\nassistant: ');
    expect(ex.meta?.chatMessages).toEqual([{ role: 'user', content: 'Is it spam?' }, { role: 'assistant', content: 'ham' }]);
  });

  it('puts the loss on every assistant turn (its text and end-of-turn tokens) and nowhere else', () => {
    const ex = chatRow([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi' },
      { role: 'user', content: 'Sky?' },
      { role: 'assistant', content: 'Blue' },
    ]);
    const e = encodeExample(ex, tok, 256);
    expect(e.format).toBe('chat_template');
    expect(e.tokens[0]).toBe(tok.bosId); // from {{ bos_token }}, not doubled
    expect(e.tokens[1]).toBe(special['<|im_start|>']);
    const lossText = (from: number, to: number) => tok.decode(e.tokens.slice(from, to).filter((_, i) => e.lossMask![from + i] === 1));
    expect(lossText(0, e.tokens.length)).toBe('Hi\nBlue\n');
    const lossIds = e.tokens.filter((_, i) => e.lossMask![i] === 1);
    expect(lossIds.filter((t) => t === tok.eosId)).toHaveLength(2); // <|im_end|> closes each assistant turn and is learned
    expect(tok.decode(e.tokens.slice(e.completionStart))).toBe('Blue\n');
    // the batch's loss mask follows the targets: target t+1 is in the loss iff its token is
    const b = makeBatch([e], tok.eosId);
    for (let t = 0; t < e.tokens.length - 1; t++) expect(b.lossMask[t]).toBe(e.lossMask![t + 1]);
    expect(b.lossTokens).toBe(lossIds.length);
  });

  it('flat examples on a BOS tokenizer start with BOS and end the completion with eos', () => {
    const e = encodeExample({ id: 'x', prompt: 'Sky?', completion: ' Blue' }, tok, 64);
    expect(e.format).toBeUndefined();
    expect(e.tokens[0]).toBe(tok.bosId);
    expect(e.tokens.at(-1)).toBe(tok.eosId);
    expect(tok.decode(e.tokens.slice(e.completionStart))).toBe(' Blue');
  });

  it('cuts over-long conversations from the left, keeping the last assistant turn', () => {
    const long = 'word '.repeat(80);
    const ex = chatRow([{ role: 'user', content: long }, { role: 'assistant', content: 'Blue' }]);
    const e = encodeExample(ex, tok, 24);
    expect(e.tokens.length).toBe(24);
    expect(tok.decode(e.tokens.slice(e.completionStart))).toBe('Blue\n');
    expect(e.lossMask!.slice(e.completionStart).every((m) => m === 1)).toBe(true);
  });
});
