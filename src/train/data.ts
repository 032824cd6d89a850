/**
 * Fine-tuning data: tokenise prompt + completion examples, mask the prompt out of the loss, and cut
 * them into padded batches.
 *
 * Two formats:
 *   - chat template: an example from a chat row (`meta.chatMessages`, src/data/formats.ts) on a model
 *     whose tokenizer has a chat template is the template's rendering of the whole conversation,
 *     with the loss on every assistant turn (its text and the template's end-of-turn tokens) and on
 *     nothing else (`ChatTemplate.assistantSpans`);
 *   - flat (every other case, and every model without a template): as follows.
 * A tokenizer with a BOS token (`TextTokenizer.bosId`) gets it first in both formats, unless the
 * rendered text starts with it.
 *
 * A sequence is prompt ids ++ completion ids ++ <|endoftext|>. Inputs are tokens [0, L-1), targets
 * tokens [1, L); a target counts in the loss only when it is a completion token (or the final
 * end-of-text), so the model learns to produce the completion and to stop, never the prompt.
 * Too-long sequences (> maxLen) lose tokens from the LEFT of the prompt; a completion longer than
 * maxLen - 1 keeps its first tokens.
 *
 * Batches are right-padded to the longest sequence in the batch. With causal attention, real
 * positions never attend to the padding to their right, and padded targets have weight 0, so
 * padding changes nothing: no attention mask is needed for training (tested in test/train).
 */
import { type Example, chatMessagesOf } from '../data/example.js';
import type { TextTokenizer } from '../model/tokenizer.js';
import { Rng } from '../random.js';

export interface EncodedExample {
  id: string;
  /** Token ids of the full sequence (prompt + completion + eos), length L >= 2. */
  tokens: number[];
  /** Index of the first completion token in `tokens` (chat template: of the last assistant turn). */
  completionStart: number;
  /** Chat template only: 1 for the tokens in the loss (assistant turns), 0 elsewhere; length L. */
  lossMask?: number[];
  /** Which format the example was encoded in. */
  format?: 'chat_template' | 'flat';
}

/** The prompt format an example gets with this tokenizer: the chat template for chat rows on a model that has one, else flat. */
export function promptFormat(ex: Example, tok: Pick<TextTokenizer, 'chatTemplate'>): 'chat_template' | 'flat' {
  return tok.chatTemplate && chatMessagesOf(ex) ? 'chat_template' : 'flat';
}

export function encodeExample(ex: Example, tok: TextTokenizer, maxLen: number): EncodedExample {
  const chat = tok.chatTemplate ? chatMessagesOf(ex) : undefined;
  if (chat) return encodeChat(ex.id, chat, tok, maxLen);
  const bos = tok.bosId !== undefined ? [tok.bosId] : [];
  let prompt = tok.encode(ex.prompt);
  let completion = [...tok.encode(ex.completion), tok.eosId];
  if (completion.length > maxLen - 1 - bos.length) completion = completion.slice(0, maxLen - 1 - bos.length);
  const room = maxLen - completion.length - bos.length;
  if (prompt.length > room) prompt = prompt.slice(prompt.length - room);
  if (bos.length && prompt[0] !== bos[0]) prompt = [...bos, ...prompt];
  if (prompt.length === 0) prompt = [tok.eosId]; // something to predict the first completion token from
  return { id: ex.id, tokens: [...prompt, ...completion], completionStart: prompt.length };
}

/**
 * A conversation through the tokenizer's chat template, loss on the assistant turns. The last
 * assistant turn ends in a stop token (the template's end-of-turn token when it is one of
 * `stopIds`, else eos is appended). Longer than maxLen: tokens are cut from the left; when that
 * would cut into the last assistant turn, its first maxLen - 1 tokens are kept after the token
 * before it.
 */
