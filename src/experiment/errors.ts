import type { z } from 'zod';
import { UserInputError } from '../errors.js';

/**
 * A spec that fails validation. The message is one line: `<file>: <field path>: <what was expected>, got <value>`,
 * e.g. `experiments/x.ts: sweep.parameters.rank[2]: expected a positive integer, got -4`.
 */
export class SpecError extends UserInputError {
  readonly fieldPath: string;
  constructor(file: string | undefined, fieldPath: string, detail: string) {
    super(`${file ? `${file}: ` : ''}${fieldPath ? `${fieldPath}: ` : ''}${detail}`);
    this.name = 'SpecError';
    this.fieldPath = fieldPath;
  }

  /** The same error with the spec file named in front (the loader knows the file, defineExperiment does not). */
  withFile(file: string): SpecError {
    if (this.message.startsWith(`${file}: `)) return this;
    const detail = this.message.slice(this.fieldPath ? this.fieldPath.length + 2 : 0);
    return new SpecError(file, this.fieldPath, detail);
  }
}

/** Render a field path the way people write it: `sweep.parameters.rank[2]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Field names whose values are secrets (`apiKey`, `token`, `password`, ...), but not `apiKeyEnv` (a variable's name). */
const SECRET_KEY = /^(?!.*Env$).*(key|token|secret|password|passwd|authorization)/i;
/** Strings that look like API keys or bearer tokens. */
const SECRET_VALUE = /^(sk|pk|rk|hf|gsk|xai)[-_][A-Za-z0-9_-]{8,}$|^Bearer\s/i;

/** Show a value in an error message: short, JSON-like, never multi-line; secrets redacted. */
export function showValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'nothing';
  // JSON has no NaN or Infinity (JSON.stringify writes null): show them as written.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  // Secrets never reach a message (CI logs keep them): values under key-like names, and strings that
  // look like API keys, are shown as ***.
  const text = JSON.stringify(value, (k, v: unknown) => (SECRET_KEY.test(k) && v !== undefined && typeof v !== 'object') || (typeof v === 'string' && SECRET_VALUE.test(v)) ? '***' : typeof v === 'string' ? v.replace(/\/\/[^/@\s]*@/g, '//***@') : v);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Levenshtein edit distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * "Did you mean" for a misspelt key: compares case- and separator-folded names (`learning_rate` ->
 * `learningRate`), then edit distance <= 2 (or a third of the name).
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  const folded = fold(key);
  const exact = known.find((k) => fold(k) === folded);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(folded, fold(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Turn a zod issue into a field-path + one-line detail, with a did-you-mean hint for unknown keys. */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown, knownKeysAt: (path: PropertyKey[]) => string[]): { path: string; detail: string } {
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_union') {
    const u = issue as z.core.$ZodIssueInvalidUnion & { note?: string; discriminator?: string; options?: unknown[] };
    // An unknown discriminator (`provider.type`): name the known values.
    if (u.options && u.options.length > 0) {
      return { path, detail: `expected one of ${u.options.map(String).join(', ')}, got ${showValue(valueAt(root, issue.path as PropertyKey[]))}` };
    }
    // A union of alternatives (a name or an object): describe the alternative that matches the value's shape.
    const value = valueAt(root, issue.path as PropertyKey[]);
    const branches = u.errors.filter((b) => b.length > 0);
    const shapeFits = (b: z.core.$ZodIssue[]) => !(b[0]!.path.length === 0 && b[0]!.code === 'invalid_type');
    const pick = typeof value === 'object' && value !== null
      ? branches.find((b) => shapeFits(b) && b[0]!.path.length > 0) ?? branches.find(shapeFits)
      : branches.find((b) => b[0]!.path.length === 0 && shapeFits(b));
    if (pick) return describeIssue({ ...pick[0]!, path: [...issue.path, ...pick[0]!.path] } as z.core.$ZodIssue, root, knownKeysAt);
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeysAt(issue.path as PropertyKey[]);
    const hint = SECRET_KEY.test(key) && known.includes('apiKeyEnv') ? undefined : didYouMean(key, known);
    if (SECRET_KEY.test(key) && known.includes('apiKeyEnv')) {
      return { path: formatPath([...issue.path, key]), detail: 'unknown field: keys are never written in a spec; put the key in an environment variable and name the variable in apiKeyEnv' };
    }
    const where = formatPath([...issue.path, key]);
    return { path: where, detail: `unknown field${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${known.join(', ')}` };
  }
  const value = valueAt(root, issue.path as PropertyKey[]);
  const field = [...issue.path].reverse().find((p) => typeof p === 'string') as string | undefined;
  const integer = field !== undefined && INTEGER_FIELDS.has(field);
  if (typeof value === 'number' && !Number.isFinite(value) && issue.code === 'invalid_type') {
    return { path, detail: `expected ${integer ? 'an integer' : 'a finite number'}, got ${showValue(value)}` };
  }
  return { path, detail: `${expectation(issue, integer)}, got ${showValue(value)}` };
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Spec fields whose values are integers (so a negative one reads "expected a positive integer"). */
export const INTEGER_FIELDS = new Set([
  'rank', 'epochs', 'batchSize', 'gradientAccumulation', 'warmupSteps', 'maxSeqLen', 'evalEvery', 'seed',
  'patience', 'runCap', 'fewShotK', 'ragK', 'maxNewTokens', 'limit',
]);

/** What a zod issue expected, in words ("a positive integer", "one of full, lora, qlora"). */
export function expectation(issue: z.core.$ZodIssue, integer = false): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int' || integer && issue.expected === 'number') return 'expected an integer';
      return `expected ${article(issue.expected)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small': {
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return 'expected a non-empty string';
      if (Number(issue.minimum) === 0 && !issue.inclusive) return `expected a positive ${integer ? 'integer' : 'number'}`;
      return `expected a number >= ${issue.minimum}`;
    }
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_format':
      return `expected ${issue.message ?? issue.format}`;
    default:
      if (issue.code === 'custom' || (issue.message ?? '').includes('integer')) return integer ? 'expected an integer' : `expected ${issue.message}`;
      return `expected ${issue.message}`;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
