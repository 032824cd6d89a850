import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPii, luhnValid, maskPii, readJsonlFile, scrubPii } from '../../src/data/index.js';

describe('PII detection', () => {
  const rows = readJsonlFile(join(import.meta.dirname, 'fixtures', 'pii.jsonl')).rows;
  it.each(rows.map((r) => [r.line, r] as const))('fixture line %i is found as its category', (_line, r) => {
    if (!r.ok) throw new Error(r.error.message);
    const kinds = findPii(r.example.prompt).map((m) => m.kind);
    expect(kinds).toEqual(r.example.category === 'clean' ? [] : [r.example.category]);
  });

  it.each([
    ['Mail jane.doe@example.com now', 'Mail <EMAIL> now'],
    ['Call 555-010-0199 or +44 20 7946 0958', 'Call <PHONE> or <PHONE>'],
    ['host 10.0.0.7, not 1.2.3.4.5 or 300.1.1.1', 'host <IP>, not 1.2.3.4.5 or 300.1.1.1'],
    ['pay 4111-1111-1111-1111 not 4111-1111-1111-1112', 'pay <CARD> not 4111-1111-1111-1112'],
    ['get https://u:p@x.example.net/a. and https://x.example.net/?api_key=k1 too', 'get <URL>. and <URL> too'],
    ['plain https://example.org/docs and 2002-08-22 and 13:05:22 stay', 'plain https://example.org/docs and 2002-08-22 and 13:05:22 stay'],
  ])('scrubs %j', (input, expected) => {
    expect(scrubPii(input).text).toBe(expected);
  });

  it('counts replacements by kind and never lets an e-mail match inside a credential URL', () => {
    const { counts } = scrubPii('a@example.com b@example.com https://me:pw@example.com/x 192.0.2.1');
    expect(counts).toEqual({ email: 2, phone: 0, ipv4: 1, credit_card: 0, url_secret: 1 });
  });

  it.each([
    ['4111111111111111', true],
    ['79927398713', true],
    ['79927398710', false],
    ['', false],
    ['12a4', false],
  ])('luhn(%s) = %s', (digits, ok) => expect(luhnValid(digits)).toBe(ok));

  it('masks all but the first and last two characters, keeping separators', () => {
    expect(maskPii('jane@example.org')).toBe('j***@*******.*rg');
    expect(maskPii('192.0.2.44')).toBe('1**.*.*.44');
  });
});