function encodeChat(id: string, messages: { role: string; content: string }[], tok: TextTokenizer, maxLen: number): EncodedExample {
  const { pieces } = tok.chatTemplate!.assistantSpans(messages);
  let tokens: number[] = [];
  let mask: number[] = [];
  let lastStart = 0;
  for (const p of pieces) {
    const ids = tok.encode(p.text);
    if (p.loss) lastStart = tokens.length;
    tokens.push(...ids);
    mask.push(...ids.map(() => (p.loss ? 1 : 0)));
  }
  const stops = new Set(tok.stopIds ?? [tok.eosId]);
  const lastEnd = mask.lastIndexOf(1) + 1;
  if (!tokens.slice(lastStart, lastEnd).some((t) => stops.has(t))) {
    tokens.splice(lastEnd, 0, tok.eosId);
    mask.splice(lastEnd, 0, 1);
  }
  if (tok.bosId !== undefined && tokens[0] !== tok.bosId) {
    tokens = [tok.bosId, ...tokens];
    mask = [0, ...mask];
    lastStart++;
  }
  if (tokens.length > maxLen) {
    const cut = tokens.length - maxLen;
    const from = cut < lastStart ? cut : Math.max(0, lastStart - 1);
    tokens = tokens.slice(from, from + maxLen);
    mask = mask.slice(from, from + maxLen);
    lastStart -= from;
  }
  return { id, tokens, completionStart: lastStart, lossMask: mask, format: 'chat_template' };
}

/** A padded micro-batch as flat typed arrays (tensors are made by the trainer). */
export interface Batch {
  size: number;
  /** Padded length (inputs/targets are [size, len]). */
  len: number;
  inputs: Int32Array;
  targets: Int32Array;
  /** 1 where the target is a completion token, else 0 (prompt and padding). */
  lossMask: Float32Array;
  /** Completion targets in the batch (sum of lossMask). */
  lossTokens: number;
  /** Real (non-padding) input tokens. */
  realTokens: number;
}

export function makeBatch(exs: EncodedExample[], padId: number): Batch {
  const len = Math.max(...exs.map((e) => e.tokens.length - 1));
  const n = exs.length;
  const inputs = new Int32Array(n * len).fill(padId);
  const targets = new Int32Array(n * len).fill(padId);
  const lossMask = new Float32Array(n * len);
  let lossTokens = 0;
  let realTokens = 0;
  exs.forEach((e, b) => {
    const L = e.tokens.length;
    for (let t = 0; t < L - 1; t++) {
      inputs[b * len + t] = e.tokens[t]!;
      targets[b * len + t] = e.tokens[t + 1]!;
      if (e.lossMask ? e.lossMask[t + 1] === 1 : t + 1 >= e.completionStart) {
        lossMask[b * len + t] = 1;
        lossTokens++;
      }
    }
    realTokens += L - 1;
  });
  return { size: n, len, inputs, targets, lossMask, lossTokens, realTokens };
}

/**
 * One epoch's micro-batches, deterministic for (seed, epoch): shuffle, then group examples of
 * similar length (sort within windows of 8 batches, as length-grouped samplers do) to cut padding,
 * then shuffle the batch order.
 */
export function epochBatches(data: EncodedExample[], batchSize: number, seed: number, epoch: number, padId: number): Batch[] {
  const rng = new Rng(seed * 1000003 + epoch);
  const order = rng.shuffle([...data.keys()]);
  const window = batchSize * 8;
  const groups: EncodedExample[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).map((i) => data[i]!);
    chunk.sort((a, b) => a.tokens.length - b.tokens.length);
    for (let s = 0; s < chunk.length; s += batchSize) groups.push(chunk.slice(s, s + batchSize));
  }
  rng.shuffle(groups);
  return groups.map((g) => makeBatch(g, padId));
}

/** Batches in a fixed order (validation): sorted by length to minimise padding. */
export function evalBatches(data: EncodedExample[], batchSize: number, padId: number): Batch[] {
  const sorted = [...data].sort((a, b) => a.tokens.length - b.tokens.length);
  const out: Batch[] = [];
  for (let s = 0; s < sorted.length; s += batchSize) out.push(makeBatch(sorted.slice(s, s + batchSize), padId));
  return out;
}
