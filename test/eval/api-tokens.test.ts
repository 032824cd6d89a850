import { describe, expect, it } from 'vitest';
import { chatTokens, loadApiTokenCounter, type ApiTokenCounter } from '../../src/eval/api-tokens.js';

// The formula's arithmetic with a stand-in that counts words (the real encoding is checked below when installed).
const words: ApiTokenCounter = { name: 'words', countText: (t) => (t.trim() ? t.trim().split(/\s+/).length : 0) };

describe('chat tokens: sum over messages (3 + role + content) + 3 (OpenAI cookbook, gpt-4o family)', () => {
  it('by hand', () => {
    // (3 + 1 + 2) + (3 + 1 + 1) + (3 + 1 + 3) + 3
    expect(chatTokens([{ role: 'system', content: 'a b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd e f' }], words)).toBe(21);
    expect(chatTokens([], words)).toBe(3);
  });
});

const real = await loadApiTokenCounter();

describe('o200k_base from gpt-tokenizer', () => {
  it('loads once, or is null when the package is not installed', async () => {
    expect(await loadApiTokenCounter()).toBe(real);
    if (real) expect(real.name).toBe('o200k_base');
  });
  it.skipIf(!real)('counts as OpenAI does', () => {
    expect(real!.countText('hello world')).toBe(2);
    expect(real!.countText('')).toBe(0);
    // 3 + "user" (1) + "hello world" (2) + 3
    expect(chatTokens([{ role: 'user', content: 'hello world' }], real!)).toBe(9);
  });
});
