/**
 * Dataset formats fte accepts (one JSON object per line) and their normalisation to `Example`.
 *
 * - chat: `{"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}` (the layout of
 *   the common hosted fine-tuning APIs). The last message must be the assistant's and becomes the
 *   completion; everything before it is rendered as a transcript, one `role: content` line per message,
 *   ending with `assistant: ` (see `renderChatPrompt`): the flat format, for models without a chat
 *   template. The conversation itself is kept in `meta.chatMessages`, so a model with a chat template
 *   renders it with its own template instead (src/train/data.ts, src/providers/local.ts).
 * - prompt/completion: `{"prompt": "...", "completion": "..."}` (taken as is).
 * - instruction: `{"instruction": "...", "input": "...", "output": "..."}` (Alpaca); `input` may be
 *   absent or empty, rendered as in `renderInstructionPrompt`.
 *
 * An optional `category` (or `label`) string is kept for stratified splits and per-slice evaluation.
 * An optional `"ood": true` marks an out-of-distribution example: it is kept out of train/val/test
 * and evaluated as the `ood` split (src/data/prepare.ts), recorded as `meta.ood`.
 */
import type { Example } from '../data/example.js';

export type DatasetFormat = 'chat' | 'prompt_completion' | 'instruction';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['chat', 'prompt_completion', 'instruction'];

/** Kinds of row-level errors (each one rejects its row). */
export type RowErrorKind =
  | 'invalid_utf8'
  | 'malformed_json'
  | 'not_an_object'
  | 'unknown_format'
  | 'missing_field'
  | 'empty_field'
  | 'non_string_content'
  | 'roles_out_of_order'
  | 'unknown_role'
  | 'bad_category'
  | 'bad_ood';

/** A row that cannot become an example: 1-based source line, kind and one readable sentence. */
export interface RowError {
  line: number;
  kind: RowErrorKind;
  message: string;
}

export type NormalizeResult =
  | { ok: true; format: DatasetFormat; example: Example }
  | { ok: false; error: RowError };

const CHAT_ROLES = ['system', 'user', 'assistant'] as const;

