/**
 * Build a tiny Llama-architecture model folder as the Hub ships one, for fte's end-to-end checks:
 *
 *   config.json             LlamaConfig fields (GQA, untied head), torch_dtype bfloat16
 *   model.safetensors       random weights stored as BF16: transformers' init N(0, 0.02), except the
 *                           token embedding N(0, 1) and lm_head N(0, 1 / hidden): with a frozen
 *                           N(0, 0.02) head a tiny random model's logits stay near 0 and no adapter
 *                           could fit anything (a pretrained model has no such problem)
 *   tokenizer.json          a byte-level BPE tokenizer (GPT-2 byte alphabet + merges learned here from
 *                           a small English corpus), Llama 3's TemplateProcessing that prepends
 *                           <|begin_of_text|>, and the special tokens <|begin_of_text|>,
 *                           <|end_of_text|>, <|im_start|>, <|im_end|>
 *   tokenizer_config.json   bos/eos/pad tokens and a ChatML chat template (Jinja)
 *   generation_config.json  eos_token_id [<|im_end|>, <|end_of_text|>]
 *
 * Usage: npx jiti scripts/make-tiny-llama.ts OUT_DIR [--seed N] [--layers N] [--hidden N] [--merges N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initLlamaParams } from '../src/model/llama.js';
import { llamaFromHfConfig } from '../src/model/llama-config.js';
import { writeCheckpoint } from '../src/model/safetensors.js';

export const SPECIAL_TOKENS = ['<|begin_of_text|>', '<|end_of_text|>', '<|im_start|>', '<|im_end|>'] as const;

/** ChatML with the BOS token first (as Llama 3's and Qwen's templates are built). */
export const CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CORPUS = `The quick brown fox jumps over the lazy dog. A message arrived this morning about the meeting.
Please review the attached report and reply with your comments before Friday. Thank you for your help.
Is this e-mail spam or ham? Classify the message. The answer is spam. The answer is ham.
Win a free prize now, click here to claim your reward! Limited offer, act today.
Hello, can we move our call to Tuesday afternoon? Let me know what time works for you.
You are a helpful assistant. Answer the question in one word. What colour is the sky? Blue.
The capital of France is Paris. The capital of Italy is Rome. Numbers: one, two, three, four, five.`;

/** GPT-2's bytes_to_unicode (openai/gpt-2 encoder.py): byte -> printable character. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const table: string[] = new Array(256);
  for (const b of bs) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++);
  return table;
}

/** GPT-2's pre-tokenizer split (ByteLevel with use_regex). */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Learn `nMerges` byte-level BPE merges from `text` (most frequent adjacent pair first, ties by
 * first occurrence order of the pair string). Returns the vocabulary (256 byte symbols, then merged
 * symbols) and the merges as `a b` lines.
 */
export function trainBpe(text: string, nMerges: number): { vocab: Record<string, number>; merges: string[] } {
  const b2u = bytesToUnicode();
  const enc = new TextEncoder();
  const words = new Map<string, number>();
  for (const w of text.match(SPLIT) ?? []) {
    const sym = Array.from(enc.encode(w), (b) => b2u[b]!).join('\u0000');
    words.set(sym, (words.get(sym) ?? 0) + 1);
  }
  let seqs = [...words].map(([w, c]) => ({ syms: w.split('\u0000'), c }));
  const vocab: Record<string, number> = {};
  b2u.forEach((ch, i) => (vocab[ch] = i));
  const merges: string[] = [];
  for (let m = 0; m < nMerges; m++) {
    const counts = new Map<string, number>();
    for (const { syms, c } of seqs) for (let i = 0; i + 1 < syms.length; i++) {
      const k = syms[i] + ' ' + syms[i + 1];
      counts.set(k, (counts.get(k) ?? 0) + c);
    }
    let best: string | undefined;
    let bc = 1;
    for (const [k, c] of counts) if (c > bc) [best, bc] = [k, c];
    if (!best) break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push(best);
    vocab[a + b] = Object.keys(vocab).length;
    seqs = seqs.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]!);
      }
      return { syms: out, c };
    });
  }
  return { vocab, merges };
}

