/**
 * The response cache of API providers: a folder holding one JSON file per successful response, named
 * `<sha256 hex>.json` where the hash is over `canonicalJson({ baseURL, model, body })` (src/canonical-json.ts;
 * `body` is the full chat-completions request body as sent). Equal requests to the same endpoint and model
 * therefore hit the same file, whatever order their fields were built in; any change of message, decoding
 * option, model or endpoint is a different file.
 *
 * Files are written to a temporary name beside their final one and renamed into place, so readers never
 * see half a file and several processes (eval workers) can share one folder: when two write the same key,
 * the last rename wins and both contents are valid. Only successful answers are stored, and never an API
 * key (nothing here receives one). A file that cannot be read or does not have the expected shape is a
 * miss (it is replaced on the next successful answer).
 *
 * File shape (`CacheEntry`): `{ version: 1, baseURL, model, body, response: { text, finishReason,
 * promptTokens, completionTokens, usageReported } }`. The request is kept for inspection only; lookups go
 * by file name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../canonical-json.js';
import { UserInputError } from '../errors.js';
import { makeDirs } from '../fsutil.js';
import { MAX_REPORTED_TOKENS } from './types.js';

/** What identifies one request: the endpoint, the model, and the request body exactly as sent. */
export interface CacheKeyParts {
  /** The endpoint's base URL (e.g. `http://127.0.0.1:8000/v1`). */
  baseURL: string;
  /** The endpoint's model name. */
  model: string;
  /** The full request body (JSON-serialisable). */
  body: Record<string, unknown>;
}

/** A successful response as cached. Token counts are the server's `usage` (0 when it reported none). */
export interface CachedResponse {
  text: string;
  /** The API's `finish_reason`. */
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  /** Whether the server reported `usage`. */
  usageReported: boolean;
}

/** One cache file. */
export interface CacheEntry extends CacheKeyParts {
  version: 1;
  response: CachedResponse;
}

/** The cache key of a request: lowercase hex sha256 (64 characters) of `canonicalJson(parts)`. */
export function responseCacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(canonicalJson({ baseURL: parts.baseURL, model: parts.model, body: parts.body })).digest('hex');
}

const KEY = /^[0-9a-f]{64}$/;

/** A response cache folder (see the file comment). */
export class ResponseCache {
  readonly dir: string;

  /**
   * Opens (creating when missing) the cache folder `dir`.
   * @throws UserInputError `cannot create folder <dir>: ...` or `response cache folder <dir> is not writable`.
   */
  static open(dir: string): ResponseCache {
    makeDirs(dir);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new UserInputError(`response cache folder ${dir} is not writable`);
    }
    return new ResponseCache(dir);
  }

  /** Binds to `dir` without touching the disk (it is created on the first `put`); prefer `open`. */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file of `key` (64 hex characters). */
  path(key: string): string {
    if (!KEY.test(key)) throw new Error(`bad response cache key '${key}'`);
    return join(this.dir, `${key}.json`);
  }

  /** The cached response of `key`, or undefined on a miss (no file, unreadable, or not a valid entry). */
  async get(key: string): Promise<CachedResponse | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as Partial<CacheEntry>;
      return entry.version === 1 && isCachedResponse(entry.response) ? { ...entry.response } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a successful response under `responseCacheKey(parts)`: written to a temporary file in the
   * folder, then renamed over `<key>.json` (atomic on one file system). Returns the key.
   * @throws UserInputError `cannot write response cache file <path>: <reason>` (the temporary file is removed).
   */
  async put(parts: CacheKeyParts, response: CachedResponse): Promise<string> {
    const key = responseCacheKey(parts);
    const file = this.path(key);
    const entry: CacheEntry = { version: 1, baseURL: parts.baseURL, model: parts.model, body: parts.body, response: { ...response } };
    const tmp = join(this.dir, `.${key}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      makeDirs(this.dir);
      await writeFile(tmp, `${JSON.stringify(entry, null, 2)}\n`, { flag: 'wx' });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      const reason = err instanceof UserInputError ? err.message : ((err as Error).message ?? String(err)).split('\n')[0];
      throw new UserInputError(`cannot write response cache file ${file}: ${reason}`);
    }
    return key;
  }
}

function isCachedResponse(r: unknown): r is CachedResponse {
  if (r === null || typeof r !== 'object') return false;
  const o = r as Record<string, unknown>;
  return (
    typeof o.text === 'string' &&
    typeof o.finishReason === 'string' &&
    isCount(o.promptTokens) &&
    isCount(o.completionTokens) &&
    typeof o.usageReported === 'boolean'
  );
}

/** A token count as the provider accepts one (an entry written before that bound, with an absurd count, is a miss). */
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_REPORTED_TOKENS;