function fail(line: number, kind: RowErrorKind, message: string): NormalizeResult {
  return { ok: false, error: { line, kind, message: `line ${line}: ${message}` } };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Detects the format from the keys present; `undefined` when no known format matches. */
export function detectFormat(row: Record<string, unknown>): DatasetFormat | undefined {
  if ('messages' in row) return 'chat';
  if ('prompt' in row || 'completion' in row) return 'prompt_completion';
  if ('instruction' in row || 'output' in row) return 'instruction';
  return undefined;
}

/** Transcript for a chat prompt: `system: ...\nuser: ...\nassistant: ` (the completion follows). */
export function renderChatPrompt(messages: readonly { role: string; content: string }[]): string {
  return messages.map((m) => `${m.role}: ${m.content}\n`).join('') + 'assistant: ';
}

/** Alpaca-style prompt: `### Instruction:\n<instruction>\n\n[### Input:\n<input>\n\n]### Response:\n`. */
export function renderInstructionPrompt(instruction: string, input: string | undefined): string {
  const inputPart = input && input.trim() !== '' ? `### Input:\n${input}\n\n` : '';
  return `### Instruction:\n${instruction}\n\n${inputPart}### Response:\n`;
}

/** Reads a required string field; returns an error result when missing, non-string or blank. */
function stringField(row: Record<string, unknown>, field: string, line: number, what = field): string | NormalizeResult {
  const v = row[field];
  if (v === undefined || v === null) return fail(line, 'missing_field', `missing "${what}"`);
  if (typeof v !== 'string') return fail(line, 'non_string_content', `"${what}" is ${typeName(v)}, expected a string`);
  if (v.trim() === '') return fail(line, 'empty_field', `"${what}" is empty`);
  return v;
}

function normalizeChat(row: Record<string, unknown>, line: number): { prompt: string; completion: string; messages: { role: string; content: string }[] } | NormalizeResult {
  const messages = row.messages;
  if (!Array.isArray(messages)) return fail(line, 'non_string_content', `"messages" is ${typeName(messages)}, expected an array`);
  if (messages.length === 0) return fail(line, 'empty_field', '"messages" is empty');
  const parsed: { role: string; content: string }[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as unknown;
    const at = `messages[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return fail(line, 'non_string_content', `${at} is ${typeName(m)}, expected an object`);
    const { role, content } = m as Record<string, unknown>;
    if (role === undefined) return fail(line, 'missing_field', `missing "${at}.role"`);
    if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) {
      return fail(line, 'unknown_role', `${at}.role is ${JSON.stringify(role)}, expected one of ${CHAT_ROLES.join(', ')}`);
    }
    if (content === undefined || content === null) return fail(line, 'missing_field', `missing "${at}.content"`);
    if (typeof content !== 'string') return fail(line, 'non_string_content', `${at}.content is ${typeName(content)}, expected a string`);
    if (content.trim() === '') return fail(line, 'empty_field', `${at}.content is empty`);
    parsed.push({ role, content });
  }
  // Order: optional system messages first, then user/assistant alternating from user, ending with assistant.
  let i = 0;
  while (i < parsed.length && parsed[i]!.role === 'system') i++;
  if (i === parsed.length) return fail(line, 'roles_out_of_order', 'no user or assistant message');
  let expected = 'user';
  for (let j = i; j < parsed.length; j++) {
    const role = parsed[j]!.role;
    if (role !== expected) {
      const prev = j > 0 ? ` after '${parsed[j - 1]!.role}'` : ' first';
      return fail(line, 'roles_out_of_order', `roles out of order: messages[${j}] is '${role}'${prev}, expected '${expected}'`);
    }
    expected = expected === 'user' ? 'assistant' : 'user';
  }
  const last = parsed[parsed.length - 1]!;
  if (last.role !== 'assistant') return fail(line, 'roles_out_of_order', `roles out of order: the last message is '${last.role}', expected 'assistant'`);
  return { prompt: renderChatPrompt(parsed.slice(0, -1)), completion: last.content, messages: parsed };
}

/**
 * Normalises one parsed JSON row to an `Example` with id `L<line>`.
 * Never throws: problems come back as a `RowError` with the line number.
 */
export function normalizeRow(value: unknown, line: number): NormalizeResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(line, 'not_an_object', `expected a JSON object, got ${typeName(value)}`);
  }
  const row = value as Record<string, unknown>;
  const format = detectFormat(row);
  if (!format) {
    const keys = Object.keys(row).slice(0, 6).join(', ') || 'none';
    return fail(line, 'unknown_format', `unknown format (keys: ${keys}); expected "messages", "prompt"/"completion" or "instruction"/"input"/"output"`);
  }
  let prompt: string;
  let completion: string;
  let chatMessages: { role: string; content: string }[] | undefined;
  if (format === 'chat') {
    const r = normalizeChat(row, line);
    if ('ok' in r) return r;
    ({ prompt, completion } = r);
    chatMessages = r.messages;
  } else if (format === 'prompt_completion') {
    const p = stringField(row, 'prompt', line);
    if (typeof p !== 'string') return p;
    const c = stringField(row, 'completion', line);
    if (typeof c !== 'string') return c;
    prompt = p;
    completion = c;
  } else {
    const ins = stringField(row, 'instruction', line);
    if (typeof ins !== 'string') return ins;
    const input = row.input;
    if (input !== undefined && input !== null && typeof input !== 'string') {
      return fail(line, 'non_string_content', `"input" is ${typeName(input)}, expected a string`);
    }
    const out = stringField(row, 'output', line);
    if (typeof out !== 'string') return out;
    prompt = renderInstructionPrompt(ins, (input as string | undefined | null) ?? undefined);
    completion = out;
  }
  const example: Example = { id: `L${line}`, prompt, completion };
  const rawCategory = row.category ?? row.label;
  if (rawCategory !== undefined && rawCategory !== null) {
    if (typeof rawCategory !== 'string' && typeof rawCategory !== 'number' && typeof rawCategory !== 'boolean') {
      return fail(line, 'bad_category', `"${row.category !== undefined ? 'category' : 'label'}" is ${typeName(rawCategory)}, expected a string`);
    }
    const category = String(rawCategory).trim();
    if (category !== '') example.category = category;
  }
  if (row.ood !== undefined && row.ood !== null && typeof row.ood !== 'boolean') {
    return fail(line, 'bad_ood', `"ood" is ${typeName(row.ood)}, expected true or false`);
  }
  const meta: Record<string, unknown> = { line, format };
  if (row.ood === true) meta.ood = true;
  if (typeof row.id === 'string' || typeof row.id === 'number') meta.sourceId = row.id;
  if (row.meta !== null && typeof row.meta === 'object' && !Array.isArray(row.meta)) Object.assign(meta, row.meta as object);
  if (chatMessages) meta.chatMessages = chatMessages;
  example.meta = meta;
  return { ok: true, format, example };
}
