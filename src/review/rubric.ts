/**
 * Review rubrics: the items a reviewer scores each output on. Default: correct, format, tone, each
 * 1-5 (a free-text note is always asked). A rubric file (`fte review --rubric FILE`) is JSON or YAML:
 * a list of items, or `{ items: [...] }`; an item is a name, or `{ name, question?, min?, max? }`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UserInputError } from '../errors.js';

export interface RubricItem {
  /** Short name, a letter then letters, digits, _ or - (a CSV column suffix). */
  name: string;
  /** What the reviewer is asked. */
  question: string;
  /** Integer scale, min < max. Default 1-5. */
  min: number;
  max: number;
}

export interface Rubric {
  items: RubricItem[];
}

export const DEFAULT_RUBRIC: Rubric = {
  items: [
    { name: 'correct', question: 'Is the answer correct?', min: 1, max: 5 },
    { name: 'format', question: 'Is it in the expected format?', min: 1, max: 5 },
    { name: 'tone', question: 'Is the tone right?', min: 1, max: 5 },
  ],
};

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Check a parsed rubric.
 * @throws UserInputError (one line, naming `where` and the item) on a bad shape, name, or scale
 */
export function parseRubric(input: unknown, where = 'rubric'): Rubric {
  const list = Array.isArray(input) ? input : input && typeof input === 'object' && Array.isArray((input as { items?: unknown }).items) ? (input as { items: unknown[] }).items : null;
  if (!list || list.length === 0) throw new UserInputError(`${where}: expected a non-empty list of items, or { items: [...] }`);
  const seen = new Set<string>();
  const items = list.map((raw, i): RubricItem => {
    const o = typeof raw === 'string' ? { name: raw } : raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : null;
    if (!o) throw new UserInputError(`${where}: items[${i}]: expected a name or { name, question?, min?, max? }`);
    const name = o.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw new UserInputError(`${where}: items[${i}].name: expected a letter, then letters, digits, _ or -`);
    if (seen.has(name)) throw new UserInputError(`${where}: items[${i}].name: '${name}' appears twice`);
    if (name === 'note' || name === 'preference') throw new UserInputError(`${where}: items[${i}].name: '${name}' is asked anyway; choose another name`);
    seen.add(name);
    const min = o.min ?? 1;
    const max = o.max ?? 5;
    if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) >= (max as number) || (max as number) - (min as number) > 100) {
      throw new UserInputError(`${where}: items[${i}] (${name}): min and max must be integers with min < max (at most 100 apart)`);
    }
    const question = o.question === undefined ? `${name}?` : o.question;
    if (typeof question !== 'string') throw new UserInputError(`${where}: items[${i}].question: expected text`);
    return { name, question, min: min as number, max: max as number };
  });
  return { items };
}

/** Read a rubric file (JSON or YAML). @throws UserInputError on an unreadable or invalid file */
export function readRubric(path: string): Rubric {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserInputError(`--rubric: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    throw new UserInputError(`--rubric: ${path}: not JSON or YAML (${String((err as Error).message).split('\n')[0]})`);
  }
  return parseRubric(parsed, `--rubric ${path}`);
}

/** A score answer: an integer within the item's range, or null. */
export function parseScore(item: RubricItem, text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const v = Number(t);
  return v >= item.min && v <= item.max ? v : null;
}
