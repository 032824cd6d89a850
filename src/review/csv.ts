/**
 * Review by spreadsheet: `fte review RUN --export FILE` writes the sample as CSV (one row per
 * example: input, reference, output A and B blind, an empty column per rubric item and output,
 * preference, note; answers already given are filled in), recording the blind pairing in the store;
 * `--import FILE` reads the filled-in sheet back, checks every answer and saves it.
 *
 * Columns: example_id, category, input, reference, output_a, output_b, a_<item>..., b_<item>...,
 * preference (a | b | tie), note. RFC 4180 quoting; CRLF line ends.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { UserInputError } from '../errors.js';
import { saveReview, type ReviewRecord } from '../store/reviews.js';
import type { Db } from '../store/db.js';
import { parseScore, type Rubric } from './rubric.js';
import { blankReview, displayOrder, type ReviewItem } from './session.js';

function field(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The CSV header for a rubric. */
export function reviewColumns(rubric: Rubric): string[] {
  return ['example_id', 'category', 'input', 'reference', 'output_a', 'output_b', ...['a', 'b'].flatMap((p) => rubric.items.map((it) => `${p}_${it.name}`)), 'preference', 'note'];
}

/**
 * Write the sample to `path` and store the blind pairing of every example not yet stored.
 * @returns rows written
 */
export async function exportReviewCsv(db: Db, path: string, o: { runId: string; reviewer: string; rubric: Rubric; items: readonly ReviewItem[]; existing: readonly ReviewRecord[] }): Promise<number> {
  const stored = new Map(o.existing.map((r) => [r.exampleId, r]));
  const lines = [reviewColumns(o.rubric).map(field).join(',')];
  for (const item of o.items) {
    let rec = stored.get(item.exampleId);
    if (!rec) {
      rec = blankReview(o.runId, o.reviewer, o.rubric, item, 'csv');
      await saveReview(db, rec);
    }
    const order = displayOrder(item);
    const out = (pos: 'A' | 'B') => {
      const who = order.find(([p]) => p === pos)?.[1];
      return who === 'run' ? item.runOutput : who === 'baseline' ? item.baseline!.output : '';
    };
    const scores = (pos: 'A' | 'B') => {
      const who = order.find(([p]) => p === pos)?.[1];
      const s = who === 'run' ? rec!.runScores : who === 'baseline' ? rec!.baselineScores : {};
      return o.rubric.items.map((it) => (s[it.name] !== undefined ? String(s[it.name]) : ''));
    };
    const pref = rec.preference === null ? '' : rec.preference === 'tie' ? 'tie' : (rec.preference === 'run') === (item.runPosition === 'A') ? 'a' : 'b';
    lines.push([item.exampleId, item.category ?? '', item.input, item.reference, out('A'), out('B'), ...scores('A'), ...scores('B'), pref, rec.note ?? ''].map(field).join(','));
  }
  writeFileSync(path, `${lines.join('\r\n')}\r\n`);
  return o.items.length;
}

/** Parse RFC 4180 CSV into rows of fields. @throws UserInputError on an unterminated quote */
export function parseCsv(text: string, where = 'CSV'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let i = 0;
  let quoted = false;
  let line = 1;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a spreadsheet's byte-order mark
  const endField = () => {
    row.push(f);
    f = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          f += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        f += c;
      }
    } else if (c === '"' && f === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
      line++;
    } else f += c;
  }
  if (quoted) throw new UserInputError(`${where}: a quoted field opened before line ${line} is never closed`);
  if (f !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/**
 * Read a filled-in review sheet and save its answers (source `csv`). Each row's example must have
 * been exported for this run and reviewer (its blind pairing is in the store). An empty cell is "not
 * answered"; a review is complete when every score of each shown output and, with a baseline, the
 * preference are given.
 * @returns reviews saved and how many of them are complete
 * @throws UserInputError (one line, naming the file and line) on a missing column, an unknown example,
 *   a score out of range or a preference other than a, b, tie
 */
export async function importReviewCsv(db: Db, path: string, o: { runId: string; reviewer: string; rubric: Rubric; existing: readonly ReviewRecord[] }): Promise<{ saved: number; complete: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserInputError(`--import: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows = parseCsv(text, `--import ${path}`);
  if (rows.length === 0) throw new UserInputError(`--import ${path}: empty file`);
  const header = rows[0]!.map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const need = ['example_id', 'preference', 'note', ...['a', 'b'].flatMap((p) => o.rubric.items.map((it) => `${p}_${it.name}`))];
  const missing = need.filter((n) => col(n) < 0);
  if (missing.length > 0) throw new UserInputError(`--import ${path}: missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (export the sheet with the same --rubric)`);
  const stored = new Map(o.existing.map((r) => [r.exampleId, r]));
  const updates: ReviewRecord[] = [];
  rows.slice(1).forEach((r, k) => {
    const line = k + 2;
    const cell = (name: string) => (r[col(name)] ?? '').trim();
    const id = cell('example_id');
    const rec = stored.get(id);
    if (!rec) throw new UserInputError(`--import ${path} line ${line}: example '${id}' was not exported for run ${o.runId} and reviewer ${o.reviewer} (run --export first)`);
    const next: ReviewRecord = { ...rec, runScores: { ...rec.runScores }, baselineScores: { ...rec.baselineScores }, source: 'csv' };
    const order = displayOrder({ baseline: rec.baselineSubject ? { subject: rec.baselineSubject, runId: rec.baselineRunId ?? '', output: '' } : null, runPosition: rec.runPosition });
    for (const [pos, who] of order) {
      for (const it of o.rubric.items) {
        const c = cell(`${pos.toLowerCase()}_${it.name}`);
        if (c === '') continue;
        const v = parseScore(it, c);
        if (v === null) throw new UserInputError(`--import ${path} line ${line}: ${pos.toLowerCase()}_${it.name} must be a whole number from ${it.min} to ${it.max}, got '${c}'`);
        (who === 'run' ? next.runScores : next.baselineScores)[it.name] = v;
      }
    }
    const p = cell('preference').toLowerCase();
    if (p !== '') {
      if (!rec.baselineSubject) throw new UserInputError(`--import ${path} line ${line}: preference given but example '${id}' had no baseline output`);
      if (!/^(a|b|t|tie)$/.test(p)) throw new UserInputError(`--import ${path} line ${line}: preference must be a, b or tie, got '${p}'`);
      next.preference = p.startsWith('t') ? 'tie' : (p === 'a') === (rec.runPosition === 'A') ? 'run' : 'baseline';
    }
    const note = cell('note');
    if (note !== '') next.note = note;
    const scored = order.every(([, who]) => o.rubric.items.every((it) => (who === 'run' ? next.runScores : next.baselineScores)[it.name] !== undefined));
    next.complete = scored && (!rec.baselineSubject || next.preference !== null);
    updates.push(next);
  });
  // Checked every row first: a bad sheet saves nothing.
  for (const u of updates) await saveReview(db, u);
  return { saved: updates.length, complete: updates.filter((u) => u.complete).length };
}