/** tokenizer.json of a byte-level BPE with Llama 3's BOS post-processor and the special tokens after the vocabulary. */
export function tokenizerJson(vocab: Record<string, number>, merges: string[]): { json: Record<string, unknown>; special: Record<string, number> } {
  const base = Object.keys(vocab).length;
  const special = Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, base + i]));
  const bos = '<|begin_of_text|>';
  return {
    special,
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_TOKENS.map((t) => ({ id: special[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [special[bos]], tokens: [bos] } },
      },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
    },
  };
}

export interface TinyLlamaOptions {
  seed?: number;
  layers?: number;
  hidden?: number;
  merges?: number;
  /** Extra text to learn merges from (e.g. the dataset). */
  corpus?: string;
}

/** Write the model folder (see the module comment) into `dir`; returns its config.json object. */
export async function makeTinyLlama(dir: string, o: TinyLlamaOptions = {}): Promise<Record<string, unknown>> {
  mkdirSync(dir, { recursive: true });
  const { vocab, merges } = trainBpe(CORPUS + '\n' + (o.corpus ?? ''), o.merges ?? 120);
  const { json, special } = tokenizerJson(vocab, merges);
  const hidden = o.hidden ?? 64;
  const cfg = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: Object.keys(vocab).length + SPECIAL_TOKENS.length,
    hidden_size: hidden,
    intermediate_size: 2 * hidden,
    num_hidden_layers: o.layers ?? 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    attention_bias: false,
    mlp_bias: false,
    initializer_range: 0.02,
    bos_token_id: special['<|begin_of_text|>'],
    eos_token_id: special['<|im_end|>'],
    torch_dtype: 'bfloat16',
  };
  const config = llamaFromHfConfig(cfg);
  const weights = initLlamaParams(config, o.seed ?? 0);
  const rescale = (name: string, std: number) => weights.set(name, weights.get(name)!.map((v) => (v / 0.02) * std));
  rescale('model.embed_tokens.weight', 1);
  rescale('lm_head.weight', 1 / Math.sqrt(hidden));
  // BF16 storage: keep the high 16 bits (round to nearest even), as torch's .to(torch.bfloat16).
  const tensors = new Map<string, { shape: number[]; data: Uint8Array; dtype: 'BF16' }>();
  const shapes = new Map((await import('../src/model/llama-config.js')).llamaParameterShapes(config));
  for (const [name, w] of weights) tensors.set(name, { shape: shapes.get(name)!, data: toBf16Bytes(w), dtype: 'BF16' });
  await writeCheckpoint(dir, tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ bos_token: '<|begin_of_text|>', eos_token: '<|im_end|>', pad_token: '<|end_of_text|>', model_max_length: 256, chat_template: CHAT_TEMPLATE, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2) + '\n',
  );
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: cfg.bos_token_id, eos_token_id: [special['<|im_end|>'], special['<|end_of_text|>']] }, null, 2) + '\n');
  return cfg;
}

/** float32 -> bfloat16 bytes (little-endian), round to nearest even. */
export function toBf16Bytes(x: Float32Array): Uint8Array {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = u[i]!;
    out[i] = (v + 0x7fff + ((v >>> 16) & 1)) >>> 16;
  }
  return new Uint8Array(out.buffer);
}

if (process.argv[1] && resolve(process.argv[1]).endsWith('make-tiny-llama.ts')) {
  const args = process.argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!out) {
    console.error('usage: npx jiti scripts/make-tiny-llama.ts OUT_DIR [--seed N] [--layers N] [--hidden N] [--merges N]');
    process.exit(2);
  }
  const flag = (n: string) => {
    const i = args.indexOf(`--${n}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const cfg = await makeTinyLlama(out, { seed: flag('seed'), layers: flag('layers'), hidden: flag('hidden'), merges: flag('merges') });
  console.log(`${out}: tiny llama, vocab ${cfg.vocab_size}, hidden ${cfg.hidden_size}, ${cfg.num_hidden_layers} layers`);
}
