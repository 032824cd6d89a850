/**
 * Opening connections to the queue's Redis through BullMQ (its `ioredis` client), with one clear
 * line when the client package is missing or the server cannot be reached.
 */
import { createRequire } from 'node:module';
import { RedisConnection } from 'bullmq';
import { UserInputError } from '../../errors.js';
import { connectionOptions, hidePassword, type QueueUrl } from './url.js';

type Client = Awaited<RedisConnection['client']>;

/**
 * Check that BullMQ's Redis client package (`ioredis`) resolves from here.
 * @throws UserInputError saying what to install
 */
export function checkRedisDriver(): void {
  for (const from of [import.meta.url, createRequire(import.meta.url).resolve('bullmq')]) {
    try {
      createRequire(from).resolve('ioredis');
      return;
    } catch {
      // try the next place
    }
  }
  throw new UserInputError("--queue needs the Redis client package 'ioredis' (BullMQ's driver), which is not installed: npm install ioredis");
}

/** Reject after `ms` with `message`; the timer does not keep the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new UserInputError(message())), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}

/** A plain Redis connection (registry reads and writes), connected. */
export interface ControlConnection {
  client: Client;
  close(): Promise<void>;
}

/**
 * Open a control connection; the server must answer within `timeoutMs`.
 * @throws UserInputError `cannot reach Redis at <display>: <reason>` (password hidden)
 */
export async function openControl(url: QueueUrl, name: string, timeoutMs = 5000): Promise<ControlConnection> {
  checkRedisDriver();
  let lastError = '';
  const conn = new RedisConnection(connectionOptions(url, name) as never, { shared: false });
  conn.on('error', (err: Error) => {
    lastError = hidePassword(err.message, url);
  });
  try {
    // Resolves once the client is connected and has read the server's version (INFO).
    const client = await withTimeout(conn.client, timeoutMs, () => `cannot reach Redis at ${url.display}${lastError ? `: ${lastError}` : ''}`);
    return { client, close: () => conn.close() };
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    if (err instanceof UserInputError) throw err;
    throw new UserInputError(`cannot use Redis at ${url.display}: ${hidePassword((err as Error).message, url)}`);
  }
}
