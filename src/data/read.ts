/**
 * Reading a JSONL dataset: bytes -> lines -> UTF-8 (strict, per line) -> JSON -> `Example`.
 * Row problems are collected with their line numbers; file-level problems throw `UserInputError`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UserInputError } from '../errors.js';
import type { Example } from '../data/example.js';
import { normalizeRow, type DatasetFormat, type RowError } from './formats.js';

/** One non-blank source line and what became of it. */
export type SourceRow =
  | { line: number; raw: string; ok: true; format: DatasetFormat; example: Example }
  | { line: number; raw: string; ok: false; error: RowError };

export interface ReadResult {
  /** The path as given. */
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  bytes: number;
  /** Physical lines (a trailing newline does not start a new line). */
  lines: number;
  /** Lines holding only whitespace; ignored, not examples. */
  blankLines: number;
  /** Every non-blank line, in order. */
  rows: SourceRow[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const lossyDecoder = new TextDecoder('utf-8');

/**
 * Splits a buffer into lines on LF (a CR before it is dropped) and decodes each line strictly, so an
 * invalid UTF-8 sequence is reported against its own line instead of spoiling the file.
 */
export function parseJsonlBytes(bytes: Uint8Array): Omit<ReadResult, 'path' | 'sha256'> {
  const rows: SourceRow[] = [];
  let blankLines = 0;
  let lines = 0;
  let start = 0;
  // Skip a UTF-8 byte-order mark.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    lines++;
    const line = lines;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    const chunk = bytes.subarray(start, stop);
    start = end + 1;
    let text: string;
    try {
      text = decoder.decode(chunk);
    } catch {
      const raw = lossyDecoder.decode(chunk);
      rows.push({ line, raw, ok: false, error: { line, kind: 'invalid_utf8', message: `line ${line}: invalid UTF-8` } });
      continue;
    }
    if (text.trim() === '') {
      blankLines++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/\s+/g, ' ') : String(err);
      rows.push({ line, raw: text, ok: false, error: { line, kind: 'malformed_json', message: `line ${line}: malformed JSON (${why})` } });
      continue;
    }
    const r = normalizeRow(value, line);
    rows.push(r.ok ? { line, raw: text, ok: true, format: r.format, example: r.example } : { line, raw: text, ok: false, error: r.error });
  }
  return { bytes: bytes.length, lines, blankLines, rows };
}

/**
 * Reads and parses a JSONL dataset file.
 * @throws UserInputError (one line, exit 2) when the file cannot be read, is a directory, is empty,
 *   or is not JSONL at all (no line parses as JSON, e.g. a CSV or a binary file, or a single JSON array).
 */
export function readJsonlFile(path: string): ReadResult {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new UserInputError(`${path}: is a directory, expected a JSONL file`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserInputError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : code ?? String(err)})`);
  }
  const parsed = parseJsonlBytes(bytes);
  if (parsed.rows.length === 0) throw new UserInputError(`${path}: empty file, expected one JSON object per line`);
  const jsonRows = parsed.rows.filter((r) => r.ok || (r.error.kind !== 'malformed_json' && r.error.kind !== 'invalid_utf8'));
  if (jsonRows.length === 0) {
    throw new UserInputError(`${path}: not JSONL (no line is a JSON value; expected one JSON object per line)`);
  }
  if (parsed.rows.length === 1 && !parsed.rows[0]!.ok && parsed.rows[0]!.error.kind === 'not_an_object' && parsed.rows[0]!.raw.trimStart().startsWith('[')) {
    throw new UserInputError(`${path}: not JSONL (the file is one JSON array; write one JSON object per line)`);
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), ...parsed };
}
