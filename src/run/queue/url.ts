/**
 * The queue's address: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (`rediss://` for TLS). The
 * password is kept for the connection only: every message shows `display`, where it is `***`.
 */
import { UserInputError } from '../../errors.js';

export interface QueueUrl {
  host: string;
  /** Default 6379. */
  port: number;
  /** Redis logical database, default 0. */
  db: number;
  username?: string;
  password?: string;
  /** `rediss://`: TLS to the server. */
  tls: boolean;
  /** The URL as messages show it: the password replaced by `***`, the user kept. */
  display: string;
}

/** `text` with the user-info part of a `scheme://user:password@` prefix masked (for error messages about a URL that did not parse). */
export function redactUrlText(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, (_m, scheme: string) => `${scheme}***@`);
}

/**
 * Parse a queue URL.
 * @param source where it came from, for the message (`--queue`, `FTE_QUEUE`, `spec queue`)
 * @throws UserInputError (naming `source`, never the password) when it is not `redis[s]://HOST[:PORT][/DB]`.
 */
export function parseQueueUrl(text: string, source = '--queue'): QueueUrl {
  const bad = (why: string) => new UserInputError(`${source}: ${why}: expected redis://HOST:PORT[/DB] (rediss:// for TLS; a password as redis://:PASSWORD@HOST:PORT), got ${redactUrlText(text.trim())}`);
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`scheme ${u.protocol.replace(/:$/, '')} is not redis or rediss`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host');
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw bad(`database '${path}' is not a number`);
  if (u.search || u.hash) throw bad('no query or fragment is understood');
  const db = path === '' ? 0 : Number(path);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const userInfo = username || password ? `${u.username}${password ? ':***' : ''}@` : '';
  const hostText = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: u.protocol === 'rediss:',
    display: `${u.protocol}//${userInfo}${hostText}:${port}${db ? `/${db}` : ''}`,
  };
}

/**
 * Where the queue URL comes from: `--queue`, else `FTE_QUEUE`, else the spec's `queue:`; null when none
 * is set (a local sweep).
 */
export function resolveQueueUrl(flag: string | undefined, env: string | undefined, spec: string | undefined): QueueUrl | null {
  if (flag !== undefined && flag !== '') return parseQueueUrl(flag, '--queue');
  if (env !== undefined && env !== '') return parseQueueUrl(env, 'FTE_QUEUE');
  if (spec !== undefined && spec !== '') return parseQueueUrl(spec, 'spec queue');
  return null;
}

/** `message` with every occurrence of the URL's password replaced by `***` (errors from the client may quote it). */
export function hidePassword(message: string, url: Pick<QueueUrl, 'password'>): string {
  if (!url.password) return message;
  return message.split(url.password).join('***').split(encodeURIComponent(url.password)).join('***');
}

/**
 * Connection options for BullMQ's Redis client (ioredis): host, port, db, credentials, TLS.
 * `maxRetriesPerRequest: null` as BullMQ requires for workers; the client reconnects on its own.
 */
export function connectionOptions(url: QueueUrl, name: string): Record<string, unknown> {
  return {
    host: url.host,
    port: url.port,
    db: url.db,
    ...(url.username ? { username: url.username } : {}),
    ...(url.password ? { password: url.password } : {}),
    ...(url.tls ? { tls: {} } : {}),
    connectionName: name,
    maxRetriesPerRequest: null,
    // Reconnect: 0.2 s, 0.4 s, ... capped at 5 s.
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
}
