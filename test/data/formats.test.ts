import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonlFile } from '../../src/data/index.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const examples = (name: string) => readJsonlFile(fixture(name)).rows.map((r) => (r.ok ? r.example : r.error));

describe('formats normalise to Example', () => {
  it('chat: transcript prompt, last assistant message as completion, category or label kept, the conversation kept for chat templates', () => {
    const u = (content: string) => ({ role: 'user', content });
    const a = (content: string) => ({ role: 'assistant', content });
    expect(examples('chat.jsonl')).toEqual([
      {
        id: 'L1',
        prompt: 'system: You sort support tickets.\nuser: My invoice is wrong.\nassistant: ',
        completion: 'billing',
        category: 'billing',
        meta: { line: 1, format: 'chat', chatMessages: [{ role: 'system', content: 'You sort support tickets.' }, u('My invoice is wrong.'), a('billing')] },
      },
      { id: 'L2', prompt: 'user: The app crashes on start.\nassistant: ', completion: 'bug', category: 'bug', meta: { line: 2, format: 'chat', chatMessages: [u('The app crashes on start.'), a('bug')] } },
      {
        id: 'L3',
        prompt: 'user: Hi\nassistant: Hello! How can I help?\nuser: Reset my password.\nassistant: ',
        completion: 'account',
        category: 'account',
        meta: { line: 3, format: 'chat', chatMessages: [u('Hi'), a('Hello! How can I help?'), u('Reset my password.'), a('account')] },
      },
    ]);
  });

  it('prompt/completion: taken as is; blank lines skipped but counted; source id kept in meta', () => {
    const read = readJsonlFile(fixture('prompt-completion.jsonl'));
    expect(read.blankLines).toBe(1);
    expect(read.lines).toBe(4);
    expect(read.rows.map((r) => (r.ok ? r.example : r.error))).toEqual([
      { id: 'L1', prompt: 'Translate to French: cat', completion: ' chat', category: 'translate', meta: { line: 1, format: 'prompt_completion' } },
      { id: 'L2', prompt: 'Translate to French: dog', completion: ' chien', category: 'translate', meta: { line: 2, format: 'prompt_completion' } },
      { id: 'L4', prompt: '2 + 2 =', completion: ' 4', category: 'math', meta: { line: 4, format: 'prompt_completion', sourceId: 'q-3' } },
    ]);
  });

  it('instruction/input/output: Alpaca-style prompt, input optional, numeric label as string', () => {
    expect(examples('instruction.jsonl')).toEqual([
      {
        id: 'L1',
        prompt: '### Instruction:\nSummarise the text.\n\n### Input:\nThe meeting moved from Monday to Tuesday at noon.\n\n### Response:\n',
        completion: 'Meeting moved to Tuesday noon.',
        category: 'summarise',
        meta: { line: 1, format: 'instruction' },
      },
      { id: 'L2', prompt: '### Instruction:\nName a primary colour.\n\n### Response:\n', completion: 'Red.', meta: { line: 2, format: 'instruction' } },
      { id: 'L3', prompt: '### Instruction:\nClassify the sentiment.\n\n### Response:\n', completion: 'positive', category: '1', meta: { line: 3, format: 'instruction' } },
    ]);
  });
});

describe('row errors carry their line number', () => {
  const rows = readJsonlFile(fixture('errors.jsonl')).rows;
  it.each([
    [1, 'ok', ''],
    [2, 'malformed_json', 'line 2: malformed JSON'],
    [3, 'unknown_format', 'line 3: unknown format (keys: text)'],
    [4, 'missing_field', 'line 4: missing "completion"'],
    [5, 'empty_field', 'line 5: "prompt" is empty'],
    [6, 'roles_out_of_order', "line 6: roles out of order: messages[1] is 'user' after 'user', expected 'assistant'"],
    [7, 'non_string_content', 'line 7: messages[0].content is a number, expected a string'],
    [8, 'invalid_utf8', 'line 8: invalid UTF-8'],
    [9, 'not_an_object', 'line 9: expected a JSON object, got an array'],
    [10, 'unknown_role', 'line 10: messages[0].role is "bot"'],
    [11, 'roles_out_of_order', "line 11: roles out of order: messages[0] is 'assistant' first, expected 'user'"],
    [12, 'empty_field', 'line 12: "output" is empty'],
    [13, 'ok', ''],
  ])('line %i: %s', (line, kind, message) => {
    const row = rows.find((r) => r.line === line)!;
    expect(row).toBeDefined();
    if (kind === 'ok') {
      expect(row.ok).toBe(true);
    } else {
      expect(row.ok).toBe(false);
      if (!row.ok) {
        expect(row.error.kind).toBe(kind);
        expect(row.error.line).toBe(line);
        expect(row.error.message.startsWith(message)).toBe(true);
      }
    }
  });
  it('reads every non-blank line', () => expect(rows).toHaveLength(13));
});
