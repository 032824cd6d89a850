import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../../src/errors.js';
import { connectionOptions, hidePassword, parseQueueUrl, resolveQueueUrl } from '../../../src/run/queue/url.js';

describe('queue URL', () => {
  it('parses host, port, db, credentials and TLS; the display hides the password', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390, db: 0, tls: false, display: 'redis://127.0.0.1:6390' });
    expect(parseQueueUrl('redis://queue.lan')).toMatchObject({ port: 6379, db: 0, display: 'redis://queue.lan:6379' });
    const u = parseQueueUrl('rediss://fte:s3cr%40t@queue.lan:6380/2');
    expect(u).toMatchObject({ host: 'queue.lan', port: 6380, db: 2, username: 'fte', password: 's3cr@t', tls: true });
    expect(u.display).toBe('rediss://fte:***@queue.lan:6380/2');
    expect(parseQueueUrl('redis://:pw@[::1]:7000').display).toBe('redis://:***@[::1]:7000');
  });

  it('refuses what is not redis[s]://HOST[:PORT][/DB] in one line, naming the source, never the password', () => {
    const cases = ['http://x:1', 'redis://:hunter2@h:1/abc', 'not a url', 'redis://h:1/0?x=1'];
    for (const c of cases) {
      let err: unknown;
      try {
        parseQueueUrl(c, 'FTE_QUEUE');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserInputError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^FTE_QUEUE: /);
      expect(msg).not.toContain('hunter2');
      expect(msg).not.toContain('\n');
    }
    expect(() => parseQueueUrl('redis://:hunter2@h:1/abc')).toThrow(/redis:\/\/\*\*\*@h:1\/abc/);
  });

  it('takes --queue, else FTE_QUEUE, else the spec; none is a local sweep', () => {
    expect(resolveQueueUrl('redis://a:1', 'redis://b:2', 'redis://c:3')!.host).toBe('a');
    expect(resolveQueueUrl(undefined, 'redis://b:2', 'redis://c:3')!.host).toBe('b');
    expect(resolveQueueUrl(undefined, '', 'redis://c:3')!.host).toBe('c');
    expect(resolveQueueUrl(undefined, undefined, undefined)).toBeNull();
    expect(() => resolveQueueUrl(undefined, undefined, 'x')).toThrow(/^spec queue: /);
  });

  it('hides the password in client messages and hands it to the client only', () => {
    const u = parseQueueUrl('redis://:p%2Fw@h:1');
    expect(hidePassword('WRONGPASS p/w is wrong (p%2Fw)', u)).toBe('WRONGPASS *** is wrong (***)');
    expect(connectionOptions(u, 'x')).toMatchObject({ host: 'h', port: 1, db: 0, password: 'p/w', maxRetriesPerRequest: null });
  });
});
