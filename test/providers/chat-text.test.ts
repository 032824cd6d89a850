import { describe, expect, it } from 'vitest';
import { chatMessages, chatParts, fitChatText, partsText } from '../../src/providers/chat-text.js';
import type { ChatMessage } from '../../src/providers/types.js';

/** Byte-level tokenizer, as fte's built-in models. */
const bytes = {
  encode: (t: string) => Array.from(new TextEncoder().encode(t)),
  decode: (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids)),
};
const demos = [
  { user: 'Q: one\nA:', assistant: ' 1' },
  { user: 'Q: two\nA:', assistant: ' 2' },
  { user: 'Q: three\nA:', assistant: ' 3' },
];
const messages: ChatMessage[] = chatMessages({ demonstrations: demos, input: 'Q: four\nA:' });

describe('chat parts', () => {
  it('round-trips canonical messages', () => {
    expect(chatParts(messages)).toEqual({ demonstrations: demos, input: 'Q: four\nA:' });
    const withSystem = chatMessages({ system: 'Be brief.', demonstrations: [], input: 'hi' });
    expect(withSystem).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }]);
    expect(chatParts(withSystem)).toEqual({ system: 'Be brief.', demonstrations: [], input: 'hi' });
  });
  it('names the position of a non-canonical message', () => {
    expect(() => chatParts([{ role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }])).toThrow('messages[0]: expected role "user", got "assistant"');
    expect(() => chatParts([{ role: 'user', content: 'x' }, { role: 'user', content: 'y' }, { role: 'user', content: 'z' }])).toThrow('messages[1]: expected role "assistant"');
    expect(() => chatParts([{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }])).toThrow('the last message must have role "user"');
    expect(() => chatParts([])).toThrow('none given');
  });
  it('reads as the few-shot text format: system, prompt+completion per demonstration, input', () => {
    expect(partsText({ system: 'S', demonstrations: demos.slice(0, 1), input: 'in' })).toBe('S\n\nQ: one\nA: 1\n\nin');
    expect(partsText({ demonstrations: [], input: 'in' })).toBe('in');
  });
});

describe('fitChatText', () => {
  it('keeps everything when it fits', () => {
    const f = fitChatText(messages, bytes, 1000);
    expect(f.text).toBe('Q: one\nA: 1\n\nQ: two\nA: 2\n\nQ: three\nA: 3\n\nQ: four\nA:');
    expect(f.tokens).toBe(Buffer.byteLength(f.text));
    expect(f.truncation).toBeUndefined();
  });
  it('drops whole demonstrations, oldest first, and records how many', () => {
    const lastTwo = 'Q: two\nA: 2\n\nQ: three\nA: 3\n\nQ: four\nA:';
    const f = fitChatText(messages, bytes, Buffer.byteLength(lastTwo));
    expect(f.text).toBe(lastTwo);
    expect(f.truncation).toEqual({ demonstrations: 3, demonstrationsDropped: 1, tokensCut: 0 });
  });
  it('cuts the input from the left when even no demonstrations fit, and records the tokens cut', () => {
    const f = fitChatText(messages, bytes, 5);
    expect(f.text).toBe('ur\nA:'); // the last 5 bytes of 'Q: four\nA:'
    expect(f.tokens).toBe(5);
    expect(f.truncation).toEqual({ demonstrations: 3, demonstrationsDropped: 3, tokensCut: Buffer.byteLength('Q: four\nA:') - 5 });
  });
});

describe('fitChatText on long chats', () => {
  it('drops the fewest oldest demonstrations that make the text fit, for every budget', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ user: `Q${i}:`, assistant: ` ${'x'.repeat(i % 7)}` }));
    const msgs = chatMessages({ system: 'S', demonstrations: many, input: 'last' });
    for (let budget = 1; budget < 400; budget += 7) {
      const f = fitChatText(msgs, bytes, budget);
      const drop = f.truncation?.demonstrationsDropped ?? 0;
      // Linear reference: the first number of drops that fits.
      let ref = 0;
      while (ref < many.length && Buffer.byteLength(partsText({ system: 'S', demonstrations: many.slice(ref), input: 'last' })) > budget) ref++;
      expect(drop, `budget ${budget}`).toBe(ref);
      expect(f.tokens).toBeLessThanOrEqual(budget);
    }
  });
});
