import { describe, expect, it } from 'vitest';
import { queueSettings } from '../../../src/run/queue/settings.js';

describe('queue settings', () => {
  it('defaults: 30 s locks and stall checks, 3 attempts, 10 s backoff, 16 MiB inline', () => {
    expect(queueSettings({})).toEqual({ lockMs: 30_000, stalledMs: 30_000, maxStalled: 2, attempts: 3, backoffMs: 10_000, pollMs: 1000, inlineBytes: 16 * 1024 * 1024 });
  });
  it('reads the environment and refuses a bad value naming the variable', () => {
    expect(queueSettings({ FTE_QUEUE_LOCK_MS: '2000', FTE_QUEUE_ATTEMPTS: '1' })).toMatchObject({ lockMs: 2000, attempts: 1 });
    expect(() => queueSettings({ FTE_QUEUE_ATTEMPTS: '0' })).toThrow("FTE_QUEUE_ATTEMPTS: expected an integer >= 1, got '0'");
    expect(() => queueSettings({ FTE_QUEUE_LOCK_MS: '2s' })).toThrow(/^FTE_QUEUE_LOCK_MS: /);
  });
});
